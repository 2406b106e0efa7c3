"""Tortuosity from images, its hand-over to the DFN, and solver-failure handling."""

import math

import pytest

from matnn.core.exceptions import ConfigError
from matnn.design.electrode import Recipe, electrode_from_recipe
from matnn.design.electrode import dfn as dfn_module
from matnn.design.electrode.dfn import CellSpec, simulate_electrode
from matnn.design.electrode.microstructure import (
    ImageSpec,
    TortuosityTable,
    bruggeman_exponent,
    measure_bin,
)

pytest.importorskip("pybamm")
pytest.importorskip("porespy")

SMALL = ImageSpec(size=24, radius_vox=3, seeds=1, bin_width=0.05)


@pytest.mark.parametrize("eps, tau", [(0.3, 3.0), (0.45, 1.8), (0.25, 1.0)])
def test_bruggeman_exponent_reproduces_the_measured_tortuosity(eps, tau):
    b = bruggeman_exponent(eps, tau)
    assert eps ** (b - 1) == pytest.approx(1 / tau)
    assert eps**b == pytest.approx(eps / tau)  # PyBaMM's D_eff / D


def test_bruggeman_refuses_tau_below_one():
    with pytest.raises(ConfigError, match="'tau' of bruggeman_exponent"):
        bruggeman_exponent(0.3, 0.5)


def test_measured_tortuosity_falls_with_porosity_and_is_cached(tmp_path):
    table = TortuosityTable(SMALL, path=tmp_path / "tau.json")
    lo, hi = table.lookup(0.27), table.lookup(0.52)
    assert lo["tau"] > hi["tau"] >= 1.0
    assert lo["ssa_per_m"] > 0
    again = TortuosityTable(SMALL, path=tmp_path / "tau.json")
    assert again.missing([0.27, 0.52]) == [] and again.tau(0.27) == lo["tau"]


def test_measure_bin_reports_image_statistics():
    e = measure_bin(0.4, SMALL)
    assert abs(e["image_porosity"] - 0.4) < 0.05 and 1.0 <= e["tau"] < 10


def test_more_tortuous_delivers_less_at_high_rate():
    e = electrode_from_recipe(Recipe(0.95, 0.6, 0.2, 150.0))
    easy, hard = simulate_electrode(e, 1.5), simulate_electrode(e, 5.0)
    assert easy["status"] == hard["status"] == "ok"
    assert hard["bruggeman"] > easy["bruggeman"]
    assert hard["rate_fraction"] < easy["rate_fraction"] - 0.05
    # the low-rate energy barely depends on transport
    assert hard["energy_density_wh_l"] == pytest.approx(easy["energy_density_wh_l"], rel=0.02)
    assert 300 < easy["energy_density_wh_l"] < 1500 and 0 < easy["rate_fraction"] <= 1.0


def test_failed_solve_is_retried_then_reported(monkeypatch):
    e = electrode_from_recipe(Recipe(0.95, 0.6, 0.2, 150.0))
    calls = []

    def flaky(electrode, b, cell, loose):
        calls.append(loose)
        if not loose:
            raise RuntimeError("IDA step failed")
        return {"energy_density_wh_l": 500.0, "rate_fraction": 0.5}

    monkeypatch.setattr(dfn_module, "_discharges", flaky)
    ok = simulate_electrode(e, 2.0)
    assert calls == [False, True] and ok["status"] == "ok" and ok["attempts"] == 2 and "IDA" in ok["error"]

    def broken(electrode, b, cell, loose):
        raise RuntimeError("solver diverged")

    monkeypatch.setattr(dfn_module, "_discharges", broken)
    bad = simulate_electrode(e, 2.0)
    assert bad["status"] == "failed" and bad["attempts"] == 2 and bad["rate_fraction"] is None
    assert bad["error"].count("solver diverged") == 2
    assert math.isfinite(bad["bruggeman"])


def test_cell_spec_checks_rates():
    with pytest.raises(ConfigError, match="'low_rate' of CellSpec"):
        CellSpec(low_rate=3.0, high_rate=1.0)
