"""Battery cycling data: the :class:`BatteryDataset` container, loaders and the synthetic fleet.

* :func:`load_npz` / :func:`save_npz` — the Severson npz format (``qdlin``, ``cycle_life``);
* :func:`load_cycler_csv` — raw cycler time series (CSV) → Q(V) on a voltage grid;
* :func:`load_battdat_hdf5` — battery-data-toolkit HDF5 files;
* :func:`load_dataset` — any of the above, chosen by file extension;
* :func:`simulate_fleet` — the PyBaMM synthetic fleet (imports PyBaMM lazily).
"""

from __future__ import annotations

import os
from pathlib import Path

from matnn.data.battery.dataset import (
    DEFAULT_CYCLES,
    DEFAULT_VOLTAGE_GRID,
    NOMINAL_CAPACITY_AH,
    BatteryDataset,
    default_voltage_grid,
    resample_voltage,
)
from matnn.data.battery.npz import find_glitches, load_npz, repair_glitches, save_npz
from matnn.data.battery.timeseries import discharge_qv, load_battdat_hdf5, load_cycler_csv, timeseries_to_dataset

__all__ = [
    "BatteryDataset",
    "DEFAULT_CYCLES",
    "DEFAULT_VOLTAGE_GRID",
    "NOMINAL_CAPACITY_AH",
    "default_voltage_grid",
    "resample_voltage",
    "load_npz",
    "save_npz",
    "find_glitches",
    "repair_glitches",
    "discharge_qv",
    "timeseries_to_dataset",
    "load_cycler_csv",
    "load_battdat_hdf5",
    "load_dataset",
    "simulate_fleet",
    "FleetConfig",
]


def load_dataset(path: str | os.PathLike, *, require_labels: bool = False, **kwargs) -> BatteryDataset:
    """Load a battery file by extension: ``.npz`` (Severson format), ``.csv`` (cycler), ``.h5``/``.hdf5`` (battdat)."""
    from matnn.core.exceptions import DataError

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".npz":
        ds = load_npz(p, require_labels=require_labels, **kwargs)
    elif suffix == ".csv":
        ds = load_cycler_csv(p, **kwargs)
    elif suffix in (".h5", ".hdf5", ".hdf"):
        ds = load_battdat_hdf5(p, **kwargs)
    else:
        raise DataError(
            f"Unknown battery file type {suffix!r} for {p}. Allowed: .npz (Severson format), .csv (cycler time series), .h5/.hdf5 (battdat)."
        )
    if require_labels and not ds.has_labels:
        import numpy as np

        bad = int(np.flatnonzero(~(ds.cycle_life > 0))[0])
        raise DataError(
            f"{p}: cell {ds.cell_ids[bad]!r} has no valid cycle life ({ds.cycle_life[bad]!r}); training data needs labels."
        )
    return ds


def __getattr__(name: str):
    if name in ("simulate_fleet", "FleetConfig", "sample_cells", "default_cache_dir"):
        from matnn.data.battery import synthetic

        return getattr(synthetic, name)
    raise AttributeError(f"module 'matnn.data.battery' has no attribute {name!r}")
