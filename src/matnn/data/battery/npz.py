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
from matnn.data.battery.dataset import MAX_CAPACITY_AH, MAX_CYCLE_LIFE, BatteryDataset, default_voltage_grid

__all__ = [
    "load_npz",
    "save_npz",
    "repair_glitches",
    "find_glitches",
    "MAX_CAPACITY_AH",
    "MAX_CYCLE_LIFE",
    "MAX_GLITCHED_FRACTION",
]

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
        span = (
            f"Q from {np.nanmin(vals):.3g} to {np.nanmax(vals):.3g} Ah" if np.isfinite(vals).any() else "non-finite Q"
        )
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
            how = f"clipped to [0, {cap:.3g}] Ah and made monotonic"
        else:
            for v in range(q.shape[1]):
                q[c, v, bad_k] = np.interp(cycles[bad_k], cycles[good_k], q[c, v, good_k])
            how = "replaced by interpolation between the nearest clean cycles"
        notes.append(f"cell {ids[c]} (row {c}): cycle(s) {cyc_list} glitched ({span}); {how}")
    return q, notes


#: A cell with more than this fraction of glitched cycles is refused: a repair would invent most of its data.
MAX_GLITCHED_FRACTION = 0.5

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def _first_bad(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def _read_key(z, path: Path, key: str, *, numeric: bool = True) -> np.ndarray:
    """``z[key]`` as an array; a numeric key must hold real numbers (float or int), anything else is a DataError."""
    try:
        arr = np.asarray(z[key])
    except ValueError as exc:
        if "pickle" in str(exc):  # object arrays: numpy's message would suggest allow_pickle, which we never use
            raise DataError(
                f"{path}: key {key!r} holds Python objects, not a numeric array; "
                "save plain numeric arrays (np.savez with float or int arrays)."
            ) from None
        raise DataError(f"{path}: key {key!r} cannot be read ({exc}).") from None
    except Exception as exc:  # corrupt member: zlib/zipfile/EOF errors
        raise DataError(f"{path}: key {key!r} is damaged and cannot be read ({type(exc).__name__}: {exc}).") from None
    if not numeric:
        return arr
    if np.iscomplexobj(arr):
        nz = np.abs(arr.imag) > 0
        first = (
            f"; first non-zero imaginary part at index {_first_bad(nz)}: {complex(arr[nz].flat[0])!r}"
            if nz.any()
            else ""
        )
        raise DataError(
            f"{path}: key {key!r} is complex ({arr.dtype}){first}; matnn needs real numbers "
            "(the imaginary part is never dropped silently)."
        )
    if arr.dtype.kind not in "fiub":
        raise DataError(
            f"{path}: key {key!r} holds {arr.dtype} values, not numbers"
            + (f" (first: {arr.flat[0]!r})" if arr.size else "")
            + "; save it as a float array."
        )
    return arr.astype(np.float64)


def _check_capacity(q: np.ndarray, path: Path, ids: list[str], stage: str) -> None:
    if not np.isfinite(q).all():
        return  # left as is (glitches="none"): BatteryDataset names the first non-finite value
    too_big = ~(np.abs(q) <= MAX_CAPACITY_AH)
    if too_big.any():
        c, v, k = _first_bad(too_big)
        raise DataError(
            f"{path}: key 'qdlin' has {int(too_big.sum())} value(s) beyond ±{MAX_CAPACITY_AH:g} Ah {stage}, first at "
            f"index ({c}, {v}, {k}) (cell {ids[c]!r}): {float(q[c, v, k])!r}. Q must be the discharge capacity of one cell in Ah."
        )


def load_npz(
    path: str | os.PathLike,
    *,
    glitches: GlitchMode = "interpolate",
    require_labels: bool = False,
    report: bool = True,
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
        listed in ``qc_report`` and counted in one line on stderr.
    require_labels : bool, default=False
        Raise :class:`DataError` if ``cycle_life`` is missing or not finite and positive.
    report : bool, default=True
        Print the count of repaired cycles (if any) on stderr.

    Bounds (each violation is a :class:`DataError` naming file, key, index and value):
    ``qdlin`` real numbers with ``|Q| <= MAX_CAPACITY_AH`` (1e3 Ah) after glitch repair, and no
    cell with more than ``MAX_GLITCHED_FRACTION`` (half) of its cycles glitched (an all-NaN cell
    cannot be repaired); ``cycle_life`` in ``(0, MAX_CYCLE_LIFE]`` (1e6 cycles) or NaN (unknown);
    ``voltage`` finite, within [0, 10] V.

    Raises
    ------
    DataError
        Missing, unreadable or non-npz file, missing key, wrong dtype or shape, out-of-bounds
        values, or (with ``glitches="raise"``) a glitch; the message names the file, key and cell.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"Battery data file {path} is a folder, not an .npz file.")
    if not path.is_file():
        raise DataError(f"Battery data file not found: {path}")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise DataError(f"Could not read {path} ({exc.strerror or exc}).") from None
    if magic not in _ZIP_MAGIC:
        raise DataError(
            f"{path} is not an .npz archive (a zip of .npy arrays, as written by numpy.savez); "
            f"it starts with {magic!r}."
        )
    try:
        z = np.load(path, allow_pickle=False)
    except Exception as exc:  # zipfile/format errors
        raise DataError(f"Could not read {path} as an .npz file ({type(exc).__name__}: {exc}).") from None
    with z:
        try:
            files = set(z.files)
        except Exception as exc:  # pragma: no cover - np.load already lists the archive
            raise DataError(f"Could not read {path} as an .npz file ({exc}).") from None
        if "qdlin" not in files:
            raise DataError(
                f"{path} has no key 'qdlin' (discharge capacity Q(V), shape (n_cells, n_voltages, n_cycles)); "
                f"keys found: {sorted(files)}."
            )
        qdlin = _read_key(z, path, "qdlin")
        if qdlin.ndim != 3:
            raise DataError(
                f"{path}: key 'qdlin' must have 3 dimensions (n_cells, n_voltages, n_cycles); got shape {qdlin.shape}."
            )
        n_cells, n_v, n_c = qdlin.shape
        if qdlin.size == 0:
            raise DataError(f"{path}: key 'qdlin' is empty (shape {qdlin.shape}).")
        if "cycle_life" in files:
            life = _read_key(z, path, "cycle_life").reshape(-1)
            if life.shape != (n_cells,):
                raise DataError(f"{path}: key 'cycle_life' has {life.size} values for {n_cells} cells in 'qdlin'.")
        elif require_labels:
            raise DataError(
                f"{path} has no key 'cycle_life' (cycles to 80 % capacity, one per cell); keys found: {sorted(files)}."
            )
        else:
            life = np.full(n_cells, np.nan)
        voltage = _read_key(z, path, "voltage").reshape(-1) if "voltage" in files else default_voltage_grid(n_v)
        cycles_raw = (
            _read_key(z, path, "cycles").reshape(-1) if "cycles" in files else np.arange(2, 2 + n_c, dtype=float)
        )
        if voltage.shape != (n_v,):
            raise DataError(f"{path}: key 'voltage' has {voltage.size} points but 'qdlin' has {n_v} voltage points.")
        if cycles_raw.shape != (n_c,):
            raise DataError(f"{path}: key 'cycles' has {cycles_raw.size} entries but 'qdlin' has {n_c} cycles.")
        bad_v = ~((voltage >= 0) & (voltage <= 10))
        if bad_v.any():
            i = int(np.flatnonzero(bad_v)[0])
            raise DataError(
                f"{path}: key 'voltage' must hold cell voltages in [0, 10] V; index {i} is {float(voltage[i])!r}."
            )
        bad_c = ~(np.isfinite(cycles_raw) & (cycles_raw == np.round(cycles_raw)) & (np.abs(cycles_raw) <= 1e9))
        if bad_c.any():
            i = int(np.flatnonzero(bad_c)[0])
            raise DataError(
                f"{path}: key 'cycles' must hold integer cycle numbers; index {i} is {float(cycles_raw[i])!r}."
            )
        cycles = cycles_raw.astype(int)
        if "cell_ids" in files:
            ids_arr = _read_key(z, path, "cell_ids", numeric=False).reshape(-1)
            if ids_arr.shape != (n_cells,):
                raise DataError(f"{path}: key 'cell_ids' has {ids_arr.size} names for {n_cells} cells in 'qdlin'.")
            ids = [str(s) for s in ids_arr]
        else:
            ids = [f"{path.stem}_{i:03d}" for i in range(n_cells)]
        meta = {k[5:]: _read_key(z, path, k, numeric=False) for k in sorted(files) if k.startswith("meta_")}
    known = np.isfinite(life)
    bad_life = (np.isinf(life)) | (known & ~((life > 0) & (life <= MAX_CYCLE_LIFE)))
    if bad_life.any():
        i = int(np.flatnonzero(bad_life)[0])
        raise DataError(
            f"{path}: key 'cycle_life' of cell {ids[i]!r} (index {i}) is {float(life[i])!r}; a cycle life must lie in "
            f"(0, {MAX_CYCLE_LIFE:g}] cycles (NaN marks an unknown one)."
        )
    if require_labels:
        bad = np.flatnonzero(~known)
        if bad.size:
            raise DataError(
                f"{path}: 'cycle_life' of cell {ids[bad[0]]!r} (row {bad[0]}) is {float(life[bad[0]])!r}; "
                "training needs a finite, positive cycle life for every cell."
            )
    glitched = _check_unrepairable(qdlin, path, ids, cycles)
    qdlin, notes = repair_glitches(qdlin, mode=glitches, cell_ids=ids, cycles=cycles, source=str(path))
    _check_capacity(qdlin, path, ids, "after glitch repair" if glitches != "none" else "")
    if notes and report:
        _report_repairs(path, glitched, glitches)
    return BatteryDataset(qdlin, life, voltage, cycles, ids, meta, notes, str(path))


def _check_unrepairable(qdlin: np.ndarray, path: Path, ids: list[str], cycles: np.ndarray) -> np.ndarray:
    """Refuse cells whose glitched cycles outnumber :data:`MAX_GLITCHED_FRACTION` (e.g. all-NaN cells).

    Returns the glitch mask of :func:`find_glitches`, shape (n_cells, n_cycles).
    """
    bad = find_glitches(qdlin)
    frac = bad.mean(axis=1)
    over = np.flatnonzero(frac > MAX_GLITCHED_FRACTION)
    if not over.size:
        return bad
    c = int(over[0])
    cell = qdlin[c]
    nonfinite = ~np.isfinite(cell)
    if nonfinite.any():
        v, k = _first_bad(nonfinite)
        first = f"first non-finite value at index ({c}, {v}, {k}): {float(cell[v, k])!r}"
    else:
        k = int(np.flatnonzero(bad[c])[0])
        first = f"first glitched cycle {int(cycles[k])} (index ({c}, :, {k}), Q from {cell[:, k].min():.3g} to {cell[:, k].max():.3g} Ah)"
    raise DataError(
        f"{path}: key 'qdlin' of cell {ids[c]!r} (row {c}) has {int(bad[c].sum())} of {bad.shape[1]} cycles glitched "
        f"or non-finite ({first}); {len(over)} cell(s) are beyond repair (more than {MAX_GLITCHED_FRACTION:.0%} "
        "of their cycles). Remove them or fix the file."
    )


def _report_repairs(path: Path, glitched: np.ndarray, mode: str) -> None:
    import sys

    what = {"none": "left as is", "clip": "clipped"}.get(mode, "repaired by interpolation (or clipping)")
    print(
        f"note: {path}: {int(glitched.sum())} glitched cycle(s) in {int(glitched.any(axis=1).sum())} cell(s) {what} "
        f"(glitches={mode!r}); one line per cell in the QC report.",
        file=sys.stderr,
    )


def save_npz(dataset: BatteryDataset, path: str | os.PathLike) -> Path:
    """Write ``dataset`` atomically in the same npz format (readable by :func:`load_npz`)."""
    from matnn.utils.io import atomic_save_npz

    return atomic_save_npz(path, **dataset.to_arrays())
