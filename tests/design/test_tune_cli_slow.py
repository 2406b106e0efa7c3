"""``matnn tune`` processes end to end: kill -9 of the search and resume; two local workers (slow: each process imports torch)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
import sqlalchemy.exc
import yaml

pytestmark = pytest.mark.slow
SRC = Path(__file__).resolve().parents[2] / "src"


def _cmd(*args):
    return [sys.executable, "-m", "matnn", "tune", *args]


def _env():
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        "MATNN_NUM_THREADS": "1",
    }


def _exp(tmp_path, base, trials):
    spec = {
        **base,
        "epochs": 25,
        "tune": {
            **base["tune"],
            "trials": trials,
            "heartbeat_interval": 1,
            "pruner": "none",
        },
    }
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_cli_search_killed_with_sigkill_resumes(tune_task, tune_base):
    tmp_path = tune_task
    exp = _exp(tmp_path, tune_base, 4)
    proc = subprocess.Popen(_cmd(str(exp), "--out", "run"), cwd=tmp_path, env=_env())
    db = tmp_path / "run" / "study.db"
    t0 = time.time()
    while time.time() - t0 < 300:
        if db.exists():
            try:
                study = optuna.load_study(study_name="matnn-tune", storage=f"sqlite:///{db}")
                states = [t.state.name for t in study.trials]
            except (
                KeyError,
                ValueError,
                RuntimeError,
                optuna.exceptions.OptunaError,
                OSError,
                sqlalchemy.exc.SQLAlchemyError,
            ):  # being created
                states = []
            if "COMPLETE" in states and states[-1] == "RUNNING":
                break
        time.sleep(0.05)
    else:
        pytest.fail("no running trial seen")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (
        subprocess.run(
            _cmd(str(exp), "--out", "run"),
            check=False,
            cwd=tmp_path,
            env=_env(),
            timeout=600,
        ).returncode
        == 0
    )
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["n_trials"] == 4 and m["n_failed"] == 1 and "test_mae" in m


def test_cli_two_local_workers(tune_task, tune_base):
    tmp_path = tune_task
    exp = _exp(tmp_path, tune_base, 4)
    assert (
        subprocess.run(
            _cmd(str(exp), "--out", "run", "--workers", "2"),
            check=False,
            cwd=tmp_path,
            env=_env(),
            timeout=600,
        ).returncode
        == 0
    )
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["n_trials"] == 4 and m["n_failed"] == 0
    study = optuna.load_study(study_name="matnn-tune", storage=f"sqlite:///{tmp_path / 'run' / 'study.db'}")
    numbers = [t.number for t in study.trials]
    assert len(numbers) == len(set(numbers))


def test_steels_example_as_written(tmp_path, shared_datasets):
    helper = Path(__file__).resolve().parents[2] / "bench" / "design" / "tune_steels_split.py"
    data = shared_datasets / "composition" / "matbench_steels_yield.csv"
    assert (
        subprocess.run(
            [sys.executable, str(helper), "--data", str(data), "--out", str(tmp_path)],
            check=False,
        ).returncode
        == 0
    )
    run = subprocess.run(
        _cmd("steels.yaml", "--out", "runs/steels-tuned"),
        check=False,
        cwd=tmp_path,
        env=_env(),
        timeout=900,
    )
    assert run.returncode == 0
    m = json.loads((tmp_path / "runs" / "steels-tuned" / "metrics.json").read_text())
    assert m["n_trials"] == 8 and m["n_complete"] >= 1 and m["test_mae"] > 0
    assert {"best_learning_rate", "best_hidden", "best_dropout"} <= set(m)
