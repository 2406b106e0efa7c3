"""The Hopfield network (1982): an associative memory of ±1 patterns, written out in NumPy.

``N`` binary units ``s_i ∈ {−1, +1}`` are all connected by symmetric weights with no self-coupling.
**Hebbian storage** of ``P`` patterns ``ξ^μ``::

    W = (1/N) Σ_μ ξ^μ ξ^μᵀ,   W_ii = 0

**Asynchronous recall**: pick one unit at a time (a fresh random order every sweep) and set it to the
sign of its local field ``h_i = Σ_j W_ij s_j`` (a zero field leaves it unchanged). Every such update
lowers the **energy** ``E(s) = −½ sᵀ W s`` or leaves it equal: flipping unit ``i`` changes it by
``ΔE = −(s_i' − s_i) h_i ≤ 0`` because ``s_i'`` has the sign of ``h_i``. ``E`` is bounded below, so
recall always stops at a fixed point, ideally the stored pattern nearest to the cue.

**Capacity.** Each stored pattern adds crosstalk noise to the fields; for random patterns the
memories stay stable (with a few per cent of wrong bits) up to a load ``α = P/N ≈ 0.138``
(Amit, Gutfreund & Sompolinsky 1985), then recall collapses. :func:`capacity_curve` measures this
for one network size; finite networks hold a little more (0.19 at N = 100, 0.15 at N = 800 measured
here), and :func:`extrapolate_capacity` fits ``α_c(N) = α_∞ + a/√N`` to reach the N → ∞ value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matnn import config
from matnn.core.exceptions import DataError, ShapeError
from matnn.core.validation import Interval, check, fraction, positive

__all__ = [
    "hebbian_weights",
    "energy",
    "recall",
    "RecallResult",
    "corrupt",
    "digit_patterns",
    "overlap",
    "capacity_curve",
    "CapacityCurve",
    "extrapolate_capacity",
    "THEORETICAL_CAPACITY",
    "run_demo",
]

#: Critical load P/N for random patterns in the limit N → ∞ (Amit, Gutfreund & Sompolinsky 1985).
THEORETICAL_CAPACITY = 0.138


_TIE = 1e-10  # |h| below this is a zero field (Hebbian fields are sums of ±1/N; rounding is ~1e-16)


def _as_patterns(patterns: Any, owner: str) -> np.ndarray:
    arr = np.asarray(patterns, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise ShapeError(f"{owner}: patterns must have shape (n_patterns, n_units) with n_units >= 2; got {arr.shape}")
    if not np.isin(arr, (-1.0, 1.0)).all():
        raise DataError(f"{owner}: patterns must hold only -1 and +1 (map binary images with 2·x − 1)")
    return arr


def hebbian_weights(patterns: Any) -> np.ndarray:
    """Hebb's rule: ``W = (1/N) Σ_μ ξ^μ ξ^μᵀ`` with a zero diagonal.

    Parameters
    ----------
    patterns : array of ±1, shape ``(P, N)``

    Returns
    -------
    ndarray of shape ``(N, N)``, symmetric, zero diagonal.
    """
    xi = _as_patterns(patterns, "hebbian_weights")
    n = xi.shape[1]
    w = xi.T @ xi / n
    np.fill_diagonal(w, 0.0)
    return w


def energy(weights: np.ndarray, state: np.ndarray) -> np.ndarray:
    """``E(s) = −½ sᵀ W s`` (dimensionless); ``state`` of shape ``(N,)`` or a batch ``(B, N)`` → ``(B,)``."""
    s = np.asarray(state, dtype=np.float64)
    return -0.5 * np.einsum("...i,ij,...j->...", s, weights, s)


def overlap(pattern: np.ndarray, state: np.ndarray) -> np.ndarray:
    """``m = ξ·s / N`` ∈ [−1, 1]: 1 means the state is the pattern, 0 that they are unrelated.

    Row by row for batches (``(B, N)`` with ``(B, N)`` or ``(N,)``) → ``(B,)``.
    """
    return (
        np.sum(np.asarray(state, dtype=np.float64) * np.asarray(pattern, dtype=np.float64), axis=-1)
        / np.shape(pattern)[-1]
    )


def corrupt(pattern: np.ndarray, flip_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Copy of ``pattern`` (``(N,)`` or ``(B, N)``) with ``round(flip_fraction·N)`` random units flipped in each row."""
    check("corrupt", "flip_fraction", flip_fraction, Interval(float, 0, 1))
    s = np.array(pattern, dtype=np.float64, ndmin=2)
    k = int(round(flip_fraction * s.shape[1]))
    for row in s:
        row[rng.choice(s.shape[1], size=k, replace=False)] *= -1
    return s if np.ndim(pattern) == 2 else s[0]


@dataclass
class RecallResult:
    """Outcome of :func:`recall`.

    Attributes
    ----------
    state : ndarray, shape ``(N,)`` or ``(B, N)``
        Final states.
    sweeps : int
        Sweeps run (one sweep = N single-unit updates).
    converged : bool or ndarray of bool
        True where a whole sweep changed no unit (a fixed point).
    energies : ndarray
        With ``record_energy=True`` (single cue): the energy before the first update and after every
        single-unit update, shape ``(1 + sweeps·N,)``; else empty.
    """

    state: np.ndarray
    sweeps: int
    converged: Any
    energies: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)


def recall(
    weights: np.ndarray,
    cue: np.ndarray,
    *,
    rng: np.random.Generator,
    max_sweeps: int = 100,
    record_energy: bool = False,
) -> RecallResult:
    """Asynchronous recall from ``cue``: units updated one at a time, in a random order each sweep.

    Parameters
    ----------
    weights : ndarray ``(N, N)``
        Symmetric with zero diagonal (e.g. :func:`hebbian_weights`).
    cue : ndarray of ±1, ``(N,)`` or a batch ``(B, N)``
        Starting states. A batch runs ``B`` independent networks in step (same unit order).
    rng : numpy Generator
        Draws the update order.
    max_sweeps : int
        Stop after this many sweeps even if not at a fixed point.
    record_energy : bool
        Keep the energy after every single-unit update (single cue only).
    """
    check("recall", "max_sweeps", max_sweeps, positive(int))
    w = np.asarray(weights, dtype=np.float64)
    single = np.ndim(cue) == 1
    s = _as_patterns(cue, "recall").copy()
    if w.shape != (s.shape[1], s.shape[1]):
        raise ShapeError(f"recall: weights of shape {w.shape} do not match cues of {s.shape[1]} units")
    if record_energy and not single:
        raise ShapeError("recall: record_energy=True needs a single cue of shape (N,)")
    n = s.shape[1]
    e = float(energy(w, s[0])) if record_energy else 0.0
    energies = [e] if record_energy else []
    active = np.ones(len(s), dtype=bool)  # networks not yet at a fixed point
    sweeps = 0
    for sweeps in range(1, max_sweeps + 1):  # noqa: B007 - the count is reported
        changed = np.zeros(len(s), dtype=bool)
        for i in rng.permutation(n):
            h = s @ w[i]  # local fields of unit i in every network, (B,)
            # a field within rounding of zero counts as zero (no flip), so ties never flip back and forth
            new = np.where(h > _TIE, 1.0, np.where(h < -_TIE, -1.0, s[:, i]))
            flip = (new != s[:, i]) & active
            if record_energy:
                e -= float((new[0] - s[0, i]) * h[0]) if flip[0] else 0.0  # ΔE = −(s_i' − s_i) h_i
                energies.append(e)
            if flip.any():
                s[flip, i] = new[flip]
                changed |= flip
        active &= changed
        if not active.any():
            break
    converged = ~active
    return RecallResult(
        state=s[0] if single else s,
        sweeps=sweeps,
        converged=bool(converged[0]) if single else converged,
        energies=np.asarray(energies),
    )


@dataclass
class CapacityCurve:
    """Recall quality against the load ``α = P/N`` (see :func:`capacity_curve`).

    Attributes
    ----------
    loads : ndarray
        ``α = P/N`` of each point.
    mean_overlap : ndarray
        Mean final overlap with the pattern the recall started from.
    fraction_retrieved : ndarray
        Fraction of recalls ending with overlap ≥ ``threshold``.
    capacity : float
        Estimated critical load: where ``fraction_retrieved`` first falls below one half (linear
        interpolation between measured loads); NaN if it never does.
    n_units, threshold : int, float
    """

    loads: np.ndarray
    mean_overlap: np.ndarray
    fraction_retrieved: np.ndarray
    capacity: float
    n_units: int
    threshold: float


def capacity_curve(
    n_units: int = 400,
    loads: Any = None,
    *,
    trials: int = 2,
    flip_fraction: float = 0.0,
    threshold: float = 0.95,
    max_patterns_recalled: int = 40,
    max_sweeps: int = 50,
    seed: int = 0,
) -> CapacityCurve:
    """Measure recall against the load ``α = P/N`` for random ±1 patterns.

    For each load: store ``P = round(α·N)`` random patterns (``trials`` times), start recall from each
    stored pattern (up to ``max_patterns_recalled`` of them) with ``flip_fraction`` of its bits
    flipped, and record the final overlap. A pattern counts as retrieved when the overlap is at least
    ``threshold``. Starting from the pattern itself tests whether it is (near) a stable memory.
    """
    check("capacity_curve", "n_units", n_units, Interval(int, 10, None))
    check("capacity_curve", "trials", trials, positive(int))
    check("capacity_curve", "threshold", threshold, fraction("right"))
    check("capacity_curve", "max_patterns_recalled", max_patterns_recalled, positive(int))
    config.get_num_threads()
    loads = np.arange(0.02, 0.301, 0.02) if loads is None else np.asarray(loads, dtype=np.float64)
    rng = np.random.default_rng(seed)
    mean_m, frac = [], []
    for alpha in loads:
        p = max(1, int(round(alpha * n_units)))
        ms: list[np.ndarray] = []
        for _ in range(trials):
            xi = rng.choice([-1.0, 1.0], size=(p, n_units))
            w = hebbian_weights(xi)
            which = xi[: min(p, max_patterns_recalled)]
            cue = corrupt(which, flip_fraction, rng) if flip_fraction else which
            res = recall(w, cue, rng=rng, max_sweeps=max_sweeps)
            ms.append(np.einsum("bi,bi->b", res.state, which) / n_units)
        m = np.concatenate(ms)
        mean_m.append(float(m.mean()))
        frac.append(float((m >= threshold).mean()))
    frac_arr = np.asarray(frac)
    capacity = float("nan")
    below = np.nonzero(frac_arr < 0.5)[0]
    if below.size and below[0] > 0:
        j = below[0]
        f0, f1 = frac_arr[j - 1], frac_arr[j]
        capacity = float(loads[j - 1] + (f0 - 0.5) / (f0 - f1) * (loads[j] - loads[j - 1]))
    elif below.size:
        capacity = float(loads[0])
    return CapacityCurve(
        loads=loads,
        mean_overlap=np.asarray(mean_m),
        fraction_retrieved=frac_arr,
        capacity=capacity,
        n_units=n_units,
        threshold=threshold,
    )


def extrapolate_capacity(sizes: Any, capacities: Any) -> tuple[float, float]:
    """Least-squares fit ``α_c(N) = α_∞ + a/√N`` (an empirical finite-size form); returns ``(α_∞, a)``."""
    n = np.asarray(sizes, dtype=np.float64)
    a = np.asarray(capacities, dtype=np.float64)
    ok = np.isfinite(a)
    if ok.sum() < 2:
        raise DataError("extrapolate_capacity needs finite capacities for at least two network sizes")
    design = np.c_[np.ones(ok.sum()), n[ok] ** -0.5]
    coef = np.linalg.lstsq(design, a[ok], rcond=None)[0]
    return float(coef[0]), float(coef[1])


def digit_patterns(digits: tuple[int, ...] = (0, 1, 2, 3)) -> np.ndarray:
    """One ±1 pattern of 64 units per digit class of scikit-learn's 8×8 digits.

    Each pattern is the sign of (class-average image − average of the ten class averages): what
    sets the digit apart. Thresholding the raw images instead gives patterns that share most of
    their background (overlaps up to 0.9), and Hebbian memories of such correlated patterns merge
    into mixtures; centred, the prototypes overlap far less and are recalled.
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    means = np.stack([d.images[d.target == k].mean(0).ravel() for k in range(10)])
    centred = means - means.mean(0)
    return np.where(centred[list(digits)] > 0, 1.0, -1.0)


def run_demo(out_dir: str | Path, *, seed: int = 0, n_units: int = 800, flip_fraction: float = 0.15) -> dict[str, Any]:
    """Store digit prototypes and recall them from corrupted cues; measure capacity on random patterns.

    Capacity curves are measured for ``N = n_units/8, n_units/4, n_units/2, n_units`` (about 1 600
    recalls per load in all), and extrapolated to N → ∞. Writes ``hopfield.png`` (stored / cue /
    recalled digits; energy at every update; recall against the load P/N; capacity against N) and
    ``metrics.json``.
    """
    from matnn.utils.io import write_metrics
    from matnn.utils.plotting import plt, save_figure

    check("hopfield demo", "flip_fraction", flip_fraction, Interval(float, 0, 0.5, closed="left"))
    check("hopfield demo", "n_units", n_units, Interval(int, 80, None))
    out = Path(out_dir)
    rng = np.random.default_rng(seed)
    digits = (0, 1, 2, 3)
    xi = digit_patterns(digits)
    w = hebbian_weights(xi)
    cues = corrupt(xi, flip_fraction, rng)
    results = [recall(w, c, rng=rng, record_energy=True) for c in cues]
    overlaps = [float(overlap(p, r.state)) for p, r in zip(xi, results, strict=True)]
    rises = [float(np.diff(r.energies).max()) for r in results]
    cross = xi @ xi.T / xi.shape[1]
    sizes = [n_units // 8, n_units // 4, n_units // 2, n_units]
    loads = np.arange(0.06, 0.261, 0.02)
    curves = [
        capacity_curve(n, loads, trials=max(1, n_units // n), threshold=0.97, seed=seed + i)
        for i, n in enumerate(sizes)
    ]
    alpha_inf, slope = extrapolate_capacity(sizes, [c.capacity for c in curves])
    big = curves[-1]

    metrics: dict[str, Any] = {
        "digits_stored": len(digits),
        "digits_units": xi.shape[1],
        "digits_max_pattern_overlap": float(np.abs(cross - np.eye(len(digits))).max()),
        "digits_cue_flip_fraction": flip_fraction,
        "digits_recall_overlap_min": min(overlaps),
        "digits_recalled_exactly": int(sum(o == 1.0 for o in overlaps)),
        "energy_max_increase_per_update": max(rises),
        "energy_updates_recorded": int(sum(len(r.energies) - 1 for r in results)),
        "capacity_threshold_overlap": big.threshold,
        **{f"capacity_load_n{c.n_units}": c.capacity for c in curves},
        "capacity_extrapolated_load": alpha_inf,
        "capacity_extrapolation_slope": slope,
        "capacity_theory_load": THEORETICAL_CAPACITY,
        "capacity_fraction_retrieved_at_0_08": float(big.fraction_retrieved[1]),
        "capacity_fraction_retrieved_at_0_24": float(big.fraction_retrieved[-2]),
    }

    fig = plt.figure(figsize=(17, 6.5))
    grid = fig.add_gridspec(len(digits), 8)
    for row, (p, c, r) in enumerate(zip(xi, cues, results, strict=True)):
        for col, (img, title) in enumerate(
            ((p, "stored"), (c, f"cue ({flip_fraction:.0%} flipped)"), (r.state, f"recalled, m = {overlaps[row]:.2f}"))
        ):
            ax = fig.add_subplot(grid[row, col])
            ax.imshow(img.reshape(8, 8), cmap="gray_r", vmin=-1, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            ax.set_title(title, fontsize=8)
    ax = fig.add_subplot(grid[:, 3])
    for d, r in zip(digits, results, strict=True):
        ax.plot(r.energies, label=f"digit {d}")
    ax.set(xlabel="single-unit update", ylabel="energy E = −½ sᵀWs", title="Energy never rises")
    ax.legend(fontsize=8)
    ax = fig.add_subplot(grid[:, 4:6])
    for c in curves:
        ax.plot(c.loads, c.fraction_retrieved, "o-", ms=3, label=f"N = {c.n_units}")
    ax.axvline(THEORETICAL_CAPACITY, color="k", ls=":", label=f"theory α_c = {THEORETICAL_CAPACITY}")
    ax.axhline(0.5, color="gray", lw=0.5)
    ax.set(
        xlabel="load α = P/N",
        ylabel=f"fraction recalled with overlap ≥ {big.threshold}",
        title="Recall of random patterns against the load",
        ylim=(-0.05, 1.05),
    )
    ax.legend(fontsize=8)
    ax = fig.add_subplot(grid[:, 6:8])
    inv = np.linspace(0, max(sizes[0] ** -0.5, 1e-9) * 1.05, 50)
    ax.plot([n**-0.5 for n in sizes], [c.capacity for c in curves], "o", label="measured (fraction = ½)")
    ax.plot(inv, alpha_inf + slope * inv, "-", label=f"fit α_∞ + a/√N, α_∞ = {alpha_inf:.3f}")
    ax.axhline(THEORETICAL_CAPACITY, color="k", ls=":", label="theory 0.138")
    ax.set(xlabel="1/√N", ylabel="critical load α_c(N)", title="Finite networks hold a little more")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, out / "hopfield.png")
    write_metrics(out, metrics)
    return metrics
