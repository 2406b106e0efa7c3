"""Empirical neural tangent kernel K = J Jᵀ of any torch model, its spectrum and the critical learning rate.

For a network f(w; x) with outputs of size ``o`` and parameters w (``n_params`` numbers), the
Jacobian J has shape ``(n·o, n_params)`` and the empirical NTK is ``K = J Jᵀ`` of shape ``(n·o, n·o)``
(rows ordered sample-major: sample i, output a → row ``i·o + a``).  Under gradient descent on the
loss ``L = (1/n) Σ ½‖f(x_i) − y_i‖²`` ("half_mse") the outputs move as ``f ← f − η (K/n)(f − y)`` to
first order, so GD is stable only for ``η < 2 / λmax(K/n)`` — the *critical learning rate*.

Two ways to compute K (both with :mod:`torch.func`, on any ``nn.Module``):

* ``method="jacobian"`` — per-sample Jacobians with ``vmap(jacrev)``, contracted chunk by chunk;
  memory stays below ``max_memory_mb`` by recomputing Jacobians of sample chunks when the whole J
  would not fit.
* ``method="ntk-vp"`` — NTK-vector products ``K v = J (Jᵀ v)`` by one ``vjp`` and one ``jvp``, never
  storing J (memory of one backward pass); K is assembled column by column, and :func:`ntk_spectrum`
  can find λmax by Lanczos without K at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import jacrev, vjp, vmap

from matnn.core.exceptions import ConfigError, ShapeError
from matnn.dynamics._functional import (
    Params,
    as_tensor,
    evaluation_mode,
    jvp,
    model_fn,
    trainable_params,
)
from matnn.dynamics.linalg import SpectrumEstimate, lanczos

__all__ = [
    "jacobian",
    "empirical_ntk",
    "ntk_vector_product",
    "NTKSpectrum",
    "ntk_spectrum",
    "critical_learning_rate",
]

_METHODS = ("jacobian", "ntk-vp")


def _n_outputs(model: nn.Module, x: torch.Tensor) -> int:
    with torch.no_grad():
        out = model(x[:1])
    if out.shape[0] != 1:
        raise ShapeError(
            f"{type(model).__name__} must return one row per input sample; for 1 sample it returned shape {tuple(out.shape)}."
        )
    return int(out[0].numel())


def jacobian(model: nn.Module, x: Any, *, chunk_size: int | None = None, flat: bool = True) -> torch.Tensor | Params:
    """Per-sample Jacobian of the model outputs with respect to its trainable parameters.

    Parameters
    ----------
    model : torch.nn.Module
        Any module mapping a batch ``(n, *input_shape)`` to ``(n, *output_shape)``; evaluated in eval mode.
    x : array-like of shape (n, *input_shape)
    chunk_size : int, optional
        Samples per vectorised chunk (bounds memory: ``chunk_size · o · n_params`` floats).
    flat : bool, default=True
        Return one matrix of shape ``(n·o, n_params)`` (parameters in ``named_parameters`` order);
        ``False`` returns ``{name: tensor of shape (n, o, *param_shape)}``.
    """
    x = as_tensor(x, model)
    params = trainable_params(model)
    f = model_fn(model)

    def f_single(p: Params, xi: torch.Tensor) -> torch.Tensor:
        return f(p, xi.unsqueeze(0)).reshape(-1)

    with evaluation_mode(model):
        jac = vmap(jacrev(f_single), in_dims=(None, 0), chunk_size=chunk_size)(params, x)
    if not flat:
        return jac
    n, o = x.shape[0], next(iter(jac.values())).shape[1]
    return torch.cat([j.reshape(n * o, -1) for j in jac.values()], dim=1)


def ntk_vector_product(model: nn.Module, x1: Any, v: torch.Tensor, x2: Any | None = None) -> torch.Tensor:
    """``K(x1, x2) v = J(x1) (J(x2)ᵀ v)`` without forming J (one vjp and one jvp).

    Parameters
    ----------
    model : torch.nn.Module
    x1 : array-like of shape (n1, *input_shape)
    v : Tensor of shape (n2, *output_shape) or (n2·o,)
        Vector in output space of ``x2`` (``x1`` when ``x2`` is None).
    x2 : array-like of shape (n2, *input_shape), optional

    Returns
    -------
    Tensor of the shape of ``model(x1)``.
    """
    x1 = as_tensor(x1, model, "x1")
    x2 = x1 if x2 is None else as_tensor(x2, model, "x2")
    params = trainable_params(model)
    f = model_fn(model)
    with evaluation_mode(model):
        out2, pullback = vjp(lambda p: f(p, x2), params)
        (jt_v,) = pullback(v.reshape(out2.shape).to(out2.dtype))
        _, kv = jvp(lambda p: f(p, x1), (params,), (jt_v,))
    return kv


def _jac_rows(model: nn.Module, x: torch.Tensor, params: Params, f: Callable) -> torch.Tensor:
    def f_single(p: Params, xi: torch.Tensor) -> torch.Tensor:
        return f(p, xi.unsqueeze(0)).reshape(-1)

    jac = vmap(jacrev(f_single), in_dims=(None, 0))(params, x)
    n = x.shape[0]
    return torch.cat([j.reshape(n * j.shape[1], -1) for j in jac.values()], dim=1)


def empirical_ntk(
    model: nn.Module,
    x1: Any,
    x2: Any | None = None,
    *,
    method: str = "jacobian",
    chunk_size: int | None = None,
    max_memory_mb: float = 512.0,
    trace_outputs: bool = False,
) -> torch.Tensor:
    """Empirical NTK ``K(x1, x2) = J(x1) J(x2)ᵀ`` of a model at its current weights.

    Parameters
    ----------
    model : torch.nn.Module
        Any module (matnn model, ``torch.nn`` stack); evaluated in eval mode; only parameters with
        ``requires_grad=True`` count.
    x1 : array-like of shape (n1, *input_shape)
    x2 : array-like of shape (n2, *input_shape), optional
        Defaults to ``x1`` (then K is symmetric positive semi-definite).
    method : {"jacobian", "ntk-vp"}, default="jacobian"
        Jacobian contraction (fast for small models) or NTK-vector products (memory of one backward pass).
    chunk_size : int, optional
        Samples per Jacobian chunk (``"jacobian"``) or columns per vectorised product (``"ntk-vp"``);
        default chosen so the working set stays under ``max_memory_mb``.
    max_memory_mb : float, default=512
        Memory budget for Jacobian chunks.
    trace_outputs : bool, default=False
        Sum over the output dimension and return ``(n1, n2)`` (as neural-tangents' ``trace_axes``).

    Returns
    -------
    Tensor of shape (n1·o, n2·o), or (n1, n2) when ``trace_outputs`` or o = 1
        Rows sample-major (``i·o + a``), in the model's dtype and on its device.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    >>> empirical_ntk(net, torch.randn(5, 3)).shape
    torch.Size([5, 5])
    """
    if method not in _METHODS:
        raise ConfigError(f"method must be one of {', '.join(_METHODS)}; got {method!r}.")
    symmetric = x2 is None
    x1 = as_tensor(x1, model, "x1")
    x2 = x1 if symmetric else as_tensor(x2, model, "x2")
    if x1.shape[1:] != x2.shape[1:]:
        raise ShapeError(
            f"x1 and x2 must have the same per-sample shape; got {tuple(x1.shape[1:])} and {tuple(x2.shape[1:])}."
        )
    params = trainable_params(model)
    n_params = sum(p.numel() for p in params.values())
    o = _n_outputs(model, x1)
    n1, n2 = x1.shape[0], x2.shape[0]
    itemsize = next(iter(params.values())).element_size()
    budget = max_memory_mb * 2**20
    f = model_fn(model)
    with evaluation_mode(model), torch.no_grad():
        if method == "jacobian":
            c = chunk_size or max(1, int(budget // (2 * o * n_params * itemsize)))
            K = torch.empty((n1 * o, n2 * o), dtype=next(iter(params.values())).dtype, device=x1.device)
            with torch.enable_grad():
                cache2: list[torch.Tensor] | None = None
                if n2 * o * n_params * itemsize <= budget / 2:
                    cache2 = [_jac_rows(model, x2[b : b + c], params, f) for b in range(0, n2, c)]
                for a in range(0, n1, c):
                    ja = (
                        cache2[a // c]
                        if (symmetric and cache2 is not None)
                        else _jac_rows(model, x1[a : a + c], params, f)
                    )
                    for bi, b in enumerate(range(0, n2, c)):
                        if symmetric and b < a:
                            K[a * o : (a + c) * o, b * o : (b + c) * o] = K[b * o : (b + c) * o, a * o : (a + c) * o].T
                            continue
                        jb = (
                            cache2[bi]
                            if cache2 is not None
                            else (ja if symmetric and a == b else _jac_rows(model, x2[b : b + c], params, f))
                        )
                        K[a * o : (a + c) * o, b * o : (b + c) * o] = ja @ jb.T
        else:
            c = chunk_size or 16
            eye = torch.eye(n2 * o, dtype=next(iter(params.values())).dtype, device=x1.device)
            cols = []
            with torch.enable_grad():
                out2, pullback = vjp(lambda p: f(p, x2), params)

                # vmap over columns of the identity: K e_j for a chunk of j at once.
                def column(e: torch.Tensor) -> torch.Tensor:
                    (jt,) = pullback(e.reshape(out2.shape))
                    return jvp(lambda p: f(p, x1), (params,), (jt,))[1].reshape(-1)

                for s in range(0, n2 * o, c):
                    cols.append(vmap(column)(eye[s : s + c]))
            K = torch.cat(cols, dim=0).T.contiguous()
    if trace_outputs and o > 1:
        K = K.reshape(n1, o, n2, o).diagonal(dim1=1, dim2=3).sum(-1)
    if symmetric:
        K = 0.5 * (K + K.T)
    return K


@dataclass
class NTKSpectrum:
    """Extreme eigenvalues of ``K/n`` (``normalized=True``) or K.

    Attributes
    ----------
    lambda_max, lambda_min : float
        Largest and smallest eigenvalue (λmin clipped at 0 from below; ``nan`` when only λmax was computed).
    condition_number : float
        λmax / λmin (``inf`` when K is singular; ``nan`` when λmin was not computed).
    eigenvalues : ndarray or None
        All eigenvalues, ascending, when K was formed.
    n : int
        Number of samples.
    """

    lambda_max: float
    lambda_min: float
    condition_number: float
    eigenvalues: np.ndarray | None
    n: int

    def as_dict(self, prefix: str = "ntk_") -> dict[str, float]:
        return {
            f"{prefix}lambda_max": self.lambda_max,
            f"{prefix}lambda_min": self.lambda_min,
            f"{prefix}condition_number": self.condition_number,
        }


def _spectrum_from_matrix(K: torch.Tensor | np.ndarray, n: int, normalized: bool) -> NTKSpectrum:
    Kd = np.asarray(K.detach().cpu().double().numpy() if isinstance(K, torch.Tensor) else K, dtype=float)
    if Kd.ndim != 2 or Kd.shape[0] != Kd.shape[1]:
        raise ShapeError(f"An NTK must be a square matrix; got shape {Kd.shape}.")
    ev = np.linalg.eigvalsh(0.5 * (Kd + Kd.T))
    if normalized:
        ev = ev / n
    lmax = float(ev[-1])
    lmin = max(float(ev[0]), 0.0)
    # Eigenvalues below the float32 round-off of K are numerically zero: K is singular.
    floor = lmax * Kd.shape[0] * 1e-7
    cond = math.inf if lmin <= floor else lmax / lmin
    return NTKSpectrum(lambda_max=lmax, lambda_min=lmin, condition_number=cond, eigenvalues=ev, n=n)


def ntk_spectrum(
    model: nn.Module | torch.Tensor | np.ndarray,
    x: Any | None = None,
    *,
    normalized: bool = True,
    method: str = "jacobian",
    seed: int = 0,
    **ntk_kwargs: Any,
) -> NTKSpectrum:
    """λmax, λmin and condition number of the NTK on ``x`` (of ``K/n`` when ``normalized``).

    Parameters
    ----------
    model : torch.nn.Module or square matrix
        A model (then ``x`` is required) or an NTK already computed.
    x : array-like of shape (n, *input_shape)
    normalized : bool, default=True
        Divide by the number of samples n (the operator GD on "half_mse" sees).
    method : {"jacobian", "ntk-vp", "lanczos"}, default="jacobian"
        ``"lanczos"`` finds λmax only, from NTK-vector products, never forming K (for large n).
    seed : int
        Lanczos start vector.
    **ntk_kwargs
        Passed to :func:`empirical_ntk`.
    """
    if isinstance(model, (torch.Tensor, np.ndarray)):
        K = model
        n = int(K.shape[0])
        return _spectrum_from_matrix(K, n, normalized)
    if x is None:
        raise ConfigError("ntk_spectrum(model, x): the inputs x are required when a model is given.")
    x = as_tensor(x, model)
    n = x.shape[0]
    if method == "lanczos":
        o = _n_outputs(model, x)
        scale = 1.0 / n if normalized else 1.0
        est: SpectrumEstimate = lanczos(
            lambda v: scale * ntk_vector_product(model, x, v.reshape(n, o)).reshape(-1),
            n * o,
            k=1,
            which="LA",
            seed=seed,
            device=x.device,
            dtype=x.dtype if x.is_floating_point() else torch.float32,
        )
        return NTKSpectrum(lambda_max=est.top, lambda_min=math.nan, condition_number=math.nan, eigenvalues=None, n=n)
    K = empirical_ntk(model, x, method=method, **ntk_kwargs)
    return _spectrum_from_matrix(K, n, normalized)


def critical_learning_rate(
    model: nn.Module | torch.Tensor | np.ndarray,
    x: Any | None = None,
    *,
    loss: str = "half_mse",
    n_outputs: int | None = None,
    **spectrum_kwargs: Any,
) -> float:
    """Largest stable GD learning rate for a squared loss, from the NTK: ``2 / λmax(Hessian_GN)``.

    Parameters
    ----------
    model : torch.nn.Module or square matrix
        A model with ``x``, or its NTK on the training inputs ``(n·o, n·o)``.
    x : array-like of shape (n, *input_shape)
    loss : {"half_mse", "mse"}, default="half_mse"
        ``"half_mse"``: L = (1/n) Σ ½‖f − y‖² → η_crit = 2 / λmax(K/n) (the papers' convention).
        ``"mse"``: L = mean over all n·o entries of (f − y)² (Keras/matnn ``loss="mse"``), whose
        Gauss–Newton Hessian is (2/(n·o)) JᵀJ → η_crit = n·o / λmax(K).
    n_outputs : int, optional
        Outputs per sample ``o`` when an NTK matrix is passed for ``loss="mse"``; default 1.

    Returns
    -------
    float
        η_crit. GD on the network is stable (monotone loss decrease near initialisation) below it;
        between η_crit and about 2 η_crit the loss catapults (spikes, then converges).
    """
    if loss not in ("half_mse", "mse"):
        raise ConfigError(f"critical_learning_rate supports loss 'half_mse' or 'mse'; got {loss!r}.")
    if isinstance(model, (torch.Tensor, np.ndarray)):
        o = n_outputs or 1
        n_rows = int(model.shape[0])
        lam = ntk_spectrum(model, normalized=False).lambda_max
    else:
        if x is None:
            raise ConfigError("critical_learning_rate(model, x): the inputs x are required when a model is given.")
        xt = as_tensor(x, model)
        o = _n_outputs(model, xt)
        n_rows = xt.shape[0] * o
        lam = ntk_spectrum(model, xt, normalized=False, **spectrum_kwargs).lambda_max
    n = n_rows // o
    if lam <= 0:
        return math.inf
    return 2.0 * n / lam if loss == "half_mse" else n * o / lam
