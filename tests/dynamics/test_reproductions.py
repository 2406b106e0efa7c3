"""Every reproduction runs end to end (small sizes), writes metrics.json with a boolean `reproduced` and a PNG;
the CLI and `all` write the summary.  The full-size runs (the actual reproductions) are marked slow."""

from __future__ import annotations

import json

import pytest

from matnn.cli import dynamics as cli_dynamics
from matnn.cli.main import main
from matnn.core.exceptions import UnknownNameError
from matnn.dynamics import reproductions as R

SMALL = {
    "catapult": dict(n=32, d=5, width=256, steps=60, lr_ratios=(0.5, 1.5, 3.0)),
    "sgd-catapults": dict(n=32, d=5, width=128, n_test=64, batch_sizes=(32, 4), steps=60, n_seeds=1),
    "quadratic-model": dict(n=32, d=5, width=256, steps=60),
    "linearity-width": dict(n=8, d=3, widths=(32, 64), max_steps=100),
    "hessian-scaling": dict(d=4, n_inputs=2, widths=(16, 64), deep_widths=(16, 64), n_inits=2),
    "dag-linearity": dict(in_degrees=(2, 4), d=8, n_layers=2, width=8, n_graphs=1, n_inputs=2),
    "relu-conditioning": dict(n=10, d=20, width=32, depths=(1, 2), n_seeds=1),
    "label-noise": dict(width=64, steps=10, n_seeds=1),
    "sgd-interpolation": dict(d=5, width=128, sizes=(8, 16), n_seeds=1, threshold=0.5),
}


def test_cli_lists_exactly_the_registered_reproductions():
    assert list(cli_dynamics._ACTIONS) == list(R.REPRODUCTIONS)
    # The later reproductions have their quick sizes in test_new_reproductions.py.
    assert list(SMALL) == list(R.REPRODUCTIONS)[: len(SMALL)]
    with pytest.raises(UnknownNameError, match="catapult"):
        R.run_reproduction("catapults", "/tmp/unused")


@pytest.mark.parametrize("name", list(SMALL))
def test_reproduction_runs_small_and_writes_results(name, tmp_path):
    metrics = R.run_reproduction(name, tmp_path, seed=1, show_progress=False, **SMALL[name])
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert isinstance(saved["reproduced"], bool) and saved["reproduced"] == metrics["reproduced"]
    assert saved["seed"] == 1 and saved["reproduction"] == name and saved["signature"]
    assert saved["wall_time_s"] >= 0
    assert sum(isinstance(v, (int, float)) for v in saved.values()) >= 5  # the measured numbers
    assert list(tmp_path.glob("*.png")), "no figure written"


def test_same_seed_same_numbers(tmp_path):
    a = R.run_reproduction("quadratic-model", tmp_path / "a", seed=3, show_progress=False, **SMALL["quadratic-model"])
    b = R.run_reproduction("quadratic-model", tmp_path / "b", seed=3, show_progress=False, **SMALL["quadratic-model"])
    assert a["network_peak_loss"] == b["network_peak_loss"] and a["quadratic_final_loss"] == b["quadratic_final_loss"]


def test_cli_and_all_write_summary(tmp_path, monkeypatch, capsys):
    real = R.run_reproduction

    def small(name, out, **kw):
        return real(name, out, **kw, **SMALL[name])

    monkeypatch.setattr(R, "run_reproduction", small)
    assert main(["dynamics", "hessian-scaling", "--out", str(tmp_path / "one")]) == 0
    assert "hessian-scaling:" in capsys.readouterr().out
    assert (tmp_path / "one" / "hessian_scaling.png").exists()
    names = ["hessian-scaling", "relu-conditioning"]
    summary = R.run_all(tmp_path / "all", names=names, show_progress=False)
    assert summary["n_total"] == 2 and set(summary) >= {"hessian-scaling_reproduced", "relu-conditioning_wall_time_s"}
    table = (tmp_path / "all" / "summary.md").read_text()
    assert "| hessian-scaling |" in table and "Signatures" in table
    assert (tmp_path / "all" / "summary.csv").read_text().startswith("reproduction,reproduced")
    # Resume: a finished reproduction is not rerun for the same seed.
    calls = []
    monkeypatch.setattr(R, "run_reproduction", lambda *a, **k: calls.append(a) or real(*a, **k))
    R.run_all(tmp_path / "all", names=names, show_progress=False)
    assert calls == []


def test_cli_rejects_unknown_reproduction(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["dynamics", "catapults", "--out", "/tmp/x"])
    assert exc.value.code == 2


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SMALL))
def test_full_size_reproduction_holds(name, tmp_path):
    """The actual reproductions (≤ 3 min each on one core); run with `-m slow`."""
    assert main(["dynamics", name, "--out", str(tmp_path), "--quiet"]) == 0
    assert json.loads((tmp_path / "metrics.json").read_text())["reproduced"] is True
