"""Per-subset decomposition of the full-batch gradient (e.g. clean vs. noisy labels).

The gradient of the mean loss ``L = (1/n) Σ_i ℓ_i`` splits over any partition of the samples:
``∇L = Σ_S g_S`` with ``g_S = (1/n) Σ_{i∈S} ∇ℓ_i``.  Liu, Abedsoltan & Belkin ("On emergence of
clean-priority learning in early stopped neural networks", 2023) follow ``‖g_clean‖`` and
``‖g_noisy‖``: early in training the clean part dominates and points against the noisy one, so the
network fits the clean signal first; as the noisy samples get memorised the two balance and the
clean-test error turns upward.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from matnn.core.exceptions import DataError, ShapeError
from matnn.dynamics._functional import as_tensor, evaluation_mode, resolve_loss

__all__ = ["GradientDecomposition", "gradient_decomposition"]


@dataclass
class GradientDecomposition:
    """Norms and pairwise cosines of per-subset gradients.

    Attributes
    ----------
    norms : dict of str to float
        ``‖g_S‖`` for every subset (``normalize="total"``: contributions to the full gradient).
    cosines : dict of (str, str) to float
        ``cos(g_A, g_B)`` for every pair of subsets.
    total_norm : float
        ‖∇L‖ of the whole batch.
    sizes : dict of str to int
        Samples per subset.
    """

    norms: dict[str, float]
    cosines: dict[tuple[str, str], float]
    total_norm: float
    sizes: dict[str, int]

    def ratio(self, a: str, b: str) -> float:
        """‖g_a‖ / ‖g_b‖."""
        return self.norms[a] / self.norms[b] if self.norms[b] > 0 else math.inf

    def as_dict(self, prefix: str = "grad_") -> dict[str, float]:
        """Flat keys for metrics files: ``grad_norm_<S>``, ``grad_cos_<A>_<B>``, ``grad_norm_total``."""
        out = {f"{prefix}norm_{k}": v for k, v in self.norms.items()}
        out.update({f"{prefix}cos_{a}_{b}": v for (a, b), v in self.cosines.items()})
        out[f"{prefix}norm_total"] = self.total_norm
        return out


def _mask(spec: Any, n: int, name: str) -> np.ndarray:
    arr = np.asarray(spec.detach().cpu() if isinstance(spec, torch.Tensor) else spec)
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise ShapeError(f"Subset {name!r}: a boolean mask must have shape ({n},); got {arr.shape}.")
        return arr
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise DataError(f"Subset {name!r} must be a boolean mask of shape ({n},) or a 1-D array of integer indices.")
    if arr.size and (arr.min() < -n or arr.max() >= n):
        raise DataError(f"Subset {name!r} has indices outside [0, {n}).")
    mask = np.zeros(n, dtype=bool)
    mask[arr] = True
    return mask


def gradient_decomposition(
    model: nn.Module,
    x: Any,
    y: Any,
    subsets: Mapping[str, Any],
    *,
    loss: str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = "half_mse",
    normalize: str = "total",
) -> GradientDecomposition:
    """Gradients of the loss restricted to subsets of the samples, their norms and cosines.

    Parameters
    ----------
    model : torch.nn.Module
    x : array-like of shape (n, *input_shape)
    y : array-like of shape (n, *output_shape)
    subsets : mapping of name to boolean mask of shape (n,) or integer indices
        E.g. ``{"clean": ~flipped, "noisy": flipped}``.
    loss : str or callable, default="half_mse"
        ``(y_true, y_pred) -> scalar`` mean over the samples given.
    normalize : {"total", "subset"}, default="total"
        ``"total"``: ``g_S = (1/n) Σ_{i∈S} ∇ℓ_i`` (the subsets' contributions; they sum to ∇L over a
        partition).  ``"subset"``: the mean over the subset, ``(1/|S|) Σ_{i∈S} ∇ℓ_i``.

    Returns
    -------
    GradientDecomposition
    """
    if normalize not in ("total", "subset"):
        raise DataError(f"normalize must be 'total' or 'subset'; got {normalize!r}.")
    x = as_tensor(x, model, "x")
    y = as_tensor(y, model, "y")
    n = x.shape[0]
    if y.shape[0] != n:
        raise ShapeError(f"x has {n} samples but y has {y.shape[0]}.")
    loss_fn = resolve_loss(loss)
    params = [p for p in model.parameters() if p.requires_grad]

    def grad_of(idx: torch.Tensor | None, weight: float) -> torch.Tensor:
        xb = x if idx is None else x[idx]
        yb = y if idx is None else y[idx]
        with evaluation_mode(model), torch.enable_grad():
            value = loss_fn(yb, model(xb)) * weight
            gs = torch.autograd.grad(value, params, allow_unused=True)
        return torch.cat(
            [(g if g is not None else torch.zeros_like(p)).reshape(-1) for g, p in zip(gs, params, strict=True)]
        ).detach()

    vectors: dict[str, torch.Tensor] = {}
    sizes: dict[str, int] = {}
    for name, spec in subsets.items():
        mask = _mask(spec, n, name)
        sizes[name] = int(mask.sum())
        if sizes[name] == 0:
            vectors[name] = torch.zeros(sum(p.numel() for p in params), device=x.device, dtype=params[0].dtype)
            continue
        idx = torch.as_tensor(np.nonzero(mask)[0], device=x.device)
        vectors[name] = grad_of(idx, sizes[name] / n if normalize == "total" else 1.0)
    total = grad_of(None, 1.0)
    norms = {k: float(v.norm()) for k, v in vectors.items()}
    cosines = {}
    for a, b in itertools.combinations(vectors, 2):
        denom = norms[a] * norms[b]
        cosines[(a, b)] = float(torch.dot(vectors[a], vectors[b]) / denom) if denom > 0 else math.nan
    return GradientDecomposition(norms=norms, cosines=cosines, total_norm=float(total.norm()), sizes=sizes)
