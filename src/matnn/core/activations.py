"""Activation functions σ(z), by Keras name.

Each is a plain function of a tensor. ``get`` resolves a name, a ``{"name": ..., **kwargs}`` dict or a
callable. The ``step`` function (Heaviside, σ(z) = 1 for z ≥ 0 else 0) is Rosenblatt's perceptron
activation: its derivative is zero almost everywhere, so it is for glass-box demos, not for training
by gradient descent.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from matnn.core.exceptions import ConfigError
from matnn.core.registry import Registry

__all__ = [
    "linear",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "softplus",
    "step",
    "softmax",
    "gelu",
    "selu",
    "silu",
    "softsign",
    "exponential",
    "get",
    "serialize",
    "ACTIVATIONS",
]

ACTIVATIONS = Registry("activation")

Activation = Callable[[torch.Tensor], torch.Tensor]


@ACTIVATIONS.register("linear", "identity", "none")
def linear(x: torch.Tensor) -> torch.Tensor:
    """σ(z) = z."""
    return x


@ACTIVATIONS.register("sigmoid", "logistic")
def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """σ(z) = 1 / (1 + e^(−z)); σ′ = σ(1 − σ)."""
    return torch.sigmoid(x)


@ACTIVATIONS.register("tanh")
def tanh(x: torch.Tensor) -> torch.Tensor:
    """σ(z) = tanh z; σ′ = 1 − tanh² z."""
    return torch.tanh(x)


@ACTIVATIONS.register("relu")
def relu(
    x: torch.Tensor, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0
) -> torch.Tensor:
    """σ(z) = max(0, z); Keras's options: z below ``threshold`` gives ``negative_slope·(z − threshold)``,
    and the output is capped at ``max_value``."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return torch.relu(x)
    out = x * (x > threshold).to(x.dtype) if threshold != 0.0 else torch.relu(x)
    if max_value is not None:
        out = out.clamp(max=max_value)
    if negative_slope != 0.0:
        out = out - negative_slope * torch.relu(threshold - x)
    return out


@ACTIVATIONS.register("leaky_relu", "leakyrelu")
def leaky_relu(x: torch.Tensor, negative_slope: float = 0.2) -> torch.Tensor:
    """σ(z) = z for z > 0, ``negative_slope``·z otherwise (Keras default slope 0.2)."""
    return F.leaky_relu(x, negative_slope)


@ACTIVATIONS.register("elu")
def elu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """σ(z) = z for z > 0, α(e^z − 1) otherwise."""
    return F.elu(x, alpha)


@ACTIVATIONS.register("softplus")
def softplus(x: torch.Tensor) -> torch.Tensor:
    """σ(z) = ln(1 + e^z), a smooth ReLU; σ′ = sigmoid(z)."""
    return F.softplus(x)


@ACTIVATIONS.register("step", "heaviside")
def step(x: torch.Tensor) -> torch.Tensor:
    """Heaviside step: 1 where z ≥ 0, else 0 (the perceptron's activation)."""
    return (x >= 0).to(x.dtype)


@ACTIVATIONS.register("softmax")
def softmax(x: torch.Tensor, axis: int = -1, temperature: float = 1.0) -> torch.Tensor:
    """softmax(z/T) along ``axis``: T > 1 flattens the distribution, T < 1 sharpens it."""
    if not temperature > 0:
        raise ConfigError(f"The softmax temperature must be positive. Got {temperature!r} instead.")
    return torch.softmax(x / temperature if temperature != 1.0 else x, dim=axis)


@ACTIVATIONS.register("gelu")
def gelu(x: torch.Tensor) -> torch.Tensor:
    return F.gelu(x)


@ACTIVATIONS.register("selu")
def selu(x: torch.Tensor) -> torch.Tensor:
    return F.selu(x)


@ACTIVATIONS.register("silu", "swish")
def silu(x: torch.Tensor) -> torch.Tensor:
    return F.silu(x)


@ACTIVATIONS.register("softsign")
def softsign(x: torch.Tensor) -> torch.Tensor:
    return F.softsign(x)


@ACTIVATIONS.register("exponential", "exp")
def exponential(x: torch.Tensor) -> torch.Tensor:
    return torch.exp(x)


def get(identifier: str | dict | Callable | None, **kwargs: Any) -> Activation:
    """Resolve an activation: name (``"relu"``), dict (``{"name": "softmax", "temperature": 2}``),
    callable, or ``None`` (linear). ``kwargs`` are bound to the function (e.g. ``temperature=2.0``)."""
    if identifier is None:
        fn: Callable = linear
    elif isinstance(identifier, dict):
        spec = dict(identifier)
        name = spec.pop("name", None)
        if name is None:
            raise ConfigError(f"An activation dict needs a 'name' key. Got {identifier!r}.")
        return get(name, **spec, **kwargs)
    elif isinstance(identifier, str):
        fn = ACTIVATIONS.get(identifier)
    elif callable(identifier):
        fn = identifier
    else:
        raise ConfigError(f"An activation must be a name, a dict or a callable. Got {identifier!r} instead.")
    if kwargs:
        bound = functools.partial(fn, **kwargs)
        bound.__name__ = getattr(fn, "__name__", "activation")  # type: ignore[attr-defined]
        return bound
    return fn


def serialize(identifier: str | dict | Callable | None, **kwargs: Any) -> str | dict | None:
    """A JSON-able form of an activation argument (names and dicts pass through)."""
    if identifier is None or isinstance(identifier, (str, dict)):
        if kwargs:
            base = {"name": identifier} if isinstance(identifier, str) else dict(identifier or {"name": "linear"})
            return {**base, **kwargs}
        return identifier
    name = getattr(identifier, "__name__", None)
    if name and name in ACTIVATIONS and ACTIVATIONS.get(name) is identifier:
        return name
    raise ConfigError(
        f"Activation {identifier!r} is a custom function and cannot be saved; register it in "
        "matnn.core.activations.ACTIVATIONS or pass its name."
    )
