"""``Input``: the entry point of a functional model, and the ``InputLayer`` it creates."""

from __future__ import annotations

from typing import Any

import torch

from matnn.core.layers.base import Layer, Shape, SymbolicTensor, to_shape
from matnn.core.registry import register_serializable

__all__ = ["Input", "InputLayer"]

_DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64, "int32": torch.int32}


@register_serializable("matnn>InputLayer")
class InputLayer(Layer):
    """Identity layer that records the model's input shape (batch dimension excluded)."""

    def __init__(
        self,
        shape: Any = None,
        *,
        dtype: str | None = "float32",
        name: str | None = None,
        batch_shape: Any = None,
        **kwargs: Any,
    ) -> None:
        if shape is None:
            shape = kwargs.pop("input_shape", None)
        if shape is None and batch_shape is not None:
            shape = tuple(batch_shape)[1:]
        dtype = "float32" if dtype is None else dtype
        super().__init__(name=name, **kwargs)
        self.shape: Shape = to_shape(shape, "Input shape")
        self.dtype_name = str(dtype)
        self.built = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype_name}


def Input(shape: Any, *, dtype: str = "float32", name: str | None = None) -> SymbolicTensor:  # noqa: N802 - Keras name
    """A symbolic input of per-sample ``shape`` (channels-last, no batch dimension).

    Example
    -------
    >>> from matnn.layers import Input, Dense
    >>> x = Input(shape=(86,))
    >>> y = Dense(1)(x)
    """
    layer = InputLayer(shape, dtype=dtype, name=name)
    return SymbolicTensor(layer.shape, layer=layer, inputs=[], dtype=_DTYPES.get(str(dtype), torch.float32), name=name)
