"""``LambdaCallback``: a callback from plain functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matnn.core.callbacks.base import Callback
from matnn.core.keras_args import check_keras_only

__all__ = ["LambdaCallback"]


class LambdaCallback(Callback):
    """Build a callback from functions, e.g. ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    def __init__(
        self,
        on_epoch_begin: Callable | None = None,
        on_epoch_end: Callable | None = None,
        on_train_begin: Callable | None = None,
        on_train_end: Callable | None = None,
        on_train_batch_begin: Callable | None = None,
        on_train_batch_end: Callable | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        check_keras_only(
            "LambdaCallback",
            kwargs,
            [
                "on_epoch_begin",
                "on_epoch_end",
                "on_train_begin",
                "on_train_end",
                "on_train_batch_begin",
                "on_train_batch_end",
            ],
        )
        self._fns = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
        }

    @property
    def uses_batch_hooks(self) -> bool:
        return self._fns["on_train_batch_end"] is not None or self._fns["on_train_batch_begin"] is not None

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._fns["on_train_batch_begin"]:
            self._fns["on_train_batch_begin"](batch, logs)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self._fns["on_epoch_begin"]:
            self._fns["on_epoch_begin"](epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self._fns["on_epoch_end"]:
            self._fns["on_epoch_end"](epoch, logs)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self._fns["on_train_begin"]:
            self._fns["on_train_begin"](logs)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._fns["on_train_end"]:
            self._fns["on_train_end"](logs)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._fns["on_train_batch_end"]:
            self._fns["on_train_batch_end"](batch, logs)
