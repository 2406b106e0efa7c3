"""``Embedding``: integer tokens (element indices, categories) → learned dense vectors."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from matnn.core import initializers
from matnn.core.exceptions import ConfigError
from matnn.core.layers.base import Layer, Shape
from matnn.core.registry import register_serializable

__all__ = ["Embedding"]


@register_serializable("matnn>Embedding")
class Embedding(Layer):
    """Look up row ``i`` of a learned ``(input_dim, output_dim)`` table for each integer ``i``.

    Shape: ``(n, ...)`` integers in ``[0, input_dim)`` → ``(n, ..., output_dim)``.
    """

    def __init__(
        self, input_dim: int, output_dim: int, *, embeddings_initializer: str = "random_uniform", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        for what, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ConfigError(f"The '{what}' parameter of Embedding must be a positive integer. Got {v!r} instead.")
        self.input_dim, self.output_dim = input_dim, output_dim
        self.embeddings_initializer = embeddings_initializer
        initializers.get(embeddings_initializer)

    def build(self, input_shape: Shape) -> None:
        self.embeddings = nn.Parameter(torch.empty(self.input_dim, self.output_dim))
        initializers.get(self.embeddings_initializer)(self.embeddings.data)
        super().build(input_shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape, self.output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.embedding(x.long(), self.embeddings)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg.update(
            input_dim=self.input_dim, output_dim=self.output_dim, embeddings_initializer=self.embeddings_initializer
        )
        return cfg
