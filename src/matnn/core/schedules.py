"""Learning-rate schedules: functions of the optimizer step (batch count), as in Keras.

Pass one as ``learning_rate=`` to any optimizer; it is evaluated before every step. Epoch-based
schedules belong in the :class:`~matnn.callbacks.LearningRateScheduler` callback instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from matnn.core.exceptions import ConfigError
from matnn.core.registry import register_serializable
from matnn.core.validation import check, positive

__all__ = [
    "LearningRateSchedule",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "CosineDecay",
]


class LearningRateSchedule:
    """Base class: ``schedule(step) → learning rate`` (a Python float)."""

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


def _positive(value: Any, what: str, owner: str) -> float:
    return float(check(owner, what, value, positive()))


@register_serializable("matnn>ExponentialDecay")
class ExponentialDecay(LearningRateSchedule):
    """lr = lr₀ · rate^(step / decay_steps) (integer division of the exponent if ``staircase``)."""

    def __init__(
        self, initial_learning_rate: float, decay_steps: int, decay_rate: float, staircase: bool = False
    ) -> None:
        self.initial_learning_rate = _positive(initial_learning_rate, "initial_learning_rate", "ExponentialDecay")
        self.decay_steps = _positive(decay_steps, "decay_steps", "ExponentialDecay")
        self.decay_rate = _positive(decay_rate, "decay_rate", "ExponentialDecay")
        self.staircase = bool(staircase)

    def __call__(self, step: int) -> float:
        p = step / self.decay_steps
        return self.initial_learning_rate * self.decay_rate ** (math.floor(p) if self.staircase else p)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
        }


@register_serializable("matnn>InverseTimeDecay")
class InverseTimeDecay(LearningRateSchedule):
    """lr = lr₀ / (1 + rate · step / decay_steps) — the classic Keras ``decay=`` argument."""

    def __init__(
        self, initial_learning_rate: float, decay_steps: int, decay_rate: float, staircase: bool = False
    ) -> None:
        self.initial_learning_rate = _positive(initial_learning_rate, "initial_learning_rate", "InverseTimeDecay")
        self.decay_steps = _positive(decay_steps, "decay_steps", "InverseTimeDecay")
        self.decay_rate = float(decay_rate)
        self.staircase = bool(staircase)

    def __call__(self, step: int) -> float:
        p = step / self.decay_steps
        return self.initial_learning_rate / (1.0 + self.decay_rate * (math.floor(p) if self.staircase else p))

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
        }


@register_serializable("matnn>PiecewiseConstantDecay")
class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` while ``boundaries[i-1] < step ≤ boundaries[i]``."""

    def __init__(self, boundaries: Sequence[int], values: Sequence[float]) -> None:
        if len(values) != len(boundaries) + 1:
            raise ConfigError(
                f"PiecewiseConstantDecay needs len(values) == len(boundaries) + 1. Got {len(boundaries)} boundaries and {len(values)} values."
            )
        if list(boundaries) != sorted(boundaries):
            raise ConfigError(f"PiecewiseConstantDecay boundaries must increase. Got {list(boundaries)}.")
        self.boundaries, self.values = [int(b) for b in boundaries], [float(v) for v in values]

    def __call__(self, step: int) -> float:
        for b, v in zip(self.boundaries, self.values, strict=False):
            if step <= b:
                return v
        return self.values[-1]

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values}


@register_serializable("matnn>PolynomialDecay")
class PolynomialDecay(LearningRateSchedule):
    """lr = (lr₀ − lr_end)(1 − step/decay_steps)^power + lr_end, then constant ``end_learning_rate``."""

    def __init__(
        self, initial_learning_rate: float, decay_steps: int, end_learning_rate: float = 1e-4, power: float = 1.0
    ) -> None:
        self.initial_learning_rate = _positive(initial_learning_rate, "initial_learning_rate", "PolynomialDecay")
        self.decay_steps = _positive(decay_steps, "decay_steps", "PolynomialDecay")
        self.end_learning_rate, self.power = float(end_learning_rate), float(power)

    def __call__(self, step: int) -> float:
        frac = 1.0 - min(step, self.decay_steps) / self.decay_steps
        return (self.initial_learning_rate - self.end_learning_rate) * frac**self.power + self.end_learning_rate

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
        }


@register_serializable("matnn>CosineDecay")
class CosineDecay(LearningRateSchedule):
    """Optional linear warm-up to ``warmup_target`` (or lr₀), then a half cosine down to α·peak."""

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ) -> None:
        self.initial_learning_rate = _positive(initial_learning_rate, "initial_learning_rate", "CosineDecay")
        self.decay_steps = _positive(decay_steps, "decay_steps", "CosineDecay")
        self.alpha = float(alpha)
        self.warmup_target = None if warmup_target is None else float(warmup_target)
        self.warmup_steps = int(warmup_steps)

    def __call__(self, step: int) -> float:
        peak = self.warmup_target if self.warmup_target is not None else self.initial_learning_rate
        if step < self.warmup_steps:
            return self.initial_learning_rate + (peak - self.initial_learning_rate) * step / self.warmup_steps
        t = min(step - self.warmup_steps, self.decay_steps) / self.decay_steps
        return peak * ((1 - self.alpha) * 0.5 * (1 + math.cos(math.pi * t)) + self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }
