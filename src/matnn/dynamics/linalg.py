"""Matrix-free eigenvalue and trace estimators for symmetric operators (Hessians, NTKs).

The operators here are only available as products ``v -> A v`` (a Hessian-vector product costs about
two backward passes), so the tools are Krylov methods:

* :func:`lanczos` — Lanczos with full re-orthogonalisation; returns the extreme eigenvalues with
  their signs (so a spectrum symmetric about zero, like a two-layer ReLU network's output Hessian
  with eigenvalues ±λ, is reported as both +λ and −λ).
* :func:`power_iteration` — iterates ``v <- A v / ||A v||`` and reads the eigenvalue magnitude from
  ``||A v||``, **not** from the Rayleigh quotient ``vᵀ A v``.  When the top of the spectrum is ±λ the
  iterate oscillates between the two eigenvectors and ``vᵀ A v`` can be anything in ``[-λ, λ]``
  (PyHessian's failure mode); ``||A v||`` is λ for every mixture.  The signs present are then read off
  ``v ± A v / λ``.
* :func:`hutchinson_trace` — ``tr A ≈ mean vᵀ A v`` over Rademacher vectors.

All three are written in torch so they run on the device holding the model; the small tridiagonal
eigenproblem is solved by SciPy.  They agree with dense ``numpy.linalg.eigvalsh`` (see the tests).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from matnn.core.exceptions import ConfigError

__all__ = ["SpectrumEstimate", "lanczos", "power_iteration", "hutchinson_trace"]

MatVec = Callable[[torch.Tensor], torch.Tensor]
_WHICH = ("LM", "LA", "SA")


@dataclass
class SpectrumEstimate:
    """Result of an iterative eigenvalue estimate.

    Attributes
    ----------
    values : ndarray of shape (k,)
        Estimated eigenvalues, most extreme first (by magnitude for ``which="LM"``, largest first for
        ``"LA"``, smallest first for ``"SA"``).
    n_matvecs : int
        Operator products used (the cost, in units of one Hessian- or NTK-vector product).
    converged : bool
        Whether the residual tolerance was met before the iteration limit.
    method : str
        ``"lanczos"``, ``"power"`` or ``"dense"``.
    """

    values: np.ndarray
    n_matvecs: int
    converged: bool
    method: str
    history: list[float] = field(default_factory=list, repr=False)

    @property
    def top(self) -> float:
        """The first (most extreme) value."""
        return float(self.values[0])

    @property
    def spectral_norm(self) -> float:
        """max |λ| among the values found."""
        return float(np.max(np.abs(self.values)))


def _check(dim: int, k: int, which: str) -> None:
    if dim < 1:
        raise ConfigError(f"The operator dimension must be positive; got {dim}.")
    if not 1 <= k <= dim:
        raise ConfigError(f"k (number of eigenvalues) must be in [1, {dim}]; got {k}.")
    if which not in _WHICH:
        raise ConfigError(
            f"which must be one of {', '.join(_WHICH)} (largest magnitude, largest, smallest); got {which!r}."
        )


def _start_vector(dim: int, seed: int, device: torch.device | str, dtype: torch.dtype) -> torch.Tensor:
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    v = torch.randn(dim, generator=gen, dtype=torch.float64).to(device=device, dtype=dtype)
    return v / v.norm()


def _select(theta: np.ndarray, k: int, which: str) -> np.ndarray:
    if which == "LM":
        order = np.argsort(-np.abs(theta), kind="stable")
    elif which == "LA":
        order = np.argsort(-theta, kind="stable")
    else:
        order = np.argsort(theta, kind="stable")
    return order[:k]


def lanczos(
    matvec: MatVec,
    dim: int,
    *,
    k: int = 1,
    which: str = "LM",
    n_iter: int | None = None,
    tol: float = 1e-5,
    seed: int = 0,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    reorthogonalize: bool = True,
) -> SpectrumEstimate:
    """Extreme eigenvalues of a symmetric operator by Lanczos with full re-orthogonalisation.

    Parameters
    ----------
    matvec : callable
        ``v -> A v`` for ``v`` of shape ``(dim,)``; ``A`` must be symmetric.
    dim : int
        Dimension of the operator (number of parameters for a Hessian).
    k : int, default=1
        Number of eigenvalues wanted.
    which : {"LM", "LA", "SA"}, default="LM"
        Largest magnitude (spectral norm, ±λ both found), largest algebraic (sharpness), smallest.
    n_iter : int, optional
        Maximum Krylov dimension; default ``min(dim, max(4 k + 20, 40))``.
    tol : float, default=1e-5
        Stop when every wanted Ritz pair has residual ``≤ tol · max|θ|``.
    seed : int, default=0
        Seed of the random start vector (same seed → same answer).
    device, dtype
        Where and in which precision the Krylov basis is kept (use the model's).
    reorthogonalize : bool, default=True
        Keep the whole basis (``n_iter × dim`` numbers) and re-orthogonalise against it.  ``False``
        keeps three vectors only — for models whose parameter count makes the basis too large; the
        extreme eigenvalue is still found, but with ``k > 1`` converged values may repeat ("ghosts").

    Returns
    -------
    SpectrumEstimate
    """
    from scipy.linalg import eigh_tridiagonal

    _check(dim, k, which)
    m = min(dim, n_iter or max(4 * k + 20, 40))
    basis = torch.empty((m if reorthogonalize else 1, dim), device=device, dtype=dtype)
    v_prev = torch.zeros(dim, device=device, dtype=dtype)
    alphas: list[float] = []
    betas: list[float] = []
    v = _start_vector(dim, seed, device, dtype)
    history: list[float] = []
    converged = False
    theta = np.zeros(1)
    n_mv = 0
    for j in range(m):
        w = matvec(v).to(dtype).reshape(-1)
        n_mv += 1
        alpha = float(torch.dot(w, v))
        alphas.append(alpha)
        if reorthogonalize:
            basis[j] = v
            # Full re-orthogonalisation (twice is enough, Parlett): keeps the Ritz values free of ghosts.
            for _ in range(2):
                w = w - basis[: j + 1].T @ (basis[: j + 1] @ w)
        else:
            w = w - alpha * v - (betas[-1] if betas else 0.0) * v_prev
        beta = float(w.norm())
        a = np.asarray(alphas)
        b = np.asarray(betas)
        theta, s = eigh_tridiagonal(a, b) if j > 0 else (a.copy(), np.ones((1, 1)))
        idx = _select(theta, min(k, j + 1), which)
        scale = max(float(np.max(np.abs(theta))), 1e-30)
        history.append(float(theta[idx[0]]))
        residual = np.abs(beta * s[-1, idx])
        if j + 1 >= k and np.all(residual <= tol * scale):
            converged = True
            break
        if beta <= 1e-10 * scale:  # invariant subspace found: Ritz values are exact
            converged = j + 1 >= k
            break
        betas.append(beta)
        v_prev, v = v, w / beta
    idx = _select(theta, min(k, len(theta)), which)
    return SpectrumEstimate(
        values=np.asarray(theta[idx], dtype=float),
        n_matvecs=n_mv,
        converged=converged,
        method="lanczos",
        history=history,
    )


def power_iteration(
    matvec: MatVec,
    dim: int,
    *,
    n_iter: int = 200,
    tol: float = 1e-5,
    seed: int = 0,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> SpectrumEstimate:
    """Largest-magnitude eigenvalue(s) by power iteration on ``||A v||`` (correct for ±λ spectra).

    The magnitude σ = lim ||A v_t|| is the spectral norm.  Once converged, ``v`` lies in the span of the
    eigenvectors for +σ and −σ; with ``w = A v / σ`` the components along them are ``(v + w)/2`` and
    ``(v − w)/2``, so the signs present are reported: ``[σ]``, ``[−σ]`` or ``[σ, −σ]``.

    Parameters
    ----------
    matvec, dim, seed, device, dtype
        As for :func:`lanczos`.
    n_iter : int, default=200
        Maximum iterations (one operator product each).
    tol : float, default=1e-5
        Stop when ``||A v||`` changes by less than ``tol`` relative between iterations.

    Returns
    -------
    SpectrumEstimate
        ``values`` holds σ with the sign(s) found; ``spectral_norm`` is σ.
    """
    _check(dim, 1, "LM")
    v = _start_vector(dim, seed, device, dtype)
    sigma_prev = math.nan
    sigma = 0.0
    history: list[float] = []
    converged = False
    n_mv = 0
    w = v
    used = v
    for _ in range(n_iter):
        used = v
        w = matvec(v).to(dtype).reshape(-1)
        n_mv += 1
        sigma = float(w.norm())
        history.append(sigma)
        if sigma == 0.0:
            return SpectrumEstimate(np.zeros(1), n_mv, True, "power", history)
        if abs(sigma - sigma_prev) <= tol * sigma:
            converged = True
            break
        sigma_prev = sigma
        v = w / sigma
    # ``used`` is the last normalised iterate and w = A @ used.
    u = w / sigma
    plus, minus = float((used + u).norm()) / 2, float((used - u).norm()) / 2
    share = 0.05  # a sign is reported when its eigenvector carries ≥ 5 % of the iterate's norm
    if plus >= share and minus >= share:
        values = np.array([sigma, -sigma])
    elif minus > plus:
        values = np.array([-sigma])
    else:
        values = np.array([sigma])
    return SpectrumEstimate(values=values, n_matvecs=n_mv, converged=converged, method="power", history=history)


def hutchinson_trace(
    matvec: MatVec,
    dim: int,
    *,
    n_samples: int = 100,
    seed: int = 0,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> tuple[float, float]:
    """Hutchinson estimate of ``tr A``: the mean of ``vᵀ A v`` over Rademacher vectors ``v``.

    Returns
    -------
    (trace, standard_error) : tuple of float
        The estimate and its standard error (std of the samples / √n_samples).
    """
    if n_samples < 2:
        raise ConfigError(f"n_samples must be at least 2 for a standard error; got {n_samples}.")
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    samples = []
    for _ in range(n_samples):
        v = (torch.randint(0, 2, (dim,), generator=gen) * 2 - 1).to(device=device, dtype=dtype)
        samples.append(float(torch.dot(v, matvec(v).to(dtype).reshape(-1))))
    arr = np.asarray(samples)
    return float(arr.mean()), float(arr.std(ddof=1) / math.sqrt(n_samples))
