"""Layers that merge several inputs in functional models: ``Concatenate``, ``Add``, ``Subtract``,
``Multiply``, ``Average``."""

from __future__ import annotations

from typing import Any

import torch

from matnn.core.exceptions import ShapeError
from matnn.core.layers.base import Layer
from matnn.core.registry import register_serializable

__all__ = ["Concatenate", "Add", "Subtract", "Multiply", "Average"]


def _shapes(input_shape: Any, owner: str) -> list[tuple]:
    if not isinstance(input_shape, list) or len(input_shape) < 2:
        raise ShapeError(f"{owner} takes a list of at least two inputs; got input shape {input_shape}.")
    return input_shape


@register_serializable("matnn>Concatenate")
class Concatenate(Layer):
    """Join inputs along ``axis`` (default the last, i.e. features/channels)."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = int(axis)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = _shapes(input_shape, "Concatenate")
        rank = len(shapes[0])
        ax = rank + self.axis if self.axis < 0 else self.axis - 1  # axis counts the batch dimension, shapes do not
        if not 0 <= ax < rank:
            raise ShapeError(f"Concatenate axis {self.axis} is out of range for inputs of shapes {shapes}.")
        for s in shapes:
            if len(s) != rank or any(a != b for i, (a, b) in enumerate(zip(s, shapes[0], strict=True)) if i != ax):
                raise ShapeError(
                    f"Concatenate along axis {self.axis} needs matching other dimensions; got shapes {shapes}."
                )
        size = None if any(s[ax] is None for s in shapes) else sum(s[ax] for s in shapes)
        return tuple(size if i == ax else d for i, d in enumerate(shapes[0]))

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(list(inputs), dim=self.axis)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


class _Elementwise(Layer):
    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = _shapes(input_shape, type(self).__name__)
        if any(s != shapes[0] for s in shapes):
            raise ShapeError(f"{type(self).__name__} needs inputs of equal shape; got {shapes}.")
        return shapes[0]


@register_serializable("matnn>Add")
class Add(_Elementwise):
    """Element-wise sum of the inputs (residual connections)."""

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        out = inputs[0]
        for t in inputs[1:]:
            out = out + t
        return out


@register_serializable("matnn>Subtract")
class Subtract(_Elementwise):
    """First input minus the second."""

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        if len(inputs) != 2:
            raise ShapeError(f"Subtract takes exactly two inputs; got {len(inputs)}.")
        return inputs[0] - inputs[1]


@register_serializable("matnn>Multiply")
class Multiply(_Elementwise):
    """Element-wise product of the inputs."""

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        out = inputs[0]
        for t in inputs[1:]:
            out = out * t
        return out


@register_serializable("matnn>Average")
class Average(_Elementwise):
    """Element-wise mean of the inputs."""

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return torch.stack(list(inputs)).mean(0)
