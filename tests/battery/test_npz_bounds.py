"""The npz loader refuses what it cannot load faithfully: all-NaN cells, absurd magnitudes, complex or text data."""

from __future__ import annotations

import numpy as np
import pytest

from matnn.core.exceptions import DataError
from matnn.data.battery import load_npz

from .conftest import synthetic_curves


def _write(tmp_path, name="cells.npz", **arrays):
    base = synthetic_curves(6)
    arrays.setdefault("qdlin", base.qdlin.astype(np.float32))
    arrays.setdefault("cycle_life", base.cycle_life.astype(np.float32))
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def test_all_nan_test_file_is_refused_naming_file_key_and_index(tmp_path):
    path = _write(tmp_path, qdlin=np.full((3, 200, 99), np.nan, np.float32), cycle_life=np.full(3, np.nan))
    with pytest.raises(
        DataError,
        match=r"cells\.npz: key 'qdlin' of cell 'cells_000' \(row 0\) has 99 of 99 cycles.*index \(0, 0, 0\): nan",
    ):
        load_npz(path)


def test_all_nan_training_file_is_refused(tmp_path):
    path = _write(tmp_path, qdlin=np.full((6, 200, 99), np.nan, np.float32))
    with pytest.raises(DataError, match="beyond repair"):
        load_npz(path, require_labels=True)


def test_one_nan_cell_among_clean_ones_is_refused(tmp_path):
    q = synthetic_curves(6).qdlin.astype(np.float32)
    q[4] = np.nan
    with pytest.raises(DataError, match=r"cell 'cells_004' \(row 4\)"):
        load_npz(_write(tmp_path, qdlin=q))


def test_huge_cycle_life_is_refused(tmp_path):
    life = synthetic_curves(6).cycle_life.copy()
    life[2] = 1e30
    with pytest.raises(DataError, match=r"'cycle_life' of cell 'cells_002' \(index 2\) is 1e\+30; .*\(0, 1e\+06\]"):
        load_npz(_write(tmp_path, cycle_life=life))
    life[2] = -5
    with pytest.raises(DataError, match="index 2"):
        load_npz(_write(tmp_path, cycle_life=life))


def test_capacity_times_1e30_is_refused(tmp_path):
    q = synthetic_curves(6).qdlin * 1e30
    with pytest.raises(
        DataError, match=r"key 'qdlin' has .* beyond ±1000 Ah after glitch repair, first at index \(0, \d+, 0\)"
    ):
        load_npz(_write(tmp_path, qdlin=q))


def test_complex_capacity_is_refused_not_truncated(tmp_path):
    q = synthetic_curves(6).qdlin.astype(np.complex128)
    q[1, 5, 7] += 0.5j
    with pytest.raises(DataError, match=r"key 'qdlin' is complex .*index \(1, 5, 7\)"):
        load_npz(_write(tmp_path, qdlin=q))


def test_capacity_stored_as_strings_is_one_line_data_error(tmp_path):
    q = synthetic_curves(6).qdlin.astype(str)
    with pytest.raises(DataError, match=r"key 'qdlin' holds <U\d+ values, not numbers") as info:
        load_npz(_write(tmp_path, qdlin=q))
    assert "\n" not in str(info.value)


def test_object_arrays_and_random_bytes_never_mention_allow_pickle(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, qdlin=np.array([{"a": 1}], dtype=object))
    with pytest.raises(DataError) as info:
        load_npz(path)
    assert "pickle" not in str(info.value) and "Python objects" in str(info.value)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError, match="is not an .npz archive") as info:
        load_npz(junk)
    assert "pickle" not in str(info.value)


def test_folder_is_named_as_a_folder(tmp_path):
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(DataError, match="is a folder"):
        load_npz(tmp_path / "d.npz")


def test_glitch_repairs_are_counted_on_stderr(tmp_path, capsys):
    q = synthetic_curves(6).qdlin.copy()
    q[3, 40:60, 10] = 31.0
    q[3, 40:60, 20] = 31.0
    q[5, :5, 71] = -0.2
    ds = load_npz(_write(tmp_path, qdlin=q))
    err = capsys.readouterr().err
    assert "3 glitched cycle(s) in 2 cell(s)" in err and "cells.npz" in err
    assert len(ds.qc_report) == 2
    load_npz(_write(tmp_path, qdlin=q), report=False)
    assert capsys.readouterr().err == ""
