"""Names a package exports but imports only on first use, so that importing the package stays cheap."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, table: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``table[name]`` (a module path) on first access of ``name``.

    The value is then stored in ``namespace`` (the package's ``globals()``), so the import happens once.

    Examples
    --------
    >>> __getattr__ = lazy_exports(__name__, {"sqrt": "math"}, globals())  # doctest: +SKIP
    """

    def __getattr__(name: str) -> Any:
        if name in table:
            value = getattr(importlib.import_module(table[name]), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
