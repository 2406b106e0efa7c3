"""Pooling layers on channels-last inputs: max/average over windows, and global averages/maxima.

Max pooling keeps the largest value in each window (a little translation invariance); average
pooling its mean. With ``padding='same'`` the windows hanging over the border ignore the padded
cells, as in Keras/TensorFlow.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from matnn.core.exceptions import ShapeError
from matnn.core.layers._conv_utils import as_tuple, check_padding, out_length, same_pads
from matnn.core.layers.base import Layer, Shape
from matnn.core.registry import register_serializable

__all__ = [
    "MaxPooling1D",
    "MaxPooling2D",
    "AveragePooling1D",
    "AveragePooling2D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "MaxPool1D",
    "MaxPool2D",
    "AvgPool1D",
    "AvgPool2D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
]


_POOL_FN = {(1, "max"): F.max_pool1d, (2, "max"): F.max_pool2d, (1, "avg"): F.avg_pool1d, (2, "avg"): F.avg_pool2d}


class _Pool(Layer):
    rank = 0
    mode = "max"
    supports_channels_first = True

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.pool_size = as_tuple(pool_size, self.rank, "pool_size", owner)
        self.strides = as_tuple(strides, self.rank, "strides", owner) if strides is not None else self.pool_size
        self.padding = check_padding(padding, owner)
        self._pads: tuple[int, ...] | None = None

    def _check_rank(self, input_shape: Shape) -> None:
        if not isinstance(input_shape, tuple) or len(input_shape) != self.rank + 1:
            want = "(steps, channels)" if self.rank == 1 else "(height, width, channels)"
            raise ShapeError(f"{type(self).__name__} expects samples of shape {want}; got input shape {input_shape}.")

    def build(self, input_shape: Shape) -> None:
        self._check_rank(input_shape)
        if self.padding == "same":
            flat: list[int] = []
            for n, k, s in reversed(list(zip(input_shape[:-1], self.pool_size, self.strides, strict=True))):
                a, b = same_pads(n if n is not None else k, k, s, 1)
                flat += [a, b]
            self._pads = tuple(flat) if any(flat) else None
        super().build(input_shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        self._check_rank(input_shape)
        spatial = tuple(
            out_length(n, k, s, 1, self.padding)
            for n, k, s in zip(input_shape[:-1], self.pool_size, self.strides, strict=True)
        )
        return (*spatial, input_shape[-1])

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        return _POOL_FN[(self.rank, self.mode)](x, self.pool_size, self.strides)

    def forward_cf(self, x: torch.Tensor) -> torch.Tensor:
        if self._pads is None:
            return self._pool(x)
        if self.mode == "max":
            return self._pool(F.pad(x, self._pads, value=float("-inf")))
        # average over the real cells only: divide the padded sum by the pooled count of real cells
        ones = torch.ones((1, 1, *x.shape[2:]), dtype=x.dtype, device=x.device)
        return self._pool(F.pad(x, self._pads)) / self._pool(F.pad(ones, self._pads))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_cf(x.movedim(-1, 1)).movedim(1, -1)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        one = (lambda t: t[0]) if self.rank == 1 else list
        cfg.update(pool_size=one(self.pool_size), strides=one(self.strides), padding=self.padding)
        return cfg


@register_serializable("matnn>MaxPooling1D")
class MaxPooling1D(_Pool):
    """Max over windows of ``pool_size`` steps: ``(n, steps, c)`` → ``(n, steps // pool, c)``."""

    rank, mode = 1, "max"


@register_serializable("matnn>MaxPooling2D")
class MaxPooling2D(_Pool):
    """Max over ``pool_size`` windows: ``(n, H, W, c)`` → ``(n, H // ph, W // pw, c)``."""

    rank, mode = 2, "max"


@register_serializable("matnn>AveragePooling1D")
class AveragePooling1D(_Pool):
    """Mean over windows of ``pool_size`` steps."""

    rank, mode = 1, "avg"


@register_serializable("matnn>AveragePooling2D")
class AveragePooling2D(_Pool):
    """Mean over ``pool_size`` windows."""

    rank, mode = 2, "avg"


class _GlobalPool(Layer):
    rank = 0
    mode = "avg"
    supports_channels_first = True
    cf_returns_channels_last = True  # (n, c) has no spatial axes left

    def __init__(self, *, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keepdims = bool(keepdims)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if not isinstance(input_shape, tuple) or len(input_shape) != self.rank + 1:
            raise ShapeError(
                f"{type(self).__name__} expects samples with {self.rank} spatial axes and channels last; got input shape {input_shape}."
            )
        return (*([1] * self.rank), input_shape[-1]) if self.keepdims else (input_shape[-1],)

    def _reduce(self, x: torch.Tensor, dims: tuple[int, ...]) -> torch.Tensor:
        if self.mode == "avg":
            return x.mean(dim=dims, keepdim=self.keepdims)
        return x.amax(dim=dims, keepdim=self.keepdims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._reduce(x, tuple(range(1, 1 + self.rank)))

    def forward_cf(self, x: torch.Tensor) -> torch.Tensor:
        out = self._reduce(x, tuple(range(2, 2 + self.rank)))
        return out.movedim(1, -1) if self.keepdims else out

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        if self.keepdims:
            cfg["keepdims"] = True
        return cfg


@register_serializable("matnn>GlobalAveragePooling1D")
class GlobalAveragePooling1D(_GlobalPool):
    """Mean over all steps: ``(n, steps, c)`` → ``(n, c)``."""

    rank, mode = 1, "avg"


@register_serializable("matnn>GlobalAveragePooling2D")
class GlobalAveragePooling2D(_GlobalPool):
    """Mean over the image: ``(n, H, W, c)`` → ``(n, c)``."""

    rank, mode = 2, "avg"


@register_serializable("matnn>GlobalMaxPooling1D")
class GlobalMaxPooling1D(_GlobalPool):
    rank, mode = 1, "max"


@register_serializable("matnn>GlobalMaxPooling2D")
class GlobalMaxPooling2D(_GlobalPool):
    rank, mode = 2, "max"


# Keras's short names: the same classes (a model saved under either name loads as the long one).
MaxPool1D, MaxPool2D = MaxPooling1D, MaxPooling2D
AvgPool1D, AvgPool2D = AveragePooling1D, AveragePooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
