"""Average gradient outer product (AGOP) of a model and its alignment with a target.

``M = (1/n) Σ_i J_x(x_i)ᵀ J_x(x_i)`` with ``J_x`` the Jacobian of the outputs with respect to the
*inputs* (for a scalar output, ``M = mean ∇ₓf ∇ₓfᵀ``).  Its top eigenvectors are the input directions
the network has learned to be sensitive to (Radhakrishnan et al., "Mechanism for feature learning in
neural networks", Science 2024).  For a target ``f*(x) = x₁ x₂`` on standard-normal inputs the true
AGOP ``M*`` is the identity on the first two coordinates and zero elsewhere; the alignment
``⟨M, M*⟩ / (‖M‖ ‖M*‖)`` (Frobenius) is 1 when the network has found exactly those features.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import jacrev, vmap

from matnn.core.exceptions import ShapeError
from matnn.dynamics._functional import as_tensor, evaluation_mode

__all__ = ["agop", "agop_alignment", "function_agop"]


def function_agop(
    fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, *, chunk_size: int | None = 256
) -> torch.Tensor:
    """AGOP of any batched function ``fn: (n, *input_shape) -> (n, *output_shape)``.

    Returns
    -------
    Tensor of shape (d, d)
        ``d = prod(input_shape)`` (inputs are flattened).
    """
    shape = x.shape[1:]

    def single(xi: torch.Tensor) -> torch.Tensor:
        return fn(xi.reshape(1, *shape)).reshape(-1)

    flat = x.reshape(x.shape[0], -1)
    g = vmap(jacrev(single), chunk_size=chunk_size)(flat)  # (n, o, d)
    return torch.einsum("noi,noj->ij", g, g) / x.shape[0]


def agop(model: nn.Module, x: Any, *, chunk_size: int | None = 256) -> torch.Tensor:
    """AGOP ``M = (1/n) Σ_i J_x(x_i)ᵀ J_x(x_i)`` of a model over the inputs ``x``.

    Parameters
    ----------
    model : torch.nn.Module
        Evaluated in eval mode at its current weights.
    x : array-like of shape (n, *input_shape)
    chunk_size : int, optional
        Samples per vectorised Jacobian chunk (memory).

    Returns
    -------
    Tensor of shape (d, d)
        Symmetric positive semi-definite, ``d = prod(input_shape)``; units (output / input)².

    Examples
    --------
    >>> import torch
    >>> lin = torch.nn.Linear(3, 1, bias=False)
    >>> M = agop(lin, torch.randn(10, 3))
    >>> bool(torch.allclose(M, lin.weight.T @ lin.weight))
    True
    """
    x = as_tensor(x, model)
    if not x.is_floating_point():
        raise ShapeError("agop needs floating-point inputs (gradients with respect to x).")
    with evaluation_mode(model), torch.enable_grad():
        return function_agop(lambda t: model(t), x, chunk_size=chunk_size).detach()


def agop_alignment(M: torch.Tensor | np.ndarray, M_star: torch.Tensor | np.ndarray) -> float:
    """Cosine similarity ``⟨M, M*⟩_F / (‖M‖_F ‖M*‖_F)`` of two matrices (1 = same up to scale).

    Raises
    ------
    ShapeError
        When the shapes differ or either matrix is zero.
    """
    a = np.asarray(M.detach().cpu().double() if isinstance(M, torch.Tensor) else M, dtype=float)
    b = np.asarray(M_star.detach().cpu().double() if isinstance(M_star, torch.Tensor) else M_star, dtype=float)
    if a.shape != b.shape:
        raise ShapeError(f"agop_alignment needs matrices of the same shape; got {a.shape} and {b.shape}.")
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        raise ShapeError("agop_alignment is undefined for a zero matrix.")
    return float(np.sum(a * b) / (na * nb))
