"""Unreadable battery files give one line naming the file, never a library dump."""

from __future__ import annotations

import numpy as np
import pytest

from matnn.core.exceptions import DataError
from matnn.data.battery import load_dataset


def test_garbage_h5_is_one_line(tmp_path):
    pytest.importorskip("battdat")
    path = tmp_path / "cells.h5"
    path.write_bytes(np.random.default_rng(0).bytes(3000))
    with pytest.raises(DataError, match="is not an HDF5 file") as info:
        load_dataset(path)
    assert "\n" not in str(info.value)
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"x" * 100)  # a signature, then nothing valid
    with pytest.raises(DataError) as info:
        load_dataset(path)
    assert "\n" not in str(info.value) and "back trace" not in str(info.value) and str(path) in str(info.value)


def test_binary_and_folder_cycler_csv(tmp_path):
    path = tmp_path / "cycler.csv"
    path.write_bytes(b"\x00\x01\x02" * 50)
    with pytest.raises(DataError, match="binary file"):
        load_dataset(path)
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(DataError, match="is a folder"):
        load_dataset(tmp_path / "d.csv")
