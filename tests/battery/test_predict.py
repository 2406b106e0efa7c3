"""``matnn battery predict``: a train run's saved models predict new cells as the run itself did."""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import numpy as np
import pytest

from matnn.cli.main import main
from matnn.models.battery import networks


def _rows(path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {r["cell"]: r for r in csv.DictReader(fh)}


def _train_then_predict(tmp_path, shared_datasets, model: str, seeds: int) -> tuple[dict, dict, dict]:
    sev = shared_datasets / "severson"
    run, pred = tmp_path / "run", tmp_path / "pred"
    common = ["--quiet", "--device", "cpu"]
    assert main(["battery", "train", "--train", str(sev / "train.npz"), "--test", str(sev / "test1.npz"),
                 "--model", model, "--seeds", str(seeds), "--out", str(run), *common]) == 0  # fmt: skip
    info = json.loads((run / "model_info.json").read_text())
    assert info["model"] == model and info["seeds"] == list(range(seeds))
    assert main(["battery", "predict", "--model", str(run), "--data", str(sev / "test1.npz"), "--out", str(pred),
                 *common]) == 0  # fmt: skip
    metrics = json.loads((pred / "metrics.json").read_text())
    return _rows(run / "predictions.csv"), _rows(pred / "predictions.csv"), metrics


def _assert_same(trained: dict, predicted: dict) -> None:
    assert list(predicted) == list(trained)  # same cells, same order
    for cell, row in predicted.items():
        assert set(row) == {"cell", "cycle_life", "cycle_life_pred", "cycle_life_pred_std"}
        assert row["cycle_life"] == trained[cell]["true"]
        assert float(row["cycle_life_pred"]) == pytest.approx(float(trained[cell]["predicted_mean"]), abs=0.11)
        assert float(row["cycle_life_pred_std"]) == pytest.approx(float(trained[cell]["predicted_std"]), abs=0.11)


def test_variance_run_predicts_like_training(tmp_path, shared_datasets):
    trained, predicted, metrics = _train_then_predict(tmp_path, shared_datasets, "variance", 2)
    _assert_same(trained, predicted)
    assert metrics["model"] == "variance" and metrics["n_cells"] == len(predicted) and metrics["seeds"] == 2
    life = np.array([float(r["cycle_life"]) for r in predicted.values()])
    mean = np.array([float(r["cycle_life_pred"]) for r in predicted.values()])
    assert metrics["rmse"] == pytest.approx(np.sqrt(np.mean((mean - life) ** 2)), rel=1e-3)
    assert 0 < metrics["mape"] < 100


def test_dqnet_ensemble_with_base_round_trips(tmp_path, shared_datasets, monkeypatch):
    """A residual ensemble (classical base + members) with tiny epochs: saved and reloaded, same numbers."""
    orig = networks.default_config
    monkeypatch.setattr(networks, "default_config", lambda name: replace(orig(name), epochs=2, patience=1, ensemble=2))
    trained, predicted, metrics = _train_then_predict(tmp_path, shared_datasets, "dqnet", 2)
    _assert_same(trained, predicted)
    assert metrics["model"] == "dqnet" and "rmse" in metrics
    saved = json.loads((tmp_path / "run" / "models" / "seed1" / "model.json").read_text())
    assert saved["n_members"] == 2 and saved["base"] and saved["config"]["epochs"] == 2


def test_unlabelled_cells_have_no_score(tmp_path, curves):
    from matnn.data.battery import BatteryDataset
    from matnn.workflows.battery.predict import predict_cycle_life
    from matnn.workflows.battery.train import train_and_evaluate

    train_and_evaluate(curves, model="variance", seeds=1, out=tmp_path / "run", show_progress=False, figures=False)
    new = BatteryDataset(curves.qdlin[:3], np.full(3, np.nan), curves.voltage, curves.cycles, source="new cells")
    m = predict_cycle_life(tmp_path / "run", new, tmp_path / "pred")
    assert m["n_cells"] == 3 and "rmse" not in m
    rows = list(csv.DictReader(open(tmp_path / "pred" / "predictions.csv", encoding="utf-8")))
    assert list(rows[0]) == ["cell", "cycle_life_pred", "cycle_life_pred_std"] and len(rows) == 3


def test_missing_or_incomplete_run_is_one_line(tmp_path, capsys, shared_datasets):
    test1 = str(shared_datasets / "severson" / "test1.npz")
    assert main(["battery", "predict", "--model", str(tmp_path / "nope"), "--data", test1,
                 "--out", str(tmp_path / "p")]) == 2  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert "no such run folder" in err and len(err.splitlines()) == 1
    (tmp_path / "half").mkdir()
    assert main(["battery", "predict", "--model", str(tmp_path / "half"), "--data", test1,
                 "--out", str(tmp_path / "p")]) == 2  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert "model_info.json" in err and len(err.splitlines()) == 1
