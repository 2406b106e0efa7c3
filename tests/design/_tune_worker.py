"""A search worker for the storage tests: ``python _tune_worker.py URL STUDY N_TRIALS SLEEP_S LOG [SEED [GO]]``.

Runs :func:`matnn.design.tune.storage.run_worker` on a cheap objective that sleeps ``SLEEP_S`` seconds,
appending ``start <number> <x> <pid>`` and ``done <number> <x> <pid>`` lines to LOG.  The storage module
is loaded from its file (it imports only Optuna) so that a worker starts in a second, without torch.
With GO, the worker writes ``ready <pid>`` to LOG and waits for the file GO before its first trial, so
that a test can start several workers together.
"""

import importlib.util
import os
import sys
import time
from pathlib import Path

import optuna

_path = Path(__file__).resolve().parents[2] / "src" / "matnn" / "design" / "tune" / "storage.py"
_spec = importlib.util.spec_from_file_location("_matnn_tune_storage", _path)
_storage = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_storage)
make_storage, run_worker = _storage.make_storage, _storage.run_worker

url, name, n_trials, sleep_s, log = (
    sys.argv[1],
    sys.argv[2],
    int(sys.argv[3]),
    float(sys.argv[4]),
    sys.argv[5],
)
seed = int(sys.argv[6]) if len(sys.argv) > 6 else 0
optuna.logging.set_verbosity(optuna.logging.ERROR)
storage = make_storage(url, heartbeat_interval=1, grace_period=2)
study = optuna.create_study(
    study_name=name,
    storage=storage,
    sampler=optuna.samplers.RandomSampler(seed=seed),
    load_if_exists=True,
)


def objective(trial):
    x = trial.suggest_float("x", 0.0, 1.0)
    with open(log, "a") as fh:
        fh.write(f"start {trial.number} {x!r} {os.getpid()}\n")
    time.sleep(sleep_s)
    with open(log, "a") as fh:
        fh.write(f"done {trial.number} {x!r} {os.getpid()}\n")
    return (x - 0.3) ** 2


if len(sys.argv) > 7:
    with open(log, "a") as fh:
        fh.write(f"ready {os.getpid()}\n")
    while not os.path.exists(sys.argv[7]):
        time.sleep(0.02)
run_worker(study, objective, n_trials, poll_s=0.2)
