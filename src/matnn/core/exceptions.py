"""The MatnnError family: errors a scientist can act on.

Every message names what was wrong (parameter, layer, file, row, column), what is allowed and what
arrived, in one or two sentences.  Each class also subclasses the built-in a Python user would
catch (``ValueError`` for bad values, ``RuntimeError`` for failed training), so generic handlers
keep working.  The CLI turns any ``MatnnError`` into exit code 2 and a single line.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "MatnnError",
    "ConfigError",
    "DataError",
    "ShapeError",
    "UnknownNameError",
    "NotFittedError",
    "DivergenceError",
    "DependencyError",
    "close_matches",
]


class MatnnError(Exception):
    """Base class of every error matnn raises on purpose."""


class ConfigError(MatnnError, ValueError):
    """A parameter, option or configuration file entry has a wrong name, type or value."""


class DataError(MatnnError, ValueError):
    """Input data is malformed: unreadable file, missing field, NaN/inf, empty, wrong units."""


class ShapeError(MatnnError, ValueError):
    """Arrays do not have the shape a layer, loss or model expects."""


class UnknownNameError(ConfigError, KeyError):
    """A name (layer, loss, optimizer, element, ...) is not known; the message lists close matches."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


class NotFittedError(MatnnError, ValueError, AttributeError):
    """A model or estimator was used before it was fitted or built."""


class DivergenceError(MatnnError, RuntimeError):
    """Training produced a NaN or infinite loss.

    Attributes
    ----------
    epoch, batch : int
        Zero-based epoch and batch index of the first non-finite loss.
    """

    def __init__(self, message: str, *, epoch: int | None = None, batch: int | None = None) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.batch = batch


class DependencyError(MatnnError, ImportError):
    """An optional dependency is missing; the message gives the install command."""


def close_matches(name: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` entries of ``choices`` that look like ``name`` (for 'did you mean' hints)."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    hits = difflib.get_close_matches(str(name).lower(), list(lowered), n=n, cutoff=0.5)
    return [lowered[h] for h in hits]


def unknown_name(kind: str, name: object, choices: Iterable[str]) -> UnknownNameError:
    """Build an :class:`UnknownNameError` listing the allowed names and the closest ones."""
    choices = sorted(set(choices))
    hint = close_matches(str(name), choices)
    msg = f"Unknown {kind} {name!r}."
    if hint:
        msg += f" Did you mean {', '.join(repr(h) for h in hint)}?"
    msg += f" Allowed: {', '.join(choices)}."
    return UnknownNameError(msg)


def require(module: str, extra: str):
    """Import an optional dependency or raise :class:`DependencyError` with the install hint."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DependencyError(
            f"This feature needs the optional package '{module.split('.')[0]}' ({exc}). "
            f"Install it with: pip install 'matnn[{extra}]'"
        ) from None
