"""Study storage and the worker loop: resumable, shareable searches with no trial lost or run twice.

* ``storage=None`` or a file path → SQLite file (``sqlite:///...``); a URL (``postgresql://...``) → that
  database.  Both go through :class:`optuna.storages.RDBStorage` with a heartbeat: a trial whose worker
  stops beating for ``grace_period`` seconds (killed, machine lost) is marked failed and re-queued once
  with the same parameters (``RetryHeartbeatStaleTrialCallback``; ``RetryFailedTrialCallback`` before Optuna 4.9).
* :func:`run_worker` runs trials until the study holds ``n_trials`` finished (complete or pruned)
  trials.  Before a trial runs, it ranks itself among the study's live trials; a trial that would
  exceed ``n_trials`` (two workers asking at once for the last place) is marked failed with the user
  attribute ``surplus`` and never evaluated, so the count is exact.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["SurplusTrial", "count_trials", "make_storage", "run_worker", "storage_url"]


class SurplusTrial(Exception):
    """A trial asked for when the study already had its requested number of live trials."""


def storage_url(storage: str | Path) -> str:
    """``postgresql://...``/``sqlite:///...`` unchanged; a plain path → ``sqlite:///<absolute path>``."""
    text = str(storage)
    for scheme in ("postgresql://", "postgres://"):
        if text.startswith(scheme):
            return _postgres_driver(text[len(scheme) :])
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).resolve()}"


def _postgres_driver(rest: str) -> str:
    """``postgresql+<driver>://rest``: psycopg (3) when installed, else psycopg2 (SQLAlchemy 2.1 defaults to psycopg)."""
    import importlib.util

    for module, driver in (("psycopg", "psycopg"), ("psycopg2", "psycopg2")):
        if importlib.util.find_spec(module) is not None:
            return f"postgresql+{driver}://{rest}"
    from matnn.core.exceptions import require

    require("psycopg2", "design")
    return f"postgresql://{rest}"


def make_storage(
    storage: str | Path,
    *,
    heartbeat_interval: int = 10,
    grace_period: int | None = None,
    max_retry: int = 3,
) -> Any:
    """An Optuna RDB storage with heartbeat and retry of failed trials (see module docstring)."""
    import optuna

    url = storage_url(storage)
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        # Several local workers share one SQLite file: wait for the lock rather than fail.
        kwargs["engine_kwargs"] = {"connect_args": {"timeout": 120}}
    elif url.startswith("postgresql"):
        kwargs["engine_kwargs"] = {"pool_pre_ping": True}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        warnings.simplefilter("ignore", FutureWarning)
        retry_cls = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None)
        if retry_cls is not None:  # Optuna >= 4.9
            retry = {"heartbeat_stale_trial_callback": retry_cls(max_retry=max_retry)}
        else:
            retry = {"failed_trial_callback": optuna.storages.RetryFailedTrialCallback(max_retry=max_retry)}
        return optuna.storages.RDBStorage(
            url,
            heartbeat_interval=int(heartbeat_interval),
            grace_period=grace_period or 2 * int(heartbeat_interval),
            **retry,
            **kwargs,
        )


def count_trials(study: Any) -> dict[str, int]:
    """Trials of ``study`` by state name (``COMPLETE``, ``PRUNED``, ``FAIL``, ``RUNNING``, ``WAITING``)."""
    counts: dict[str, int] = {}
    for t in study.get_trials(deepcopy=False):
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    return counts


def _live(t: Any) -> bool:
    import optuna

    return t.state in (
        optuna.trial.TrialState.COMPLETE,
        optuna.trial.TrialState.PRUNED,
        optuna.trial.TrialState.RUNNING,
    )


def run_worker(
    study: Any,
    objective: Callable[[Any], float],
    n_trials: int,
    *,
    catch: tuple[type[BaseException], ...] = (),
    poll_s: float = 1.0,
    max_consecutive_failures: int = 5,
    fatal: tuple[type[BaseException], ...] = (),
) -> None:
    """Run trials of ``study`` until it holds ``n_trials`` complete or pruned trials.

    Safe to run in several processes or machines on one storage; trials of dead workers are retried
    (heartbeat), surplus trials are never evaluated.  Exceptions in ``catch`` fail the trial and the
    search goes on, until ``max_consecutive_failures`` trials of this worker failed in a row: then the
    last exception is raised (a setting that breaks every trial is a configuration error).  An
    exception in ``fatal`` fails its trial and is raised at once.
    """
    import optuna

    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    failures: list[BaseException] = []

    def guarded(trial: Any) -> float:
        others = [t for t in study.get_trials(deepcopy=False) if t.number < trial.number and _live(t)]
        if len(others) >= n_trials:
            trial.set_user_attr("surplus", True)
            raise SurplusTrial(f"trial {trial.number} not needed: {n_trials} trials already live")
        try:
            value = objective(trial)
        except fatal as exc:
            failures.extend([exc] * max_consecutive_failures)
            raise
        except catch as exc:
            failures.append(exc)
            raise
        failures.clear()
        return value

    with warnings.catch_warnings():
        # Heartbeats and stale-trial checks are "experimental" in Optuna: expected here, not news to the user.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        while True:
            optuna.storages.fail_stale_trials(study)
            trials = study.get_trials(deepcopy=False)
            done = sum(t.state in finished for t in trials)
            if done >= n_trials:
                return
            running = sum(t.state == optuna.trial.TrialState.RUNNING for t in trials)
            waiting = sum(t.state == optuna.trial.TrialState.WAITING for t in trials)
            if done + running >= n_trials and waiting == 0:
                time.sleep(poll_s)  # the last trials run elsewhere (or their worker died: wait for the heartbeat)
                continue
            study.optimize(
                guarded,
                n_trials=1,
                catch=(SurplusTrial, *catch),
                gc_after_trial=False,
                show_progress_bar=False,
            )
            if len(failures) >= max_consecutive_failures:
                raise failures[-1]
