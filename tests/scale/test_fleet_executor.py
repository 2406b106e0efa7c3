"""The PyBaMM fleet runs on matnn's Executor: two Dask workers give the serial fleet exactly."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pybamm")

from matnn.data.battery.synthetic import FleetConfig, simulate_fleet  # noqa: E402

TINY = FleetConfig(n_cells=2, seed=3, first_cycle=2, last_cycle=12, max_cycles=40, n_voltages=50)


@pytest.mark.slow
def test_fleet_on_two_dask_workers_equals_serial(tmp_path):
    serial = simulate_fleet(TINY, cache_dir=tmp_path / "a", workers=1, show_progress=False)
    parallel = simulate_fleet(TINY, cache_dir=tmp_path / "b", workers=2, show_progress=False)
    assert np.array_equal(serial.qdlin, parallel.qdlin)
    assert np.array_equal(serial.cycle_life, parallel.cycle_life)
