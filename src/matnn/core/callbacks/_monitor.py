"""Shared logic of callbacks that watch a logged quantity (improvement test, mode)."""

from __future__ import annotations

import math
from typing import Any

from matnn.core.exceptions import ConfigError


class Monitor:
    def __init__(self, monitor: str, mode: str, min_delta: float, owner: str) -> None:
        if mode not in ("auto", "min", "max"):
            raise ConfigError(f"The 'mode' of {owner} must be 'auto', 'min' or 'max'. Got {mode!r}.")
        if mode == "auto":
            mode = "max" if any(k in monitor for k in ("acc", "r2", "auc")) else "min"
        self.monitor, self.mode, self.min_delta, self.owner = monitor, mode, abs(float(min_delta)), owner
        self.best = math.inf if mode == "min" else -math.inf

    def value(self, logs: dict[str, Any] | None) -> float:
        logs = logs or {}
        if self.monitor not in logs:
            raise ConfigError(
                f"{self.owner} monitors '{self.monitor}', which is not logged. Available: {', '.join(sorted(logs)) or 'none'}"
                + (
                    " (val_* quantities need validation_split or validation_data)."
                    if self.monitor.startswith("val_")
                    else "."
                )
            )
        return float(logs[self.monitor])

    def improved(self, current: float) -> bool:
        if not math.isfinite(current):
            return False
        if self.mode == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta
