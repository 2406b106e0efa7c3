"""The PyBaMM fleet: a tiny fleet ages physically (monotonic fade), is cached and reproducible."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pybamm")

from matnn.core.exceptions import ConfigError  # noqa: E402
from matnn.data.battery.synthetic import (  # noqa: E402
    FleetConfig,
    _electrode_constants,
    _parameter_values,
    bottom_stoichiometries,
    sample_cells,
    simulate_fleet,
)

TINY = FleetConfig(n_cells=2, seed=3, first_cycle=2, last_cycle=12, max_cycles=40, n_voltages=50)


@pytest.fixture(scope="module")
def tiny_fleet(tmp_path_factory):
    cache = tmp_path_factory.mktemp("fleet_cache")
    return simulate_fleet(TINY, cache_dir=cache, workers=1, show_progress=False), cache


def test_capacity_fades_monotonically(tiny_fleet):
    ds, _ = tiny_fleet
    assert ds.qdlin.shape == (2, 50, 11)
    for i in range(ds.n_cells):
        n = ds.metadata["traj_cycle"][i]
        q = ds.metadata["traj_capacity_ah"][i]
        ok = np.isfinite(n)
        assert ok.sum() >= 4
        # Capacity never grows by more than the 20 µAh that the C/20 and C/50 cut-offs of the CV
        # holds leave undetermined, and it is clearly lower at the end.
        assert np.all(np.diff(q[ok]) < 2e-5), q[ok]
        assert q[ok][-1] < q[ok][0] - 3e-4
        assert 1.0 < q[ok][0] < 1.15  # ~1.1 Ah cells
    # lithium was lost to SEI and plating; graphite lost active material
    assert np.all(ds.metadata["lli_sei_ah"] > 0) and np.all(ds.metadata["lli_plating_ah"] > 0)
    assert np.all(ds.metadata["lam_n_eol"] > 0)
    # censored: the tiny run stops at max_cycles before 80 % capacity
    assert np.all(ds.cycle_life == TINY.max_cycles)


def test_q_of_v_is_physical(tiny_fleet):
    ds, _ = tiny_fleet
    q = ds.qdlin
    noise = 5 * TINY.noise_ah
    assert np.all(np.diff(q, axis=1) > -noise)  # Q grows as the voltage falls
    assert np.all(np.abs(q[:, 0, :]) < noise)  # nothing discharged at 3.6 V
    assert np.all((q[:, -1, :] > 0.9) & (q[:, -1, :] < 1.15))  # the 4C discharge delivers most of 1.1 Ah
    # the discharge curve shifts to lower capacity with ageing: ΔQ_12-2 is negative on average
    assert np.all((ds.q(12) - ds.q(2)).mean(axis=1) < 0)


def test_cache_reuse_is_identical_and_fast(tiny_fleet):
    import time

    ds, cache = tiny_fleet
    t = time.perf_counter()
    again = simulate_fleet(TINY, cache_dir=cache, workers=1, show_progress=False)
    assert time.perf_counter() - t < 2.0
    np.testing.assert_array_equal(again.qdlin, ds.qdlin)
    np.testing.assert_array_equal(again.cycle_life, ds.cycle_life)


def test_electrode_balance_at_bottom_of_discharge():
    p = _parameter_values()
    c = _electrode_constants(p)
    q_n, q_p = c["eps_n"] * c["q_n_per_eps"], c["eps_p"] * c["q_p_per_eps"]
    x, y = bottom_stoichiometries(c["q_li"], q_n, q_p, c["u_n"], c["u_p"], 2.0)
    assert x * q_n + y * q_p == pytest.approx(c["q_li"], rel=1e-9)  # lithium conserved
    assert float(c["u_p"](y) - c["u_n"](x)) == pytest.approx(2.0, abs=1e-6)  # open-circuit voltage
    # less lithium (LLI) leaves the graphite emptier at the same voltage
    x2, _ = bottom_stoichiometries(0.9 * c["q_li"], q_n, q_p, c["u_n"], c["u_p"], 2.0)
    assert x2 <= x


def test_policies_and_variation_are_seeded():
    a, b = sample_cells(FleetConfig(n_cells=5, seed=1)), sample_cells(FleetConfig(n_cells=5, seed=1))
    assert a == b and sample_cells(FleetConfig(n_cells=5, seed=2)) != a
    for s in a:
        assert 3.6 <= s.c1 <= 8.0 and 0.05 <= s.q1 <= 0.70 and 3.0 <= s.c2 <= 6.0
        assert 6.0 <= s.charge_time_min <= 16.0  # 0 to 80 % SOC, minutes
    with pytest.raises(ConfigError, match="max_cycles"):
        FleetConfig(max_cycles=50)
