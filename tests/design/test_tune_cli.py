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
