"""Callback base class, the list that dispatches to callbacks, and ``History``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from matnn.core.keras_args import check_keras_only

__all__ = ["Callback", "CallbackList", "History"]


class Callback:
    """Hooks called by ``fit``. ``self.model`` is the model being trained.

    Epoch-level hooks receive ``logs`` with Python floats (``loss``, metrics, ``val_*``, ``lr``).
    ``on_train_batch_end(batch, logs)`` receives the batch loss as a 0-d tensor (``logs["loss"]``)
    so that no host synchronisation happens unless the callback reads it (``float(logs["loss"])``).
    Set ``self.model.stop_training = True`` to stop after the current epoch.
    """

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None: ...
    def on_train_end(self, logs: dict[str, Any] | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...

    # State that must survive a kill/resume (BackupAndRestore): counters, best values.
    def get_state(self) -> dict[str, Any]:
        return {}

    def set_state(self, state: dict[str, Any]) -> None:
        pass

    @property
    def uses_batch_hooks(self) -> bool:
        cls = type(self)
        return (
            cls.on_train_batch_end is not Callback.on_train_batch_end
            or cls.on_train_batch_begin is not Callback.on_train_batch_begin
        )


class CallbackList:
    """Dispatch each hook to every callback, in order."""

    def __init__(
        self,
        callbacks: Iterable[Callback] | None = None,
        model: Any = None,
        params: dict[str, Any] | None = None,
        *,
        add_history: bool = False,
        add_progbar: bool = False,
        **more_params: Any,
    ) -> None:
        check_keras_only("CallbackList", {"add_history": add_history, "add_progbar": add_progbar})
        self.callbacks = list(callbacks or [])
        params = {**(params or {}), **more_params}  # Keras passes the fit parameters as keywords
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)
        self.batch_callbacks = [cb for cb in self.callbacks if cb.uses_batch_hooks]

    def __iter__(self):
        return iter(self.callbacks)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        for cb in self.callbacks:
            cb.on_train_begin(logs)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        for cb in self.callbacks:
            cb.on_train_end(logs)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        for cb in self.batch_callbacks:
            cb.on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        for cb in self.batch_callbacks:
            cb.on_train_batch_end(batch, logs)


class History(Callback):
    """Records the per-epoch logs: ``history.history["loss"]`` is a list with one float per epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def get_state(self) -> dict[str, Any]:
        return {"history": self.history, "epoch": self.epoch}

    def set_state(self, state: dict[str, Any]) -> None:
        self.history = {k: list(v) for k, v in state.get("history", {}).items()}
        self.epoch = list(state.get("epoch", []))

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"
