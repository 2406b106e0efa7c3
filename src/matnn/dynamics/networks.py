"""Networks in the NTK parametrisation used by the training-dynamics papers.

In the NTK parametrisation every weight is drawn from N(0, 1) and each pre-activation is divided by
the square root of its fan-in, e.g. the two-layer network

    f(x) = vᵀ σ(W x / √d) / √m,        W ∈ R^{m×d}, v ∈ R^m, entries N(0, 1).

The NTK then has an O(1) limit as the width m → ∞, the model Hessian shrinks like 1/√m, and
learning rates are O(1) — the setting of the catapult, linearity and conditioning results.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from matnn.core.exceptions import ConfigError, unknown_name

__all__ = ["NTKNetwork", "RandomDAGNetwork", "ACTIVATIONS"]

ACTIVATIONS = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "linear": lambda t: t,
    "softplus": torch.nn.functional.softplus,
    "gelu": torch.nn.functional.gelu,
    "sigmoid": torch.sigmoid,
}


def _activation(name: str | None, what: str):
    if name is None:
        return ACTIVATIONS["linear"]
    if name not in ACTIVATIONS:
        raise unknown_name(what, name, ACTIVATIONS)
    return ACTIVATIONS[name]


class NTKNetwork(nn.Module):
    """Fully connected network in the NTK parametrisation.

    ``h₀ = x``, ``h_l = σ(W_l h_{l−1} / √n_{l−1})`` for l = 1..depth, ``f = φ(v h_depth / √m)``.

    Parameters
    ----------
    in_features : int
        Input dimension d.
    width : int
        Hidden width m (all hidden layers).
    depth : int, default=1
        Number of hidden layers (1 = the two-layer network of the papers).
    activation : str, default="relu"
        σ: "relu", "tanh", "linear", "softplus", "gelu", "sigmoid".
    output_activation : str or None, default=None
        φ applied to the output (None = linear output layer; "tanh" = the nonlinear output layer of
        Liu, Zhu & Belkin, for which the transition to linearity fails).
    out_features : int, default=1
    seed : int or None, default=None
        Seed of the N(0, 1) weights (None: torch's global generator).

    Shape
    -----
    Input ``(n, in_features)``, output ``(n, out_features)``.
    """

    def __init__(
        self,
        in_features: int,
        width: int,
        *,
        depth: int = 1,
        activation: str = "relu",
        output_activation: str | None = None,
        out_features: int = 1,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        for name, value in (
            ("in_features", in_features),
            ("width", width),
            ("depth", depth),
            ("out_features", out_features),
        ):
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"The '{name}' parameter of NTKNetwork must be a positive integer; got {value!r}.")
        self.in_features, self.width, self.depth = in_features, width, depth
        self.activation, self.output_activation, self.out_features = activation, output_activation, out_features
        self._sigma = _activation(activation, "activation")
        self._phi = _activation(output_activation, "output activation")
        sizes = [in_features] + [width] * depth
        self.hidden = nn.ParameterList([nn.Parameter(torch.empty(sizes[i + 1], sizes[i])) for i in range(depth)])
        self.readout = nn.Parameter(torch.empty(out_features, width))
        self.reset_parameters(seed)

    def reset_parameters(self, seed: int | None = None) -> None:
        """Redraw every weight from N(0, 1)."""
        gen = torch.Generator().manual_seed(int(seed)) if seed is not None else None
        with torch.no_grad():
            for p in [*self.hidden, self.readout]:
                p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Last hidden layer ``h_depth`` of shape (n, width)."""
        h = x
        for W in self.hidden:
            h = self._sigma(h @ W.T / math.sqrt(W.shape[1]))
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._phi(self.features(x) @ self.readout.T / math.sqrt(self.width))

    def extra_repr(self) -> str:
        out = f"in_features={self.in_features}, width={self.width}, depth={self.depth}, activation={self.activation!r}"
        if self.output_activation:
            out += f", output_activation={self.output_activation!r}"
        return out


class RandomDAGNetwork(nn.Module):
    """Network on a random directed acyclic graph in which every neuron has in-degree k.

    Neurons are arranged in ``n_layers`` groups of ``width`` (a topological order).  Each neuron of
    group l draws k distinct predecessors uniformly from **all** earlier nodes (the inputs and every
    neuron of groups < l), so edges skip layers freely; the output neuron draws k hidden neurons.
    Each neuron computes ``σ(Σ_{j∈in(i)} w_ij z_j / √k)`` with w ~ N(0, 1) — the setting of Zhu, Liu &
    Belkin, "Transition to linearity of general neural networks with directed acyclic graph
    architecture" (2022), where ‖H_f‖ = Õ(1/√k).

    Parameters
    ----------
    in_features : int
        Number of input nodes (must be ≥ ``in_degree`` so the first group can draw k inputs).
    n_layers, width : int
        Groups of hidden neurons and neurons per group.
    in_degree : int
        k, the in-degree of every neuron and of the output.
    activation : str, default="tanh"
    seed : int, default=0
        Seed of both the graph and the weights.
    """

    def __init__(
        self, in_features: int, *, n_layers: int, width: int, in_degree: int, activation: str = "tanh", seed: int = 0
    ) -> None:
        super().__init__()
        if in_degree < 1 or in_degree > in_features:
            raise ConfigError(f"in_degree must be in [1, in_features={in_features}]; got {in_degree!r}.")
        if in_degree > n_layers * width:
            raise ConfigError(
                f"in_degree {in_degree} exceeds the {n_layers * width} hidden neurons the output can draw from."
            )
        self.in_features, self.n_layers, self.width, self.in_degree, self.activation = (
            in_features,
            n_layers,
            width,
            in_degree,
            activation,
        )
        self._sigma = _activation(activation, "activation")
        rng = np.random.default_rng(seed)
        gen = torch.Generator().manual_seed(int(seed))
        k = in_degree
        self.weights = nn.ParameterList()
        n_prev = in_features
        for layer in range(n_layers):
            idx = np.stack([rng.choice(n_prev, size=k, replace=False) for _ in range(width)])
            self.register_buffer(f"edges_{layer}", torch.as_tensor(idx, dtype=torch.long))
            self.weights.append(nn.Parameter(torch.randn(width, k, generator=gen)))
            n_prev += width
        out_idx = rng.choice(n_layers * width, size=k, replace=False) + in_features
        self.register_buffer("edges_out", torch.as_tensor(out_idx, dtype=torch.long))
        self.readout = nn.Parameter(torch.randn(k, generator=gen))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = x
        scale = 1.0 / math.sqrt(self.in_degree)
        for layer, W in enumerate(self.weights):
            idx = getattr(self, f"edges_{layer}")
            pre = (nodes[:, idx] * W).sum(-1) * scale  # (n, width): neuron i sums its k parents
            nodes = torch.cat([nodes, self._sigma(pre)], dim=1)
        return (nodes[:, self.edges_out] @ self.readout * scale).unsqueeze(-1)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, n_layers={self.n_layers}, width={self.width}, in_degree={self.in_degree}, activation={self.activation!r}"
