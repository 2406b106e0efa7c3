"""Layers that only move values around: ``Flatten``, ``Reshape``, ``UpSampling1D/2D``."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from matnn.core.exceptions import ConfigError, ShapeError
from matnn.core.layers._conv_utils import as_tuple
from matnn.core.layers.base import Layer, Shape
from matnn.core.registry import register_serializable

__all__ = ["Flatten", "Reshape", "UpSampling1D", "UpSampling2D"]


@register_serializable("matnn>Flatten")
class Flatten(Layer):
    """Flatten each sample to a vector, in channels-last order as Keras: ``(n, H, W, C)`` → ``(n, H·W·C)``."""

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if any(d is None for d in input_shape):
            return (None,)
        return (math.prod(input_shape),)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], -1)


@register_serializable("matnn>Reshape")
class Reshape(Layer):
    """Reshape each sample to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(target_shape, int):
            target_shape = (target_shape,)
        if not isinstance(target_shape, (tuple, list)) or sum(1 for d in target_shape if d == -1) > 1:
            raise ConfigError(
                f"The 'target_shape' parameter of Reshape must be a tuple with at most one -1. Got {target_shape!r}."
            )
        self.target_shape = tuple(int(d) for d in target_shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        known = [d for d in self.target_shape if d != -1]
        if any(d is None for d in input_shape):
            return tuple(None if d == -1 else d for d in self.target_shape)
        total = math.prod(input_shape)
        if -1 in self.target_shape:
            rest = math.prod(known)
            if rest == 0 or total % rest:
                raise ShapeError(
                    f"cannot reshape samples of shape {input_shape} ({total} values) to {self.target_shape}"
                )
            return tuple(total // rest if d == -1 else d for d in self.target_shape)
        if math.prod(self.target_shape) != total:
            raise ShapeError(f"cannot reshape samples of shape {input_shape} ({total} values) to {self.target_shape}")
        return self.target_shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.target_shape)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg["target_shape"] = list(self.target_shape)
        return cfg


@register_serializable("matnn>UpSampling1D")
class UpSampling1D(Layer):
    """Repeat each step ``size`` times: ``(n, steps, c)`` → ``(n, steps·size, c)``."""

    supports_channels_first = True

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = as_tuple(size, 1, "size", "UpSampling1D")[0]

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 2:
            raise ShapeError(f"UpSampling1D expects samples of shape (steps, channels); got {input_shape}.")
        return (None if input_shape[0] is None else input_shape[0] * self.size, input_shape[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.repeat_interleave(self.size, dim=1)

    def forward_cf(self, x: torch.Tensor) -> torch.Tensor:
        return x.repeat_interleave(self.size, dim=2)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg["size"] = self.size
        return cfg


@register_serializable("matnn>UpSampling2D")
class UpSampling2D(Layer):
    """Enlarge images by ``size`` = (rows, cols) with ``'nearest'`` or ``'bilinear'`` interpolation."""

    supports_channels_first = True

    def __init__(self, size: Any = (2, 2), interpolation: str = "nearest", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = as_tuple(size, 2, "size", "UpSampling2D")
        if interpolation not in ("nearest", "bilinear"):
            raise ConfigError(
                f"The 'interpolation' parameter of UpSampling2D must be 'nearest' or 'bilinear'. Got {interpolation!r}."
            )
        self.interpolation = interpolation

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 3:
            raise ShapeError(f"UpSampling2D expects samples of shape (height, width, channels); got {input_shape}.")
        h, w, c = input_shape
        return (None if h is None else h * self.size[0], None if w is None else w * self.size[1], c)

    def forward_cf(self, x: torch.Tensor) -> torch.Tensor:
        if self.interpolation == "nearest":
            return x.repeat_interleave(self.size[0], dim=2).repeat_interleave(self.size[1], dim=3)
        return F.interpolate(x, scale_factor=self.size, mode="bilinear", align_corners=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_cf(x.movedim(-1, 1)).movedim(1, -1)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg.update(size=list(self.size), interpolation=self.interpolation)
        return cfg
