"""``matnn tune`` of ``battery cv``: k-fold CV RMSE on training cells, ``model_option.KEY`` searched."""

from __future__ import annotations

import json

import pytest
import yaml

from matnn.cli.main import main


def _experiment(tmp_path, shared_datasets, **changes):
    spec = {
        "command": "battery cv",
        "data": str(shared_datasets / "severson" / "train.npz"),
        "model": "dqnet",
        "folds": 2,
        "repeats": 1,
        "device": "cpu",
        # a tiny dqnet: one member, a few epochs, no classical base (fast; the score is poor)
        "model_option": ["ensemble=1", "epochs=3", "patience=2", "residual=false"],
        "tune": {
            "trials": 2,
            "sampler": "random",
            "pruner": "none",
            "space": {"model_option.learning_rate": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True}},
        },
    }
    spec.update(changes)
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_tune_battery_cv_searches_a_model_option(tmp_path, shared_datasets, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["tune", str(_experiment(tmp_path, shared_datasets)), "--out", "run"]) == 0
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["n_trials"] == 2 and m["metric"] == "rmse" and m["direction"] == "minimize"
    assert 0 < m["best_value"] < 1000 and 1e-4 <= m["best_model_option.learning_rate"] <= 1e-2
    assert "k-fold CV RMSE" in m["validation_protocol"]
    assert m["final_rmse"] > 0 and not any(k.startswith("test_") for k in m)
    final = json.loads((tmp_path / "run" / "final" / "metrics.json").read_text())
    assert final["model_options"]["learning_rate"] == pytest.approx(m["best_model_option.learning_rate"])
    assert final["model_options"]["epochs"] == 3 and final["n_cells"] == 41


@pytest.mark.parametrize(
    "changes, words",
    [
        (
            {"space": {"model_option.learnin_rate": {"type": "float", "low": 1e-4, "high": 1e-2}}},
            ["model_option.learnin_rate", "Unknown dqnet model option 'learnin_rate'", "Allowed:"],
        ),
        (
            {"space": {"model_option.patience": {"type": "int", "low": 0, "high": 5}}},
            ["model_option.patience", "'patience'", "must be an int in [1, inf)"],
        ),
    ],
)
def test_a_space_key_the_model_lacks_fails_before_any_trial(
    tmp_path, shared_datasets, monkeypatch, capsys, changes, words
):
    monkeypatch.chdir(tmp_path)
    exp = _experiment(tmp_path, shared_datasets)
    spec = yaml.safe_load(exp.read_text())
    spec["tune"].update(changes)
    exp.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert main(["tune", str(exp), "--out", "run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    for w in words:
        assert w in err
    assert not (tmp_path / "run" / "trials").exists()


def test_battery_train_space_with_a_classical_model_fails_before_any_trial(
    tmp_path, shared_datasets, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    sev = shared_datasets / "severson"
    exp = tmp_path / "exp.yaml"
    spec = {
        "command": "battery train",
        "train": str(sev / "train.npz"),
        "model": "variance",
        "tune": {"trials": 2, "space": {"model_option.epochs": {"type": "int", "low": 2, "high": 4}}},
    }
    exp.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert main(["tune", str(exp), "--out", "run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'variance' takes no model options" in err
    assert not (tmp_path / "run" / "trials").exists()
