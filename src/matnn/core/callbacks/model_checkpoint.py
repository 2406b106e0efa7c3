"""``ModelCheckpoint``: save the model (atomically) every epoch or when it improves."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from matnn.core.callbacks._monitor import Monitor
from matnn.core.callbacks.base import Callback
from matnn.core.distributed import is_main_process
from matnn.core.keras_args import check_keras_only

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(Callback):
    """Save the model to ``filepath`` at the end of epochs.

    ``filepath`` may contain format fields filled from the epoch (1-based) and the logs, e.g.
    ``"ckpt/model-{epoch:03d}-{val_loss:.4f}.matnn"``. Files are written atomically, so a run killed
    while saving keeps the previous checkpoint intact; a diverging run never overwrites the best one
    (``save_best_only``) because non-finite values never count as improvements. In a data-parallel run
    only rank 0 writes.

    Parameters
    ----------
    filepath : str or Path
    monitor : str, default="val_loss"
    save_best_only : bool, default=False
    save_weights_only : bool, default=False
        Save a ``state_dict`` file instead of the full model.
    mode : {"auto", "min", "max"}
    """

    def __init__(
        self,
        filepath: str | os.PathLike,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: str = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__()
        check_keras_only(
            "ModelCheckpoint", {"save_freq": save_freq, "initial_value_threshold": initial_value_threshold}
        )
        self.filepath = str(filepath)
        self.monitor, self.verbose = monitor, verbose
        self.save_best_only, self.save_weights_only = bool(save_best_only), bool(save_weights_only)
        self._mon = Monitor(monitor, mode, 0.0, "ModelCheckpoint")
        self.last_saved: Path | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        if self.save_best_only:
            current = self._mon.value(logs)
            if not self._mon.improved(current):
                return
            self._mon.best = current
        path = Path(self.filepath.format(epoch=epoch + 1, **logs))
        if not is_main_process():  # data-parallel run: rank 0 writes, the others keep the same bookkeeping
            return
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)
        self.last_saved = path
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved model to {path}")

    def get_state(self) -> dict[str, Any]:
        return {"best": self._mon.best}

    def set_state(self, state: dict[str, Any]) -> None:
        self._mon.best = state["best"]
