"""Epoch-level learning-rate control: ``LearningRateScheduler`` and ``ReduceLROnPlateau``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matnn.core.callbacks._monitor import Monitor
from matnn.core.callbacks.base import Callback
from matnn.core.exceptions import ConfigError
from matnn.core.keras_args import check_keras_only

__all__ = ["LearningRateScheduler", "ReduceLROnPlateau"]


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)`` (epoch is 0-based)."""

    def __init__(self, schedule: Callable[[int, float], float], verbose: int = 0) -> None:
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        lr = float(self.schedule(epoch, self.model.optimizer.learning_rate))
        if not lr > 0:
            raise ConfigError(f"LearningRateScheduler returned a non-positive learning rate {lr!r} at epoch {epoch}.")
        self.model.optimizer.learning_rate = lr
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate {lr:.3g}")


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement."""

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        check_keras_only(
            "ReduceLROnPlateau",
            kwargs,
            ["monitor", "factor", "patience", "verbose", "mode", "min_delta", "cooldown", "min_lr"],
        )
        if not 0.0 < factor < 1.0:
            raise ConfigError(f"The 'factor' of ReduceLROnPlateau must be in (0, 1). Got {factor!r}.")
        self._mon = Monitor(monitor, mode, min_delta, "ReduceLROnPlateau")
        self.factor, self.patience, self.verbose = float(factor), int(patience), verbose
        self.cooldown, self.min_lr = int(cooldown), float(min_lr)
        self.wait = 0
        self.cooldown_counter = 0

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        current = self._mon.value(logs)
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._mon.improved(current):
            self._mon.best = current
            self.wait = 0
            return
        if self.cooldown_counter > 0:
            return
        self.wait += 1
        if self.wait >= self.patience:
            old = self.model.optimizer.learning_rate
            new = max(old * self.factor, self.min_lr)
            if new < old:
                self.model.optimizer.learning_rate = new
                if self.verbose:
                    print(f"Epoch {epoch + 1}: reducing learning rate to {new:.3g}")
            self.cooldown_counter, self.wait = self.cooldown, 0

    def get_state(self) -> dict[str, Any]:
        return {"wait": self.wait, "cooldown_counter": self.cooldown_counter, "best": self._mon.best}

    def set_state(self, state: dict[str, Any]) -> None:
        self.wait, self.cooldown_counter, self._mon.best = state["wait"], state["cooldown_counter"], state["best"]
