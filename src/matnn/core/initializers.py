"""Weight initialisers by Keras name, applied to torch-layout tensors.

Keras defaults are kept (``glorot_uniform`` kernels, zero biases), so a network written as in class
starts from the same distribution as in Keras. Fans follow torch's layout ``(out, in, *kernel)``,
which gives the same fan-in/fan-out as Keras's ``(*kernel, in, out)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from matnn.core.registry import Registry

__all__ = ["get", "INITIALIZERS"]

INITIALIZERS = Registry("initializer")
Initializer = Callable[[torch.Tensor], torch.Tensor]

INITIALIZERS.add(nn.init.xavier_uniform_, "glorot_uniform", "xavier_uniform")
INITIALIZERS.add(nn.init.xavier_normal_, "glorot_normal", "xavier_normal")
INITIALIZERS.add(nn.init.zeros_, "zeros")
INITIALIZERS.add(nn.init.ones_, "ones")
INITIALIZERS.add(nn.init.orthogonal_, "orthogonal")


@INITIALIZERS.register("he_normal", "kaiming_normal")
def he_normal(t: torch.Tensor) -> torch.Tensor:
    """Truncated normal with std √(2/fan_in) (Keras's he_normal)."""
    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(t)
    std = math.sqrt(2.0 / fan_in) / 0.87962566103423978  # std of a unit normal truncated at ±2
    return nn.init.trunc_normal_(t, 0.0, std, -2 * std, 2 * std)


@INITIALIZERS.register("he_uniform", "kaiming_uniform")
def he_uniform(t: torch.Tensor) -> torch.Tensor:
    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(t)
    limit = math.sqrt(6.0 / fan_in)
    return nn.init.uniform_(t, -limit, limit)


@INITIALIZERS.register("lecun_normal")
def lecun_normal(t: torch.Tensor) -> torch.Tensor:
    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(t)
    std = math.sqrt(1.0 / fan_in) / 0.87962566103423978
    return nn.init.trunc_normal_(t, 0.0, std, -2 * std, 2 * std)


@INITIALIZERS.register("lecun_uniform")
def lecun_uniform(t: torch.Tensor) -> torch.Tensor:
    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(t)
    limit = math.sqrt(3.0 / fan_in)
    return nn.init.uniform_(t, -limit, limit)


@INITIALIZERS.register("random_normal", "normal")
def random_normal(t: torch.Tensor) -> torch.Tensor:
    return nn.init.normal_(t, 0.0, 0.05)


@INITIALIZERS.register("random_uniform", "uniform")
def random_uniform(t: torch.Tensor) -> torch.Tensor:
    return nn.init.uniform_(t, -0.05, 0.05)


@INITIALIZERS.register("torch_default")
def torch_default(t: torch.Tensor) -> torch.Tensor:
    """PyTorch's own default for Linear/Conv weights (Kaiming uniform with a = √5)."""
    return nn.init.kaiming_uniform_(t, a=math.sqrt(5))


def get(identifier: str | Initializer) -> Initializer:
    """Resolve an initialiser name (``"glorot_uniform"``, ``"he_normal"``, ...) or pass a callable through."""
    if callable(identifier):
        return identifier
    return INITIALIZERS.get(identifier)
