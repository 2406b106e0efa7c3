"""Steady-state diffusion through a voxel image: tortuosity factor and effective diffusivity.

Finite volumes on the voxel grid (unit voxels, bulk diffusivity ``D0 = 1``), assembled as one
``scipy.sparse``-style (row, column, value) system and solved directly: SuperLU on the
``scipy.sparse`` matrix, or, for 2D images, LAPACK's banded Cholesky on the same matrix (faster):

* each pore voxel is a control volume with concentration ``c``; the flux between two face
  neighbours ``i, j`` is ``g_ij (c_i - c_j)`` with ``g_ij = 2 D_i D_j / (D_i + D_j)`` (the harmonic
  mean, exact for layers in series; 1 between two pore voxels of a binary image);
* the two faces normal to the transport axis hold fixed concentrations ``c = 1`` (inlet, index 0)
  and ``c = 0`` (outlet, index -1); the face lies half a voxel from the first/last voxel centre, so
  its conductance is ``2 D_i``;
* every other boundary is no-flux, and solid voxels (``D = 0``) are excluded.  Only the voxels of
  clusters touching both faces (:func:`~matnn.data.microstructure.percolation.percolating_mask`) are
  solved for: isolated or dead-end clusters carry no steady flux and would make the matrix singular.

From the total flux ``F`` through the outlet, with ``L`` voxels along the axis and a cross-section of
``A`` voxels, the relative effective diffusivity is ``D_eff / D0 = F L / (A Δc)`` and the tortuosity
factor is ``τ = ε D0 / D_eff`` with ``ε`` the pore (conducting) volume fraction: the same definitions
and boundary treatment as TauFactor (Cooper et al., SoftwareX 5, 203, 2016), so the numbers agree with
``taufactor.Solver`` to its convergence tolerance.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from matnn.core.exceptions import DataError, ShapeError
from matnn.data.microstructure.percolation import _check_axis, as_binary_image, percolating_mask

__all__ = ["DiffusionResult", "solve_diffusion", "solve_diffusivity_map", "tortuosity", "through_plane_profile"]


@dataclass(frozen=True)
class DiffusionResult:
    """Outcome of one steady-state solve (dimensionless: unit voxel, ``D0 = 1``, ``Δc = 1``).

    Attributes
    ----------
    tau : float
        Tortuosity factor ``ε / (D_eff / D0)``; ``inf`` when the pore phase does not percolate.
    d_eff : float
        Effective diffusivity relative to the bulk, ``D_eff / D0`` (0 when not percolating).
    porosity : float
        Volume fraction ``ε`` of the conducting phase (all of it, percolating or not).
    flux : float
        Total steady flux through the outlet face, in units of ``D0 Δc`` per voxel side.
    flux_imbalance : float
        ``|F_in - F_out| / F_out``: mass conservation of the solve (round-off, ~1e-12).
    concentration : ndarray of shape image.shape
        Concentration field, 1 at the inlet face and 0 at the outlet; NaN outside the spanning cluster.
    axis : int
        Transport axis.
    """

    tau: float
    d_eff: float
    porosity: float
    flux: float
    flux_imbalance: float
    concentration: np.ndarray
    axis: int = 0

    @property
    def percolating(self) -> bool:
        return bool(np.isfinite(self.tau))

    @property
    def profile(self) -> np.ndarray:
        """Through-plane concentration profile: mean of ``c`` over the spanning cluster in each slice, shape (L,)."""
        return through_plane_profile(self.concentration, axis=self.axis)


def through_plane_profile(concentration: np.ndarray, *, axis: int = 0) -> np.ndarray:
    """Average ``concentration`` over every slice normal to ``axis``, ignoring NaN (non-transporting voxels).

    Returns an array of shape ``(concentration.shape[axis],)``; NaN where a slice has no transporting voxel.
    """
    c = np.asarray(concentration, dtype=float)
    ax = _check_axis(axis, c.ndim)
    other = tuple(i for i in range(c.ndim) if i != ax)
    finite = np.isfinite(c)
    count = finite.sum(axis=other)
    total = np.where(finite, c, 0.0).sum(axis=other)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _as_diffusivity_map(d_map: np.ndarray) -> np.ndarray:
    d = np.asarray(d_map, dtype=float)
    if d.ndim not in (2, 3):
        raise ShapeError(f"The diffusivity map must be 2D or 3D. Got shape {d.shape} instead.")
    if min(d.shape) < 1:
        raise ShapeError(f"The diffusivity map is empty (shape {d.shape}).")
    if not np.all(np.isfinite(d)):
        raise DataError("The diffusivity map contains NaN or inf; every voxel needs a finite diffusivity >= 0.")
    if (d < 0).any():
        raise DataError(f"Diffusivities must be >= 0 (0 = impermeable). Found a minimum of {d.min()!r}.")
    return d


_METHODS = ("auto", "banded", "sparse")
_CONTROLLER: list = []


def _single_blas_thread():
    """Context limiting BLAS to one thread: a banded factorisation this narrow gains nothing from threads,
    and a threaded OpenBLAS competing for a busy core was measured ~500x slower (1.2 s instead of 2 ms)."""
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController

            _CONTROLLER.append(ThreadpoolController())
        except Exception:  # threadpoolctl missing: run as configured
            _CONTROLLER.append(None)
    ctl = _CONTROLLER[0]
    return ctl.limit(limits=1, user_api="blas") if ctl is not None else contextlib.nullcontext()


def _links(d: np.ndarray, active: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Face-neighbour pairs ``(i, j)`` of active voxels (``i < j`` in ``index``) and their conductances."""
    ii, jj, gg = [], [], []
    for k in range(d.ndim):
        lo = [slice(None)] * d.ndim
        hi = [slice(None)] * d.ndim
        lo[k] = slice(None, -1)
        hi[k] = slice(1, None)
        lo_t, hi_t = tuple(lo), tuple(hi)
        pair = active[lo_t] & active[hi_t]
        da, db = d[lo_t][pair], d[hi_t][pair]
        ii.append(index[lo_t][pair])
        jj.append(index[hi_t][pair])
        gg.append(2.0 * da * db / (da + db))  # harmonic mean: exact for layers in series
    i, j, g = np.concatenate(ii), np.concatenate(jj), np.concatenate(gg)
    swap = i > j  # raster order along the chosen memory order may reverse some pairs
    i[swap], j[swap] = j[swap], i[swap]
    return i, j, g


def _solve(d: np.ndarray, ax: int, with_field: bool, method: str = "auto") -> DiffusionResult:
    if method not in _METHODS:
        from matnn.core.exceptions import unknown_name

        raise unknown_name("solver method", method, _METHODS)
    conducting = d > 0
    porosity = float(conducting.mean())
    active = percolating_mask(conducting, axis=ax)
    n = int(active.sum())
    nan_field = np.full(d.shape, np.nan)
    if n == 0:
        return DiffusionResult(np.inf, 0.0, porosity, 0.0, 0.0, nan_field, ax)
    if method == "auto":
        # A 2D grid numbered along its shorter side has a bandwidth of at most that side, and a
        # banded Cholesky factorisation (LAPACK pbsv) of it is 2-3x faster than SuperLU at 64x64.
        # 3D bandwidths (a whole slice) are too large for that: SuperLU with a fill-reducing ordering.
        method = "banded" if d.ndim == 2 and min(d.shape) <= 128 else "sparse"

    # Number the active voxels so that the fastest-running index is the shortest axis (small bandwidth).
    order = "F" if d.ndim == 2 and d.shape[0] < d.shape[1] else "C"
    flat = np.flatnonzero(active.ravel(order=order))
    index_flat = np.full(active.size, -1, dtype=np.int64)
    index_flat[flat] = np.arange(n)
    index = index_flat.reshape(d.shape, order=order)

    i, j, g = _links(d, active, index)
    diag = np.bincount(i, weights=g, minlength=n) + np.bincount(j, weights=g, minlength=n)
    # Dirichlet faces half a voxel away: conductance 2 D.
    inlet = np.take(active, 0, axis=ax)
    outlet = np.take(active, -1, axis=ax)
    i_in = np.take(index, 0, axis=ax)[inlet]
    i_out = np.take(index, -1, axis=ax)[outlet]
    g_in = 2.0 * np.take(d, 0, axis=ax)[inlet]
    g_out = 2.0 * np.take(d, -1, axis=ax)[outlet]
    diag += np.bincount(i_in, weights=g_in, minlength=n) + np.bincount(i_out, weights=g_out, minlength=n)
    rhs = np.bincount(i_in, weights=g_in, minlength=n)  # c = 1 at the inlet, 0 at the outlet

    if method == "banded":
        # Upper banded storage of the same symmetric matrix: ab[u + r - c, c] = A[r, c] for r <= c.
        u = int((j - i).max()) if i.size else 0
        ab = np.zeros((u + 1, n))
        ab[u] = diag
        ab[u - (j - i), j] = -g
        with _single_blas_thread():
            c = scipy.linalg.solveh_banded(ab, rhs, lower=False, check_finite=False)
    else:
        ar = np.arange(n)
        A = sp.csc_matrix(
            (np.concatenate([diag, -g, -g]), (np.concatenate([ar, i, j]), np.concatenate([ar, j, i]))), shape=(n, n)
        )
        c = spla.spsolve(A, rhs)  # SuperLU, COLAMD ordering (the fastest of its orderings here)
    f_in = float(np.sum(g_in * (1.0 - c[i_in])))
    f_out = float(np.sum(g_out * c[i_out]))
    length = d.shape[ax]
    area = d.size // length
    d_eff = f_out * length / area
    tau = porosity / d_eff if d_eff > 0 else np.inf
    field = nan_field
    if with_field:
        field[active] = c[index[active]]
    imbalance = abs(f_in - f_out) / f_out if f_out > 0 else 0.0
    return DiffusionResult(float(tau), float(d_eff), porosity, f_out, float(imbalance), field, ax)


def solve_diffusion(
    image: np.ndarray, *, axis: int = 0, with_field: bool = True, method: str = "auto"
) -> DiffusionResult:
    """Steady-state diffusion through the pore phase of a binary image.

    Parameters
    ----------
    image : array-like of shape (height, width) or (depth, height, width)
        Binary microstructure, True/1 = pore (diffusivity ``D0``), False/0 = solid (impermeable).
    axis : int, default=0
        Transport direction (0 = top to bottom of a 2D image as displayed).
    with_field : bool, default=True
        Keep the concentration field (needed for :attr:`DiffusionResult.profile`).
    method : {'auto', 'banded', 'sparse'}, default='auto'
        Linear solver for the same finite-volume matrix: ``'sparse'`` assembles a ``scipy.sparse``
        matrix and factorises it with SuperLU; ``'banded'`` uses LAPACK's banded Cholesky (fast for 2D
        images, whose bandwidth is the shorter side); ``'auto'`` picks banded for 2D and sparse for 3D.

    Returns
    -------
    DiffusionResult
        ``tau``, ``d_eff``, ``porosity``, ``flux``, ``concentration``; ``tau = inf`` when nothing percolates.

    Examples
    --------
    >>> import numpy as np
    >>> channels = np.zeros((8, 8), bool); channels[:, ::2] = True   # straight channels along axis 0
    >>> r = solve_diffusion(channels)
    >>> round(r.tau, 12), r.porosity, round(r.d_eff, 12)
    (1.0, 0.5, 0.5)
    """
    im = as_binary_image(image)
    return _solve(im.astype(float), _check_axis(axis, im.ndim), with_field, method)


def solve_diffusivity_map(
    d_map: np.ndarray, *, axis: int = 0, with_field: bool = True, method: str = "auto"
) -> DiffusionResult:
    """Like :func:`solve_diffusion` for a voxel map of diffusivities ``D / D0 >= 0`` (several phases).

    ``d_eff`` is the effective diffusivity relative to ``D0 = 1``; ``tau`` keeps the binary definition
    ``ε / d_eff`` with ``ε`` the fraction of voxels with ``D > 0``.
    """
    d = _as_diffusivity_map(d_map)
    return _solve(d, _check_axis(axis, d.ndim), with_field, method)


def tortuosity(image: np.ndarray, *, axis: int = 0) -> float:
    """Tortuosity factor ``τ = ε D0 / D_eff`` of a binary image (``inf`` when it does not percolate)."""
    return solve_diffusion(image, axis=axis, with_field=False).tau
