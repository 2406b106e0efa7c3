"""Cycler time series (CSV, battdat HDF5) → Q(V) on the voltage grid, checked on constructed cycles."""

from __future__ import annotations

import numpy as np
import pytest

from matnn.core.exceptions import DataError
from matnn.data.battery import DEFAULT_VOLTAGE_GRID, discharge_qv, load_battdat_hdf5, load_cycler_csv

CAPACITY = 1.0  # Ah delivered by the constructed discharge


def _cycle_rows(cycle: int, t0: float, fade: float) -> dict[str, np.ndarray]:
    """One cycle: 1C charge, rest, 4C discharge with V = 3.2 − 1.2 Q/Q_max, CV hold at 2.0 V, rest.

    The known answer on the grid is Q(V) = (3.2 − V) Q_max / 1.2 clipped to [0, Q_max]
    (Q_max = CAPACITY − fade), exactly, because the discharge is linear in Q.
    """
    qmax = CAPACITY - fade
    n = 400
    tc = np.linspace(0, 3600 * qmax, 50)  # charge
    vc = np.linspace(2.1, 3.6, 50)
    td = np.linspace(0, 900 * qmax, n)  # 4C discharge
    qd = td * 4.0 / 3600.0
    vd = 3.2 - 1.2 * qd / qmax
    th = np.linspace(1, 60, 10)  # CV hold: V fixed, capacity still growing
    time = np.concatenate([tc, tc[-1] + 60 + np.arange(5), tc[-1] + 120 + td, tc[-1] + 120 + td[-1] + th])
    voltage = np.concatenate([vc, np.full(5, 3.45), vd, np.full(10, 2.0)])
    current = np.concatenate([np.full(50, 1.0), np.zeros(5), np.full(n, -4.0), np.linspace(-1.0, -0.05, 10)])
    qcol = np.concatenate([np.zeros(55), qd, qd[-1] + np.linspace(0.001, 0.01, 10)])
    return {
        "cycle": np.full(time.size, cycle),
        "time": t0 + time,
        "voltage": voltage,
        "current": current,
        "discharge_capacity": qcol,
    }


def _expected(fade: float) -> np.ndarray:
    qmax = CAPACITY - fade
    return np.clip((3.2 - DEFAULT_VOLTAGE_GRID) * qmax / 1.2, 0.0, qmax)


def _cell_frame(n_cycles: int = 101, fade_per_cycle: float = 1e-3, name: str | None = None):
    import pandas as pd

    parts, t0 = [], 0.0
    for k in range(1, n_cycles + 1):
        rows = _cycle_rows(k, t0, fade_per_cycle * k)
        t0 = rows["time"][-1] + 10
        parts.append(pd.DataFrame(rows))
    df = pd.concat(parts, ignore_index=True)
    if name is not None:
        df.insert(0, "cell", name)
    return df


def test_single_cycle_known_answer():
    rows = _cycle_rows(5, 0.0, 0.05)
    q = discharge_qv(rows["voltage"], rows["current"], rows["time"], rows["discharge_capacity"])
    np.testing.assert_allclose(q, _expected(0.05), atol=1e-9)
    # without the capacity column the current is integrated (trapezoid): same answer to 1e-6 Ah
    q2 = discharge_qv(rows["voltage"], rows["current"], rows["time"], None)
    np.testing.assert_allclose(q2, _expected(0.05), atol=1e-6)


def test_csv_to_dataset_known_answer_and_life(tmp_path):
    df = _cell_frame(n_cycles=260, fade_per_cycle=1e-3)
    # cycler-style column names, mixed case
    df = df.rename(
        columns={
            "cycle": "Cycle_Index",
            "time": "Test_Time(s)",
            "voltage": "Voltage(V)",
            "current": "Current(A)",
            "discharge_capacity": "Discharge_Capacity(Ah)",
        }
    )
    path = tmp_path / "cellA.csv"
    df.to_csv(path, index=False)
    ds = load_cycler_csv(path, nominal_capacity_ah=1.0)
    assert ds.cell_ids == ["cellA"] and ds.qdlin.shape == (1, 200, 99)
    for k in (2, 10, 100):
        np.testing.assert_allclose(ds.q(k)[0], _expected(1e-3 * k), atol=1e-9)
    # capacity (with the CV hold) = 1 − 1e-3 k + 0.01 falls below 0.8 Ah first at k = 211
    assert ds.cycle_life[0] == 211


def test_csv_several_cells_and_errors(tmp_path):
    import pandas as pd

    df = pd.concat([_cell_frame(101, 1e-3, "A"), _cell_frame(101, 2e-3, "B")], ignore_index=True)
    df = df.drop(columns=["discharge_capacity"])  # integrate current instead
    df.to_csv(tmp_path / "two.csv", index=False)
    ds = load_cycler_csv(tmp_path / "two.csv")
    assert ds.cell_ids == ["A", "B"]
    np.testing.assert_allclose(ds.q(100)[1], _expected(0.2), atol=1e-6)
    # nominal 1.1 Ah: 80 % is 0.88 Ah, reached by B (1 − 2e-3 k) near k = 60, never by A in 101 cycles
    assert np.isnan(ds.cycle_life[0]) and len(ds.qc_report) == 1 and "cell A" in ds.qc_report[0]
    assert 59 <= ds.cycle_life[1] <= 61

    df.drop(columns=["voltage"]).to_csv(tmp_path / "novolt.csv", index=False)
    with pytest.raises(DataError, match=r"novolt\.csv: missing column\(s\) voltage"):
        load_cycler_csv(tmp_path / "novolt.csv")
    short = _cell_frame(50, 1e-3)
    short.to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(DataError, match=r"short\.csv: cell 'short' lacks cycle\(s\) \[51"):
        load_cycler_csv(tmp_path / "short.csv")
    bad = _cell_frame(101, 1e-3)
    bad["voltage"] = bad["voltage"].astype(object)
    bad.loc[7, "voltage"] = "n/a"
    bad.to_csv(tmp_path / "badrow.csv", index=False)
    with pytest.raises(
        DataError, match=r"badrow\.csv: column 'voltage' \(voltage\) has a non-numeric or missing value at data row 8"
    ):
        load_cycler_csv(tmp_path / "badrow.csv")


def test_battdat_hdf5_round_trip(tmp_path):
    battdat = pytest.importorskip("battdat.data")
    from battdat.schemas import BatteryMetadata

    df = _cell_frame(101, 1.5e-3)
    raw = df.rename(columns={"cycle": "cycle_number", "time": "test_time"}).drop(columns=["discharge_capacity"])
    meta = BatteryMetadata(name="demo cell")
    data = battdat.BatteryDataset.make_cell_dataset(metadata=meta, raw_data=raw)
    path = tmp_path / "cell.h5"
    data.to_hdf(path, prefix="cell_a")
    ds = load_battdat_hdf5(path)
    assert ds.cell_ids == ["cell_a"]
    np.testing.assert_allclose(ds.q(100)[0], _expected(0.15), atol=1e-6)
    with pytest.raises(DataError, match="not found"):
        load_battdat_hdf5(tmp_path / "none.h5")
    (tmp_path / "junk.h5").write_bytes(b"not hdf5")
    with pytest.raises(DataError, match=r"junk\.h5 as a battdat HDF5 file"):
        load_battdat_hdf5(tmp_path / "junk.h5")


def test_battdat_default_layout_loads(tmp_path):
    """``to_hdf(path)`` without a prefix puts the tables at the file's root: one cell named after the file."""
    battdat = pytest.importorskip("battdat.data")
    from battdat.schemas import BatteryMetadata

    raw = (
        _cell_frame(13, 1e-3)
        .rename(columns={"cycle": "cycle_number", "time": "test_time"})
        .drop(columns=["discharge_capacity"])
    )
    data = battdat.BatteryDataset.make_cell_dataset(metadata=BatteryMetadata(name="root cell"), raw_data=raw)
    path = tmp_path / "single.h5"
    data.to_hdf(path)  # battdat's default call
    ds = load_battdat_hdf5(path, last_cycle=12)
    assert ds.cell_ids == ["single"] and ds.qdlin.shape == (1, DEFAULT_VOLTAGE_GRID.size, 11)
    np.testing.assert_allclose(ds.q(12)[0], _expected(0.012), atol=1e-6)
    assert np.isnan(ds.cycle_life[0])  # 1 mAh fade per cycle stays above 80 % of 1.1 Ah: life unknown


def test_battdat_cells_come_in_name_order(tmp_path):
    battdat = pytest.importorskip("battdat.data")
    from battdat.schemas import BatteryMetadata

    raw = (
        _cell_frame(13, 1e-3)
        .rename(columns={"cycle": "cycle_number", "time": "test_time"})
        .drop(columns=["discharge_capacity"])
    )
    data = battdat.BatteryDataset.make_cell_dataset(metadata=BatteryMetadata(name="cells"), raw_data=raw)
    path = tmp_path / "many.h5"
    for i, name in enumerate(["cell_c", "cell_a", "cell_b"]):
        data.to_hdf(path, prefix=name, overwrite=i == 0)
    assert load_battdat_hdf5(path, last_cycle=12).cell_ids == ["cell_a", "cell_b", "cell_c"]
