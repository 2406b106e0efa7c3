"""``matnn tune EXPERIMENT.yaml --out DIR``: hyperparameter search over any matnn experiment (Optuna).

The experiment file is the one ``matnn run`` reads plus a ``tune:`` block (see docs/design.md,
"Hyperparameter search").  Protocol: trials are scored on validation data only and never read the
test set; the best setting is then retrained once and scored on the test set.

* ``matnn tune EXPERIMENT.yaml --out DIR [--storage URL] [--workers N]``
* ``matnn tune dashboard --storage URL [--port 8080]``
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matnn.cli.common import positive_int
from matnn.core.exceptions import ConfigError

__all__ = ["ADAPTERS", "Adapter", "register", "run_search"]


@dataclass(frozen=True)
class Adapter:
    """How one command exposes a validation score to the search.

    ``metric``/``direction``: the default score (a key of the command's metrics.json).
    ``holdout``: 'csv' or 'battery' → the trials replace ``test_key`` by a validation file carved from
    ``train_key`` (seeded, ``tune.validation_fraction`` of the rows/cells); ``drop``: options removed
    in trials (the command then scores its own validation split); ``has_test=False``: the final run's
    scores are reported as ``final_<score>`` (no test set, e.g. cross-validation); ``honest=False``: the command has no
    validation split separate from its test split (said in metrics.json). ``validation_option``: the command's own
    option holding out a share of its training data for validation; trials set it to ``tune.validation_fraction``
    unless the experiment sets it. ``monitor``: the epoch log reported for pruning unless ``tune.monitor`` names one.
    """

    metric: str
    direction: str = "minimize"
    holdout: str | None = None
    train_key: str = "train"
    test_key: str = "test"
    drop: tuple[str, ...] = ()
    honest: bool = True
    protocol: str = ""
    has_test: bool = True
    validation_option: str | None = None
    monitor: str = "val_loss"


ADAPTERS: dict[str, Adapter] = {
    "composition train": Adapter(
        "mae",
        holdout="csv",
        protocol="trials: --test replaced by a validation CSV carved from --train; score = its MAE",
    ),
    "composition cv": Adapter(
        "mae",
        protocol="trials: the command's k-fold cross-validation MAE on --data (no test file)",
        has_test=False,
    ),
    "composition depth-study": Adapter(
        "best_depth_val_mae",
        holdout="csv",
        protocol="trials: --test replaced by a validation CSV carved from --train; score = best_depth_val_mae",
    ),
    "battery train": Adapter(
        "rmse",
        holdout="battery",
        protocol="trials: --test replaced by validation cells carved from --train; score = their RMSE (cycles)",
    ),
    "battery cv": Adapter(
        "rmse",
        protocol="trials: k-fold CV RMSE (cycles) on the training cells; no test file",
        has_test=False,
    ),
    "crystals train": Adapter(
        "val_mae",
        drop=("test",),
        protocol="trials: --test removed; score = val_mae of the command's validation split of --data",
    ),
    "crystals potential": Adapter(
        "val_energy_mae_mev_atom",
        protocol="trials: score from the command's own validation split",
    ),
    "microstructure train": Adapter(
        "best_val_loss",
        protocol="trials: score = best_val_loss of the command's validation split (its test split is scored by the command but not used)",
    ),
    "images digits": Adapter(
        "val_accuracy",
        direction="maximize",
        validation_option="validation_size",
        monitor="val_accuracy",
        protocol="trials: --validation-size = tune.validation_fraction of each seed's training images; score = "
        "their accuracy (val_accuracy); the command also scores its test images, which the search never reads",
    ),
    "images conv-lab": Adapter(
        "accuracy",
        direction="maximize",
        monitor="val_accuracy",
        honest=False,
        protocol="trials: the command's own held-out score (no separate validation split)",
    ),
}

#: Score names copied from the final run as ``test_<name>`` (``mae``, ``rmse_log_tau``, ``accuracy_std`` ...).
_SCORE = re.compile(r"^(test_)?(mae|rmse|r2|mape|accuracy|mse|loss)(_[a-z0-9_]+)?$")


def _strip_password(url: str) -> str:
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


# ---------------------------------------------------------------- experiment → search
@dataclass
class Search:
    spec: dict[str, Any]
    command: str
    settings: Any
    adapter: Adapter
    metric: str
    direction: str
    out: Path
    source: str
    monitor: str = "val_loss"


def _load_search(path: Path, out: Path | None) -> Search:
    from matnn.cli.experiment import _commands, _options, experiment_to_argv, read_yaml
    from matnn.cli.main import build_parser
    from matnn.core.exceptions import ConfigError
    from matnn.design.tune.space import monitor_direction, parse_tune_block

    raw = read_yaml(path)  # UTF-8, valid YAML, no key given twice
    if not isinstance(raw, Mapping) or "tune" not in raw:
        raise ConfigError(f"{path}: a search needs a 'tune:' block (metric, direction, trials, sampler, pruner, space)")
    spec = {str(k).replace("-", "_"): v for k, v in raw.items() if k != "tune"}
    if out is not None:
        spec["out"] = str(out)
    if "out" not in spec:
        raise ConfigError(f"{path}: give --out DIR or an 'out' key")
    parser = build_parser()
    experiment_to_argv(spec, parser, source=str(path))  # the command and its fixed options are valid
    command = " ".join(str(spec["command"]).split())
    options = _options(_commands(parser)[command])
    allowed = {k for k in options if k not in ("out", "func")}
    settings = parse_tune_block(raw["tune"], allowed=allowed, model_options="model_option" in options)
    _check_space_values(spec, settings.space, parser, str(path))
    adapter = ADAPTERS.get(command)
    metric = settings.metric or (adapter.metric if adapter else None)
    if metric is None:
        raise ConfigError(f"{path}: 'tune.metric' is needed for '{command}' (a key of its metrics.json)")
    if adapter is None:
        adapter = Adapter(
            metric,
            protocol="trials: the command as written; score = tune.metric from its metrics.json",
            has_test=False,
        )
    direction = settings.direction or (adapter.direction if metric == adapter.metric else "minimize")
    if adapter.holdout and adapter.train_key not in spec:
        raise ConfigError(f"{path}: '{command}' needs '{adapter.train_key}' for the validation split")
    monitor = settings.monitor or adapter.monitor
    if settings.pruner != "none" and monitor_direction(monitor) != direction:
        # Optuna's pruners compare intermediate values in the study's direction: a falling loss reported to a
        # maximised study would have the pruner stop the best trials.
        raise ConfigError(
            f"{path}: the pruner's epoch log 'tune.monitor' {monitor!r} improves by "
            f"{'rising' if monitor_direction(monitor) == 'maximize' else 'falling'}, but the search should {direction} "
            f"{metric!r}: the best trials would be pruned; name an epoch log that moves with the metric "
            f"(e.g. val_accuracy, val_loss) or set 'tune.pruner: none'"
        )
    return Search(
        spec,
        command,
        settings,
        adapter,
        metric,
        direction,
        Path(spec["out"]),
        str(path),
        monitor,
    )


def _check_space_values(spec: dict[str, Any], space: Mapping[str, Any], parser: Any, source: str) -> None:
    """Every end of a range and every choice must be a valid value of its option (checked before any trial)."""
    from matnn.cli.experiment import experiment_to_argv
    from matnn.core.exceptions import ConfigError

    for name, p in space.items():
        values = list(p.choices) if p.kind == "categorical" else [p.low, p.high]
        for v in values:
            try:
                experiment_to_argv(_set_params(spec, {name: v}), parser, source=source)
            except ConfigError as exc:
                raise ConfigError(f"tune.space.{name}: value {v!r} is not valid for the command ({exc})") from None


def _set_params(spec: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    from matnn.design.tune.space import MODEL_OPTION_PREFIX

    spec = copy.deepcopy(spec)
    extra = []
    for name, value in params.items():
        if name.startswith(MODEL_OPTION_PREFIX):
            extra.append(f"{name[len(MODEL_OPTION_PREFIX) :]}={value}")
        else:
            spec[name] = value
    if extra:
        fixed = spec.get("model_option") or []
        fixed = [fixed] if isinstance(fixed, str) else list(fixed)
        keys = {e.split("=", 1)[0] for e in extra}
        spec["model_option"] = [f for f in fixed if str(f).split("=", 1)[0].replace("-", "_") not in keys] + extra
    return spec


# ---------------------------------------------------------------- validation files carved from the training file
def _split_csv(src: Path, train_out: Path, val_out: Path, fraction: float, seed: int) -> None:
    import numpy as np

    from matnn.core.exceptions import DataError
    from matnn.utils.io import atomic_write

    with open(src, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    n_val = round(fraction * len(body))
    if n_val < 1 or len(body) - n_val < 2:
        raise DataError(f"{src}: {len(body)} rows are too few for a validation split of {fraction:g}")
    perm = np.random.default_rng(seed).permutation(len(body))
    val = set(perm[:n_val].tolist())
    for path, keep in (
        (train_out, lambda i: i not in val),
        (val_out, lambda i: i in val),
    ):
        with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(r for i, r in enumerate(body) if keep(i))


def _split_battery(src: Path, train_out: Path, val_out: Path, fraction: float, seed: int) -> None:
    import numpy as np

    from matnn.core.exceptions import DataError
    from matnn.data.battery import load_dataset
    from matnn.data.battery.npz import save_npz

    data = load_dataset(src, require_labels=True)
    n = data.n_cells
    n_val = round(fraction * n)
    if n_val < 1 or n - n_val < 2:
        raise DataError(f"{src}: {n} cells are too few for a validation split of {fraction:g}")
    perm = np.random.default_rng(seed).permutation(n)
    save_npz(data.subset(np.sort(perm[n_val:])), train_out)
    save_npz(data.subset(np.sort(perm[:n_val])), val_out)


def _trial_spec(search: Search, params: Mapping[str, Any], out: Path) -> dict[str, Any]:
    """The experiment of one trial: searched values set, test set replaced or removed, its own out."""
    spec = _set_params(search.spec, params)
    a = search.adapter
    for key in a.drop:
        spec.pop(key, None)
    if a.validation_option and not spec.get(a.validation_option):
        spec[a.validation_option] = search.settings.validation_fraction
    if a.holdout:
        hold = search.out / "holdout"
        suffix = ".csv" if a.holdout == "csv" else ".npz"
        train_part, val_part = hold / f"train{suffix}", hold / f"validation{suffix}"
        if not (train_part.exists() and val_part.exists()):
            hold.mkdir(parents=True, exist_ok=True)
            split = _split_csv if a.holdout == "csv" else _split_battery
            split(
                Path(spec[a.train_key]),
                train_part,
                val_part,
                search.settings.validation_fraction,
                int(spec.get("seed", 0) or 0),
            )
        spec[a.train_key] = str(train_part)
        spec[a.test_key] = str(val_part)
    spec["out"] = str(out)
    return spec


def _run_spec(spec: dict[str, Any], source: str) -> dict[str, Any]:
    """Run one experiment mapping in this process (the same code path as ``matnn run``); its metrics."""
    from matnn.cli.experiment import experiment_to_argv
    from matnn.cli.main import build_parser, run_args

    parser = build_parser()
    args = parser.parse_args(experiment_to_argv(spec, parser, source=source))
    if hasattr(args, "quiet"):
        args.quiet = True
    metrics = run_args(args)
    if not isinstance(metrics, Mapping):
        path = Path(spec["out"]) / "metrics.json"
        metrics = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return dict(metrics)


class MetricMissing(ConfigError):
    """The command's metrics lack ``tune.metric``: every trial would fail the same way."""


def _score(metrics: Mapping[str, Any], metric: str, command: str) -> float:

    if metric not in metrics:
        numeric = sorted(k for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool))
        raise MetricMissing(
            f"'tune.metric' {metric!r} is not in the metrics of '{command}'; numeric keys: {', '.join(numeric)}"
        )
    value = metrics[metric]
    return float(value) if value is not None else float("nan")


def _objective(search: Search):
    import contextlib

    import optuna

    from matnn.design.tune.pruning import report_to_trial
    from matnn.design.tune.space import suggest

    def objective(trial: Any) -> float:
        params = suggest(trial, search.settings.space)
        out = search.out / "trials" / f"trial_{trial.number:04d}"
        spec = _trial_spec(search, params, out)
        shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
        out.mkdir(parents=True, exist_ok=True)
        try:
            # The command's own printing goes to the trial's log; one line per trial here.
            with (
                open(out / "log.txt", "w", encoding="utf-8") as log,
                contextlib.redirect_stdout(log),
                report_to_trial(trial, search.monitor),
            ):
                metrics = _run_spec(spec, f"{search.source} (trial {trial.number})")
            value = _score(metrics, search.metric, search.command)
        except optuna.TrialPruned as exc:
            print(f"trial {trial.number}: {shown}: {exc}", flush=True)
            raise
        except Exception as exc:  # reported here, recorded as a failed trial by Optuna
            print(f"trial {trial.number}: {shown}: failed: {exc}", flush=True)
            raise
        print(
            f"trial {trial.number}: {shown}: validation {search.metric}={value:.5g}",
            flush=True,
        )
        return value

    return objective


# ---------------------------------------------------------------- the search
def _study(search: Search, storage: str | None, study_name: str | None, worker: int):
    import optuna

    from matnn.design.tune.samplers import make_pruner, make_sampler
    from matnn.design.tune.storage import make_storage

    s = search.settings
    url = storage or str(search.out / "study.db")
    search.out.mkdir(parents=True, exist_ok=True)
    st = make_storage(url, heartbeat_interval=s.heartbeat_interval, max_retry=s.max_retry)
    name = study_name or s.study_name or "matnn-tune"
    seed = s.seed if s.seed is not None else int(search.spec.get("seed", 0) or 0)
    sampler = make_sampler(s.sampler, seed=seed + 1000 * worker)
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # failed trials are reported by the objective, one line each
    study = optuna.create_study(
        study_name=name,
        storage=st,
        sampler=sampler,
        pruner=make_pruner(s.pruner, n_warmup_steps=s.warmup_epochs),
        direction=search.direction,
        load_if_exists=True,
    )
    if study.direction.name.lower() != search.direction:
        from matnn.core.exceptions import ConfigError

        raise ConfigError(
            f"study {name!r} in the storage has direction {study.direction.name.lower()}; the experiment asks {search.direction}"
        )
    return study, url, name


def _work(search: Search, storage: str | None, study_name: str | None, worker: int) -> None:
    from matnn.core.exceptions import MatnnError
    from matnn.design.tune.storage import run_worker

    study, _, _ = _study(search, storage, study_name, worker)
    run_worker(
        study,
        _objective(search),
        search.settings.trials,
        catch=(MatnnError, ArithmeticError),
        fatal=(MetricMissing,),
    )


def _plots(study: Any, out: Path, metric: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import optuna

    done = [t for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))]
    done.sort(key=lambda t: t.number)
    fig, ax = plt.subplots(figsize=(6, 4))
    if done:
        x = [t.number for t in done]
        y = [t.value for t in done]
        best = min if study.direction.name == "MINIMIZE" else max
        run = [best(y[: i + 1]) for i in range(len(y))]
        ax.plot(x, y, "o", color="C0", alpha=0.7, label="trial")
        ax.step(x, run, where="post", color="C3", label="best so far")
        ax.legend()
    pruned = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.PRUNED,))
    ax.set_xlabel("trial")
    ax.set_ylabel(f"validation {metric}")
    ax.set_title(f"optimisation history ({len(done)} complete, {len(pruned)} pruned)")
    fig.tight_layout()
    fig.savefig(out / "optimization_history.png", dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    try:
        imp = optuna.importance.get_param_importances(
            study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0)
        )
    except (ValueError, RuntimeError) as exc:
        imp = {}
        ax.text(
            0.5,
            0.5,
            f"no importances: {exc}"[:80],
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
    if imp:
        names = list(imp)[::-1]
        ax.barh(names, [imp[n] for n in names], color="C0")
        ax.set_xlabel("importance (fANOVA, share of variance)")
    ax.set_title("parameter importance")
    fig.tight_layout()
    fig.savefig(out / "param_importances.png", dpi=120)
    plt.close(fig)


def _finish(search: Search, storage_url: str, name: str, final: bool, t0: float) -> dict[str, Any]:
    import optuna

    from matnn.core.exceptions import ConfigError
    from matnn.design.tune.storage import count_trials, make_storage
    from matnn.utils.io import write_metrics

    st = make_storage(storage_url, heartbeat_interval=search.settings.heartbeat_interval)
    study = optuna.load_study(study_name=name, storage=st)
    counts = count_trials(study)
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        raise ConfigError(
            f"no trial of study {name!r} completed ({counts}); see the trials under {search.out / 'trials'}"
        )
    out = search.out
    df = study.trials_dataframe()
    df.to_csv(out / "trials.csv", index=False)
    _plots(study, out, search.metric)
    best = study.best_trial
    surplus = sum(1 for t in study.get_trials(deepcopy=False) if t.user_attrs.get("surplus"))
    metrics: dict[str, Any] = {
        "command": search.command,
        "metric": search.metric,
        "direction": search.direction,
        "best_value": float(best.value),
        "best_trial": int(best.number),
        "n_trials": counts.get("COMPLETE", 0) + counts.get("PRUNED", 0),
        "n_complete": counts.get("COMPLETE", 0),
        "n_pruned": counts.get("PRUNED", 0),
        "n_failed": counts.get("FAIL", 0) - surplus,
        "n_surplus": surplus,
        "sampler": search.settings.sampler,
        "pruner": search.settings.pruner,
        "study_name": name,
        "storage": _strip_password(storage_url),
        "validation_protocol": search.adapter.protocol,
        "validation_is_test": not search.adapter.honest,
    }
    metrics.update({f"best_{k}": v for k, v in best.params.items()})
    if final:
        spec = _set_params(search.spec, best.params)
        spec["out"] = str(out / "final")
        final_metrics = _run_spec(spec, f"{search.source} (final)")
        prefix = "test_" if search.adapter.has_test else "final_"
        for k, v in final_metrics.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and _SCORE.match(k):
                key = k if k.startswith(prefix) else f"{prefix}{k}"
                metrics[key] = float(v) if v is not None and math.isfinite(float(v)) else None
    metrics["wall_time_s"] = time.perf_counter() - t0
    write_metrics(out, metrics)
    print(
        f"wrote {out}/metrics.json, trials.csv, optimization_history.png, param_importances.png",
        flush=True,
    )
    return metrics


def run_search(
    experiment: str | os.PathLike,
    out: str | os.PathLike | None = None,
    *,
    storage: str | None = None,
    workers: int = 1,
    study_name: str | None = None,
    trials: int | None = None,
    final: bool = True,
    worker_only: bool = False,
    worker_index: int = 0,
) -> dict[str, Any] | None:
    """Run the search declared in ``experiment`` (see module docstring); returns the metrics of DIR/metrics.json.

    Parameters
    ----------
    storage : str, optional
        Study storage URL (``postgresql://...``, ``sqlite:///...``) or file; default ``DIR/study.db``.
    workers : int
        Local worker processes (1 = this process).
    worker_only : bool
        Run trials only (no final retraining, no report): a worker started by another ``matnn tune``.
    """
    t0 = time.perf_counter()
    search = _load_search(Path(experiment), Path(out) if out is not None else None)
    if trials is not None:
        search.settings.trials = int(trials)
    study, url, name = _study(search, storage, study_name, worker_index)
    del study
    if worker_only or workers <= 1:
        _work(search, url, name, worker_index)
    else:
        cmd = [
            sys.executable,
            "-m",
            "matnn",
            "tune",
            str(experiment),
            "--out",
            str(search.out),
            "--storage",
            url,
            "--study-name",
            name,
            "--worker-only",
            "--trials",
            str(search.settings.trials),
        ]
        procs = [subprocess.Popen([*cmd, "--worker-index", str(i)]) for i in range(workers)]
        codes = [p.wait() for p in procs]
        if any(codes):
            from matnn.core.exceptions import MatnnError

            raise MatnnError(f"{sum(1 for c in codes if c)} of {workers} workers failed (exit codes {codes})")
    if worker_only:
        return None
    return _finish(search, url, name, final, t0)


def _dashboard(args: argparse.Namespace) -> None:
    from matnn.core.exceptions import ConfigError, require
    from matnn.design.tune.storage import storage_url

    if args.storage is None:
        raise ConfigError("matnn tune dashboard needs --storage URL (or the study.db file of a search)")
    dash = require("optuna_dashboard", "design")
    url = storage_url(args.storage)
    if url.startswith("sqlite") and not Path(url.removeprefix("sqlite:///")).exists():
        raise ConfigError(f"no study database at {args.storage}")
    print(
        f"optuna-dashboard on http://{args.host}:{args.port} (storage {_strip_password(url)})",
        flush=True,
    )
    dash.run_server(url, host=args.host, port=args.port)


def _handle(args: argparse.Namespace) -> dict[str, Any] | None:
    from matnn.core.exceptions import ConfigError

    if args.experiment == "dashboard":
        return _dashboard(args)
    if args.experiment is None:
        raise ConfigError(
            "give an experiment file: matnn tune EXPERIMENT.yaml --out DIR (or matnn tune dashboard --storage URL)"
        )
    m = run_search(
        args.experiment,
        args.out,
        storage=args.storage,
        workers=args.workers,
        study_name=args.study_name,
        trials=args.trials,
        final=not args.no_final,
        worker_only=args.worker_only,
        worker_index=args.worker_index,
    )
    if m is not None:
        tests = ", ".join(
            f"{k}={v:.5g}" for k, v in m.items() if k.startswith(("test_", "final_")) and isinstance(v, float)
        )
        print(
            f"best validation {m['metric']}={m['best_value']:.5g} after {m['n_trials']} trials ({m['n_pruned']} pruned); {tests}"
        )
    return m


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "tune",
        help="hyperparameter search over an experiment file (Optuna); 'tune dashboard' serves a study",
        description="Search the 'tune.space' of an experiment file on validation data, retrain the best setting and "
        "score it once on the test set.  'matnn tune dashboard --storage URL' serves optuna-dashboard on loopback.",
    )
    p.add_argument(
        "experiment",
        nargs="?",
        help="experiment YAML with a 'tune:' block, or 'dashboard'",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: the experiment's 'out')",
    )
    p.add_argument(
        "--storage",
        default=None,
        help="study storage: postgresql://user:pw@host/db, sqlite:///file.db or a file (default DIR/study.db)",
    )
    p.add_argument(
        "--study-name",
        default=None,
        help="study name (default: tune.study_name or 'matnn-tune'); same name = resume/join",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        help="local worker processes (default 1)",
    )
    p.add_argument(
        "--trials",
        type=positive_int,
        default=None,
        help="override tune.trials (finished = complete or pruned)",
    )
    p.add_argument(
        "--no-final",
        action="store_true",
        help="skip retraining the best setting on the full training data",
    )
    p.add_argument("--worker-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--worker-index", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="dashboard: address to listen on (default 127.0.0.1)",
    )
    p.add_argument("--port", type=positive_int, default=8080, help="dashboard: port (default 8080)")
    # A search folder is identified by its Optuna study (resumable, shared by workers), not by a run record.
    p.set_defaults(func=_handle, own_run_folder=True)
