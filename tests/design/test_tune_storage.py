"""Storage: a killed search resumes to the requested count; workers share a PostgreSQL study; dead workers' trials are retried.

PostgreSQL tests need ``MATNN_TEST_POSTGRES_URL`` (``.ci/run`` starts a throw-away server and sets it).
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import optuna
import pytest

from matnn.design.tune.storage import count_trials, make_storage, storage_url

optuna.logging.set_verbosity(optuna.logging.ERROR)
WORKER = Path(__file__).with_name("_tune_worker.py")
SRC = Path(__file__).resolve().parents[2] / "src"
PG_URL = os.environ.get("MATNN_TEST_POSTGRES_URL")
needs_postgres = pytest.mark.skipif(
    not PG_URL,
    reason="MATNN_TEST_POSTGRES_URL is not set (no PostgreSQL server; .ci/run starts one)",
)


def _start(url, name, n, sleep_s, log, seed=0, go=None):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [
        sys.executable,
        str(WORKER),
        url,
        name,
        str(n),
        str(sleep_s),
        str(log),
        str(seed),
    ]
    return subprocess.Popen([*cmd, str(go)] if go else cmd, env=env)


def _start_together(url, name, n, sleep_s, log, tmp_path, seeds=(1, 2)):
    """Start one worker per seed and let them begin their trials at the same moment."""
    go = tmp_path / "go"
    procs = [_start(url, name, n, sleep_s, log, seed=s, go=go) for s in seeds]
    _wait_for(lambda: Path(log).exists() and len(_lines(log, "ready")) == len(procs))
    go.touch()
    return procs


def _study(url, name):
    return optuna.load_study(study_name=name, storage=make_storage(url, heartbeat_interval=1, grace_period=2))


def _wait_for(predicate, timeout=120.0):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def _lines(log, word):
    return [line.split() for line in Path(log).read_text().splitlines() if line.startswith(word)]


def _killed_mid_trial(url, name, log, proc):
    """Wait until ``proc`` has started a trial (after one finished), then SIGKILL it; the trial number it held."""

    def running():
        if not Path(log).exists():
            return False
        starts = [int(s[1]) for s in _lines(log, "start") if int(s[3]) == proc.pid]
        dones = {int(s[1]) for s in _lines(log, "done") if int(s[3]) == proc.pid}
        return len(dones) >= 1 and any(n not in dones for n in starts)

    _wait_for(running)
    starts = [int(s[1]) for s in _lines(log, "start") if int(s[3]) == proc.pid]
    dones = {int(s[1]) for s in _lines(log, "done") if int(s[3]) == proc.pid}
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    (held,) = [n for n in starts if n not in dones]
    return held


def _check_retried(study, killed, n):
    trials = study.get_trials()
    assert count_trials(study).get("COMPLETE", 0) == n
    assert trials[killed].state == optuna.trial.TrialState.FAIL
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == killed]
    assert len(retries) == 1 and retries[0].state == optuna.trial.TrialState.COMPLETE
    assert retries[0].params == trials[killed].params  # same setting, run again once, not lost


def test_search_killed_with_sigkill_resumes_to_the_requested_count(tmp_path):
    url, name, log, n = (
        storage_url(tmp_path / "study.db"),
        "resume",
        tmp_path / "log",
        4,
    )
    proc = _start(url, name, n, 0.3, log)
    killed = _killed_mid_trial(url, name, log, proc)
    _start(url, name, n, 0.3, log).wait(timeout=120)
    study = _study(url, name)
    _check_retried(study, killed, n)
    done_numbers = [int(s[1]) for s in _lines(log, "done")]
    assert len(done_numbers) == len(set(done_numbers)) == n  # each trial evaluated to the end once


@needs_postgres
def test_two_workers_share_one_postgres_study(tmp_path):
    name, log, n = f"two-{uuid.uuid4().hex[:8]}", tmp_path / "log", 8
    make_storage(PG_URL)  # create the tables once before two processes race to
    procs = _start_together(PG_URL, name, n, 0.3, log, tmp_path)
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    study = _study(PG_URL, name)
    counts = count_trials(study)
    assert counts.get("COMPLETE", 0) == n
    numbers = [t.number for t in study.get_trials()]
    assert len(numbers) == len(set(numbers))
    done = _lines(log, "done")
    assert len({d[1] for d in done}) == len(done) == n
    assert len({d[3] for d in done}) == 2  # both workers ran trials
    # surplus trials (two workers asking for the last place at once) were never evaluated
    surplus = [t for t in study.get_trials() if t.user_attrs.get("surplus")]
    assert all(str(t.number) not in {s[1] for s in _lines(log, "start")} for t in surplus)


@needs_postgres
def test_worker_killed_mid_trial_is_retried_by_the_other(tmp_path):
    name, log, n = f"kill-{uuid.uuid4().hex[:8]}", tmp_path / "log", 6
    make_storage(PG_URL)
    victim, survivor = _start_together(PG_URL, name, n, 0.5, log, tmp_path)
    killed = _killed_mid_trial(PG_URL, name, log, victim)
    assert survivor.wait(timeout=120) == 0
    _check_retried(_study(PG_URL, name), killed, n)
