"""Seeds on Dask: a LocalCluster gives the serial results bit for bit; an unreachable scheduler is one line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from matnn.cli.main import main
from matnn.core.engines import Executor
from matnn.core.exceptions import ConfigError

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import ddp_worker  # noqa: E402


def test_three_seeds_on_a_local_cluster_equal_serial_bit_for_bit(monkeypatch):
    # the worker processes import the task's module by name
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), *sys.path]))
    seeds = [3, 4, 5]
    with Executor(workers=1) as ex:
        serial = ex.map(ddp_worker.seed_task, seeds)
    with Executor(workers=2) as ex:
        assert not ex.serial
        parallel = ex.map(ddp_worker.seed_task, seeds)
    for s, p in zip(serial, parallel, strict=True):
        for a, b in zip(s, p, strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(serial[0], serial[1], strict=True))  # seeds differ


def test_unreachable_scheduler_is_a_config_error(monkeypatch):
    monkeypatch.setenv("MATNN_DASK_CONNECT_TIMEOUT_S", "1")
    with pytest.raises(ConfigError, match="Cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"):
        with Executor(scheduler="tcp://127.0.0.1:9"):
            pass


def test_unreachable_scheduler_on_the_command_line_is_one_line(monkeypatch, capsys, shared_datasets, tmp_path):
    monkeypatch.setenv("MATNN_DASK_CONNECT_TIMEOUT_S", "1")
    code = main(
        [
            "battery",
            "train",
            "--train",
            str(shared_datasets / "severson" / "train.npz"),
            "--model",
            "variance",
            "--seeds",
            "2",
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--out",
            str(tmp_path / "run"),
            "--quiet",
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2
    errors = [
        line for line in err.splitlines() if not line.startswith("note: ")
    ]  # the loader's repair note may precede
    assert len(errors) == 1 and errors[0].startswith("matnn battery train: error: Cannot reach the Dask scheduler")
    assert not (tmp_path / "run" / "metrics.json").exists()
