"""``BackupAndRestore``: resume a killed training run exactly where it stopped.

At the end of every epoch the complete training state is written atomically to
``backup_dir/training_state.pt``: weights, optimizer state, learning-rate step counter, every random
number generator (Python, NumPy, torch CPU/CUDA and the shuffling generator), the history and the
state of the other callbacks (early-stopping counters, best weights, ...). When ``fit`` starts and a
backup exists, it is loaded and training continues with the next epoch, so a run killed at any
point and restarted with the same command ends with the same weights as an uninterrupted one (on the
CPU; some CUDA kernels are not deterministic). The backup (and its folder, once empty) is deleted when
training completes, unless ``delete_checkpoint=False``.

In a data-parallel run (torchrun) rank 0 writes the backup, and when the run is started again rank 0
reads it and sends it to the other ranks (they need not share rank 0's file system).
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from matnn.core.callbacks.base import Callback
from matnn.core.distributed import is_distributed, is_main_process
from matnn.core.exceptions import DataError
from matnn.core.keras_args import check_keras_only
from matnn.utils.io import atomic_path

__all__ = ["BackupAndRestore"]


def _capture_rng(generator: torch.Generator | None) -> dict[str, Any]:
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    if generator is not None:
        state["shuffle"] = generator.get_state()
    return state


def _restore_rng(state: dict[str, Any], generator: torch.Generator | None) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if generator is not None and "shuffle" in state:
        generator.set_state(state["shuffle"])


class BackupAndRestore(Callback):
    """Back up the training state every epoch and resume from it when ``fit`` is called again.

    Parameters
    ----------
    backup_dir : str or Path
        Folder for ``training_state.pt`` (created if needed).
    delete_checkpoint : bool, default=True
        Remove the backup once training finishes normally.
    """

    def __init__(
        self,
        backup_dir: str | os.PathLike,
        save_freq: str = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        check_keras_only("BackupAndRestore", {"save_freq": save_freq, "double_checkpoint": double_checkpoint})
        self.backup_dir = Path(backup_dir)
        self.delete_checkpoint = bool(delete_checkpoint)
        self.resumed_from_epoch: int | None = None

    @property
    def path(self) -> Path:
        return self.backup_dir / "training_state.pt"

    def _read(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        try:
            return torch.load(self.path, map_location="cpu", weights_only=False)
        except Exception as exc:  # a truncated file cannot happen (atomic writes) but a foreign one can
            raise DataError(f"Cannot read the training backup {self.path}: {exc}. Delete it to start afresh.") from None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.resumed_from_epoch = None
        if is_distributed():
            # rank 0 reads the backup and sends it to the others: they need not see rank 0's files
            box = [self._read() if is_main_process() else None]
            torch.distributed.broadcast_object_list(box, src=0)
            state = box[0]
        else:
            state = self._read()
        if state is None:
            return
        model = self.model
        fit_state = model._fit_state
        model.load_state_dict(state["model"])
        model.optimizer.load_state_dict(state["optimizer"])
        _restore_rng(state["rng"], fit_state.get("generator"))
        for cb, cb_state in zip(self._others(), state["callbacks"], strict=False):
            if cb_state is not None:
                cb.set_state(cb_state)
        fit_state["initial_epoch"] = int(state["epoch"]) + 1
        self.resumed_from_epoch = int(state["epoch"])

    def _others(self) -> list[Callback]:
        return [cb for cb in self.model._fit_state["callbacks"] if cb is not self]

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        model = self.model
        state = {
            "epoch": epoch,
            "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "optimizer": model.optimizer.state_dict(),
            "rng": _capture_rng(model._fit_state.get("generator")),
            "callbacks": [cb.get_state() for cb in self._others()],
        }
        if not is_main_process():  # data-parallel run: every rank holds the same state; rank 0 writes it
            return
        self.backup_dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.path) as tmp:
            torch.save(state, tmp)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.delete_checkpoint and is_main_process() and self.path.exists():
            self.path.unlink()
            # an empty backup folder in a finished run's output would suggest there is something to resume
            folder = self.path.parent
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
