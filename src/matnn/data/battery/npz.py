"""Read and write the Severson-style npz format (``qdlin``, ``cycle_life``), repairing glitches.

The format is the one of ``../shared/datasets/severson/*.npz`` (derived from Severson et al.,
Nature Energy 2019, and Attia et al., JES 2021): ``qdlin`` float32 of shape
``(n_cells, n_voltages, n_cycles)`` holding discharge capacity in Ah on a uniform voltage grid
3.6 V → 2.0 V for cycles 2..100, and ``cycle_life`` of shape ``(n_cells,)``.  Files written by
matnn add ``voltage``, ``cycles``, ``cell_ids`` and ``meta_*`` columns; a reader without them
assumes the Severson grid.

Real cycler data contain glitches: in the Severson files a few whole cycles of a few cells hold
values from −4.4 to 36.7 Ah.  :func:`repair_glitches` finds them deliberately (values outside a
physical range, or Q decreasing as the voltage falls) and, by default, replaces each glitched
cycle by linear interpolation between the nearest clean cycles of the same cell, writing one
line per repair into ``BatteryDataset.qc_report``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np

from matnn.core.exceptions import ConfigError, DataError
from matnn.data.battery.dataset import BatteryDataset, default_voltage_grid

__all__ = ["load_npz", "save_npz", "repair_glitches", "find_glitches"]

GlitchMode = Literal["interpolate", "clip", "raise", "none"]


def typical_capacity(qdlin: np.ndarray) -> float:
    """Median over cells and cycles of Q at the lowest voltage (Ah), robust to a few glitches; 1.0 if undefined."""
    last = np.asarray(qdlin, dtype=np.float64)[:, -1, :]
    last = last[np.isfinite(last)]
    q_max = float(np.median(last)) if last.size else 1.0
    return q_max if q_max > 0 else 1.0


def find_glitches(qdlin: np.ndarray, *, q_max: float | None = None, tolerance: float = 0.02) -> np.ndarray:
    """Flag (cell, cycle) pairs whose Q(V) curve is physically impossible.

    A curve is glitched when a value is non-finite, below ``-tolerance * q_max``, above
    ``1.25 * q_max``, or when Q falls by more than ``tolerance * q_max`` from one voltage point to
    the next lower one (discharge capacity can only grow as the voltage drops).

    Parameters
    ----------
    qdlin : ndarray of shape (n_cells, n_voltages, n_cycles)
        Discharge capacity in Ah, voltage decreasing along axis 1.
    q_max : float, optional
        Typical full capacity in Ah; default: the median over cells and cycles of Q at the lowest
        voltage (robust to a few glitches).
    tolerance : float, default=0.02
        Allowed negative excursion and non-monotonic step, as a fraction of ``q_max``.

    Returns
    -------
    ndarray of bool, shape (n_cells, n_cycles)
    """
    q = np.asarray(qdlin, dtype=np.float64)
    if q_max is None:
        q_max = typical_capacity(q)
    finite = np.isfinite(q)
    qz = np.where(finite, q, 0.0)
    bad = ~finite.all(axis=1)
    bad |= (qz < -tolerance * q_max).any(axis=1)
    bad |= (qz > 1.25 * q_max).any(axis=1)
    bad |= (np.diff(qz, axis=1) < -tolerance * q_max).any(axis=1)
    return bad


def repair_glitches(
    qdlin: np.ndarray,
    *,
    mode: GlitchMode = "interpolate",
    cell_ids: list[str] | None = None,
    cycles: np.ndarray | None = None,
    source: str = "",
) -> tuple[np.ndarray, list[str]]:
    """Repair glitched cycles; return the repaired array and one note per repair.

    Parameters
    ----------
    qdlin : ndarray of shape (n_cells, n_voltages, n_cycles)
    mode : {"interpolate", "clip", "raise", "none"}, default="interpolate"
        ``interpolate``: replace a glitched cycle by linear interpolation (in cycle number) between
        the nearest clean cycles of the same cell (the nearest clean one at either end).
        ``clip``: clip every value into ``[0, 1.25 q_max]`` and make each curve non-decreasing.
        ``raise``: raise :class:`DataError` naming the first glitch. ``none``: report only.
    """
    if mode not in ("interpolate", "clip", "raise", "none"):
        raise ConfigError(f"Unknown glitch mode {mode!r}. Allowed: 'interpolate', 'clip', 'raise', 'none'.")
    q = np.array(qdlin, dtype=np.float64, copy=True)
    n_cells, _, n_cyc = q.shape
    cycles = np.arange(2, 2 + n_cyc) if cycles is None else np.asarray(cycles)
    ids = cell_ids or [f"cell{i:03d}" for i in range(n_cells)]
    where = f" in {source}" if source else ""
    bad = find_glitches(q)
    notes: list[str] = []
    for c in np.flatnonzero(bad.any(axis=1)):
        bad_k = np.flatnonzero(bad[c])
        good_k = np.flatnonzero(~bad[c])
        vals = q[c][:, bad_k]
        span = f"Q from {np.nanmin(vals):.3g} to {np.nanmax(vals):.3g} Ah" if np.isfinite(vals).any() else "non-finite Q"
        cyc_list = ", ".join(str(int(cycles[k])) for k in bad_k)
        if mode == "raise":
            raise DataError(
                f"Glitched Q(V) data{where}: cell {ids[c]!r} (row {c}), field 'qdlin', cycle(s) {cyc_list}: {span}. "
                "Load with glitches='interpolate' or 'clip' to repair."
            )
        if mode == "none":
            notes.append(f"cell {ids[c]} (row {c}): cycle(s) {cyc_list} glitched ({span}); left as is")
            continue
        if mode == "clip" or good_k.size < 2:
            cap = 1.25 * typical_capacity(q)
            for k in bad_k:
                curve = np.nan_to_num(q[c, :, k], nan=0.0, posinf=cap, neginf=0.0)
                q[c, :, k] = np.maximum.accumulate(np.clip(curve, 0.0, cap))
            how = "clipped to [0, %.3g] Ah and made monotonic" % cap
        else:
            for v in range(q.shape[1]):
                q[c, v, bad_k] = np.interp(cycles[bad_k], cycles[good_k], q[c, v, good_k])
            how = "replaced by interpolation between the nearest clean cycles"
        notes.append(f"cell {ids[c]} (row {c}): cycle(s) {cyc_list} glitched ({span}); {how}")
    return q, notes


def load_npz(
    path: str | os.PathLike,
    *,
    glitches: GlitchMode = "interpolate",
    require_labels: bool = False,
) -> BatteryDataset:
    """Load a Severson-format npz file into a :class:`BatteryDataset`.

    Parameters
    ----------
    path : path
        ``.npz`` with at least ``qdlin`` (n_cells, n_voltages, n_cycles) in Ah. ``cycle_life``
        (n_cells,) is optional unless ``require_labels``; ``voltage`` (n_voltages,) and ``cycles``
        (n_cycles,) default to the Severson grid (3.6 → 2.0 V) and cycles 2, 3, ...
    glitches : {"interpolate", "clip", "raise", "none"}, default="interpolate"
        What to do with physically impossible cycles (see :func:`repair_glitches`). Repairs are
        listed in ``qc_report``.
    require_labels : bool, default=False
        Raise :class:`DataError` if ``cycle_life`` is missing or not finite and positive.

    Raises
    ------
    DataError
        Missing file or key, wrong shapes, or (with ``glitches="raise"``) a glitch; the message
        names the file, key and cell.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"Battery data file not found: {path}")
    try:
        z = np.load(path, allow_pickle=False)
    except Exception as exc:  # zipfile/format errors
        raise DataError(f"Could not read {path} as an .npz file ({exc}).") from None
    with z:
        files = set(z.files)
        if "qdlin" not in files:
            raise DataError(
                f"{path} has no key 'qdlin' (discharge capacity Q(V), shape (n_cells, n_voltages, n_cycles)); "
                f"keys found: {sorted(files)}."
            )
        qdlin = np.asarray(z["qdlin"], dtype=np.float64)
        if qdlin.ndim != 3:
            raise DataError(f"{path}: key 'qdlin' must have 3 dimensions (n_cells, n_voltages, n_cycles); got shape {qdlin.shape}.")
        n_cells, n_v, n_c = qdlin.shape
        if "cycle_life" in files:
            life = np.asarray(z["cycle_life"], dtype=np.float64).reshape(-1)
            if life.shape != (n_cells,):
                raise DataError(f"{path}: key 'cycle_life' has {life.size} values for {n_cells} cells in 'qdlin'.")
        elif require_labels:
            raise DataError(f"{path} has no key 'cycle_life' (cycles to 80 % capacity, one per cell); keys found: {sorted(files)}.")
        else:
            life = np.full(n_cells, np.nan)
        voltage = np.asarray(z["voltage"], dtype=np.float64) if "voltage" in files else default_voltage_grid(n_v)
        cycles = np.asarray(z["cycles"]).astype(int) if "cycles" in files else np.arange(2, 2 + n_c)
        if voltage.shape != (n_v,):
            raise DataError(f"{path}: key 'voltage' has {voltage.size} points but 'qdlin' has {n_v} voltage points.")
        if cycles.shape != (n_c,):
            raise DataError(f"{path}: key 'cycles' has {cycles.size} entries but 'qdlin' has {n_c} cycles.")
        ids = [str(s) for s in z["cell_ids"]] if "cell_ids" in files else [f"{path.stem}_{i:03d}" for i in range(n_cells)]
        meta = {k[5:]: np.asarray(z[k]) for k in files if k.startswith("meta_")}
    if require_labels:
        bad = np.flatnonzero(~(np.isfinite(life) & (life > 0)))
        if bad.size:
            raise DataError(
                f"{path}: 'cycle_life' of cell {ids[bad[0]]!r} (row {bad[0]}) is {life[bad[0]]!r}; "
                "training needs a finite, positive cycle life for every cell."
            )
    qdlin, notes = repair_glitches(qdlin, mode=glitches, cell_ids=ids, cycles=cycles, source=str(path))
    return BatteryDataset(qdlin, life, voltage, cycles, ids, meta, notes, str(path))


def save_npz(dataset: BatteryDataset, path: str | os.PathLike) -> Path:
    """Write ``dataset`` atomically in the same npz format (readable by :func:`load_npz`)."""
    from matnn.utils.io import atomic_save_npz

    return atomic_save_npz(path, **dataset.to_arrays())
