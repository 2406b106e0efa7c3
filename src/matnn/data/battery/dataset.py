"""The battery data container: discharge capacity on a voltage grid for the first cycles of each cell.

A :class:`BatteryDataset` is what every battery model in matnn consumes.  It holds, for
``n_cells`` cells, the discharge capacity Q in Ah interpolated on a common voltage grid for a
contiguous range of cycles (Severson et al. 2019 record cycles 2 to 100, see
:data:`DEFAULT_CYCLES`), the cycle life of each cell and a table of per-cell metadata.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matnn.core.exceptions import DataError, ShapeError

__all__ = [
    "BatteryDataset",
    "DEFAULT_VOLTAGE_GRID",
    "DEFAULT_CYCLES",
    "NOMINAL_CAPACITY_AH",
    "MAX_CAPACITY_AH",
    "MAX_CYCLE_LIFE",
    "default_voltage_grid",
    "resample_voltage",
]

#: Largest plausible discharge capacity of one cell in Ah (a large-format cell holds ~1e2 Ah); beyond it, a unit error.
MAX_CAPACITY_AH = 1e3
#: Largest plausible cycle life (cycles to 80 % capacity); known cycle lives lie in (0, MAX_CYCLE_LIFE].
MAX_CYCLE_LIFE = 1e6

#: Nominal capacity of the A123 APR18650M1A cells of Severson et al. (Ah); 80 % of it is end of life.
NOMINAL_CAPACITY_AH = 1.1


def default_voltage_grid(n_points: int = 200, v_max: float = 3.6, v_min: float = 2.0) -> np.ndarray:
    """Uniform voltage grid from ``v_max`` down to ``v_min`` (V), as in the Severson npz files.

    Returns
    -------
    ndarray of shape (n_points,)
        Voltages in V, decreasing (index 0 is 3.6 V).
    """
    return np.linspace(v_max, v_min, n_points)


#: The voltage grid of ``../shared/datasets/severson`` (200 points, 3.6 V → 2.0 V).
DEFAULT_VOLTAGE_GRID = default_voltage_grid()
#: Cycle numbers stored in the Severson npz files (2 to 100 inclusive).
DEFAULT_CYCLES = np.arange(2, 101)


@dataclass
class BatteryDataset:
    """Q(V) curves of the early cycles of a set of cells, with their cycle lives.

    Parameters
    ----------
    qdlin : ndarray of shape (n_cells, n_voltages, n_cycles)
        Discharge capacity in Ah at each voltage of ``voltage`` for each cycle of ``cycles``.
    cycle_life : ndarray of shape (n_cells,)
        Cycles until the discharge capacity first falls below 80 % of nominal; NaN where unknown
        (a cell still alive, or a file without labels).
    voltage : ndarray of shape (n_voltages,), default: 3.6 V → 2.0 V in 200 points
        Voltage grid in V.
    cycles : ndarray of shape (n_cycles,), default: 2..100
        Cycle numbers of the last axis of ``qdlin``.
    cell_ids : sequence of str, optional
        One name per cell (default ``cell000``, ``cell001``...).
    metadata : dict of str to ndarray of shape (n_cells,), optional
        Per-cell columns (charging policy, simulated ageing factors, source file...).
    qc_report : list of str
        Human-readable notes written by loaders about what was repaired (glitches clipped...).
    source : str
        Where the data came from (file path or "pybamm fleet").

    Examples
    --------
    >>> ds = BatteryDataset(np.zeros((2, 200, 99)), np.array([500.0, 800.0]))
    >>> ds.n_cells, ds.delta_q(100, 10).shape
    (2, (2, 200))
    """

    qdlin: np.ndarray
    cycle_life: np.ndarray
    voltage: np.ndarray = field(default_factory=lambda: DEFAULT_VOLTAGE_GRID.copy())
    cycles: np.ndarray = field(default_factory=lambda: DEFAULT_CYCLES.copy())
    cell_ids: Sequence[str] | None = None
    metadata: dict[str, np.ndarray] = field(default_factory=dict)
    qc_report: list[str] = field(default_factory=list)
    source: str = ""

    def __post_init__(self) -> None:
        for name in ("qdlin", "cycle_life", "voltage"):
            if np.iscomplexobj(getattr(self, name)):  # float64 conversion would drop the imaginary part silently
                raise DataError(
                    f"BatteryDataset.{name} is complex; it must hold real numbers"
                    + (f" (source: {self.source})." if self.source else ".")
                )
        self.qdlin = np.asarray(self.qdlin, dtype=np.float64)
        self.cycle_life = np.asarray(self.cycle_life, dtype=np.float64).reshape(-1)
        self.voltage = np.asarray(self.voltage, dtype=np.float64).reshape(-1)
        self.cycles = np.asarray(self.cycles).reshape(-1).astype(int)
        where = f" (source: {self.source})" if self.source else ""
        if self.qdlin.ndim != 3:
            raise ShapeError(
                f"BatteryDataset.qdlin must have shape (n_cells, n_voltages, n_cycles); got {self.qdlin.shape}{where}."
            )
        n_cells, n_v, n_c = self.qdlin.shape
        if self.cycle_life.shape != (n_cells,):
            raise ShapeError(
                f"BatteryDataset.cycle_life must have one value per cell ({n_cells}); got shape {self.cycle_life.shape}{where}."
            )
        if self.voltage.shape != (n_v,):
            raise ShapeError(
                f"BatteryDataset.voltage has {self.voltage.size} points but qdlin has {n_v} voltage points{where}."
            )
        if self.cycles.shape != (n_c,):
            raise ShapeError(f"BatteryDataset.cycles has {self.cycles.size} entries but qdlin has {n_c} cycles{where}.")
        if n_c > 1 and np.any(np.diff(self.cycles) != 1):
            raise DataError(
                f"BatteryDataset.cycles must be consecutive cycle numbers; got {self.cycles.tolist()[:5]}...{where}."
            )
        if self.cell_ids is None:
            self.cell_ids = [f"cell{i:03d}" for i in range(n_cells)]
        self.cell_ids = [str(c) for c in self.cell_ids]
        if len(self.cell_ids) != n_cells:
            raise ShapeError(f"BatteryDataset.cell_ids has {len(self.cell_ids)} names for {n_cells} cells{where}.")
        meta = {}
        for key, col in dict(self.metadata).items():
            col = np.asarray(col)
            if col.shape[:1] != (n_cells,):
                raise ShapeError(
                    f"BatteryDataset.metadata[{key!r}] must have {n_cells} rows; got shape {col.shape}{where}."
                )
            meta[str(key)] = col
        self.metadata = meta
        if not np.all(np.isfinite(self.qdlin)):
            bad = np.argwhere(~np.isfinite(self.qdlin))[0]
            raise DataError(
                f"BatteryDataset.qdlin has non-finite values, first at cell {self.cell_ids[bad[0]]!r}, "
                f"voltage {self.voltage[bad[1]]:.3f} V, cycle {self.cycles[bad[2]]}{where}; "
                "load files with the matnn loaders, which repair or reject glitches."
            )
        big = np.abs(self.qdlin) > MAX_CAPACITY_AH
        if big.any():
            c, v, k = (int(i) for i in np.argwhere(big)[0])
            raise DataError(
                f"BatteryDataset.qdlin has {int(big.sum())} value(s) beyond ±{MAX_CAPACITY_AH:g} Ah, first at cell "
                f"{self.cell_ids[c]!r} (index ({c}, {v}, {k})): {float(self.qdlin[c, v, k])!r}{where}; Q is the discharge "
                "capacity of one cell in Ah."
            )
        life = self.cycle_life
        bad_life = np.isinf(life) | (np.isfinite(life) & ~((life > 0) & (life <= MAX_CYCLE_LIFE)))
        if bad_life.any():
            i = int(np.flatnonzero(bad_life)[0])
            raise DataError(
                f"BatteryDataset.cycle_life of cell {self.cell_ids[i]!r} (index {i}) is {float(life[i])!r}; a cycle life lies "
                f"in (0, {MAX_CYCLE_LIFE:g}] cycles (NaN marks an unknown one){where}."
            )

    # ------------------------------------------------------------------ basic views
    @property
    def n_cells(self) -> int:
        return int(self.qdlin.shape[0])

    @property
    def n_voltages(self) -> int:
        return int(self.qdlin.shape[1])

    @property
    def n_cycles(self) -> int:
        return int(self.qdlin.shape[2])

    @property
    def has_labels(self) -> bool:
        """True when every cell has a finite, positive cycle life."""
        return bool(np.all(np.isfinite(self.cycle_life)) and np.all(self.cycle_life > 0))

    def cycle_index(self, cycle: int) -> int:
        """Position of cycle number ``cycle`` on the last axis of :attr:`qdlin`."""
        hits = np.flatnonzero(self.cycles == int(cycle))
        if hits.size == 0:
            raise DataError(
                f"Cycle {cycle} is not in this dataset; it holds cycles {self.cycles[0]} to {self.cycles[-1]}"
                + (f" (source: {self.source})" if self.source else "")
                + "."
            )
        return int(hits[0])

    def q(self, cycle: int) -> np.ndarray:
        """Q(V) of cycle ``cycle``: ndarray of shape (n_cells, n_voltages), Ah."""
        return self.qdlin[:, :, self.cycle_index(cycle)]

    def delta_q(self, cycle: int = 100, reference: int = 10) -> np.ndarray:
        """ΔQ(V) = Q_cycle(V) − Q_reference(V): ndarray of shape (n_cells, n_voltages), Ah."""
        return self.q(cycle) - self.q(reference)

    def subset(self, index: Sequence[int] | np.ndarray) -> BatteryDataset:
        """A new dataset holding the cells at ``index`` (integer positions or a boolean mask)."""
        idx = np.arange(self.n_cells)[np.asarray(index)]
        return BatteryDataset(
            qdlin=self.qdlin[idx],
            cycle_life=self.cycle_life[idx],
            voltage=self.voltage,
            cycles=self.cycles,
            cell_ids=[self.cell_ids[i] for i in idx],  # type: ignore[index]
            metadata={k: v[idx] for k, v in self.metadata.items()},
            qc_report=list(self.qc_report),
            source=self.source,
        )

    def check_compatible(self, other: BatteryDataset, *, name: str = "test set", cycles: Sequence[int] = ()) -> None:
        """Raise :class:`DataError` unless ``other`` has the same voltage grid (and holds ``cycles``)."""
        if other.voltage.shape != self.voltage.shape or not np.allclose(other.voltage, self.voltage, atol=1e-6):
            raise DataError(
                f"The {name} ({other.source or 'in memory'}) has a different voltage grid: "
                f"{other.n_voltages} points from {other.voltage[0]:.3f} to {other.voltage[-1]:.3f} V, "
                f"but the model was trained on {self.n_voltages} points from {self.voltage[0]:.3f} to "
                f"{self.voltage[-1]:.3f} V. Re-interpolate it on the same grid "
                "(matnn.data.battery.resample_voltage)."
            )
        for c in cycles:
            if int(c) not in set(other.cycles.tolist()):
                raise DataError(
                    f"The {name} ({other.source or 'in memory'}) lacks cycle {c}; it holds cycles "
                    f"{other.cycles[0]} to {other.cycles[-1]}."
                )

    def summary(self) -> dict[str, Any]:
        """Flat description: cell count, grid, cycle-life statistics and QC notes."""
        life = self.cycle_life[np.isfinite(self.cycle_life)]
        return {
            "n_cells": self.n_cells,
            "n_voltages": self.n_voltages,
            "voltage_max_v": float(self.voltage.max()),
            "voltage_min_v": float(self.voltage.min()),
            "first_cycle": int(self.cycles[0]),
            "last_cycle": int(self.cycles[-1]),
            "cycle_life_min": float(life.min()) if life.size else None,
            "cycle_life_median": float(np.median(life)) if life.size else None,
            "cycle_life_max": float(life.max()) if life.size else None,
            "n_qc_notes": len(self.qc_report),
        }

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The arrays written by :func:`matnn.data.battery.save_npz` (Severson npz keys plus extras)."""
        arrays: dict[str, np.ndarray] = {
            "qdlin": self.qdlin.astype(np.float32),
            "cycle_life": self.cycle_life.astype(np.float32),
            "voltage": self.voltage,
            "cycles": self.cycles,
            "cell_ids": np.asarray(self.cell_ids, dtype=str),
        }
        for k, v in self.metadata.items():
            arrays[f"meta_{k}"] = v
        return arrays

    @classmethod
    def concatenate(cls, parts: Sequence[BatteryDataset]) -> BatteryDataset:
        """Stack datasets with identical grids and cycles along the cell axis."""
        if not parts:
            raise DataError("BatteryDataset.concatenate needs at least one dataset.")
        first = parts[0]
        for p in parts[1:]:
            first.check_compatible(p, name="dataset to concatenate")
            if not np.array_equal(p.cycles, first.cycles):
                raise DataError("Datasets to concatenate must hold the same cycles.")
        keys = set.intersection(*(set(p.metadata) for p in parts)) if parts else set()
        return cls(
            qdlin=np.concatenate([p.qdlin for p in parts]),
            cycle_life=np.concatenate([p.cycle_life for p in parts]),
            voltage=first.voltage,
            cycles=first.cycles,
            cell_ids=[c for p in parts for c in p.cell_ids],  # type: ignore[union-attr]
            metadata={k: np.concatenate([p.metadata[k] for p in parts]) for k in sorted(keys)},
            qc_report=[n for p in parts for n in p.qc_report],
            source="+".join(p.source for p in parts if p.source),
        )

    def __repr__(self) -> str:
        return (
            f"BatteryDataset(n_cells={self.n_cells}, n_voltages={self.n_voltages}, "
            f"cycles={self.cycles[0]}..{self.cycles[-1]}, source={self.source!r})"
        )


def resample_voltage(ds: BatteryDataset, voltage: np.ndarray = DEFAULT_VOLTAGE_GRID) -> BatteryDataset:
    """Re-interpolate every Q(V) curve of ``ds`` on another voltage grid (linear in V).

    Outside the original grid Q is held at its end values (0 above the top, full below the bottom).

    Parameters
    ----------
    ds : BatteryDataset
    voltage : ndarray of shape (n_voltages,)
        The new grid in V (any order).
    """
    voltage = np.asarray(voltage, dtype=np.float64).reshape(-1)
    order = np.argsort(ds.voltage)
    v_src = ds.voltage[order]
    q_src = ds.qdlin[:, order, :]
    n_cells, _, n_cyc = ds.qdlin.shape
    out = np.empty((n_cells, voltage.size, n_cyc))
    for c in range(n_cells):
        for k in range(n_cyc):
            out[c, :, k] = np.interp(voltage, v_src, q_src[c, :, k])
    return BatteryDataset(
        out, ds.cycle_life, voltage, ds.cycles, ds.cell_ids, ds.metadata, list(ds.qc_report), ds.source
    )
