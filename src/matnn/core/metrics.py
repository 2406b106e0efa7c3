"""Metrics: numbers reported during training but not minimised.

Metrics accumulate over a whole epoch on the device (no host synchronisation per batch) and are
read once at the end, so R² is the R² of the epoch, not an average of per-batch R² values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from matnn.core import losses as losses_mod
from matnn.core.exceptions import ConfigError
from matnn.core.keras_args import check_keras_only
from matnn.core.losses import _snake, match_shapes
from matnn.core.registry import Registry

__all__ = [
    "Metric",
    "MeanMetricWrapper",
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "RootMeanSquaredError",
    "R2Score",
    "get",
    "METRICS",
    "regression_metrics",
]

METRICS = Registry("metric")


class Metric:
    """Stateful metric: ``reset()``, ``update(y_true, y_pred, sample_weight)``, ``result()`` → 0-d tensor."""

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        check_keras_only(type(self).__name__, {"dtype": dtype})
        self.name = name or _snake(type(self).__name__)
        self._state: list[torch.Tensor] | None = None

    def reset(self) -> None:
        self._state = None

    def _zeros(self, like: torch.Tensor, n: int = 2, width: int = 1) -> list[torch.Tensor]:
        if self._state is None:
            # float64 accumulators: a float32 sum over 10^5 samples loses digits (MPS has no float64)
            dtype = torch.float32 if like.device.type == "mps" else torch.float64
            self._state = [torch.zeros(width, dtype=dtype, device=like.device) for _ in range(n)]
        return self._state

    def update(self, y_true: torch.Tensor, y_pred: torch.Tensor, sample_weight: torch.Tensor | None = None) -> None:
        raise NotImplementedError

    def result(self) -> torch.Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class MeanMetricWrapper(Metric):
    """Weighted mean over all samples of a per-sample function ``fn(y_true, y_pred, **kwargs) → (n,)``."""

    def __init__(
        self, fn: Callable[..., torch.Tensor], name: str | None = None, dtype: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(name or getattr(fn, "__name__", "mean_metric_wrapper"), dtype)
        self.fn = functools.partial(fn, **kwargs) if kwargs else fn

    def update(self, y_true: torch.Tensor, y_pred: torch.Tensor, sample_weight: torch.Tensor | None = None) -> None:
        total, count = self._zeros(y_pred)
        values = self.fn(y_true, y_pred).detach()
        values = values.reshape(values.shape[0], -1).mean(1) if values.dim() > 1 else values
        if sample_weight is not None:
            w = sample_weight.reshape(values.shape).to(total.dtype)
            total += (values.to(total.dtype) * w).sum()
            count += w.sum()
        else:
            total += values.to(total.dtype).sum()
            count += values.numel()

    def result(self) -> torch.Tensor:
        if self._state is None:
            return torch.tensor(float("nan"))
        total, count = self._state
        return (total / count).squeeze(0)


def _binary_acc(y_true: torch.Tensor, y_pred: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    y_true, y_pred = match_shapes(y_true, y_pred, "binary_accuracy")
    return ((y_pred > threshold).to(y_pred.dtype) == y_true.to(y_pred.dtype)).to(y_pred.dtype)


def _categorical_acc(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    return (y_true.argmax(-1) == y_pred.argmax(-1)).to(y_pred.dtype)


def _sparse_acc(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    return (y_true.reshape(y_pred.shape[:-1]).long() == y_pred.argmax(-1)).to(y_pred.dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """Fraction of samples with (p > threshold) equal to the 0/1 label."""

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5) -> None:
        super().__init__(lambda t, p: _binary_acc(t, p, threshold), name, dtype)


class CategoricalAccuracy(MeanMetricWrapper):
    """Fraction of samples whose arg-max prediction matches the arg-max of the one-hot target."""

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(_categorical_acc, name, dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """Fraction of samples whose arg-max prediction equals the integer label."""

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(_sparse_acc, name, dtype)


def _equal(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    y_true, y_pred = match_shapes(y_true.to(y_pred.dtype), y_pred, "accuracy")
    return (y_true == y_pred).to(y_pred.dtype)


class Accuracy(MeanMetricWrapper):
    """Fraction of predictions exactly equal to the targets (Keras's ``Accuracy`` class).

    For class probabilities use the name ``"accuracy"`` in ``compile``: as in Keras it picks binary,
    categorical (one-hot) or sparse (integer labels) accuracy from the shapes.
    """

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(_equal, name, dtype)


class _AutoAccuracy(MeanMetricWrapper):
    """``metrics=["accuracy"]``: binary, categorical or sparse accuracy picked from the shapes, as Keras."""

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(self._auto, name, dtype)

    @staticmethod
    def _auto(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        if y_pred.dim() == 1 or y_pred.shape[-1] == 1:
            return _binary_acc(y_true, y_pred)
        if y_true.shape == y_pred.shape:
            return _categorical_acc(y_true, y_pred)
        return _sparse_acc(y_true, y_pred)


class MeanAbsoluteError(MeanMetricWrapper):
    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None) -> None:
        super().__init__(losses_mod.mean_absolute_error, name, dtype)


class MeanSquaredError(MeanMetricWrapper):
    def __init__(self, name: str = "mean_squared_error", dtype: Any = None) -> None:
        super().__init__(losses_mod.mean_squared_error, name, dtype)


class RootMeanSquaredError(MeanMetricWrapper):
    """√(weighted mean squared error over the epoch)."""

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(losses_mod.mean_squared_error, name, dtype)

    def result(self) -> torch.Tensor:
        return super().result().sqrt()


class R2Score(Metric):
    """Coefficient of determination R² = 1 − SS_res/SS_tot over the epoch, averaged over outputs.

    ``class_aggregation='uniform_average'`` and ``num_regressors=0`` (Keras's defaults) only.
    """

    def __init__(
        self,
        class_aggregation: str = "uniform_average",
        num_regressors: int = 0,
        name: str = "r2_score",
        dtype: Any = None,
    ) -> None:
        check_keras_only("R2Score", {"class_aggregation": class_aggregation, "num_regressors": num_regressors})
        super().__init__(name, dtype)

    def update(self, y_true: torch.Tensor, y_pred: torch.Tensor, sample_weight: torch.Tensor | None = None) -> None:
        y_true, y_pred = match_shapes(y_true.to(y_pred.dtype), y_pred, "r2")
        t = y_true.detach().reshape(y_true.shape[0], -1).double()
        p = y_pred.detach().reshape(y_pred.shape[0], -1).double()
        w = (
            torch.ones(t.shape[0], 1, dtype=t.dtype, device=t.device)
            if sample_weight is None
            else sample_weight.reshape(-1, 1).double()
        )
        if self._state is None:
            self._state = [torch.zeros(t.shape[1], dtype=torch.float64, device=t.device) for _ in range(4)]
        sw, swy, swy2, sres = self._state
        sw += w.sum(0).expand_as(sw)
        swy += (w * t).sum(0)
        swy2 += (w * t * t).sum(0)
        sres += (w * (t - p) ** 2).sum(0)

    def result(self) -> torch.Tensor:
        if self._state is None:
            return torch.tensor(float("nan"))
        sw, swy, swy2, sres = self._state
        sstot = swy2 - swy * swy / sw
        return (1.0 - sres / sstot).mean().float()


for _cls, _names in (
    (_AutoAccuracy, ("accuracy", "acc")),
    (BinaryAccuracy, ("binary_accuracy",)),
    (CategoricalAccuracy, ("categorical_accuracy",)),
    (SparseCategoricalAccuracy, ("sparse_categorical_accuracy",)),
    (MeanAbsoluteError, ("mae", "mean_absolute_error")),
    (MeanSquaredError, ("mse", "mean_squared_error")),
    (RootMeanSquaredError, ("rmse", "root_mean_squared_error")),
    (R2Score, ("r2", "r2_score", "r_squared")),
):
    METRICS.add(_cls, *_names)


def get(identifier: str | Metric | Callable | Any) -> Metric:
    """Resolve a metric name (``"mae"``, ``"rmse"``, ``"r2"``, ``"accuracy"``), a loss name, an instance or a
    per-sample function ``fn(y_true, y_pred) → (n,)``."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in METRICS:
            cls = METRICS.get(identifier)
            canonical = METRICS.canonical(identifier)
            return cls(name=identifier if identifier in ("acc",) else canonical)
        if identifier in losses_mod.LOSSES:
            loss = losses_mod.get(identifier)
            return MeanMetricWrapper(loss.per_sample, identifier)
        names = METRICS.names() + losses_mod.LOSSES.names()
        from matnn.core.exceptions import unknown_name

        raise unknown_name("metric", identifier, names)
    if callable(identifier):
        return MeanMetricWrapper(identifier, getattr(identifier, "__name__", "metric"))
    raise ConfigError(f"A metric must be a name, a Metric or a callable. Got {identifier!r}.")


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    """Scores of finished predictions: ``mae``, ``rmse``, ``max_abs_error`` (target units) and ``r2``.

    NumPy in, floats out, for reports after training (the classes above accumulate during ``fit``).
    Arrays of any shape are compared element by element; ``r2`` is NaN when ``y_true`` is constant.
    """
    y_true = np.asarray(y_true, dtype=np.float64).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    err = y_pred - y_true
    ss_tot = float(np.sum((y_true - y_true.mean()) ** 2))
    return {
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "r2": float(1.0 - np.sum(err**2) / ss_tot) if ss_tot > 0 else float("nan"),
        "max_abs_error": float(np.max(np.abs(err))),
    }
