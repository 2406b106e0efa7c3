"""Machine-readable training logs: ``CSVLogger`` and ``JSONLogger`` (rewritten atomically each epoch)."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

from matnn.core.callbacks.base import Callback
from matnn.core.distributed import is_main_process
from matnn.utils.io import atomic_write, write_json

__all__ = ["CSVLogger", "JSONLogger"]


class CSVLogger(Callback):
    """One CSV row per epoch (``epoch``, loss, metrics, ``val_*``, ``lr``); ``append`` keeps earlier rows."""

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename, self.separator, self.append = Path(filename), separator, append
        self.rows: list[dict[str, Any]] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self.append and self.filename.exists() and not self.rows:
            with open(self.filename, newline="", encoding="utf-8") as fh:
                self.rows = list(csv.DictReader(fh, delimiter=self.separator))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.rows.append({"epoch": epoch, **(logs or {})})
        keys: list[str] = []
        for r in self.rows:
            keys += [k for k in r if k not in keys]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=keys, delimiter=self.separator)
        writer.writeheader()
        writer.writerows(self.rows)
        if not is_main_process():
            return
        with atomic_write(self.filename, "w", encoding="utf-8", newline="") as fh:
            fh.write(buf.getvalue())

    def get_state(self) -> dict[str, Any]:
        return {"rows": self.rows}

    def set_state(self, state: dict[str, Any]) -> None:
        self.rows = list(state.get("rows", []))


class JSONLogger(Callback):
    """The whole history as JSON (``{"loss": [...], "val_loss": [...], ...}``), rewritten each epoch."""

    def __init__(self, filename: str | os.PathLike) -> None:
        super().__init__()
        self.filename = Path(filename)
        self.history: dict[str, list[Any]] = {}

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.history.setdefault("epoch", []).append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if is_main_process():
            write_json(self.filename, self.history)

    def get_state(self) -> dict[str, Any]:
        return {"history": self.history}

    def set_state(self, state: dict[str, Any]) -> None:
        self.history = {k: list(v) for k, v in state.get("history", {}).items()}
