"""Features of the early-cycle discharge curves used by the literature models.

All functions take a :class:`~matnn.data.battery.BatteryDataset` and return NumPy arrays with one
row per cell.  ΔQ_{100−10}(V) = Q_100(V) − Q_10(V) is Severson's key signal: its log variance
across voltage correlates with log cycle life at ρ ≈ −0.93 on the Severson cells.
"""

from __future__ import annotations

import numpy as np

from matnn.data.battery.dataset import BatteryDataset

__all__ = [
    "log_variance",
    "discharge_features",
    "delta_q_features",
    "delta_q_image",
    "full_delta_q_image",
    "TUTORIAL_CYCLES",
    "log_life",
    "feature_z_scores",
    "EXTRAPOLATION_Z",
]

#: Cycles whose ΔQ to cycle 10 form the tutorial CNN's image (Paulson & Ward 2022).
TUTORIAL_CYCLES = (20, 30, 40, 50, 60, 70, 80, 90, 100)
_EPS = 1e-12
#: A test cell whose discharge feature lies further than this many training standard deviations
#: from the training mean is outside what the training cells cover (a model extrapolates there).
EXTRAPOLATION_Z = 4.0


def log_life(cycle_life: np.ndarray) -> np.ndarray:
    """log10 of the cycle life (the regression target of every model here)."""
    return np.log10(np.asarray(cycle_life, dtype=float))


def log_variance(ds: BatteryDataset, cycle: int = 100, reference: int = 10) -> np.ndarray:
    """Severson's variance feature log10(var_V ΔQ_{cycle−reference}(V)), shape (n_cells, 1)."""
    dq = ds.delta_q(cycle, reference)
    return np.log10(np.var(dq, axis=1) + _EPS)[:, None]


def discharge_features(ds: BatteryDataset) -> np.ndarray:
    """Severson's "discharge" feature set, shape (n_cells, 6).

    Columns: log10|min ΔQ|, log10 var ΔQ, log10|skewness ΔQ|, log10|kurtosis ΔQ| (all of
    ΔQ_{100−10}), discharge capacity at cycle 2, and max discharge capacity minus cycle 2's
    (capacity = Q at the lowest grid voltage).
    """
    from scipy import stats

    dq = ds.delta_q(100, 10)
    cap = ds.qdlin[:, -1, :]  # (n_cells, n_cycles): capacity discharged down to the lowest voltage
    c2 = cap[:, ds.cycle_index(2)] if 2 in set(ds.cycles.tolist()) else cap[:, 0]
    return np.column_stack(
        [
            np.log10(np.abs(dq.min(axis=1)) + _EPS),
            np.log10(np.var(dq, axis=1) + _EPS),
            np.log10(np.abs(stats.skew(dq, axis=1)) + _EPS),
            np.log10(np.abs(stats.kurtosis(dq, axis=1, fisher=False)) + _EPS),
            c2,
            cap.max(axis=1) - c2,
        ]
    )


def delta_q_features(ds: BatteryDataset, cycle: int = 100, reference: int = 10) -> np.ndarray:
    """The full curve ΔQ_{cycle−reference}(V) in Ah, shape (n_cells, n_voltages) (for ridge, PLSR, PCR...)."""
    return ds.delta_q(cycle, reference)


def delta_q_image(ds: BatteryDataset, cycles: tuple[int, ...] = TUTORIAL_CYCLES, reference: int = 10) -> np.ndarray:
    """ΔQ_k(V) = Q_k(V) − Q_ref(V) for each k of ``cycles``, shape (n_cells, n_voltages, len(cycles)) in Ah."""
    ref = ds.q(reference)
    return np.stack([ds.q(k) - ref for k in cycles], axis=-1)


def full_delta_q_image(
    ds: BatteryDataset, cycles: tuple[int, ...] | None = None, reference: int = 10, n_voltages: int = 100
) -> np.ndarray:
    """ΔQ_k(V) − for every cycle k of ``cycles`` (default: all recorded cycles up to 100) − on every
    s-th voltage point, s = max(1, n_V // ``n_voltages``) (Attia et al. 2021: 1000 → 100 points).

    Returns
    -------
    ndarray of shape (n_cells, ⌈n_V / s⌉, len(cycles)), Ah.
    """
    if cycles is None:
        cycles = tuple(int(c) for c in ds.cycles if c <= 100)
    stride = max(1, ds.qdlin.shape[1] // max(1, n_voltages))
    ref = ds.q(reference)[:, ::stride]
    return np.stack([ds.q(k)[:, ::stride] - ref for k in cycles], axis=-1)


def feature_z_scores(train: BatteryDataset, test: BatteryDataset) -> np.ndarray:
    """Largest |z-score| of each test cell's discharge features against the training cells, shape (n_test,).

    z = (feature − training mean) / training standard deviation, over the six columns of
    :func:`discharge_features`.  Needs no labels.  With a few dozen training cells, cross-validation
    cannot see a tail that the test cells reach; values above :data:`EXTRAPOLATION_Z` flag the cells
    whose predictions are extrapolations.  A column that is constant on the training cells is skipped.
    """
    a, b = discharge_features(train), discharge_features(test)
    mu, sd = a.mean(axis=0), a.std(axis=0)
    ok = sd > 0
    if not ok.any():
        return np.zeros(test.n_cells)
    return np.abs((b[:, ok] - mu[ok]) / sd[ok]).max(axis=1)
