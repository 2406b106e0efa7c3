"""Matbench-style k-fold cross-validation of a composition model.

The folds are scikit-learn's ``KFold(n_splits, shuffle=True, random_state=split_seed)`` over the
table's rows (after the loader's policies; duplicated compositions are merged by default, so one
composition never sits in a training and a test fold at once).  ``split_seed`` defaults to
18012019, the seed Matbench v0.1 uses for its folds.  Each fold's model sees only that fold's
training rows: early stopping and ``--model auto`` selection carve their validation data from
them.  The summary is mean ± standard deviation (ddof=0) over folds.

Finished folds are stored in ``out/folds/fold_<k>.json`` (+ ``.npz`` predictions); running the
same command again skips them, so a killed CV resumes.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import ConfigError, DataError
from matnn.core.metrics import regression_metrics
from matnn.data.composition.loader import CompositionTable
from matnn.models.composition.estimators import make_estimator
from matnn.models.composition.settings import ModelSettings
from matnn.workflows.composition.train import _xy, load_for_model, uses_work_dir, write_predictions

__all__ = ["MATBENCH_SPLIT_SEED", "kfold_indices", "cross_validate_composition", "summarize_folds"]

#: Matbench v0.1's KFold random_state.
MATBENCH_SPLIT_SEED = 18012019


def kfold_indices(
    n_rows: int, n_folds: int = 5, split_seed: int = MATBENCH_SPLIT_SEED
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(train_idx, test_idx), ...]`` of a shuffled KFold; identical for identical arguments."""
    from sklearn.model_selection import KFold

    if n_folds < 2:
        raise ConfigError(f"The number of folds must be at least 2. Got {n_folds}.")
    if n_rows < n_folds:
        raise DataError(f"{n_folds}-fold cross-validation needs at least {n_folds} rows. Got {n_rows}.")
    kf = KFold(n_splits=n_folds, shuffle=True, random_state=split_seed)
    return [(tr, te) for tr, te in kf.split(np.arange(n_rows))]


def summarize_folds(
    fold_metrics: list[dict[str, Any]], keys: tuple[str, ...] = ("mae", "rmse", "r2")
) -> dict[str, float]:
    """``{key: mean, key_std: std}`` over folds (population std, ddof=0)."""
    out = {}
    for k in keys:
        vals = np.array([m[k] for m in fold_metrics], dtype=np.float64)
        out[k] = float(vals.mean())
        out[f"{k}_std"] = float(vals.std())
    return out


def _subset(data: Any, idx: np.ndarray) -> Any:
    return data.subset(idx) if isinstance(data, CompositionTable) else (data[0][idx], data[1][idx])


def _fit_fold(task: tuple) -> tuple[dict[str, Any], np.ndarray]:
    """Fit and score one fold: ``(k, model, settings, (x_tr, y_tr), (x_te, y_te), seed, work_dir)``."""
    k, model, settings, (x_tr, y_tr), (x_te, y_te), seed, work = task
    est = make_estimator(model, settings)
    t0 = time.perf_counter()
    est.fit(x_tr, y_tr, seed=seed, work_dir=work)
    pred = est.predict(x_te)
    m = regression_metrics(y_te, pred)
    m.update({"fold": k, "n_train": len(y_tr), "n_test": len(y_te), "fold_time_s": time.perf_counter() - t0})
    m.update({f"fit_{key}": v for key, v in est.info_.items() if not isinstance(v, (list, dict))})
    return m, pred


def cross_validate_composition(
    data: str | os.PathLike,
    *,
    model: str = "rf-magpie",
    folds: int = 5,
    out: str | os.PathLike | None = None,
    settings: ModelSettings | None = None,
    seed: int = 0,
    split_seed: int = MATBENCH_SPLIT_SEED,
    drop_invalid: bool = False,
    max_abs_target: float | None = None,
    duplicates: str = "mean",
    formula_column: str = "formula",
    target_column: str = "target",
    target_label: str = "target",
    max_rows: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
) -> dict[str, Any]:
    """k-fold cross-validation of ``model`` on one table.

    ``workers``/``scheduler`` fit the folds as tasks of :class:`matnn.core.engines.Executor` (a local Dask
    cluster, or the one at ``scheduler``); each fold is seeded, so the results equal a serial run's.

    Returns
    -------
    dict
        Flat metrics: ``mae`` (mean over folds), ``mae_std``, ``rmse``, ``rmse_std``, ``r2``,
        ``r2_std``, ``fold_<k>_mae``, ``n_rows``, ``folds``, ``model``, ``wall_time_s``, ...
        (error units = the target's).
    """
    from matnn.core.engines import Executor
    from matnn.utils.progress import progress

    settings = settings or ModelSettings()
    t_start = time.perf_counter()
    table = load_for_model(
        data,
        model,
        settings,
        drop_invalid=drop_invalid,
        max_abs_target=max_abs_target,
        duplicates=duplicates,
        formula_column=formula_column,
        target_column=target_column,
    )
    if max_rows is not None:
        from matnn.workflows.composition.train import subsample

        table = subsample(table, max_rows, seed)
    _, y = _xy(table)
    splits = kfold_indices(len(y), folds, split_seed)
    out_dir = Path(out) if out is not None else None
    fold_dir = out_dir / "folds" if out_dir is not None else None
    signature = json.dumps(
        {
            "data": str(data),
            "model": model,
            "settings": {k: str(v) for k, v in vars(settings).items() if k != "verbose"},
            "seed": seed,
            "split_seed": split_seed,
            "folds": folds,
            "n_rows": int(len(y)),
            "max_abs_target": max_abs_target,
            "duplicates": duplicates,
        },
        sort_keys=True,
    )
    oof = np.full(len(y), np.nan)
    done: dict[int, tuple[dict[str, Any], np.ndarray]] = {}
    tasks = []
    for k, (tr, te) in enumerate(splits):
        cached = _load_fold(fold_dir, k, te, signature) if fold_dir is not None else None
        if cached is not None:
            done[k] = cached
            continue
        work = fold_dir / f"work_{k}" if fold_dir is not None and uses_work_dir(model) else None
        tasks.append((k, model, settings, _xy(_subset(table, tr)), _xy(_subset(table, te)), seed + k, work))
    bar = progress(total=folds, desc=f"{model} {folds}-fold CV")
    bar.update(len(done))
    # one task per fold, serial or on a Dask cluster; each fold is cached the moment it finishes
    with Executor(workers=workers, scheduler=scheduler) as ex:
        for i, (m, pred) in ex.as_completed(_fit_fold, tasks):
            k = tasks[i][0]
            if fold_dir is not None:
                _save_fold(fold_dir, k, m, splits[k][1], pred, signature)
            done[k] = (m, pred)
            bar.update(1)
    bar.close()
    fold_metrics: list[dict[str, Any]] = []
    for k, (_, te) in enumerate(splits):
        m, pred = done[k]
        oof[te] = pred
        fold_metrics.append(m)

    metrics: dict[str, Any] = {
        "model": model,
        "folds": folds,
        "split_seed": split_seed,
        "seed": seed,
        "n_rows": int(len(y)),
    }
    metrics.update(summarize_folds(fold_metrics))
    for m in fold_metrics:
        metrics[f"fold_{m['fold']}_mae"] = m["mae"]
        if "fit_selected" in m:
            metrics[f"fold_{m['fold']}_selected"] = m["fit_selected"]
    metrics["oof_mae"] = float(np.mean(np.abs(oof - y)))
    metrics["baseline_mean_mae"] = float(np.mean([np.mean(np.abs(y[te] - y[tr].mean())) for tr, te in splits]))
    if isinstance(table, CompositionTable):
        metrics.update({f"data_{k}": v for k, v in table.report.items()})
    metrics["wall_time_s"] = time.perf_counter() - t_start
    if out_dir is not None:
        from matnn.utils.io import write_metrics
        from matnn.utils.plotting import plot_parity

        plot_parity(
            y,
            oof,
            out_dir / "parity.png",
            label=target_label,
            title=f"{model}: {folds}-fold CV, MAE {metrics['mae']:.4g} ± {metrics['mae_std']:.2g}",
        )
        fold_of = np.empty(len(y), dtype=int)
        for k, (_, te) in enumerate(splits):
            fold_of[te] = k
        write_predictions(out_dir / "predictions.csv", table, y, oof, {"fold": fold_of})
        write_metrics(out_dir, metrics)
    return metrics


def _save_fold(fold_dir: Path, k: int, m: dict[str, Any], te: np.ndarray, pred: np.ndarray, signature: str) -> None:
    from matnn.utils.io import atomic_save_npz, write_json

    atomic_save_npz(fold_dir / f"fold_{k}.npz", test_index=te, prediction=pred)
    write_json(
        fold_dir / f"fold_{k}.json", {"signature": signature, "metrics": m}
    )  # written last: its presence marks the fold done


def _load_fold(fold_dir: Path, k: int, te: np.ndarray, signature: str) -> tuple[dict[str, Any], np.ndarray] | None:
    meta, arrays = fold_dir / f"fold_{k}.json", fold_dir / f"fold_{k}.npz"
    if not (meta.is_file() and arrays.is_file()):
        return None
    saved = json.loads(meta.read_text())
    if saved.get("signature") != signature:  # another model, setting or data set: recompute
        return None
    with np.load(arrays) as z:
        if not np.array_equal(z["test_index"], te):  # different data or split: recompute
            return None
        pred = z["prediction"].copy()
    return saved["metrics"], pred
