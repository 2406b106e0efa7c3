"""K-fold cross-validation of a cycle-life model on training cells only (no test file).

``cross_validate`` is what ``matnn battery cv`` runs and what the benchmark's model selection
(``bench/battery/cv.py``) scores with.  The fold rule is :func:`cv_folds`: repeat ``r`` permutes the
cells with ``numpy.random.default_rng(seed + r)``, splits the permutation into ``folds`` nearly equal
parts (``numpy.array_split``), and fits every model of that repeat with seed ``seed + r``.  Each
cell is predicted once per repeat, by the model that did not see it (out-of-fold).

Outputs in ``out``:

* ``metrics.json`` — flat keys: ``model``, ``model_options``, ``rmse`` (cycles, mean over repeats of
  the out-of-fold RMSE), ``rmse_std`` (std over repeats), ``mape`` (percent) and ``mape_std``,
  ``rmse_of_mean`` (RMSE of the repeat-averaged predictions), ``rmse_per_repeat``,
  ``mape_per_repeat``, ``n_cells``, ``folds``, ``repeats``, ``seed``, ``wall_s``;
* ``predictions.csv`` — ``cell, true, predicted_mean, predicted_std`` (cycles, over repeats);
* ``parity.png`` — out-of-fold predicted against observed cycle life (mean ± std over repeats).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from matnn.data.battery.dataset import BatteryDataset
from matnn.workflows.battery.train import _check_inputs, mape, rmse

__all__ = ["cross_validate", "cv_folds", "out_of_fold"]


def cv_folds(n_cells: int, folds: int, seed: int) -> list[np.ndarray]:
    """The held-out cell indices of each fold: ``array_split`` of ``default_rng(seed).permutation(n_cells)``."""
    return np.array_split(np.random.default_rng(seed).permutation(n_cells), folds)


def out_of_fold(make: Callable[[], Any], ds: BatteryDataset, folds: int = 5, seed: int = 0) -> np.ndarray:
    """Out-of-fold predictions (cycles, shape (n_cells,)) of the models ``make()`` builds, in this process.

    ``make`` returns a fresh unfitted model with ``fit(ds)`` and ``predict(ds)`` (any model, not only
    registered ones); the folds are :func:`cv_folds` ``(ds.n_cells, folds, seed)``.
    """
    pred = np.zeros(ds.n_cells)
    for held in cv_folds(ds.n_cells, folds, seed):
        rest = np.setdiff1d(np.arange(ds.n_cells), held)
        pred[held] = make().fit(ds.subset(rest)).predict(ds.subset(held))
    return pred


def _fit_fold(task: tuple[str, dict[str, Any], int, BatteryDataset, np.ndarray, Any]) -> np.ndarray:
    """Fit the model of one (repeat, fold) on the other cells; its predictions (cycles) of the held-out ones."""
    from matnn.models.battery import make_model

    model, options, s, ds, held, device = task
    rest = np.setdiff1d(np.arange(ds.n_cells), held)
    m = make_model(model, seed=s, options=options).fit(ds.subset(rest), device=device)
    return np.asarray(m.predict(ds.subset(held)), dtype=float)


def cross_validate(
    data: BatteryDataset,
    model: str,
    *,
    folds: int = 5,
    repeats: int = 2,
    seed: int = 0,
    model_options: Mapping[str, Any] | None = None,
    out: str | os.PathLike | None = None,
    device: Any = None,
    workers: int = 1,
    scheduler: str | None = None,
    show_progress: bool = True,
    figures: bool = True,
) -> dict[str, Any]:
    """K-fold cross-validation RMSE (cycles) of ``model`` on the cells of ``data``; return flat metrics.

    Parameters
    ----------
    data : BatteryDataset
        Training cells, every one with a cycle life (at least 5 outside each fold).
    model : str
        A model of :data:`~matnn.models.battery.registry.BATTERY_MODELS`.
    folds : int, default=5
        Folds per repeat, 2 to ``n_cells``.
    repeats : int, default=2
        Repeat ``r`` uses seed ``seed + r`` for the fold permutation and for every model it fits.
    seed : int, default=0
    model_options : mapping, optional
        Changes to the model's recipe (see :func:`~matnn.models.battery.check_model_options`).
    out : path, optional
        Folder for ``metrics.json``, ``predictions.csv`` and ``parity.png``.
    device : optional
        Where networks train (``None``: matnn's default).
    workers, scheduler : optional
        Fit the ``folds × repeats`` models on a local Dask cluster of ``workers`` processes or on the
        cluster at ``scheduler`` (:class:`matnn.core.engines.Executor`); every fit seeds its own model,
        so the metrics equal a serial run's.

    Returns
    -------
    dict
        The metrics written to ``metrics.json`` (see module docstring).
    """
    from matnn.core.engines import Executor
    from matnn.core.validation import Interval, check
    from matnn.models.battery import BATTERY_MODELS, check_model_options
    from matnn.utils.progress import progress

    spec = BATTERY_MODELS.get(model)  # the one check of the name
    model = spec.name
    options = check_model_options(model, model_options)
    _check_inputs(data, None)
    n = data.n_cells
    check("cross_validate", "folds", folds, Interval(int, 2, n))
    check("cross_validate", "repeats", repeats, Interval(int, 1, None))
    check("cross_validate", "seed", seed, Interval(int, 0, None))
    smallest_rest = n - int(np.ceil(n / folds))
    if smallest_rest < 5:
        from matnn.core.exceptions import ConfigError

        raise ConfigError(
            f"'folds' of cross_validate must leave at least 5 training cells in each fold; "
            f"{folds} folds of {n} cells leave {smallest_rest}"
        )
    t0 = time.perf_counter()
    tasks, where = [], []
    for r in range(repeats):
        for held in cv_folds(n, folds, seed + r):
            tasks.append((model, options, seed + r, data, held, device))
            where.append((r, held))
    P = np.zeros((repeats, n))  # out-of-fold predictions, cycles
    bar = progress(total=len(tasks), desc=f"cross-validating {model}", enabled=show_progress)
    with Executor(workers=workers, scheduler=scheduler) as ex:
        for i, pred in ex.as_completed(_fit_fold, tasks):
            r, held = where[i]
            P[r, held] = pred
            bar.update(1)
    bar.close()
    y = data.cycle_life
    per_rmse = [rmse(y, p) for p in P]
    per_mape = [mape(y, p) for p in P]
    mean, std = P.mean(axis=0), P.std(axis=0)
    metrics: dict[str, Any] = {
        "model": model,
        "model_options": options,
        "rmse": float(np.mean(per_rmse)),
        "rmse_std": float(np.std(per_rmse)),
        "mape": float(np.mean(per_mape)),
        "mape_std": float(np.std(per_mape)),
        "rmse_of_mean": rmse(y, mean),
        "rmse_per_repeat": per_rmse,
        "mape_per_repeat": per_mape,
        "n_cells": n,
        "folds": folds,
        "repeats": repeats,
        "seed": seed,
        "n_qc_notes": len(data.qc_report),
        "wall_s": time.perf_counter() - t0,
    }
    if out is not None:
        _write(Path(out), data, mean, std, metrics, figures)
    return metrics


def _write(
    out: Path, data: BatteryDataset, mean: np.ndarray, std: np.ndarray, metrics: dict[str, Any], figures: bool
) -> None:
    import csv

    from matnn.utils.io import atomic_write, ensure_dir, write_metrics

    out = ensure_dir(out)
    with atomic_write(out / "predictions.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["cell", "true", "predicted_mean", "predicted_std"])
        for c, t, m, s in zip(data.cell_ids, data.cycle_life, mean, std, strict=True):
            w.writerow([c, f"{t:.0f}", f"{m:.1f}", f"{s:.1f}"])
    if figures:
        from matnn.utils.plotting import plot_parity

        plot_parity(
            data.cycle_life,
            mean,
            out / "parity.png",
            y_err=std,
            label="cycle life (cycles)",
            title=(
                f"{metrics['model']}: out-of-fold, {metrics['folds']} folds, mean ± std over "
                f"{metrics['repeats']} repeat(s); RMSE {metrics['rmse']:.0f} cycles"
            ),
        )
    write_metrics(out, metrics)
