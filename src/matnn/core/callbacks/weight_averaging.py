"""``StochasticWeightAveraging``: the equal-weight mean of the weights over the last epochs."""

from __future__ import annotations

from typing import Any

import torch
from torch.optim.swa_utils import get_swa_multi_avg_fn

from matnn.core.callbacks.base import Callback
from matnn.core.exceptions import ConfigError

__all__ = ["StochasticWeightAveraging"]


class StochasticWeightAveraging(Callback):
    """Track the mean of the model's parameters at the end of each epoch from ``start`` on (SWA).

    Izmailov et al. (2018): averaging the weights visited late in training lands nearer the centre
    of a wide minimum than any single iterate, which usually generalises better.  Unlike
    PyTorch Lightning's callback, this one only *observes*: the learning rate and the training
    trajectory are untouched, so one run yields both the ordinary and the averaged weights and a
    validation set can choose between them.  The averaging itself is
    :func:`torch.optim.swa_utils.get_swa_multi_avg_fn`.

    Only parameters are averaged.  Buffers such as BatchNorm running statistics do not belong to
    the averaged weights: re-estimate them with :func:`torch.optim.swa_utils.update_bn` after
    :meth:`apply_to` (the crystals workflow does).  The running mean survives a kill and resume
    through :class:`~matnn.callbacks.BackupAndRestore`.

    Parameters
    ----------
    start : int or float, default=0.75
        First averaged epoch: an int is a zero-based epoch index; a float in (0, 1) is a fraction of
        ``fit``'s ``epochs`` (0.75 averages the last quarter).
    swap_at_end : bool, default=False
        Load the averaged parameters into the model when training ends.

    Attributes
    ----------
    n_averaged : int
        Number of epochs in the mean so far.
    """

    def __init__(self, start: int | float = 0.75, swap_at_end: bool = False) -> None:
        super().__init__()
        is_fraction = isinstance(start, float) and 0.0 < start < 1.0
        is_epoch = isinstance(start, int) and not isinstance(start, bool) and start >= 0
        if not (is_fraction or is_epoch):
            raise ConfigError(f"'start' must be an epoch index >= 0 or a fraction in (0, 1). Got {start!r} instead.")
        self.start = start
        self.swap_at_end = bool(swap_at_end)
        self.n_averaged = 0
        self._avg: list[torch.Tensor] | None = None
        self._names: list[str] | None = None
        self._restored = False
        self._avg_fn = get_swa_multi_avg_fn()

    def start_epoch(self) -> int:
        """Zero-based index of the first averaged epoch in this ``fit``."""
        if isinstance(self.start, float):
            return int(round(self.start * int(self.params.get("epochs", 0))))
        return int(self.start)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self._restored:
            self.n_averaged, self._avg, self._names = 0, None, None
        self._restored = False

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if epoch < self.start_epoch():
            return
        named = [(k, p.detach()) for k, p in self.model.named_parameters()]
        current = [p for _, p in named]
        if self._avg is None:
            self._names = [k for k, _ in named]
            self._avg = [p.clone() for p in current]
        else:
            self._avg = [a.to(p.device) for a, p in zip(self._avg, current, strict=True)]
            # the averaging function updates the first list in place: mean += (new - mean) / (n + 1)
            self._avg_fn(self._avg, current, self.n_averaged)
        self.n_averaged += 1

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.swap_at_end and self.n_averaged:
            self.apply_to(self.model)

    def averaged_parameters(self) -> dict[str, torch.Tensor]:
        """The mean parameters by name (empty before the first averaged epoch)."""
        if self._avg is None or self._names is None:
            return {}
        return {k: v.detach().clone() for k, v in zip(self._names, self._avg, strict=True)}

    def apply_to(self, model: torch.nn.Module) -> None:
        """Copy the averaged parameters into ``model`` (same architecture); buffers are left as they are."""
        if not self.n_averaged:
            raise ConfigError("No epoch has been averaged yet: training ended before the averaging start.")
        averaged = self.averaged_parameters()
        with torch.no_grad():
            for name, p in model.named_parameters():
                p.copy_(averaged[name].to(p.device, p.dtype))

    def get_state(self) -> dict[str, Any]:
        return {
            "n_averaged": self.n_averaged,
            "names": self._names,
            "avg": None if self._avg is None else [a.detach().cpu() for a in self._avg],
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self.n_averaged, self._names, self._avg = int(state["n_averaged"]), state["names"], state["avg"]
        self._restored = True
