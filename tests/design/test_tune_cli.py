"""``matnn tune`` end to end on a tiny numeric task: protocol, outputs, errors, dashboard."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import yaml

from matnn.cli.main import main

SRC = Path(__file__).resolve().parents[2] / "src"


def _write(path, spec):
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_search_never_reads_the_test_set_then_scores_it_once(tune_task, tune_base):
    task = tune_task
    # The test file does not exist during the search: a trial that opened it would fail.
    spec = {**tune_base, "test": "absent.csv"}
    exp = _write(task / "exp.yaml", spec)
    assert main(["tune", str(exp), "--out", "run", "--no-final"]) == 0
    m = json.loads((task / "run" / "metrics.json").read_text())
    assert m["n_trials"] == 3 and m["n_complete"] + m["n_pruned"] == 3
    assert not any(k.startswith("test_") for k in m)
    assert m["metric"] == "mae" and m["direction"] == "minimize" and np.isfinite(m["best_value"])
    assert {"best_learning_rate", "best_dropout", "best_hidden"} <= set(m)
    for name in (
        "trials.csv",
        "optimization_history.png",
        "param_importances.png",
        "study.db",
    ):
        assert (task / "run" / name).stat().st_size > 0
    # validation rows come from the training file only
    val = (task / "run" / "holdout" / "validation.csv").read_text().splitlines()[1:]
    assert set(val) <= set((task / "train.csv").read_text().splitlines()[1:])

    # Resuming the finished study runs no more trials; the final model is scored once on the test file.
    os.replace(task / "test.csv", task / "absent.csv")
    assert main(["tune", str(exp), "--out", "run"]) == 0
    m = json.loads((task / "run" / "metrics.json").read_text())
    assert m["n_trials"] == 3
    assert {"test_mae", "test_rmse", "test_r2"} <= set(m)
    final = json.loads((task / "run" / "final" / "metrics.json").read_text())
    assert final["n_test"] == 20 and final["n_train"] == 60
    assert m["test_mae"] == pytest.approx(final["mae"])


@pytest.mark.parametrize(
    "change, words",
    [
        (
            {"space": {"learnig_rate": {"type": "float", "low": 0.1, "high": 1.0}}},
            ["learnig_rate"],
        ),
        ({"space": {}}, ["tune.space", "empty"]),
        ({"samplr": "tpe"}, ["tune.samplr"]),
        (
            {"space": {"model_option.width": {"type": "int", "low": 1, "high": 3}}},
            ["model_option.width"],
        ),
    ],
)
def test_bad_tune_block_is_one_line_and_exit_2(tune_task, tune_base, capsys, change, words):
    spec = {**tune_base, "tune": {**tune_base["tune"], **change}}
    assert main(["tune", str(_write(tune_task / "bad.yaml", spec)), "--out", "run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    for w in words:
        assert w in err


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dashboard_serves_the_study_on_loopback(tmp_path):
    import optuna

    from matnn.design.tune.storage import make_storage, storage_url

    url = storage_url(tmp_path / "study.db")
    study = optuna.create_study(study_name="dash-study", storage=make_storage(url))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=3)
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "matnn",
            "tune",
            "dashboard",
            "--storage",
            str(tmp_path / "study.db"),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = None
        t0 = time.time()
        while time.time() - t0 < 60 and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=2) as r:
                    body = json.loads(r.read())
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()
                time.sleep(0.2)
        assert body is not None
        studies = body.get("study_summaries", body.get("studies", []))
        (s,) = [s for s in studies if s["study_name"] == "dash-study"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies/{s['study_id']}", timeout=5) as r:
            detail = json.loads(r.read())
        assert len(detail["trials"]) == 3
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_metric_missing_from_the_command_stops_after_one_trial(tune_task, tune_base, capsys):
    spec = {**tune_base, "tune": {**tune_base["tune"], "metric": "maee"}}
    assert main(["tune", str(_write(tune_task / "bad.yaml", spec)), "--out", "run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "maee" in err and "mae" in err
    assert sorted(p.name for p in (tune_task / "run" / "trials").iterdir()) == ["trial_0000"]


def test_a_falling_monitor_for_a_maximised_metric_is_refused_before_any_trial(tune_task, tune_base, capsys):
    # Optuna's pruners compare reported values in the study's direction: val_loss in a maximised study
    # would prune the best trials.
    spec = {**tune_base, "tune": {**tune_base["tune"], "metric": "r2", "direction": "maximize"}}
    assert main(["tune", str(_write(tune_task / "r2.yaml", spec)), "--out", "run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "tune.monitor" in err and "val_loss" in err
    assert not (tune_task / "run" / "trials").exists()
    # the same search with a rising monitor, or without a pruner, is accepted
    from matnn.cli.tune import _load_search

    for change in ({"monitor": "val_r2"}, {"pruner": "none"}):
        spec["tune"] = {**spec["tune"], "monitor": None, "pruner": "median", **change}
        search = _load_search(_write(tune_task / "ok.yaml", spec), Path("run"))
        assert search.direction == "maximize"


def test_digits_trials_score_a_validation_split_and_the_final_run_the_test_images(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = {
        "command": "images digits",
        "seeds": 1,
        "epochs": 2,
        "augment": False,
        "lecture": False,
        "out": "run",
        "tune": {
            "trials": 2,
            "sampler": "random",
            "space": {"learning_rate": {"type": "float", "low": 1.0e-3, "high": 1.0e-2, "log": True}},
        },
    }
    assert main(["tune", str(_write(tmp_path / "digits.yaml", spec))]) == 0
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["metric"] == "val_accuracy" and m["direction"] == "maximize" and not m["validation_is_test"]
    trial = json.loads((tmp_path / "run" / "trials" / "trial_0000" / "metrics.json").read_text())
    assert trial["n_validation"] == 288 and trial["n_train"] == 1437 - 288
    assert m["best_value"] == pytest.approx(max(trial["val_accuracy"], m["best_value"]))
    final = json.loads((tmp_path / "run" / "final" / "metrics.json").read_text())
    assert "val_accuracy" not in final and final["n_train"] == 1437  # retrained on every training image
    assert m["test_accuracy"] == pytest.approx(final["accuracy"])
