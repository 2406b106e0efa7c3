"""LeNet-1 (LeCun et al. 1989) and LeNet-5 (LeCun et al. 1998) as published, with their counts.

Both networks predate max pooling, ReLU and softmax. Their layers, written here as matnn layers:

* **convolutions** (C) with 5×5 kernels and no padding; in LeNet-5's C3 (and LeNet-1's H3) each
  output map sees only some input maps, listed in a connection table (:class:`PartialConv2D`);
* **subsampling** (S): each map's 2×2 sums times one trainable coefficient plus one trainable bias
  (:class:`Subsampling2D`, 2 parameters per map);
* the squashing function ``f(a) = 1.7159 tanh(2a/3)`` after every layer (:class:`ScaledTanh`);
* LeNet-5's output: **Euclidean RBF units** ``y_i = Σ_j (x_j − w_ij)²`` with fixed ±1 codes
  (:class:`EuclideanRBF`). The paper draws the codes from 7×12 bitmaps of the characters; here they are
  fixed random ±1 codes (seeded). The layer returns ``−y_i``, so the smallest distance is the
  largest logit and ``CategoricalCrossentropy(from_logits=True)`` trains it.

The published counts, checked by the tests:

=========  =======  ==========================  ===========
network    input    trainable parameters        connections
=========  =======  ==========================  ===========
LeNet-1    28×28    2 578                       98 442
LeNet-5    32×32    60 000 (+ 840 fixed codes)  340 908
=========  =======  ==========================  ===========

The 1989 paper gives LeNet-1's counts and layer sizes (4 maps 24×24, 4 maps 12×12, 12 maps 8×8,
12 maps 4×4, 10 outputs) but not which H2 maps each H3 map sees; its counts imply 20 kernels in H3.
:data:`LENET1_H3_TABLE` is one table with that many (four maps see one H2 map, eight see two).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from matnn.core.exceptions import ConfigError, ShapeError
from matnn.core.layers.base import Layer, Shape
from matnn.core.registry import register_serializable

__all__ = [
    "ScaledTanh",
    "Subsampling2D",
    "PartialConv2D",
    "EuclideanRBF",
    "LENET5_C3_TABLE",
    "LENET1_H3_TABLE",
    "lenet1",
    "lenet5",
    "count_connections",
]

#: LeNet-5 Table I: the S2 maps (0–5) each C3 map (0–15) sees.
LENET5_C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2),
    (1, 2, 3),
    (2, 3, 4),
    (3, 4, 5),
    (0, 4, 5),
    (0, 1, 5),
    (0, 1, 2, 3),
    (1, 2, 3, 4),
    (2, 3, 4, 5),
    (0, 3, 4, 5),
    (0, 1, 4, 5),
    (0, 1, 2, 5),
    (0, 1, 3, 4),
    (1, 2, 4, 5),
    (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)

#: LeNet-1 H3: 12 maps over the 4 H2 maps, 20 kernels in all (the count the 1989 paper implies).
LENET1_H3_TABLE: tuple[tuple[int, ...], ...] = (
    (0,),
    (1,),
    (2,),
    (3,),
    (0, 1),
    (1, 2),
    (2, 3),
    (0, 3),
    (0, 2),
    (1, 3),
    (0, 2),
    (1, 3),
)

_A, _S = 1.7159, 2.0 / 3.0  # f(±1) = ±1, the steepest gain at the origin near 1


@register_serializable("matnn>ScaledTanh")
class ScaledTanh(Layer):
    """LeCun's squashing function ``f(a) = 1.7159 · tanh(2a/3)`` (no parameters)."""

    layout_agnostic = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _A * torch.tanh(_S * x)

    forward_cf = forward


def _check_image(shape: Shape, owner: str) -> None:
    if not isinstance(shape, tuple) or len(shape) != 3 or shape[-1] is None:
        raise ShapeError(f"{owner} expects samples of shape (height, width, channels); got input shape {shape}.")


@register_serializable("matnn>Subsampling2D")
class Subsampling2D(Layer):
    """LeNet's subsampling: sum of each 2×2 block × a trainable coefficient + a trainable bias, per map.

    Shape: ``(n, H, W, c)`` → ``(n, H // 2, W // 2, c)``; ``2c`` parameters.
    """

    def build(self, input_shape: Shape) -> None:
        _check_image(input_shape, "Subsampling2D")
        c = int(input_shape[-1])
        self.coefficient = nn.Parameter(torch.full((c,), 0.25))  # starts as the 2×2 average
        self.bias = nn.Parameter(torch.zeros(c))
        super().build(input_shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        _check_image(input_shape, "Subsampling2D")
        h, w, c = input_shape
        return (None if h is None else h // 2, None if w is None else w // 2, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = 4.0 * F.avg_pool2d(x.movedim(-1, 1), 2)
        return (s * self.coefficient.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)).movedim(1, -1)


@register_serializable("matnn>PartialConv2D")
class PartialConv2D(Layer):
    """'Valid' convolution where output map ``j`` sees only the input maps ``table[j]``.

    Parameters
    ----------
    table : sequence of sequences of int
        For each output map, the input maps it is connected to.
    kernel_size : int, default=5

    Each output map has its own kernel over its inputs and one bias: ``Σ_j (len(table[j])·k² + 1)``
    parameters.
    """

    def __init__(self, table: Sequence[Sequence[int]], kernel_size: int = 5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        try:
            self.table = tuple(tuple(int(i) for i in row) for row in table)
        except (TypeError, ValueError):
            raise ConfigError(
                f"'table' of PartialConv2D must be a list of lists of input-map indices; got {table!r}"
            ) from None
        if not self.table or any(not row or min(row) < 0 for row in self.table):
            raise ConfigError(
                f"'table' of PartialConv2D needs a non-empty list of non-negative indices per output map; got {table!r}"
            )
        if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) or kernel_size < 1:
            raise ConfigError(f"'kernel_size' of PartialConv2D must be a positive int; got {kernel_size!r}")
        self.kernel_size = kernel_size

    def build(self, input_shape: Shape) -> None:
        _check_image(input_shape, "PartialConv2D")
        c = int(input_shape[-1])
        if max(max(row) for row in self.table) >= c:
            raise ShapeError(
                f"PartialConv2D's table refers to input map {max(max(r) for r in self.table)} but the input has {c} maps"
            )
        k = self.kernel_size
        self.kernels = nn.ParameterList()
        for row in self.table:  # LeCun's initialisation: uniform in ±2.4 / fan-in
            bound = 2.4 / (len(row) * k * k)
            self.kernels.append(nn.Parameter(torch.empty(1, len(row), k, k).uniform_(-bound, bound)))
        self.bias = nn.Parameter(torch.zeros(len(self.table)))
        for i, row in enumerate(self.table):
            self.register_buffer(f"_index{i}", torch.tensor(row, dtype=torch.long), persistent=False)
        super().build(input_shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        _check_image(input_shape, "PartialConv2D")
        h, w, _ = input_shape
        k = self.kernel_size
        return (None if h is None else h - k + 1, None if w is None else w - k + 1, len(self.table))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xc = x.movedim(-1, 1)
        maps = [F.conv2d(xc.index_select(1, getattr(self, f"_index{i}")), kern) for i, kern in enumerate(self.kernels)]
        return (torch.cat(maps, 1) + self.bias.view(1, -1, 1, 1)).movedim(1, -1)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg.update(table=[list(r) for r in self.table], kernel_size=self.kernel_size)
        return cfg


@register_serializable("matnn>EuclideanRBF")
class EuclideanRBF(Layer):
    """Output units ``−y_i = −Σ_j (x_j − w_ij)²`` with fixed ±1 prototype codes ``w_i`` (not trained).

    Parameters
    ----------
    units : int
        Classes.
    seed : int, default=0
        Seeds the random ±1 codes (the paper uses 7×12 bitmaps of the characters).
    """

    def __init__(self, units: int, seed: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ConfigError(f"'units' of EuclideanRBF must be a positive int; got {units!r}")
        self.units, self.seed = units, int(seed)

    def build(self, input_shape: Shape) -> None:
        if not isinstance(input_shape, tuple) or len(input_shape) != 1 or input_shape[0] is None:
            raise ShapeError(f"EuclideanRBF expects flat samples (features,); got input shape {input_shape}.")
        gen = torch.Generator().manual_seed(self.seed)
        codes = torch.randint(0, 2, (self.units, int(input_shape[0])), generator=gen).float() * 2 - 1
        self.register_buffer("codes", codes)
        super().build(input_shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (self.units,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return -((x.unsqueeze(1) - self.codes) ** 2).sum(-1)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg.update(units=self.units, seed=self.seed)
        return cfg


def lenet1(n_classes: int = 10) -> Any:
    """LeNet-1 on 28×28×1 images: H1 conv 4@24×24 → H2 subsampling 4@12×12 → H3 partial conv 12@8×8 →
    H4 subsampling 12@4×4 → ``n_classes`` fully connected outputs (scaled tanh after each layer).

    2 578 trainable parameters and 98 442 connections for ``n_classes = 10``.
    """
    import matnn
    from matnn.layers import Conv2D, Dense, Flatten

    return matnn.Sequential(
        [
            Conv2D(4, 5, input_shape=(28, 28, 1), name="H1"),
            ScaledTanh(),
            Subsampling2D(name="H2"),
            ScaledTanh(),
            PartialConv2D(LENET1_H3_TABLE, 5, name="H3"),
            ScaledTanh(),
            Subsampling2D(name="H4"),
            ScaledTanh(),
            Flatten(),
            Dense(n_classes, name="output"),
            ScaledTanh(),
        ],
        name="lenet1",
    )


def lenet5(n_classes: int = 10, *, rbf_seed: int = 0) -> Any:
    """LeNet-5 on 32×32×1 images: C1 conv 6@28×28 → S2 6@14×14 → C3 partial conv 16@10×10 (Table I) →
    S4 16@5×5 → C5 conv 120@1×1 → F6 84 → Euclidean RBF outputs (scaled tanh after C1 … F6).

    60 000 trainable parameters (plus 840 fixed RBF codes) and 340 908 connections for ``n_classes = 10``.
    Train with ``loss=CategoricalCrossentropy(from_logits=True)`` on the outputs (negative distances).
    """
    import matnn
    from matnn.layers import Conv2D, Dense, Flatten

    return matnn.Sequential(
        [
            Conv2D(6, 5, input_shape=(32, 32, 1), name="C1"),
            ScaledTanh(),
            Subsampling2D(name="S2"),
            ScaledTanh(),
            PartialConv2D(LENET5_C3_TABLE, 5, name="C3"),
            ScaledTanh(),
            Subsampling2D(name="S4"),
            ScaledTanh(),
            Conv2D(120, 5, name="C5"),
            ScaledTanh(),
            Flatten(),
            Dense(84, name="F6"),
            ScaledTanh(),
            EuclideanRBF(n_classes, seed=rbf_seed, name="output"),
        ],
        name="lenet5",
    )


def count_connections(model: Any) -> int:
    """Connections as LeCun counts them: for every unit, its inputs plus one for the bias.

    Convolutions: output units × (kernel inputs + 1); subsampling: output units × (4 + 1); dense
    layers: outputs × (inputs + 1); RBF units: outputs × inputs (no bias). Needs a built model.
    """
    from matnn.layers import Conv2D, Dense

    total = 0
    for layer in model.layers:
        if not getattr(layer, "built", False) or layer.output_shape is None:
            raise ShapeError("count_connections needs a built model (give the first layer an input_shape)")
        units = math.prod(layer.output_shape)
        if isinstance(layer, Conv2D):
            total += units * (layer.weight[0].numel() + (1 if layer.bias is not None else 0))
        elif isinstance(layer, PartialConv2D):
            per_map = [kern.numel() + 1 for kern in layer.kernels]
            total += math.prod(layer.output_shape[:2]) * sum(per_map)
        elif isinstance(layer, Subsampling2D):
            total += units * 5
        elif isinstance(layer, Dense):
            total += units * (layer.weight.shape[1] + (1 if layer.bias is not None else 0))
        elif isinstance(layer, EuclideanRBF):
            total += units * layer.codes.shape[1]
    return total
