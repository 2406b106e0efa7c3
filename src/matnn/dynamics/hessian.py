"""Hessians of the loss and of the model output with respect to the weights, matrix-free.

* Loss Hessian ``∇²_w L(w)`` — its top eigenvalue is the *sharpness*; GD with learning rate η is
  stable near a minimum only if sharpness < 2/η (Cohen et al., "edge of stability").
* Model-output Hessian ``H_f(x) = ∂²f(w; x)/∂w²`` for one input x and one output — its spectral norm
  measures how far the network is from its linearisation (Liu, Zhu & Belkin 2020: it scales like
  1/√width for wide networks with a linear output layer, which is why wide networks train like their
  NTK linearisation).  For a two-layer ReLU network its spectrum is symmetric, ±λ, so estimators
  based on the Rayleigh quotient vᵀHv fail; use ``method="lanczos"`` or ``"power"`` (on ‖Hv‖).

Hessian-vector products use forward-over-reverse differentiation (``jvp`` of ``grad``) from
:mod:`torch.func`, costing about two backward passes each, so models with millions of weights work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import grad

from matnn.core.exceptions import ConfigError, ShapeError
from matnn.dynamics._functional import (
    Params,
    as_tensor,
    evaluation_mode,
    flatten,
    jvp,
    model_fn,
    resolve_loss,
    trainable_params,
    unflatten,
)
from matnn.dynamics.linalg import SpectrumEstimate, hutchinson_trace, lanczos, power_iteration

__all__ = [
    "loss_hvp",
    "model_hvp",
    "loss_hessian_eigenvalues",
    "model_hessian_eigenvalues",
    "model_hessian_norm",
    "loss_hessian_trace",
    "dense_hessian",
]

_METHODS = ("lanczos", "power")
LossLike = str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def loss_hvp(
    model: nn.Module,
    x: Any,
    y: Any,
    *,
    loss: LossLike = "half_mse",
    batch_size: int | None = None,
) -> tuple[Callable[[torch.Tensor], torch.Tensor], int]:
    """Hessian-vector product of the mean loss over ``(x, y)``, as a function of flat vectors.

    Parameters
    ----------
    model : torch.nn.Module
    x : array-like of shape (n, *input_shape)
    y : array-like of shape (n, *output_shape)
    loss : str or callable, default="half_mse"
        ``(y_true, y_pred) -> scalar or per-sample``; names as :func:`matnn.dynamics._functional.resolve_loss`.
    batch_size : int, optional
        Evaluate in chunks of this many samples (memory); the result is the full-batch product.

    Returns
    -------
    (hvp, n_params)
        ``hvp(v)`` maps a vector of shape ``(n_params,)`` to ``H v``.
    """
    x = as_tensor(x, model, "x")
    y = as_tensor(y, model, "y")
    if y.shape[0] != x.shape[0]:
        raise ShapeError(f"x has {x.shape[0]} samples but y has {y.shape[0]}.")
    params = trainable_params(model)
    f = model_fn(model)
    loss_fn = resolve_loss(loss)
    n = x.shape[0]
    bs = batch_size or n

    def hvp(v: torch.Tensor) -> torch.Tensor:
        tangent = unflatten(v, params)
        total = None
        with evaluation_mode(model):
            for s in range(0, n, bs):
                xb, yb = x[s : s + bs], y[s : s + bs]
                g = grad(lambda p: loss_fn(yb, f(p, xb)))
                _, hv = jvp(g, (params,), (tangent,))
                part = flatten(hv) * (xb.shape[0] / n)
                total = part if total is None else total + part
        return total.detach()

    return hvp, sum(p.numel() for p in params.values())


def model_hvp(model: nn.Module, x: Any, *, output_index: int = 0) -> tuple[Callable[[torch.Tensor], torch.Tensor], int]:
    """Hessian-vector product of one model output at one input, ``v -> ∂²f_k(w; x)/∂w² · v``.

    Parameters
    ----------
    model : torch.nn.Module
    x : array-like of shape (1, *input_shape) or (*input_shape,) with a leading batch of one
    output_index : int, default=0
        Which output (flattened) to differentiate.
    """
    x = as_tensor(x, model, "x")
    if x.shape[0] != 1:
        raise ShapeError(
            f"model_hvp needs a single input of shape (1, *input_shape); got {tuple(x.shape)}. Use model_hessian_norm for a batch."
        )
    params = trainable_params(model)
    f = model_fn(model)

    def scalar(p: Params) -> torch.Tensor:
        out = f(p, x).reshape(-1)
        if not -out.numel() <= output_index < out.numel():
            raise ShapeError(f"output_index {output_index} is out of range for a model with {out.numel()} outputs.")
        return out[output_index]

    def hvp(v: torch.Tensor) -> torch.Tensor:
        with evaluation_mode(model):
            _, hv = jvp(grad(scalar), (params,), (unflatten(v, params),))
        return flatten(hv).detach()

    return hvp, sum(p.numel() for p in params.values())


def _estimate(
    hvp: Callable[[torch.Tensor], torch.Tensor],
    dim: int,
    model: nn.Module,
    *,
    k: int,
    which: str,
    method: str,
    n_iter: int | None,
    tol: float,
    seed: int,
) -> SpectrumEstimate:
    p = next(iter(trainable_params(model).values()))
    if method == "lanczos":
        # Beyond ~2e8 basis numbers (800 MB in float32) keep three Lanczos vectors instead of the basis.
        m = min(dim, n_iter or max(4 * k + 20, 40))
        reorth = m * dim <= 2e8
        return lanczos(
            hvp,
            dim,
            k=k,
            which=which,
            n_iter=n_iter,
            tol=tol,
            seed=seed,
            device=p.device,
            dtype=p.dtype,
            reorthogonalize=reorth,
        )
    if method == "power":
        if k != 1:
            raise ConfigError(
                "method='power' finds the largest-magnitude eigenvalue only (k=1); use method='lanczos' for k > 1."
            )
        return power_iteration(hvp, dim, n_iter=n_iter or 200, tol=tol, seed=seed, device=p.device, dtype=p.dtype)
    raise ConfigError(f"method must be one of {', '.join(_METHODS)}; got {method!r}.")


def loss_hessian_eigenvalues(
    model: nn.Module,
    x: Any,
    y: Any,
    *,
    loss: LossLike = "half_mse",
    k: int = 1,
    which: str = "LA",
    method: str = "lanczos",
    n_iter: int | None = None,
    tol: float = 1e-4,
    seed: int = 0,
    batch_size: int | None = None,
) -> SpectrumEstimate:
    """Top eigenvalue(s) of the loss Hessian (``which="LA"``: the sharpness, largest first).

    Parameters
    ----------
    model, x, y, loss, batch_size
        As :func:`loss_hvp`.
    k : int, default=1
        Number of eigenvalues (Lanczos only).
    which : {"LA", "LM", "SA"}, default="LA"
        Largest algebraic (sharpness), largest magnitude, smallest (most negative curvature).
    method : {"lanczos", "power"}, default="lanczos"
        ``"power"`` is power iteration on ‖Hv‖ and always returns the largest magnitude.
    n_iter, tol, seed
        Iteration limit, relative residual tolerance, start-vector seed.

    Returns
    -------
    SpectrumEstimate
        ``.top`` is the eigenvalue; ``.values`` all k found.
    """
    hvp, dim = loss_hvp(model, x, y, loss=loss, batch_size=batch_size)
    return _estimate(
        hvp,
        dim,
        model,
        k=k,
        which=which if method == "lanczos" else "LM",
        method=method,
        n_iter=n_iter,
        tol=tol,
        seed=seed,
    )


def model_hessian_eigenvalues(
    model: nn.Module,
    x: Any,
    *,
    output_index: int = 0,
    k: int = 1,
    which: str = "LM",
    method: str = "lanczos",
    n_iter: int | None = None,
    tol: float = 1e-5,
    seed: int = 0,
) -> SpectrumEstimate:
    """Extreme eigenvalues of the model-output Hessian ``∂²f(w; x)/∂w²`` at one input.

    Parameters
    ----------
    x : array-like of shape (1, *input_shape)
    output_index : int, default=0
    k, which, method, n_iter, tol, seed
        As :func:`loss_hessian_eigenvalues`; default ``which="LM"`` (largest magnitude, so both +λ and
        −λ of a symmetric spectrum are returned when ``k ≥ 2``).
    """
    hvp, dim = model_hvp(model, x, output_index=output_index)
    return _estimate(hvp, dim, model, k=k, which=which, method=method, n_iter=n_iter, tol=tol, seed=seed)


def model_hessian_norm(
    model: nn.Module,
    x: Any,
    *,
    output_index: int = 0,
    method: str = "lanczos",
    n_iter: int | None = None,
    tol: float = 1e-4,
    seed: int = 0,
) -> np.ndarray:
    """Spectral norm ‖H_f(x_i)‖ of the model-output Hessian for every input of a batch.

    Parameters
    ----------
    x : array-like of shape (n, *input_shape)

    Returns
    -------
    ndarray of shape (n,)
        ``max |λ|`` of each per-input Hessian (in output units per weight²).  Liu et al. report the
        maximum over inputs; take ``.max()``.
    """
    x = as_tensor(x, model, "x")
    out = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        est = model_hessian_eigenvalues(
            model,
            x[i : i + 1],
            output_index=output_index,
            k=1,
            which="LM",
            method=method,
            n_iter=n_iter,
            tol=tol,
            seed=seed + i,
        )
        out[i] = est.spectral_norm
    return out


def loss_hessian_trace(
    model: nn.Module,
    x: Any,
    y: Any,
    *,
    loss: LossLike = "half_mse",
    n_samples: int = 100,
    seed: int = 0,
    batch_size: int | None = None,
) -> tuple[float, float]:
    """Hutchinson estimate of the loss-Hessian trace; returns ``(trace, standard_error)``."""
    hvp, dim = loss_hvp(model, x, y, loss=loss, batch_size=batch_size)
    p = next(iter(trainable_params(model).values()))
    return hutchinson_trace(hvp, dim, n_samples=n_samples, seed=seed, device=p.device, dtype=p.dtype)


def dense_hessian(
    hvp: Callable[[torch.Tensor], torch.Tensor],
    dim: int,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """Assemble the full ``(dim, dim)`` matrix from an HVP (small models only: ``dim`` products)."""
    if dim > 20000:
        raise ConfigError(
            f"dense_hessian would build a {dim}x{dim} matrix; use the iterative estimators for more than 20000 parameters."
        )
    eye = torch.eye(dim, dtype=dtype, device=device)
    H = torch.stack([hvp(eye[i]) for i in range(dim)])
    return 0.5 * (H + H.T)
