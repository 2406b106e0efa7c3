"""TimeLimit: stop between epochs once a wall-time budget is spent, keeping the backup."""

from __future__ import annotations

import time
from typing import Any

from matnn.core.callbacks.base import Callback
from matnn.core.distributed import any_rank

__all__ = ["TimeLimit", "TimeLimitReached"]


class TimeLimitReached(Exception):
    """Raised by :class:`TimeLimit` at the start of an epoch once the wall-time budget is spent."""

    def __init__(self, epoch: int, elapsed_s: float) -> None:
        super().__init__(f"time limit reached before epoch {epoch + 1} after {elapsed_s / 60:.1f} min")
        self.epoch, self.elapsed_s = epoch, elapsed_s


class TimeLimit(Callback):
    """Stop a run *between* epochs once ``limit_s`` seconds have passed, keeping its backup.

    The exception is raised at the start of an epoch, after ``BackupAndRestore`` has saved the
    previous one and before ``on_train_end`` (which would delete the backup) can run, so the same
    command started again resumes exactly there. This lets a long training run proceed in chunks
    that each fit a shared machine's job-length limit.
    """

    def __init__(self, limit_s: float) -> None:
        super().__init__()
        self.limit_s = float(limit_s)
        self._start = time.perf_counter()
        self._epoch_s = 0.0
        self._t_epoch = 0.0
        self._done = 0

    def on_train_begin(self, logs: Any = None) -> None:
        self._start = time.perf_counter()
        self._done = 0

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        elapsed = time.perf_counter() - self._start
        # Stop if the next epoch would probably end past the limit (but always make progress).
        stop = self._done > 0 and elapsed + self._epoch_s > self.limit_s
        if any_rank(stop):  # data-parallel run: every rank stops at the same epoch (a no-op otherwise)
            raise TimeLimitReached(epoch, elapsed)
        self._t_epoch = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self._epoch_s = max(self._epoch_s, time.perf_counter() - self._t_epoch)
        self._done += 1
