"""Training progress: a per-batch bar on a terminal, one plain line per epoch otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any

from matnn.core.callbacks.base import Callback
from matnn.utils.progress import is_interactive

__all__ = ["ProgressBar"]


def _fmt(logs: dict[str, Any]) -> str:
    return " - ".join(f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}" for k, v in logs.items())


class ProgressBar(Callback):
    """Show training progress.

    ``mode="auto"`` draws a tqdm bar advancing per batch when stderr is a terminal and prints one line
    per epoch otherwise (logs, CI), so redirected output is never flooded with bar frames.
    ``mode="epoch"`` always prints one line per epoch. ``every`` prints only every k-th epoch line.
    """

    def __init__(self, mode: str = "auto", every: int | None = None, stream: Any = None) -> None:
        super().__init__()
        self.stream = stream or sys.stderr
        self.per_batch = mode == "batch" or (mode == "auto" and is_interactive(self.stream))
        self.every = every
        self._bar: Any = None

    @property
    def uses_batch_hooks(self) -> bool:
        return self.per_batch

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.epochs = self.params.get("epochs", 0)
        if self.every is None:
            self.every = max(1, self.epochs // 50) if not self.per_batch else 1

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._t0 = time.perf_counter()
        if self.per_batch:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=self.params.get("steps"),
                desc=f"Epoch {epoch + 1}/{self.epochs}",
                leave=False,
                file=self.stream,
                dynamic_ncols=True,
                mininterval=0.2,
            )

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        last = epoch + 1 == self.epochs or (self.model is not None and self.model.stop_training)
        if (epoch + 1) % (self.every or 1) and not last and epoch != 0:
            return
        dt = time.perf_counter() - self._t0
        print(f"Epoch {epoch + 1}/{self.epochs} - {dt:.2f}s - {_fmt(logs or {})}", file=self.stream, flush=True)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
