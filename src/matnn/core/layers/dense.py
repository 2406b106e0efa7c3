"""``Dense``: the fully connected layer, output = σ(x·Wᵀ + b) along the last axis."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from matnn.core import activations, initializers, regularizers
from matnn.core.exceptions import ConfigError, ShapeError
from matnn.core.layers.base import Layer, Shape
from matnn.core.registry import register_serializable

__all__ = ["Dense"]


def _check_units(value: Any, what: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"The '{what}' parameter of {owner} must be a positive integer. Got {value!r} instead.")
    return value


@register_serializable("matnn>Dense")
class Dense(Layer):
    """Fully connected layer acting on the last axis.

    Parameters
    ----------
    units : int
        Output features.
    activation : str or callable, optional
        Applied to the output (default linear).
    use_bias : bool, default=True
    kernel_initializer, bias_initializer : str
        Keras names (default ``"glorot_uniform"`` and ``"zeros"``).
    kernel_regularizer, bias_regularizer : optional
        Weight penalties (``matnn.regularizers.l2(1e-4)`` or a float L2 factor).

    Shape
    -----
    Input ``(n, ..., in_features)`` → output ``(n, ..., units)``.
    """

    def __init__(
        self,
        units: int,
        activation: Any = None,
        *,
        use_bias: bool = True,
        kernel_initializer: str = "glorot_uniform",
        bias_initializer: str = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.units = _check_units(units, "units", "Dense")
        self.activation_spec = activations.serialize(activation)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        initializers.get(kernel_initializer), initializers.get(bias_initializer)  # fail early on bad names
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def build(self, input_shape: Shape) -> None:
        if not isinstance(input_shape, tuple) or len(input_shape) < 1 or input_shape[-1] is None:
            raise ShapeError(f"Dense needs inputs with a known last dimension. Got input shape {input_shape}.")
        in_features = int(input_shape[-1])
        self.weight = nn.Parameter(torch.empty(self.units, in_features))
        initializers.get(self.kernel_initializer)(self.weight.data)
        if self.use_bias:
            self.bias = nn.Parameter(torch.empty(self.units))
            initializers.get(self.bias_initializer)(self.bias.data)
        else:
            self.register_parameter("bias", None)
        super().build(input_shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if not isinstance(input_shape, tuple) or len(input_shape) < 1:
            raise ShapeError(f"Dense needs inputs of shape (n, ..., features). Got input shape {input_shape}.")
        if self.built and input_shape[-1] is not None and input_shape[-1] != self.weight.shape[1]:
            raise ShapeError(f"expected {self.weight.shape[1]} input features, got input shape {input_shape}")
        return (*input_shape[:-1], self.units)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(F.linear(x, self.weight, self.bias))

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg.update(
            units=self.units,
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
