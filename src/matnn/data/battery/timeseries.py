"""Raw cycler time series (CSV, battdat HDF5) → discharge capacity on a fixed voltage grid.

A cycler records, row by row, the cycle index, test time, voltage, current and (usually) the
cumulative discharge capacity.  For each cycle, :func:`discharge_qv` keeps the discharge rows,
measures the capacity discharged since the start of that discharge (from the capacity column or,
when there is none, by integrating the current over time), and interpolates Q as a function of
voltage on the grid.  Voltage is made monotonic first: only rows where the voltage reaches a new
minimum are used, so relaxation bumps and the CV hold at the lower cut-off do not create
ambiguous Q(V) values (the hold's capacity is excluded, like Severson's ``Qdlin``).  Above the
first discharge voltage Q is 0; below the last one Q keeps its final value.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from matnn.core.exceptions import DataError, require
from matnn.data.battery.dataset import DEFAULT_VOLTAGE_GRID, NOMINAL_CAPACITY_AH, BatteryDataset
from matnn.utils.messages import one_line

__all__ = ["discharge_qv", "timeseries_to_dataset", "load_cycler_csv", "load_battdat_hdf5", "COLUMN_ALIASES"]

#: Accepted column names (case-insensitive, spaces/underscores/brackets ignored) for each field.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "cycle": ("cycle", "cycleindex", "cyclenumber", "cycle_index", "cycle_number", "cyc"),
    "time": ("time", "testtime", "timess", "times", "test_time", "timesec", "time_s", "t"),
    "voltage": ("voltage", "voltagev", "v", "ecellv", "potential"),
    "current": ("current", "currenta", "i", "currentma"),
    "discharge_capacity": (
        "dischargecapacity",
        "dischargecapacityah",
        "qd",
        "qdischarge",
        "dischargecapacityah",
        "cyclecapacitydischarge",
    ),
    "cell": ("cell", "cellid", "barcode", "cellname", "battery"),
    "cycle_life": ("cyclelife", "life"),
}


_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def is_hdf5(path: Path) -> bool:
    """True when ``path`` carries the HDF5 signature (at offset 0, or after a user block of 512, 1024, ... bytes)."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        offset = 0
        while offset + 8 <= size:
            fh.seek(offset)
            if fh.read(8) == _HDF5_SIGNATURE:
                return True
            offset = 512 if offset == 0 else offset * 2
    return False


def _check_file(path: Path, what: str) -> None:
    if path.is_dir():
        raise DataError(f"{what} {path} is a folder, not a file.")
    if not path.is_file():
        raise DataError(f"{what} not found: {path}")


def _norm(name: str) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def _find_columns(columns: Sequence[str], source: str, required: Sequence[str]) -> dict[str, str]:
    normed = {_norm(c): c for c in columns}
    found: dict[str, str] = {}
    for field, aliases in COLUMN_ALIASES.items():
        for a in aliases:
            if _norm(a) in normed:
                found[field] = normed[_norm(a)]
                break
    missing = [f for f in required if f not in found]
    if missing:
        raise DataError(
            f"{source}: missing column(s) {', '.join(missing)}. Found columns: {list(columns)}. "
            f"Accepted names: " + "; ".join(f"{f}: {', '.join(COLUMN_ALIASES[f][:4])}" for f in missing) + "."
        )
    return found


def discharge_qv(
    voltage: np.ndarray,
    current: np.ndarray,
    time: np.ndarray | None = None,
    discharge_capacity: np.ndarray | None = None,
    *,
    grid: np.ndarray = DEFAULT_VOLTAGE_GRID,
    discharge_sign: int = -1,
    min_current_a: float = 1e-3,
) -> np.ndarray:
    """Q(V) of one cycle's discharge on ``grid``.

    Parameters
    ----------
    voltage, current : ndarray of shape (n_rows,)
        Cell voltage (V) and current (A) of one cycle in time order.
    time : ndarray of shape (n_rows,), optional
        Time in s; needed when ``discharge_capacity`` is not given (the current is integrated).
    discharge_capacity : ndarray of shape (n_rows,), optional
        Cumulative discharge capacity in Ah as logged by the cycler (any offset).
    grid : ndarray of shape (n_voltages,), default 3.6 → 2.0 V in 200 points
    discharge_sign : {-1, 1}, default=-1
        Sign of the current during discharge (battdat and most cyclers: negative).
    min_current_a : float, default=1e-3
        Rows with ``|current|`` below this are rests.

    Returns
    -------
    ndarray of shape (n_voltages,)
        Discharged capacity in Ah at each grid voltage.
    """
    v = np.asarray(voltage, dtype=float)
    i = np.asarray(current, dtype=float) * discharge_sign
    mask = i > min_current_a
    if mask.sum() < 2:
        raise DataError("no discharge rows (current of the discharge sign above min_current_a)")
    first = int(np.flatnonzero(mask)[0])
    last = int(np.flatnonzero(mask)[-1])
    sl = slice(first, last + 1)
    keep = mask[sl]
    if discharge_capacity is not None:
        q = np.asarray(discharge_capacity, dtype=float)[sl]
        q = q - q[0]
    else:
        if time is None:
            raise DataError("discharge_qv needs either discharge_capacity or time (to integrate the current)")
        t = np.asarray(time, dtype=float)[sl]
        ii = np.where(keep, i[sl], 0.0)
        q = np.concatenate([[0.0], np.cumsum(0.5 * (ii[1:] + ii[:-1]) * np.diff(t))]) / 3600.0
    vv = v[sl][keep]
    qq = q[keep]
    if not (np.all(np.isfinite(vv)) and np.all(np.isfinite(qq))):
        raise DataError("non-finite voltage or capacity in the discharge rows")
    # rows where the voltage reaches a new minimum: a monotonic V(Q) branch
    running_min = np.minimum.accumulate(vv)
    new_min = np.concatenate([[True], vv[1:] < running_min[:-1]])
    vv, qq = vv[new_min], qq[new_min]
    order = np.argsort(vv)
    return np.interp(np.asarray(grid, dtype=float), vv[order], qq[order], left=qq[-1], right=0.0)


def timeseries_to_dataset(
    tables: Sequence[tuple[str, dict[str, np.ndarray]]],
    *,
    grid: np.ndarray = DEFAULT_VOLTAGE_GRID,
    first_cycle: int = 2,
    last_cycle: int = 100,
    nominal_capacity_ah: float = NOMINAL_CAPACITY_AH,
    eol_fraction: float = 0.8,
    discharge_sign: int = -1,
    cycle_life: dict[str, float] | None = None,
    source: str = "",
) -> BatteryDataset:
    """Turn per-cell column arrays into a :class:`BatteryDataset`.

    Parameters
    ----------
    tables : sequence of (cell_id, columns)
        ``columns`` maps ``cycle``, ``voltage``, ``current`` and ``time`` and/or
        ``discharge_capacity`` to arrays of shape (n_rows,).
    first_cycle, last_cycle : int, default=2, 100
        Cycle numbers to extract (as numbered in the file).
    nominal_capacity_ah, eol_fraction : float
        The cycle life is the first cycle whose discharge capacity falls below
        ``eol_fraction * nominal_capacity_ah``; NaN if the file ends before that (unless given
        in ``cycle_life``).
    """
    cycles = np.arange(first_cycle, last_cycle + 1)
    grid = np.asarray(grid, dtype=float)
    qdlin = np.zeros((len(tables), grid.size, cycles.size))
    lives = np.full(len(tables), np.nan)
    notes: list[str] = []
    ids = []
    for c, (cell, cols) in enumerate(tables):
        ids.append(str(cell))
        cyc = np.asarray(cols["cycle"]).astype(int)
        have = set(np.unique(cyc).tolist())
        missing = [int(k) for k in cycles if k not in have]
        if missing:
            raise DataError(
                f"{source}: cell {cell!r} lacks cycle(s) {missing[:5]}{'...' if len(missing) > 5 else ''} "
                f"in column 'cycle'; cycles {first_cycle}-{last_cycle} are needed (found {min(have)}-{max(have)})."
            )
        order = np.argsort(cyc, kind="stable")
        cyc_sorted = cyc[order]
        bounds = np.searchsorted(cyc_sorted, np.unique(cyc_sorted))
        bounds = np.append(bounds, cyc_sorted.size)
        caps = {}
        for b0, b1 in zip(bounds[:-1], bounds[1:], strict=False):
            k = int(cyc_sorted[b0])
            rows = order[b0:b1]
            rows = rows[np.argsort(rows)]  # keep file order within a cycle
            get = {
                f: (np.asarray(cols[f])[rows] if cols.get(f) is not None else None)
                for f in ("voltage", "current", "time", "discharge_capacity")
            }
            try:
                qv = discharge_qv(
                    get["voltage"],
                    get["current"],
                    get["time"],
                    get["discharge_capacity"],
                    grid=grid,
                    discharge_sign=discharge_sign,
                )
            except DataError as exc:
                if first_cycle <= k <= last_cycle:
                    raise DataError(f"{source}: cell {cell!r}, cycle {k}: {exc}.") from None
                continue
            caps[k] = (
                float(qv[-1])
                if get["discharge_capacity"] is None
                else float(np.nanmax(get["discharge_capacity"]) - np.nanmin(get["discharge_capacity"]))
            )
            if first_cycle <= k <= last_cycle:
                qdlin[c, :, k - first_cycle] = qv
        below = [k for k in sorted(caps) if k > first_cycle and caps[k] < eol_fraction * nominal_capacity_ah]
        if cycle_life and str(cell) in cycle_life:
            lives[c] = float(cycle_life[str(cell)])
        elif below:
            lives[c] = float(below[0])
        else:
            notes.append(
                f"cell {cell}: capacity never fell below {eol_fraction:.0%} of {nominal_capacity_ah} Ah in the file; cycle life unknown (NaN)"
            )
    return BatteryDataset(qdlin, lives, grid, cycles, ids, {}, notes, source)


def _columns_from_frame(df, source: str) -> dict[str, np.ndarray]:  # df: pandas.DataFrame
    found = _find_columns(list(df.columns), source, ("cycle", "voltage", "current"))
    if "discharge_capacity" not in found and "time" not in found:
        raise DataError(
            f"{source}: needs a discharge capacity column or a time column (to integrate current). Found: {list(df.columns)}."
        )
    out: dict[str, np.ndarray] = {}
    for field, col in found.items():
        values = df[col].to_numpy()
        if field not in ("cell",):
            try:
                values = values.astype(float)
            except (TypeError, ValueError):
                raise DataError(f"{source}: column {col!r} ({field}) must be numeric.") from None
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size and field in ("cycle", "voltage", "current"):
                raise DataError(
                    f"{source}: column {col!r} ({field}) has a non-numeric or missing value at data row {bad[0] + 1}."
                )
        out[field] = values
    if "current" in found and "ma" in _norm(found["current"])[-2:]:
        out["current"] = out["current"] / 1000.0
    return out


def load_cycler_csv(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    grid: np.ndarray = DEFAULT_VOLTAGE_GRID,
    first_cycle: int = 2,
    last_cycle: int = 100,
    nominal_capacity_ah: float = NOMINAL_CAPACITY_AH,
    discharge_sign: int = -1,
) -> BatteryDataset:
    """Load raw cycler CSV files (one or several cells per file) into a :class:`BatteryDataset`.

    Columns (names matched case-insensitively, see :data:`COLUMN_ALIASES`): ``cycle``,
    ``voltage`` (V), ``current`` (A, negative on discharge unless ``discharge_sign=1``), and
    ``discharge_capacity`` (Ah) and/or ``time`` (s).  Optional ``cell`` splits a file into cells
    (otherwise one cell per file, named after it); optional ``cycle_life`` gives the label.
    """
    pd = require("pandas", "battery")
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    tables: list[tuple[str, dict[str, np.ndarray]]] = []
    lives: dict[str, float] = {}
    for path in paths:
        path = Path(path)
        _check_file(path, "Cycler CSV file")
        with open(path, "rb") as fh:
            if b"\x00" in fh.read(8192):
                raise DataError(f"{path} is a binary file, not a CSV text table.")
        try:
            df = pd.read_csv(path)
        except Exception as exc:
            raise DataError(f"Could not read {path} as CSV ({one_line(exc)}).") from None
        if df.empty:
            raise DataError(f"{path} has no data rows.")
        cols = _columns_from_frame(df, str(path))
        cells = cols.pop("cell", None)
        life_col = cols.pop("cycle_life", None)
        if cells is None:
            names, groups = [path.stem], [np.arange(len(df))]
        else:
            names = [str(u) for u in dict.fromkeys(cells.tolist())]
            groups = [
                np.flatnonzero(cells == (type(cells[0])(u) if not isinstance(cells[0], str) else u)) for u in names
            ]
        for name, rows in zip(names, groups, strict=False):
            tables.append((name, {k: v[rows] for k, v in cols.items()}))
            if life_col is not None and np.isfinite(life_col[rows]).any():
                lives[name] = float(np.nanmax(life_col[rows]))
    return timeseries_to_dataset(
        tables,
        grid=grid,
        first_cycle=first_cycle,
        last_cycle=last_cycle,
        nominal_capacity_ah=nominal_capacity_ah,
        discharge_sign=discharge_sign,
        cycle_life=lives,
        source=", ".join(str(p) for p in paths),
    )


def load_battdat_hdf5(
    path: str | os.PathLike,
    *,
    grid: np.ndarray = DEFAULT_VOLTAGE_GRID,
    first_cycle: int = 2,
    last_cycle: int = 100,
    nominal_capacity_ah: float | None = None,
) -> BatteryDataset:
    """Load every cell of a battery-data-toolkit (``battdat``) HDF5 file.

    battdat stores a cell's ``raw_data`` table (``cycle_number``, ``test_time`` in s, ``voltage``
    in V, ``current`` in A, positive when charging) either at the file's root (``to_hdf(path)``, one
    cell per file; the cell is named after the file) or under a prefix group per cell
    (``to_hdf(path, prefix=name)``), with the metadata (nominal capacity in
    ``battery.nominal_capacity`` in A-hr).  Reading goes through battdat itself so its schema checks
    and PyTables layout stay authoritative.  Discharge capacity comes from
    ``cycle_capacity_discharge`` when present, otherwise from integrating the current.  Cells come
    in the order of their names.
    """
    pytables = require("tables", "battery")
    battdat_data = require("battdat.data", "battery")
    path = Path(path)
    _check_file(path, "battdat HDF5 file")
    if not is_hdf5(path):
        raise DataError(f"Could not read {path} as a battdat HDF5 file: it is not an HDF5 file (no HDF5 signature).")
    reader = battdat_data.BatteryDataset
    try:
        _, prefixes, _ = reader.inspect_hdf(path)
        cells = []
        with pytables.File(path, mode="r") as fh:
            # A table's parent group names the cell; battdat's default layout puts the tables in the
            # root group, whose name "/" is no prefix that battdat reads back: that is prefix None.
            for prefix in sorted(prefixes, key=str):
                at_root = prefix in (None, "", "/")
                cells.append(
                    (
                        path.stem if at_root else prefix,
                        reader.from_hdf(fh, prefix=None if at_root else prefix, tables=["raw_data"]),
                    )
                )
    except Exception as exc:
        raise DataError(
            f"Could not read {path} as a battdat HDF5 file with a 'raw_data' table ({one_line(exc)})."
        ) from None
    if not cells:
        raise DataError(f"{path} holds no battdat cells.")
    tables = []
    nominal = nominal_capacity_ah
    for name, ds in cells:
        raw = ds.tables.get("raw_data")
        if raw is None:
            raise DataError(f"{path}: cell {name!r} has no 'raw_data' table.")
        src = f"{path} (cell {name!r}, table raw_data)"
        for col in ("cycle_number", "voltage", "current", "test_time"):
            if col not in raw.columns:
                raise DataError(f"{src}: missing column {col!r}; found {list(raw.columns)}.")
        cols = {
            "cycle": raw["cycle_number"].to_numpy(),
            "voltage": raw["voltage"].to_numpy(dtype=float),
            "current": raw["current"].to_numpy(dtype=float),
            "time": raw["test_time"].to_numpy(dtype=float),
        }
        if "cycle_capacity_discharge" in raw.columns:
            cols["discharge_capacity"] = raw["cycle_capacity_discharge"].to_numpy(dtype=float)
        tables.append((str(name), cols))
        if nominal is None:
            battery = getattr(ds.metadata, "battery", None)
            nominal = getattr(battery, "nominal_capacity", None) if battery is not None else None
    return timeseries_to_dataset(
        tables,
        grid=grid,
        first_cycle=first_cycle,
        last_cycle=last_cycle,
        nominal_capacity_ah=float(nominal or NOMINAL_CAPACITY_AH),
        discharge_sign=-1,  # battdat: positive current charges the battery
        source=str(path),
    )
