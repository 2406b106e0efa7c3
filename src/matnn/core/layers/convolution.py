"""Convolution layers ``Conv1D`` and ``Conv2D`` on channels-last inputs.

A filter of size k slid along the input computes, at each position, the sum of element-wise
products between the filter and the input window (plus a bias), then the activation. Weights are
stored in torch layout ``(filters, in_channels, *kernel_size)`` and computed with ``F.conv1d/2d``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from matnn.core import activations, initializers, regularizers
from matnn.core.exceptions import ConfigError, ShapeError
from matnn.core.layers._conv_utils import as_tuple, check_padding, out_length, same_pads
from matnn.core.layers.base import Layer, Shape
from matnn.core.registry import register_serializable

__all__ = ["Conv1D", "Conv2D", "Conv2DTranspose", "Convolution1D", "Convolution2D", "Convolution2DTranspose"]


class _Conv(Layer):
    rank = 0
    supports_channels_first = True

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        *,
        dilation_rate: Any = 1,
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: str = "glorot_uniform",
        bias_initializer: str = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
            raise ConfigError(
                f"The 'filters' parameter of {owner} must be a positive integer. Got {filters!r} instead."
            )
        self.filters = filters
        if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1 or filters % groups:
            raise ConfigError(f"'groups' of {owner} must be a positive int dividing filters={filters}; got {groups!r}")
        self.groups = groups
        self.kernel_size = as_tuple(kernel_size, self.rank, "kernel_size", owner)
        self.strides = as_tuple(strides, self.rank, "strides", owner)
        self.dilation_rate = as_tuple(dilation_rate, self.rank, "dilation_rate", owner)
        allowed = ("valid", "same", "causal") if self.rank == 1 else ("valid", "same")
        self.padding = check_padding(padding, owner, allowed)
        self.activation_spec = activations.serialize(activation)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        initializers.get(kernel_initializer), initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._pad_arg: Any = 0
        self._explicit_pad: tuple[int, ...] | None = None

    def _check_rank(self, input_shape: Shape) -> None:
        if not isinstance(input_shape, tuple) or len(input_shape) != self.rank + 1:
            want = "(steps, channels)" if self.rank == 1 else "(height, width, channels)"
            raise ShapeError(
                f"{type(self).__name__} expects samples of shape {want} (channels last); got input shape {input_shape}. "
                + (
                    "Add a channel axis, e.g. x[..., None]."
                    if isinstance(input_shape, tuple) and len(input_shape) == self.rank
                    else ""
                )
            )

    def build(self, input_shape: Shape) -> None:
        self._check_rank(input_shape)
        cin = input_shape[-1]
        if cin is None:
            raise ShapeError(f"{type(self).__name__} needs a known channel dimension. Got input shape {input_shape}.")
        if int(cin) % self.groups:
            raise ShapeError(f"{int(cin)} input channels cannot be split into groups={self.groups}")
        self.weight = nn.Parameter(torch.empty(self.filters, int(cin) // self.groups, *self.kernel_size))
        initializers.get(self.kernel_initializer)(self.weight.data)
        if self.use_bias:
            self.bias = nn.Parameter(torch.empty(self.filters))
            initializers.get(self.bias_initializer)(self.bias.data)
        else:
            self.register_parameter("bias", None)
        self._plan_padding(input_shape[:-1])
        super().build(input_shape)

    def _plan_padding(self, spatial: tuple) -> None:
        if self.padding == "valid":
            self._pad_arg, self._explicit_pad = 0, None
            return
        if self.padding == "causal":
            left = (self.kernel_size[0] - 1) * self.dilation_rate[0]
            self._pad_arg, self._explicit_pad = 0, (left, 0)
            return
        pads = []
        for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate, strict=True):
            pads.append(same_pads(n if n is not None else s, k, s, d))
        if all(a == b for a, b in pads) and all(n is not None for n in spatial):
            self._pad_arg, self._explicit_pad = tuple(a for a, _ in pads), None
        else:  # asymmetric: F.pad takes the last dimension first
            flat: list[int] = []
            for a, b in reversed(pads):
                flat += [a, b]
            self._pad_arg, self._explicit_pad = 0, tuple(flat)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        self._check_rank(input_shape)
        if self.built and input_shape[-1] != self.weight.shape[1] * self.groups:
            raise ShapeError(
                f"expected {self.weight.shape[1] * self.groups} input channels, got input shape {input_shape}"
            )
        spatial = tuple(
            out_length(n, k, s, d, self.padding)
            for n, k, s, d in zip(input_shape[:-1], self.kernel_size, self.strides, self.dilation_rate, strict=True)
        )
        return (*spatial, self.filters)

    def _conv(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - per rank
        raise NotImplementedError

    def forward_cf(self, x: torch.Tensor) -> torch.Tensor:
        if self._explicit_pad is not None:
            x = F.pad(x, self._explicit_pad)
        return self.activation(self._conv(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_cf(x.movedim(-1, 1)).movedim(1, -1)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        one = (lambda t: t[0]) if self.rank == 1 else list
        cfg.update(
            filters=self.filters,
            kernel_size=one(self.kernel_size),
            strides=one(self.strides),
            padding=self.padding,
            dilation_rate=one(self.dilation_rate),
            activation=self.activation_spec,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            bias_initializer=self.bias_initializer,
        )
        if self.groups != 1:
            cfg["groups"] = self.groups
        if self.kernel_regularizer is not None:
            cfg["kernel_regularizer"] = self.kernel_regularizer.get_config()
        if self.bias_regularizer is not None:
            cfg["bias_regularizer"] = self.bias_regularizer.get_config()
        return cfg


@register_serializable("matnn>Conv1D")
class Conv1D(_Conv):
    """1D convolution over ``(n, steps, channels)``; padding ``'valid'``, ``'same'`` or ``'causal'``.

    Shape: ``(n, steps, in_channels)`` → ``(n, new_steps, filters)``.
    """

    rank = 1

    def _conv(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv1d(x, self.weight, self.bias, self.strides, self._pad_arg, self.dilation_rate, self.groups)


@register_serializable("matnn>Conv2D")
class Conv2D(_Conv):
    """2D convolution over ``(n, height, width, channels)``; padding ``'valid'`` or ``'same'``.

    Shape: ``(n, H, W, in_channels)`` → ``(n, H', W', filters)``.

    Example
    -------
    >>> Conv2D(64, kernel_size=3, activation="relu", input_shape=(28, 28, 1))  # doctest: +SKIP
    """

    rank = 2

    def _conv(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight, self.bias, self.strides, self._pad_arg, self.dilation_rate, self.groups)


def _deconv_length(n: int | None, k: int, s: int, d: int, padding: str, output_padding: int | None) -> int | None:
    """Output length of a transposed convolution, as Keras computes it."""
    if n is None:
        return None
    eff = (k - 1) * d + 1
    if output_padding is None:
        return n * s + max(eff - s, 0) if padding == "valid" else n * s
    pad = eff // 2 if padding == "same" else 0
    return (n - 1) * s + eff - 2 * pad + output_padding


@register_serializable("matnn>Conv2DTranspose")
class Conv2DTranspose(Layer):
    """Transposed 2D convolution ("deconvolution"): each input pixel stamps a filter-sized patch.

    The layer that upsamples in decoders and U-Nets: with ``strides=2`` and ``padding='same'`` an
    ``(H, W)`` image becomes ``(2H, 2W)``. Output sizes follow Keras
    (``'valid'``: ``H·s + max(k − s, 0)``; ``'same'``: ``H·s``; with ``output_padding``:
    ``(H − 1)·s + k − 2·pad + output_padding``). Weights are stored in torch layout
    ``(in_channels, filters, kh, kw)``.

    Shape: ``(n, H, W, in_channels)`` → ``(n, H', W', filters)``.
    """

    supports_channels_first = True

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        output_padding: Any = None,
        *,
        dilation_rate: Any = (1, 1),
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: str = "glorot_uniform",
        bias_initializer: str = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = "Conv2DTranspose"
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
            raise ConfigError(f"'filters' of {owner} must be a positive int; got {filters!r}")
        self.filters = filters
        self.kernel_size = as_tuple(kernel_size, 2, "kernel_size", owner)
        self.strides = as_tuple(strides, 2, "strides", owner)
        self.dilation_rate = as_tuple(dilation_rate, 2, "dilation_rate", owner)
        self.padding = check_padding(padding, owner)
        if output_padding is None:
            self.output_padding: tuple[int, ...] | None = None
        else:
            op = (
                (output_padding,) * 2
                if isinstance(output_padding, int) and not isinstance(output_padding, bool)
                else output_padding
            )
            if (
                not isinstance(op, (tuple, list))
                or len(op) != 2
                or not all(
                    isinstance(v, int) and not isinstance(v, bool) and 0 <= v < s
                    for v, s in zip(op, self.strides, strict=False)
                )
            ):
                raise ConfigError(
                    f"'output_padding' of {owner} must be None or ints in [0, strides); got {output_padding!r}"
                )
            self.output_padding = tuple(op)
        self.activation_spec = activations.serialize(activation)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        initializers.get(kernel_initializer), initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def _check_rank(self, input_shape: Shape) -> None:
        if not isinstance(input_shape, tuple) or len(input_shape) != 3:
            raise ShapeError(
                f"Conv2DTranspose expects samples of shape (height, width, channels); got input shape {input_shape}."
            )

    def build(self, input_shape: Shape) -> None:
        self._check_rank(input_shape)
        if input_shape[-1] is None:
            raise ShapeError(f"Conv2DTranspose needs a known channel dimension. Got input shape {input_shape}.")
        self.weight = nn.Parameter(torch.empty(int(input_shape[-1]), self.filters, *self.kernel_size))
        # fans of a transposed kernel: torch's (in, out, ...) layout reads as (fan_out, fan_in); glorot is symmetric
        initializers.get(self.kernel_initializer)(self.weight.data)
        if self.use_bias:
            self.bias = nn.Parameter(torch.empty(self.filters))
            initializers.get(self.bias_initializer)(self.bias.data)
        else:
            self.register_parameter("bias", None)
        super().build(input_shape)

    def _lengths(self, spatial: tuple) -> tuple:
        ops = self.output_padding or (None, None)
        return tuple(
            _deconv_length(n, k, s, d, self.padding, op)
            for n, k, s, d, op in zip(spatial, self.kernel_size, self.strides, self.dilation_rate, ops, strict=True)
        )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        self._check_rank(input_shape)
        return (*self._lengths(input_shape[:-1]), self.filters)

    def forward_cf(self, x: torch.Tensor) -> torch.Tensor:
        full = F.conv_transpose2d(x, self.weight, None, self.strides, 0, 0, 1, self.dilation_rate)
        pads: list[int] = []
        # crop (negative pad) or extend the full transposed convolution to Keras's output size
        for axis, (n, k, s, d, target) in reversed(
            list(
                enumerate(
                    zip(
                        x.shape[2:],
                        self.kernel_size,
                        self.strides,
                        self.dilation_rate,
                        self._lengths(tuple(x.shape[2:])),
                        strict=True,
                    )
                )
            )
        ):
            eff = (k - 1) * d + 1
            if self.output_padding is not None:
                before = eff // 2 if self.padding == "same" else 0
            else:
                before = max(eff - s, 0) // 2 if self.padding == "same" else 0
            pads += [-before, target - (full.shape[2 + axis] - before)]
        if any(pads):
            full = F.pad(full, pads)
        if self.bias is not None:
            full = full + self.bias.view(1, -1, 1, 1)
        return self.activation(full)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_cf(x.movedim(-1, 1)).movedim(1, -1)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg.update(
            filters=self.filters,
            kernel_size=list(self.kernel_size),
            strides=list(self.strides),
            padding=self.padding,
            output_padding=None if self.output_padding is None else list(self.output_padding),
            dilation_rate=list(self.dilation_rate),
            activation=self.activation_spec,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            bias_initializer=self.bias_initializer,
        )
        if self.kernel_regularizer is not None:
            cfg["kernel_regularizer"] = self.kernel_regularizer.get_config()
        if self.bias_regularizer is not None:
            cfg["bias_regularizer"] = self.bias_regularizer.get_config()
        return cfg


# Keras's long names for the same classes.
Convolution1D, Convolution2D, Convolution2DTranspose = Conv1D, Conv2D, Conv2DTranspose
