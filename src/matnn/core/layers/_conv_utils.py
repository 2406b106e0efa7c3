"""Shape arithmetic shared by convolution and pooling layers (TensorFlow/Keras conventions)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from matnn.core.exceptions import ConfigError, ShapeError

PADDINGS = ("valid", "same")


def as_tuple(value: Any, n: int, what: str, owner: str) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,) * n
    if (
        not isinstance(value, (tuple, list))
        or len(value) != n
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)
    ):
        raise ConfigError(
            f"The '{what}' parameter of {owner} must be a positive integer or a tuple of {n}. Got {value!r} instead."
        )
    return tuple(int(v) for v in value)


def check_padding(padding: str, owner: str, allowed: Sequence[str] = PADDINGS) -> str:
    if not isinstance(padding, str) or padding.lower() not in allowed:
        raise ConfigError(
            f"The 'padding' parameter of {owner} must be one of {', '.join(map(repr, allowed))}. Got {padding!r} instead."
        )
    return padding.lower()


def out_length(n: int | None, k: int, s: int, d: int, padding: str) -> int | None:
    if n is None:
        return None
    eff = (k - 1) * d + 1
    if padding in ("same", "causal"):
        return math.ceil(n / s) if padding == "same" else math.ceil(n / s)
    out = (n - eff) // s + 1
    if out < 1:
        raise ShapeError(f"a window of size {eff} does not fit in a spatial size of {n} with 'valid' padding")
    return out


def same_pads(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """(before, after) zero padding that makes the output ceil(n/s) long, as TensorFlow does."""
    eff = (k - 1) * d + 1
    out = math.ceil(n / s)
    total = max((out - 1) * s + eff - n, 0)
    return total // 2, total - total // 2
