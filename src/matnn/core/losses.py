"""Loss functions: what the optimizer minimises.

Each loss exists as a plain function returning the **per-sample** loss ``(n,)`` (mean over the
remaining axes, as Keras) and as a class whose call reduces it over the batch, optionally weighted:
``sum_i w_i·L_i / n`` (Keras's "sum over batch size").

Targets of shape ``(n,)`` are matched to predictions of shape ``(n, 1)``; any other mismatch is a
:class:`~matnn.core.exceptions.ShapeError` naming the loss and both shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from matnn.core.exceptions import ConfigError, DataError, ShapeError
from matnn.core.keras_args import check_keras_only
from matnn.core.registry import Registry, register_serializable

__all__ = [
    "Loss",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "Huber",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "KLDivergence",
    "Jaccard",
    "LossFunctionWrapper",
    "mean_squared_error",
    "mean_absolute_error",
    "huber",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "kl_divergence",
    "jaccard",
    "get",
    "LOSSES",
]

EPSILON = 1e-7  # Keras's backend epsilon: probabilities are clipped to [eps, 1 - eps]
LOSSES = Registry("loss")


def match_shapes(y_true: torch.Tensor, y_pred: torch.Tensor, owner: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Make ``y_true`` broadcast-safe against ``y_pred`` or raise a ShapeError naming ``owner``."""
    if y_true.shape == y_pred.shape:
        return y_true, y_pred
    if y_true.dim() == y_pred.dim() - 1 and y_pred.shape[-1] == 1 and y_true.shape == y_pred.shape[:-1]:
        return y_true.unsqueeze(-1), y_pred
    if y_pred.dim() == y_true.dim() - 1 and y_true.shape[-1] == 1 and y_pred.shape == y_true.shape[:-1]:
        return y_true, y_pred.unsqueeze(-1)
    raise ShapeError(
        f"{owner}: targets of shape {tuple(y_true.shape)} do not match predictions of shape {tuple(y_pred.shape)}."
    )


def _per_sample_mean(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(x.shape[0], -1).mean(dim=1) if x.dim() > 1 else x


def _float(y: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return y if y.dtype == like.dtype else y.to(like.dtype)


def mean_squared_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """(y − ŷ)² averaged per sample → ``(n,)``."""
    y_true, y_pred = match_shapes(_float(y_true, y_pred), y_pred, "mean_squared_error")
    return _per_sample_mean((y_pred - y_true).square())


def mean_absolute_error(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """|y − ŷ| averaged per sample → ``(n,)``."""
    y_true, y_pred = match_shapes(_float(y_true, y_pred), y_pred, "mean_absolute_error")
    return _per_sample_mean((y_pred - y_true).abs())


def huber(y_true: torch.Tensor, y_pred: torch.Tensor, delta: float = 1.0) -> torch.Tensor:
    """½e² for |e| ≤ δ, δ(|e| − ½δ) beyond: quadratic near zero, linear for outliers."""
    y_true, y_pred = match_shapes(_float(y_true, y_pred), y_pred, "huber")
    return _per_sample_mean(F.huber_loss(y_pred, y_true, reduction="none", delta=delta))


def binary_crossentropy(
    y_true: torch.Tensor, y_pred: torch.Tensor, from_logits: bool = False, label_smoothing: float = 0.0
) -> torch.Tensor:
    """Log loss −[y ln p + (1 − y) ln(1 − p)] per sample; ``from_logits`` takes z with p = sigmoid(z)."""
    y_true, y_pred = match_shapes(_float(y_true, y_pred), y_pred, "binary_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        return _per_sample_mean(F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none"))
    p = y_pred.clamp(EPSILON, 1.0 - EPSILON)
    return _per_sample_mean(-(y_true * torch.log(p) + (1.0 - y_true) * torch.log1p(-p)))


def categorical_crossentropy(
    y_true: torch.Tensor, y_pred: torch.Tensor, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> torch.Tensor:
    """−Σ_k y_k ln p_k per sample for one-hot (or soft) targets; ``from_logits`` applies log-softmax."""
    y_true = _float(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ShapeError(
            f"categorical_crossentropy: one-hot targets of shape {tuple(y_true.shape)} do not match predictions of shape "
            f"{tuple(y_pred.shape)} (use sparse_categorical_crossentropy for integer labels)."
        )
    if label_smoothing:
        k = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / k
    if from_logits:
        logp = torch.log_softmax(y_pred, dim=axis)
    else:
        p = y_pred / y_pred.sum(dim=axis, keepdim=True)
        logp = torch.log(p.clamp(EPSILON, 1.0 - EPSILON))
    return _per_sample_mean(-(y_true * logp).sum(dim=axis))


def sparse_categorical_crossentropy(
    y_true: torch.Tensor, y_pred: torch.Tensor, from_logits: bool = False, axis: int = -1
) -> torch.Tensor:
    """Categorical log loss with integer class labels ``(n,)`` instead of one-hot targets."""
    labels = y_true.reshape(y_pred.shape[:-1]).long() if y_true.numel() == y_pred[..., 0].numel() else None
    if labels is None:
        raise ShapeError(
            f"sparse_categorical_crossentropy: integer labels of shape {tuple(y_true.shape)} do not match predictions "
            f"of shape {tuple(y_pred.shape)}."
        )
    logp = torch.log_softmax(y_pred, dim=axis) if from_logits else torch.log(y_pred.clamp(EPSILON, 1.0 - EPSILON))
    nll = -logp.gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    return _per_sample_mean(nll)


def kl_divergence(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """Σ_k y_k ln(y_k / p_k) per sample (targets and predictions are distributions)."""
    y_true, y_pred = match_shapes(_float(y_true, y_pred), y_pred, "kl_divergence")
    t = y_true.clamp(EPSILON, 1.0)
    p = y_pred.clamp(EPSILON, 1.0)
    out = (t * torch.log(t / p)).sum(dim=-1)
    return _per_sample_mean(out)


def jaccard(y_true: torch.Tensor, y_pred: torch.Tensor, smooth: float = 1e-7) -> torch.Tensor:
    """Soft Jaccard (IoU) loss per sample: 1 − Σ y·p / (Σ y + Σ p − Σ y·p), for masks in [0, 1]."""
    y_true, y_pred = match_shapes(_float(y_true, y_pred), y_pred, "jaccard")
    t = y_true.reshape(y_true.shape[0], -1)
    p = y_pred.reshape(y_pred.shape[0], -1)
    inter = (t * p).sum(1)
    union = t.sum(1) + p.sum(1) - inter
    return 1.0 - (inter + smooth) / (union + smooth)


REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


class Loss:
    """Base class: ``loss(y_true, y_pred, sample_weight=None)`` → scalar (weighted mean over the batch).

    Parameters
    ----------
    name : str, optional
    reduction : str, default="sum_over_batch_size"
        Keras's reductions of the per-sample losses ``L_i`` with weights ``w_i`` (1 when omitted):
        ``"sum_over_batch_size"`` and ``"mean"`` give Σ w_i L_i / n, ``"mean_with_sample_weight"``
        Σ w_i L_i / Σ w_i, ``"sum"`` Σ w_i L_i, ``"none"``/``None`` the vector w_i L_i.
    dtype : None
        Accepted for Keras compatibility; matnn computes in the predictions' dtype.
    """

    fn: Callable[..., torch.Tensor]

    def __init__(
        self, name: str | None = None, reduction: str | None = "sum_over_batch_size", dtype: Any = None, **kwargs: Any
    ) -> None:
        check_keras_only(type(self).__name__, {"dtype": dtype, **kwargs})
        if reduction not in REDUCTIONS:
            raise ConfigError(
                f"'reduction' of {type(self).__name__} must be one of {', '.join(map(repr, REDUCTIONS))}; got {reduction!r}"
            )
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction

    def per_sample(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        return type(self).fn(y_true, y_pred, **self._kwargs())

    def check_targets(self, y: Any, n_outputs: int | None = None) -> None:
        """Refuse targets this loss cannot mean (called once by ``fit`` on the whole target array).

        ``n_outputs`` is the width of the model's output when known. The base class accepts anything.
        """

    def _kwargs(self) -> dict[str, Any]:
        return {}

    def _reduce(self, values: torch.Tensor, sample_weight: torch.Tensor | None) -> torch.Tensor:
        if sample_weight is not None:
            w = sample_weight.reshape(values.shape).to(values.dtype)
            values = values * w
        if self.reduction in ("sum_over_batch_size", "mean"):
            return values.mean()
        if self.reduction == "sum":
            return values.sum()
        if self.reduction == "mean_with_sample_weight":
            return values.sum() / (w.sum() if sample_weight is not None else values.numel())
        return values

    def __call__(
        self, y_true: torch.Tensor, y_pred: torch.Tensor, sample_weight: torch.Tensor | None = None
    ) -> torch.Tensor:
        return self._reduce(self.per_sample(y_true, y_pred), sample_weight)

    def get_config(self) -> dict[str, Any]:
        cfg = {"name": self.name, **self._kwargs()}
        if self.reduction != "sum_over_batch_size":
            cfg["reduction"] = self.reduction
        return cfg

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        kw = ", ".join(f"{k}={v!r}" for k, v in self._kwargs().items())
        return f"{type(self).__name__}({kw})"


def _snake(name: str) -> str:
    import re

    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_SUM = "sum_over_batch_size"


@register_serializable("matnn>MeanSquaredError")
class MeanSquaredError(Loss):
    """Mean squared error, the default regression loss."""

    fn = staticmethod(mean_squared_error)

    def __init__(self, reduction: str | None = _SUM, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name, reduction, dtype)


@register_serializable("matnn>MeanAbsoluteError")
class MeanAbsoluteError(Loss):
    """Mean absolute error (robust to outliers; ElemNet's loss)."""

    fn = staticmethod(mean_absolute_error)

    def __init__(self, reduction: str | None = _SUM, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name, reduction, dtype)


@register_serializable("matnn>Huber")
class Huber(Loss):
    """Huber loss with threshold ``delta``."""

    fn = staticmethod(huber)

    def __init__(
        self, delta: float = 1.0, reduction: str | None = _SUM, name: str | None = None, dtype: Any = None
    ) -> None:
        super().__init__(name, reduction, dtype)
        if not delta > 0:
            raise ConfigError(f"The 'delta' parameter of Huber must be positive. Got {delta!r}.")
        self.delta = float(delta)

    def _kwargs(self) -> dict[str, Any]:
        return {"delta": self.delta}


def _check_axis(axis: Any, owner: str) -> int:
    if axis != -1:
        raise ConfigError(f"'axis' of {owner} must be -1 (classes on the last axis); got {axis!r}")
    return -1


@register_serializable("matnn>BinaryCrossentropy")
class BinaryCrossentropy(Loss):
    """Binary log loss, from probabilities (default) or logits."""

    fn = staticmethod(binary_crossentropy)

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = _SUM,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name, reduction, dtype)
        _check_axis(axis, "BinaryCrossentropy")
        self.from_logits, self.label_smoothing = bool(from_logits), float(label_smoothing)

    def _kwargs(self) -> dict[str, Any]:
        return {"from_logits": self.from_logits, "label_smoothing": self.label_smoothing}

    def check_targets(self, y: Any, n_outputs: int | None = None) -> None:
        y = _numeric_targets(y, self)
        bad = (y < 0) | (y > 1)
        if bad.any():
            i = int(np.flatnonzero(bad.reshape(-1))[0])
            raise DataError(
                f"{type(self).__name__} needs targets in [0, 1] (class labels 0/1 or probabilities); target "
                f"{i} is {float(y.reshape(-1)[i])!r}. For more than two classes use 'sparse_categorical_crossentropy'."
            )


@register_serializable("matnn>CategoricalCrossentropy")
class CategoricalCrossentropy(Loss):
    """Categorical log loss for one-hot targets, from probabilities (default) or logits."""

    fn = staticmethod(categorical_crossentropy)

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = _SUM,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name, reduction, dtype)
        _check_axis(axis, "CategoricalCrossentropy")
        self.from_logits, self.label_smoothing = bool(from_logits), float(label_smoothing)

    def _kwargs(self) -> dict[str, Any]:
        return {"from_logits": self.from_logits, "label_smoothing": self.label_smoothing}


@register_serializable("matnn>SparseCategoricalCrossentropy")
class SparseCategoricalCrossentropy(Loss):
    """Categorical log loss for integer labels."""

    fn = staticmethod(sparse_categorical_crossentropy)

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: str | None = _SUM,
        axis: int = -1,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name, reduction, dtype, ignore_class=ignore_class)
        _check_axis(axis, "SparseCategoricalCrossentropy")
        self.from_logits = bool(from_logits)

    def _kwargs(self) -> dict[str, Any]:
        return {"from_logits": self.from_logits}

    def check_targets(self, y: Any, n_outputs: int | None = None) -> None:
        y = _numeric_targets(y, self).reshape(-1)
        bad = (y != np.round(y)) | (y < 0) | ((y >= n_outputs) if n_outputs else False)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            allowed = f"0 … {n_outputs - 1}" if n_outputs else "0, 1, 2, …"
            raise DataError(
                f"{type(self).__name__} needs integer class labels {allowed}; label {i} is {float(y[i])!r}."
            )


def _numeric_targets(y: Any, loss: Loss) -> np.ndarray:
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    try:
        return np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{type(loss).__name__} needs numeric targets; got {type(y).__name__}.") from None


@register_serializable("matnn>KLDivergence")
class KLDivergence(Loss):
    """Kullback–Leibler divergence of predicted from target distributions."""

    fn = staticmethod(kl_divergence)

    def __init__(self, reduction: str | None = _SUM, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name, reduction, dtype)


@register_serializable("matnn>Jaccard")
class Jaccard(Loss):
    """Soft Jaccard / IoU loss for segmentation masks."""

    fn = staticmethod(jaccard)

    def __init__(self, smooth: float = 1e-7, name: str | None = None, reduction: str | None = _SUM) -> None:
        super().__init__(name, reduction)
        self.smooth = float(smooth)

    def _kwargs(self) -> dict[str, Any]:
        return {"smooth": self.smooth}


class LossFunctionWrapper(Loss):
    """Wrap a user function ``fn(y_true, y_pred)`` returning per-sample losses ``(n,)`` or a scalar."""

    def __init__(self, fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], name: str | None = None) -> None:
        super().__init__(name or getattr(fn, "__name__", "custom_loss"))
        self._fn = fn

    def per_sample(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        return self._fn(y_true, y_pred)

    def __call__(
        self, y_true: torch.Tensor, y_pred: torch.Tensor, sample_weight: torch.Tensor | None = None
    ) -> torch.Tensor:
        values = self._fn(y_true, y_pred)
        if values.dim() == 0:
            if sample_weight is not None:
                raise ConfigError(
                    f"Loss '{self.name}' returns a scalar, so it cannot take sample weights; return per-sample losses (n,)."
                )
            return values
        values = _per_sample_mean(values)
        if sample_weight is not None:
            return (values * sample_weight.reshape(values.shape).to(values.dtype)).mean()
        return values.mean()

    def get_config(self) -> dict[str, Any]:
        raise ConfigError(f"Custom loss '{self.name}' cannot be saved by name; pass custom_objects when loading.")


for _cls, _names in (
    (MeanSquaredError, ("mean_squared_error", "mse")),
    (MeanAbsoluteError, ("mean_absolute_error", "mae")),
    (Huber, ("huber", "huber_loss")),
    (BinaryCrossentropy, ("binary_crossentropy", "bce", "binary_log_loss", "log_loss")),
    (CategoricalCrossentropy, ("categorical_crossentropy", "cce", "categorical_log_loss")),
    (SparseCategoricalCrossentropy, ("sparse_categorical_crossentropy",)),
    (KLDivergence, ("kl_divergence", "kld", "kullback_leibler_divergence")),
    (Jaccard, ("jaccard", "iou", "soft_iou")),
):
    LOSSES.add(_cls, *_names)


def get(identifier: str | Loss | Callable | dict | None, **kwargs: Any) -> Loss:
    """Resolve a loss: name (``"mse"``, ``"binary_crossentropy"``), config dict, Loss instance or callable."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        return LOSSES.get(identifier)(**kwargs)
    if isinstance(identifier, dict):
        from matnn.core.registry import deserialize

        return deserialize(identifier)
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise ConfigError(
        f"A loss must be a name, a Loss or a callable(y_true, y_pred). Got {identifier!r}. Allowed names: {', '.join(LOSSES.names())}."
    )
