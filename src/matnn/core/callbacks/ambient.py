"""Ambient callbacks: callbacks that every ``fit`` inside a ``with ambient_callbacks(...)`` block adds.

A tool that drives a whole command (a hyperparameter search reporting each epoch to its trial, say)
cannot pass ``callbacks=`` through every workflow; it installs a factory here instead, and
:func:`matnn.models.training.fit_loop` appends what the factories make to the callbacks of each fit.
The registry is a :class:`contextvars.ContextVar`, so threads and nested blocks do not see each other's.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["ambient_callbacks", "make_ambient_callbacks"]

_FACTORIES: contextvars.ContextVar[tuple[Callable[[], Any], ...]] = contextvars.ContextVar(
    "matnn_ambient_callbacks", default=()
)


@contextlib.contextmanager
def ambient_callbacks(factory: Callable[[], Any]) -> Iterator[None]:
    """Within the block, each ``fit`` appends ``factory()`` (a Callback) to its callbacks."""
    token = _FACTORIES.set((*_FACTORIES.get(), factory))
    try:
        yield
    finally:
        _FACTORIES.reset(token)


def make_ambient_callbacks() -> list[Any]:
    """One fresh callback from each installed factory (empty outside any block)."""
    return [factory() for factory in _FACTORIES.get()]
