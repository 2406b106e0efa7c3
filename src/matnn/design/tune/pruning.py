"""Pruning: a matnn Callback that reports a validation metric to an Optuna trial after each epoch."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

from matnn.core.callbacks.ambient import ambient_callbacks
from matnn.core.callbacks.base import Callback

__all__ = ["PruningCallback", "report_to_trial"]


class _Steps:
    """Epoch counter shared by every fit of one trial (a command may fit several models)."""

    def __init__(self) -> None:
        self.value = 0


class PruningCallback(Callback):
    """Report ``logs[monitor]`` to ``trial`` after each epoch; raise ``optuna.TrialPruned`` when told to stop.

    Parameters
    ----------
    trial : optuna.Trial
    monitor : str, default="val_loss"
        Epoch log to report; ``val_<name>`` falls back to ``<name>`` when a fit has no validation data (the
        same quantity on the training data, so it moves in the same direction as the study's).
    steps : optional
        Shared epoch counter, so that successive fits of one trial report increasing steps.
    """

    def __init__(self, trial: Any, monitor: str = "val_loss", steps: _Steps | None = None) -> None:
        super().__init__()
        self.trial = trial
        self.monitor = monitor
        self.steps = steps or _Steps()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        import optuna

        logs = logs or {}
        value = logs.get(self.monitor, logs.get(self.monitor.removeprefix("val_")))
        if value is None:
            return
        value = float(value)
        step = self.steps.value
        self.steps.value += 1
        if not math.isfinite(value):
            return
        self.trial.report(value, step)
        if self.trial.should_prune():
            if self.model is not None:
                self.model.stop_training = True
            raise optuna.TrialPruned(f"pruned at epoch {epoch + 1} ({self.monitor}={value:.5g})")


@contextlib.contextmanager
def report_to_trial(trial: Any, monitor: str = "val_loss") -> Iterator[None]:
    """Within the block, every ``Model.fit`` reports ``monitor`` to ``trial`` each epoch (and may be pruned)."""
    steps = _Steps()
    with ambient_callbacks(lambda: PruningCallback(trial, monitor, steps)):
        yield
