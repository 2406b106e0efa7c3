"""Declarative parameter checks: one constraint vocabulary and one message for every owner.

A class or function states what each parameter accepts, and :func:`validate` checks the values
where they enter matnn (a constructor, a workflow, the CLI). Every failure reads alike::

    'learning_rate' of Adam must be a float in (0, inf); got -1.0

Examples
--------
>>> from matnn.core.validation import Interval, Options, validate
>>> validate("Dense", {"units": 8}, {"units": [Interval(int, 1, None)]})
>>> validate("Dense", {"units": 0}, {"units": [Interval(int, 1, None)]})
Traceback (most recent call last):
...
matnn.core.exceptions.ConfigError: 'units' of Dense must be an int in [1, inf); got 0
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from matnn.core.exceptions import ConfigError, UnknownNameError, close_matches

__all__ = ["Interval", "Options", "Constraint", "validate", "check", "describe"]


@dataclass(frozen=True)
class Interval:
    """A real or integer number in ``[low, high]``; ``None`` is an open end; ``closed`` picks the ends.

    ``closed`` is ``"both"``, ``"left"``, ``"right"`` or ``"neither"``. NaN and inf are refused
    unless an end is ``None`` and ``allow_inf`` is true.
    """

    kind: type
    low: float | None
    high: float | None
    closed: str = "both"
    allow_inf: bool = False

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int:
            if not isinstance(value, numbers.Integral):
                return False
        elif not isinstance(value, numbers.Real):
            return False
        v = float(value)
        if math.isnan(v) or (math.isinf(v) and not self.allow_inf):
            return False
        left_closed = self.closed in ("both", "left")
        right_closed = self.closed in ("both", "right")
        if self.low is not None and (v < self.low or (v == self.low and not left_closed)):
            return False
        return not (self.high is not None and (v > self.high or (v == self.high and not right_closed)))

    def __str__(self) -> str:
        name = "an int" if self.kind is int else "a float"
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        return f"{name} in {left}{lo}, {hi}{right}"


@dataclass(frozen=True)
class Options:
    """One of a fixed set of strings (case-sensitive unless ``lower``)."""

    choices: tuple[str, ...]
    lower: bool = True

    def __init__(self, choices: Iterable[str], lower: bool = True) -> None:
        object.__setattr__(self, "choices", tuple(choices))
        object.__setattr__(self, "lower", lower)

    def accepts(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        pool = [c.lower() for c in self.choices] if self.lower else self.choices
        return (value.lower() if self.lower else value) in pool

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices)


#: A constraint: an :class:`Interval`, :class:`Options`, a type, ``None`` (the value may be None),
#: ``"boolean"``, or a ``(predicate, description)`` pair.
Constraint = Any


def _accepts(constraint: Constraint, value: Any) -> bool:
    if constraint is None:
        return value is None
    if constraint == "boolean":
        return isinstance(value, bool)
    if isinstance(constraint, type):
        return isinstance(value, constraint) and not (constraint is not bool and isinstance(value, bool))
    if isinstance(constraint, tuple) and len(constraint) == 2 and callable(constraint[0]):
        try:
            return bool(constraint[0](value))
        except Exception:
            return False
    return constraint.accepts(value)


def describe(constraints: list[Constraint]) -> str:
    """Human text of a constraint list ("a float in (0, inf) or None")."""
    parts = []
    for c in constraints:
        if c is None:
            parts.append("None")
        elif c == "boolean":
            parts.append("True or False")
        elif isinstance(c, type):
            parts.append(f"of type {c.__name__}")
        elif isinstance(c, tuple):
            parts.append(c[1])
        else:
            parts.append(str(c))
    return " or ".join(parts)


def check(owner: str, name: str, value: Any, constraints: Constraint | list[Constraint]) -> Any:
    """Return ``value`` if it meets one of ``constraints``; else raise :class:`ConfigError`.

    An :class:`Options` constraint that fails raises :class:`UnknownNameError` with close matches.
    """
    cons = constraints if isinstance(constraints, list) else [constraints]
    if any(_accepts(c, value) for c in cons):
        return value
    options = [c for c in cons if isinstance(c, Options)]
    message = f"'{name}' of {owner} must be {describe(cons)}; got {value!r}"
    if options and isinstance(value, str):
        hint = close_matches(value, options[0].choices)
        if hint:
            message += f". Did you mean {', '.join(repr(h) for h in hint)}?"
        raise UnknownNameError(message)
    raise ConfigError(message)


def validate(owner: str, params: Mapping[str, Any], constraints: Mapping[str, Constraint | list[Constraint]]) -> None:
    """Check every entry of ``params`` that ``constraints`` names (see :func:`check`)."""
    for name, cons in constraints.items():
        if name in params:
            check(owner, name, params[name], cons)


def positive(kind: type = float) -> Interval:
    """Shorthand: a finite number > 0 (``int``: >= 1)."""
    return Interval(int, 1, None) if kind is int else Interval(float, 0, None, closed="neither")


def non_negative(kind: type = float) -> Interval:
    """Shorthand: a finite number >= 0."""
    return Interval(kind, 0, None, closed="left")


def fraction(closed: str = "neither") -> Interval:
    """Shorthand: a float in (0, 1) (``closed`` chooses the ends)."""
    return Interval(float, 0, 1, closed=closed)


__all__ += ["positive", "non_negative", "fraction"]
