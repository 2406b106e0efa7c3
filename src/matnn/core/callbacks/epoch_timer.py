"""EpochTimer: the wall time of every epoch."""

from __future__ import annotations

import time
from typing import Any

from matnn.core.callbacks.base import Callback

__all__ = ["EpochTimer"]


class EpochTimer(Callback):
    """A callback recording the wall time of every epoch (seconds) in ``times``."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []
        self._t0 = 0.0

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.times.append(time.perf_counter() - self._t0)

    # Saved by BackupAndRestore, so a resumed run reports the time of all its epochs.
    def get_state(self) -> dict[str, Any]:
        return {"times": list(self.times)}

    def set_state(self, state: dict[str, Any]) -> None:
        self.times = list(state.get("times", []))
