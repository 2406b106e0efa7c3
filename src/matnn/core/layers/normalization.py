"""Normalisation layers: ``BatchNormalization``, ``LayerNormalization``, ``Normalization`` (input
standardisation learned with ``adapt``) and ``Rescaling`` (a fixed affine map)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from matnn.core import initializers
from matnn.core.exceptions import ConfigError, DataError, ShapeError
from matnn.core.layers.base import Layer, Shape
from matnn.core.registry import register_serializable

__all__ = ["BatchNormalization", "LayerNormalization", "Normalization", "Rescaling"]


@register_serializable("matnn>BatchNormalization")
class BatchNormalization(Layer):
    """Normalise each channel (last axis) with batch statistics in training, running ones in inference.

    A training batch with a single value per channel (one sample, no spatial axes) is normalised with
    the running statistics, which it leaves unchanged.

    Parameters
    ----------
    momentum : float, default=0.99
        Keras convention: running = momentum·running + (1 − momentum)·batch.
    epsilon : float, default=1e-3
    center, scale : bool, default=True
        Learn the offset β and the scale γ.
    """

    supports_channels_first = True

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: str = "zeros",
        gamma_initializer: str = "ones",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        initializers.get(beta_initializer), initializers.get(gamma_initializer)
        if axis != -1:
            raise ConfigError(f"BatchNormalization supports axis=-1 (channels-last) only. Got axis={axis!r}.")
        if not 0.0 <= momentum < 1.0:
            raise ConfigError(f"The 'momentum' parameter of BatchNormalization must be in [0, 1). Got {momentum!r}.")
        self.axis, self.momentum, self.epsilon, self.center, self.scale = (
            axis,
            float(momentum),
            float(epsilon),
            center,
            scale,
        )

    def build(self, input_shape: Shape) -> None:
        if not input_shape or input_shape[-1] is None:
            raise ShapeError(
                f"BatchNormalization needs a known channel (last) dimension. Got input shape {input_shape}."
            )
        c = int(input_shape[-1])
        self.gamma = nn.Parameter(initializers.get(self.gamma_initializer)(torch.empty(c))) if self.scale else None
        self.beta = nn.Parameter(initializers.get(self.beta_initializer)(torch.empty(c))) if self.center else None
        self.register_buffer("moving_mean", torch.zeros(c))
        self.register_buffer("moving_variance", torch.ones(c))
        super().build(input_shape)

    def forward_cf(self, x: torch.Tensor) -> torch.Tensor:
        # A batch with one value per channel (65 samples in batches of 32 end on one) has no variance:
        # normalise it with the moving statistics and leave them unchanged, instead of failing.
        use_batch = self.training and x.numel() > x.shape[1]
        return F.batch_norm(
            x,
            self.moving_mean,
            self.moving_variance,
            self.gamma,
            self.beta,
            use_batch,
            1.0 - self.momentum,
            self.epsilon,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            return self.forward_cf(x)
        return self.forward_cf(x.movedim(-1, 1)).movedim(1, -1)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg.update(momentum=self.momentum, epsilon=self.epsilon, center=self.center, scale=self.scale)
        for key, default in (("beta_initializer", "zeros"), ("gamma_initializer", "ones")):
            if getattr(self, key) != default:
                cfg[key] = getattr(self, key)
        return cfg


@register_serializable("matnn>LayerNormalization")
class LayerNormalization(Layer):
    """Normalise each sample over its last axis, with learned scale γ and offset β.

    ``axis=-1`` only (the feature axis, Keras's default); ``center``/``scale`` learn β/γ.
    """

    def __init__(
        self,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: str = "zeros",
        gamma_initializer: str = "ones",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if axis not in (-1, [-1], (-1,)):
            raise ConfigError(f"'axis' of LayerNormalization must be -1 (the last axis); got {axis!r}")
        self.epsilon, self.center, self.scale = float(epsilon), bool(center), bool(scale)
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        initializers.get(beta_initializer), initializers.get(gamma_initializer)

    def build(self, input_shape: Shape) -> None:
        c = int(input_shape[-1])
        self.gamma = nn.Parameter(initializers.get(self.gamma_initializer)(torch.empty(c))) if self.scale else None
        self.beta = nn.Parameter(initializers.get(self.beta_initializer)(torch.empty(c))) if self.center else None
        super().build(input_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, (x.shape[-1],), self.gamma, self.beta, self.epsilon)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg["epsilon"] = self.epsilon
        for key, default in (
            ("center", True),
            ("scale", True),
            ("beta_initializer", "zeros"),
            ("gamma_initializer", "ones"),
        ):
            if getattr(self, key) != default:
                cfg[key] = getattr(self, key)
        return cfg


@register_serializable("matnn>Normalization")
class Normalization(Layer):
    """Standardise inputs feature-wise: (x − mean)/√var, with statistics learned by :meth:`adapt`.

    The statistics are saved with the model, so a loaded model scales new inputs exactly as in
    training. ``axis=-1`` keeps one mean per last-axis feature; ``axis=None`` one scalar.

    Example
    -------
    >>> norm = Normalization()
    >>> norm.adapt(x_train)   # doctest: +SKIP
    """

    def __init__(
        self, axis: int | None = -1, mean: Any = None, variance: Any = None, invert: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.invert = bool(invert)
        if axis not in (-1, None):
            raise ConfigError(f"The 'axis' parameter of Normalization must be -1 or None. Got {axis!r}.")
        self.axis = axis
        self._init_mean = None if mean is None else np.asarray(mean, dtype=np.float64)
        self._init_var = None if variance is None else np.asarray(variance, dtype=np.float64)

    def build(self, input_shape: Shape) -> None:
        size = 1 if self.axis is None else int(input_shape[-1])
        mean = self._init_mean if self._init_mean is not None else np.zeros(size)
        var = self._init_var if self._init_var is not None else np.ones(size)
        self.register_buffer("mean", torch.as_tensor(np.broadcast_to(mean, (size,)).copy(), dtype=torch.float32))
        self.register_buffer("variance", torch.as_tensor(np.broadcast_to(var, (size,)).copy(), dtype=torch.float32))
        super().build(input_shape)

    def adapt(self, data: Any) -> Normalization:
        """Learn mean and variance from ``data`` of shape ``(n_samples, ..., n_features)``."""
        arr = np.asarray(data.detach().cpu() if isinstance(data, torch.Tensor) else data, dtype=np.float64)
        if arr.size == 0:
            raise DataError("Normalization.adapt got an empty array.")
        if not np.isfinite(arr).all():
            bad = np.argwhere(~np.isfinite(arr))[0]
            raise DataError(f"Normalization.adapt got a NaN or infinite value at index {tuple(int(i) for i in bad)}.")
        flat = arr.reshape(-1) if self.axis is None else arr.reshape(-1, arr.shape[-1])
        mean, var = flat.mean(axis=0), flat.var(axis=0)
        if not self.built:
            self.build_for(tuple(arr.shape[1:]))
        self.mean.copy_(torch.as_tensor(np.atleast_1d(mean), dtype=self.mean.dtype))
        self.variance.copy_(torch.as_tensor(np.atleast_1d(var), dtype=self.variance.dtype))
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.invert:  # back from standardised units: x·√var + mean
            return x * torch.sqrt(self.variance.clamp_min(1e-12)) + self.mean
        return (x - self.mean) / torch.sqrt(self.variance.clamp_min(1e-12))

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg["axis"] = self.axis
        if self.invert:
            cfg["invert"] = True
        return cfg


@register_serializable("matnn>Rescaling")
class Rescaling(Layer):
    """output = x·scale + offset (e.g. to turn a standardised prediction back into cycles or eV/atom)."""

    layout_agnostic = True

    def __init__(self, scale: float, offset: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale, self.offset = float(scale), float(offset)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale + self.offset

    forward_cf = forward

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg.update(scale=self.scale, offset=self.offset)
        return cfg
