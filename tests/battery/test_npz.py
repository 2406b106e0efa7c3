"""Severson npz loader: round trips, glitch detection and repair, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from matnn.core.exceptions import DataError
from matnn.data.battery import BatteryDataset, find_glitches, load_npz, repair_glitches, resample_voltage, save_npz


def test_round_trip_keeps_arrays_ids_and_metadata(tmp_path, curves):
    curves.metadata["c1"] = np.arange(curves.n_cells, dtype=float)
    path = save_npz(curves, tmp_path / "cells.npz")
    back = load_npz(path)
    np.testing.assert_allclose(back.qdlin, curves.qdlin, atol=1e-6)  # float32 on disk
    np.testing.assert_allclose(back.cycle_life, curves.cycle_life, rtol=1e-6)
    np.testing.assert_array_equal(back.voltage, curves.voltage)
    np.testing.assert_array_equal(back.cycles, curves.cycles)
    assert back.cell_ids == curves.cell_ids
    np.testing.assert_array_equal(back.metadata["c1"], curves.metadata["c1"])
    assert back.qc_report == []


def test_minimal_severson_file_gets_default_grid(tmp_path, curves):
    np.savez(tmp_path / "s.npz", qdlin=curves.qdlin.astype(np.float32), cycle_life=curves.cycle_life.astype(np.float32))
    ds = load_npz(tmp_path / "s.npz")
    assert ds.voltage[0] == pytest.approx(3.6) and ds.voltage[-1] == pytest.approx(2.0)
    assert ds.cycles[0] == 2 and ds.cycles[-1] == 100
    assert ds.delta_q(100, 10).shape == (curves.n_cells, 200)


def _glitched(curves: BatteryDataset) -> np.ndarray:
    q = curves.qdlin.copy()
    q[3, 40:60, 10] = 31.0  # cycle 12 of cell 3: the kind of spike in the Severson files
    q[5, :5, 71] = -0.2  # cycle 73 of cell 5: negative capacity
    return q


def test_glitches_found_exactly(curves):
    bad = find_glitches(_glitched(curves))
    assert set(map(tuple, np.argwhere(bad))) == {(3, 10), (5, 71)}
    assert not find_glitches(curves.qdlin).any()


def test_interpolation_repair_matches_neighbours(curves):
    q, notes = repair_glitches(_glitched(curves), cycles=curves.cycles)
    # linear interpolation in cycle number between the clean neighbours 11 and 13
    expected = 0.5 * (curves.qdlin[3, :, 9] + curves.qdlin[3, :, 11])
    np.testing.assert_allclose(q[3, :, 10], expected, atol=1e-12)
    assert len(notes) == 2 and "cycle(s) 12" in notes[0] and "cell003" in notes[0]
    # untouched elsewhere
    np.testing.assert_array_equal(np.delete(q[3], 10, axis=1), np.delete(curves.qdlin[3], 10, axis=1))


def test_clip_and_raise_modes(tmp_path, curves):
    q, _ = repair_glitches(_glitched(curves), mode="clip")
    for c, k in ((3, 10), (5, 71)):
        assert q[c, :, k].min() >= 0.0 and q[c, :, k].max() <= 1.25 * 1.07 + 1e-3
        assert np.all(np.diff(q[c, :, k]) >= 0)
    np.savez(tmp_path / "g.npz", qdlin=_glitched(curves), cycle_life=curves.cycle_life)
    with pytest.raises(DataError, match=r"g\.npz.*g_003.*'qdlin'.*cycle\(s\) 12"):
        load_npz(tmp_path / "g.npz", glitches="raise")
    ds = load_npz(tmp_path / "g.npz")
    assert len(ds.qc_report) == 2 and np.isfinite(ds.qdlin).all()


def test_missing_key_and_bad_shapes(tmp_path, curves):
    np.savez(tmp_path / "nokey.npz", q=curves.qdlin)
    with pytest.raises(DataError, match=r"nokey\.npz has no key 'qdlin'.*keys found: \['q'\]"):
        load_npz(tmp_path / "nokey.npz")
    np.savez(tmp_path / "life.npz", qdlin=curves.qdlin, cycle_life=np.ones(3))
    with pytest.raises(DataError, match="'cycle_life' has 3 values for 24 cells"):
        load_npz(tmp_path / "life.npz")
    np.savez(tmp_path / "nolabel.npz", qdlin=curves.qdlin)
    assert np.isnan(load_npz(tmp_path / "nolabel.npz").cycle_life).all()
    with pytest.raises(DataError, match="no key 'cycle_life'"):
        load_npz(tmp_path / "nolabel.npz", require_labels=True)
    with pytest.raises(DataError, match="not found"):
        load_npz(tmp_path / "absent.npz")


def test_mismatched_grid_is_refused_and_resampling_fixes_it(curves):
    coarse = resample_voltage(curves, np.linspace(3.6, 2.0, 50))
    with pytest.raises(DataError, match="different voltage grid: 50 points"):
        curves.check_compatible(coarse)
    back = resample_voltage(coarse, curves.voltage)
    curves.check_compatible(back)
    # resampling on the same grid is the identity; on a finer grid, interior points are exact where Q is linear
    np.testing.assert_allclose(resample_voltage(curves, curves.voltage).qdlin, curves.qdlin)
    assert np.abs(back.qdlin - curves.qdlin).max() < 1e-2


def test_shared_severson_glitches_are_reported(shared_datasets):
    ds = load_npz(shared_datasets / "severson" / "train.npz")
    assert ds.n_cells == 41 and ds.n_voltages == 200 and ds.n_cycles == 99
    assert len(ds.qc_report) == 3
    assert ds.qdlin.min() > -0.05 and ds.qdlin.max() < 1.3
