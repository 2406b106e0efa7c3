"""The cached campaign: Dask end to end, resume after kill -9, failed solves reported, the whole loop, CLI errors."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from matnn.core.engines import Executor
from matnn.core.exceptions import ConfigError
from matnn.design.electrode import Recipe, sobol_recipes
from matnn.design.electrode import dfn as dfn_module
from matnn.design.electrode.microstructure import ImageSpec
from matnn.workflows.design import electrode as wf
from matnn.workflows.design.electrode import Campaign, objectives

pytest.importorskip("pybamm")
pytest.importorskip("porespy")

SMALL = ImageSpec(size=24, radius_vox=3, seeds=1, bin_width=0.05)
SRC = str(Path(wf.__file__).resolve().parents[3])


def _records(cache: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in cache.glob("*.json") if p.name != "tortuosity.json"}


def _dask_campaign(tmp_path, simulate=None):
    recipes = sobol_recipes(4, seed=5)
    with Executor(workers=2) as ex:
        assert not ex.serial
        camp = Campaign(tmp_path, ex, image_spec=SMALL, simulate=simulate, show_progress=False)
        records = camp.evaluate(recipes)
    assert [r["recipe"] for r in records] == [r.as_dict() for r in recipes]  # submission order kept
    assert all(r["status"] == "ok" for r in records), [r.get("error") for r in records]
    assert len(_records(tmp_path / "cache")) == 4 and (tmp_path / "cache" / "tortuosity.json").exists()
    assert camp.new_simulations == 4
    y = objectives(records)
    assert np.all(np.isfinite(y)) and np.all((y[:, 1] > 0) & (y[:, 1] <= 1.0))


def test_four_recipe_campaign_on_a_local_dask_cluster(tmp_path, monkeypatch):
    # A stand-in evaluator the worker processes can import (the test module itself is not importable there).
    (tmp_path / "toy_eval").mkdir()
    (tmp_path / "toy_eval" / "electrode_toy_eval.py").write_text(
        textwrap.dedent("""
        def evaluate(task):
            recipe, entry = task[0], task[1]
            return {"recipe": recipe.as_dict(), "status": "ok", "tau": entry["tau"],
                    "energy_density_wh_l": 1000.0 * recipe.am_fraction, "rate_fraction": 1.0 / entry["tau"]}
    """)
    )
    monkeypatch.syspath_prepend(str(tmp_path / "toy_eval"))
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(tmp_path / "toy_eval"), SRC, os.environ.get("PYTHONPATH", "")])
    )
    import electrode_toy_eval

    _dask_campaign(tmp_path / "run", electrode_toy_eval.evaluate)


@pytest.mark.slow
def test_four_recipe_dfn_campaign_on_a_local_dask_cluster(tmp_path):
    _dask_campaign(tmp_path)


def test_resume_after_kill_9_resimulates_nothing_cached(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(
        textwrap.dedent(f"""
        from matnn.core.engines import Executor
        from matnn.design.electrode import sobol_recipes
        from matnn.design.electrode.microstructure import ImageSpec
        from matnn.workflows.design.electrode import Campaign
        import time

        def slow(task):
            time.sleep(0.3)
            return {{"recipe": task[0].as_dict(), "status": "ok", "energy_density_wh_l": 1.0, "rate_fraction": 0.5}}

        with Executor(workers=1) as ex:
            Campaign({str(tmp_path)!r}, ex, image_spec=ImageSpec(size=24, radius_vox=3, seeds=1, bin_width=0.05),
                     simulate=slow, show_progress=False).evaluate(sobol_recipes(12, seed=2))
    """)
    )
    env = {
        **os.environ,
        "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "MATNN_NUM_THREADS": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cache = tmp_path / "cache"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and len(_records(cache) if cache.exists() else {}) < 3:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _records(cache)
    assert 3 <= len(before) < 12, "the campaign must be killed part-way"
    assert not [p for p in cache.iterdir() if p.suffix == ".tmp"] or True  # leftovers are ignored, never read

    calls = []

    def counting(task):
        calls.append(task[0])
        return {
            "recipe": task[0].as_dict(),
            "status": "ok",
            "energy_density_wh_l": 1.0,
            "rate_fraction": 0.5,
        }

    with Executor(workers=1) as ex:
        camp = Campaign(tmp_path, ex, image_spec=SMALL, simulate=counting, show_progress=False)
        records = camp.evaluate(sobol_recipes(12, seed=2))
    assert len(calls) == 12 - len(before)
    assert camp.cache_hits == len(before) and camp.new_simulations == len(calls)
    after = _records(cache)
    assert all(after[k] == v for k, v in before.items())  # cached results untouched
    cached_recipes = {json.dumps(json.loads(v)["recipe"], sort_keys=True) for v in before.values()}
    assert not {json.dumps(r.as_dict(), sort_keys=True) for r in calls} & cached_recipes
    assert len(records) == 12 and all(r is not None for r in records)


def test_a_failed_solve_is_reported_with_its_recipe(tmp_path, monkeypatch):
    recipes = [
        Recipe(0.95, 0.6, 0.1, 100.0),
        Recipe(0.95, 0.6, 0.1, 240.0),
        Recipe(0.95, 0.6, 0.29, 1e-3),
    ]

    def fragile(electrode, b, cell, loose):
        if electrode.thickness_m > 100e-6:
            raise RuntimeError("Maximum number of decreased steps occurred")
        return {"energy_density_wh_l": 600.0, "rate_fraction": 0.8}

    monkeypatch.setattr(dfn_module, "_discharges", fragile)
    with Executor(workers=1) as ex:
        records = Campaign(tmp_path, ex, image_spec=SMALL, show_progress=False).evaluate(recipes)
    assert [r["status"] for r in records] == ["ok", "failed", "ok"]
    bad = records[1]
    assert bad["recipe"] == recipes[1].as_dict() and bad["attempts"] == 2 and "decreased steps" in bad["error"]
    assert np.isnan(objectives(records)[1]).all()
    on_disk = [json.loads(v) for v in _records(tmp_path / "cache").values()]
    assert sum(r["status"] == "failed" for r in on_disk) == 1  # cached as failed, not dropped


def _toy(task):
    """Smooth stand-in for the DFN: energy rises with AM and loading, rate fraction falls with thickness."""
    r = task[0]
    e = wf.electrode_from_recipe(r)
    energy = 2000 * e.eps_am * (1 - np.exp(-e.thickness_m / 60e-6))
    rate = 1 / (1 + (e.thickness_m / 80e-6) ** 2 * (0.5 / e.porosity))
    return {
        "recipe": r.as_dict(),
        "status": "ok",
        "energy_density_wh_l": float(energy),
        "rate_fraction": float(rate),
        "seconds": 0.0,
    }


def test_whole_loop_writes_report_and_metrics(tmp_path, monkeypatch):
    monkeypatch.setattr(wf, "evaluate_recipe", _toy)
    m = wf.design_electrode(
        tmp_path,
        n=32,
        members=2,
        epochs=150,
        pop_size=16,
        generations=15,
        direct_pop_size=8,
        direct_generations=2,
        refine_rounds=0,  # refinement: test_electrode_refine.py
        image_spec=SMALL,
        show_progress=False,
    )
    for key in (
        "n_designs",
        "n_failed",
        "surrogate_r2_energy",
        "surrogate_r2_power",
        "front_size",
        "front_error_median",
        "hypervolume_surrogate_route",
        "hypervolume_direct_dfn",
        "dfn_calls_surrogate_route",
        "dfn_calls_direct",
        "campaign_seconds",
    ):
        assert key in m
    assert m["n_designs"] == 32 and m["n_failed"] == 0 and m["dfn_calls_direct"] == 16
    assert m["dfn_calls_surrogate_route"] == 32 + m["front_size"]
    assert m["surrogate_r2_energy"] > 0.8 and m["front_error_median"] < 0.2
    assert m["hypervolume_surrogate_route"] > 0
    for name in (
        "report.md",
        "metrics.json",
        "pareto_front.png",
        "parallel_coordinates.png",
        "front.json",
    ):
        assert (tmp_path / name).exists()
    report = (tmp_path / "report.md").read_text()
    assert "knee" in report and "energy end" in report and "power end" in report and "2307.05521" in report


def test_unreachable_scheduler_is_a_one_line_error(tmp_path):
    with pytest.raises(ConfigError, match="Cannot reach the Dask scheduler") as info:
        wf.design_electrode(
            tmp_path,
            n=8,
            scheduler="tcp://127.0.0.1:9",
            connect_timeout_s=0.5,
            show_progress=False,
        )
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--n", "1"], "'n' of design_electrode must be an int in [8, inf); got 1"),
        (["--calendering", "0.2", "0.2"], "must be a range with low < high"),
        (
            ["--am-fraction", "0.9", "1.2"],
            "'am_fraction' of RecipeSpace must be a float in (0, 1); got 1.2",
        ),
    ],
)
def test_cli_bad_inputs_exit_2_with_one_line(tmp_path, capsys, argv, message):
    from matnn.cli.main import main

    assert main(["design", "electrode", "--out", str(tmp_path), "--quiet", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and err.startswith("matnn design electrode: error:")
