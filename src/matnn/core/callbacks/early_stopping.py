"""``EarlyStopping``: stop when a monitored quantity has stopped improving."""

from __future__ import annotations

from typing import Any

import torch

from matnn.core.callbacks._monitor import Monitor
from matnn.core.callbacks.base import Callback

__all__ = ["EarlyStopping"]


class EarlyStopping(Callback):
    """Stop training after ``patience`` epochs without improvement of ``monitor``.

    Parameters
    ----------
    monitor : str, default="val_loss"
    min_delta : float, default=0
        Smallest change that counts as an improvement.
    patience : int, default=0
    mode : {"auto", "min", "max"}
    baseline : float, optional
        Stop if the quantity does not beat this value within ``patience`` epochs.
    restore_best_weights : bool, default=False
        At the end of training, put back the weights of the best epoch.
    start_from_epoch : int, default=0
        Epochs of warm-up during which no improvement is required.

    Attributes
    ----------
    best_epoch : int
        Zero-based epoch with the best monitored value.
    stopped_epoch : int
        Epoch at which training stopped (0 if it ran to the end).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__()
        self._mon = Monitor(monitor, mode, min_delta, "EarlyStopping")
        self.monitor, self.patience, self.verbose = monitor, int(patience), verbose
        self.baseline, self.restore_best_weights, self.start_from_epoch = (
            baseline,
            bool(restore_best_weights),
            int(start_from_epoch),
        )
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights: dict[str, torch.Tensor] | None = None
        self._mon.best = float("inf") if self._mon.mode == "min" else float("-inf")
        if self.baseline is not None:
            self._mon.best = float(self.baseline)

    @property
    def best(self) -> float:
        return self._mon.best

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not getattr(self, "_restored", False):
            self._reset()
        self._restored = False

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        current = self._mon.value(logs)
        if epoch < self.start_from_epoch:
            return
        if self._mon.improved(current):
            self._mon.best = current
            self.best_epoch = epoch
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)
        if self.stopped_epoch and self.verbose:
            print(
                f"Epoch {self.stopped_epoch + 1}: early stopping (best {self.monitor} {self.best:.6g} at epoch {self.best_epoch + 1})"
            )

    def get_state(self) -> dict[str, Any]:
        return {
            "wait": self.wait,
            "best": self._mon.best,
            "best_epoch": self.best_epoch,
            "best_weights": self.best_weights,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self.wait, self._mon.best, self.best_epoch = state["wait"], state["best"], state["best_epoch"]
        self.best_weights = state.get("best_weights")
        self._restored = True
