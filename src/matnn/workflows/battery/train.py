"""Train a cycle-life model on one battery file, evaluate it on another, write metrics and figures.

``train_and_evaluate`` is what ``matnn battery train`` runs: it fits the chosen model once per
seed on the training cells, predicts the test cells, and reports the mean and standard deviation
over seeds of the test RMSE (cycles) and MAPE (%).  Outputs in ``out``:

* ``metrics.json`` — flat keys: ``model``, ``model_options`` (the recipe changes), ``rmse`` (cycles, mean over seeds), ``rmse_std``,
  ``mape`` (percent, mean over seeds), ``mape_std``, ``rmse_of_mean`` (RMSE of the seed-averaged
  prediction), ``n_test``, ``n_train``, ``seeds``, ``rmse_train``, ``wall_s``, and the glitch
  repairs counted in ``n_qc_notes_train`` / ``n_qc_notes_test``;
  ``n_test_beyond_training`` and ``max_feature_z`` (how far the test cells' discharge features lie
  outside the training cells', in training standard deviations; see
  :func:`~matnn.data.battery.features.feature_z_scores`);
* ``predictions.csv`` — ``cell, true, predicted_mean, predicted_std`` (cycles), ``feature_max_abs_z``;
* ``models/seed<k>/`` (every seed's fitted model, see ``ClassicalModel.save`` / ``NeuralModel.save``)
  and ``model_info.json`` (model name, seeds, voltage grid): what ``matnn battery predict`` loads;
* ``parity.png`` (mean ± std over seeds) and ``learning_curves.png`` (loss per epoch for networks;
  RMSE against the number of training cells for classical models).
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import ConfigError, DataError
from matnn.data.battery.dataset import BatteryDataset
from matnn.data.battery.features import EXTRAPOLATION_Z, feature_z_scores
from matnn.models.battery import BATTERY_MODELS, DEFAULT_MODEL

__all__ = ["train_and_evaluate", "rmse", "mape", "REQUIRED_CYCLES", "write_predictions", "seed_dir", "MODEL_INFO_FILE"]

#: Cycles every model reads (ΔQ_k − ΔQ_10 for k = 20..100 and the cycle-2 capacity).
REQUIRED_CYCLES = (2, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root-mean-square error (same unit as the inputs)."""
    return float(np.sqrt(np.mean((np.asarray(y_pred, float) - np.asarray(y_true, float)) ** 2)))


def mape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute percentage error in percent."""
    y_true = np.asarray(y_true, float)
    return float(100.0 * np.mean(np.abs(np.asarray(y_pred, float) - y_true) / y_true))


def _check_inputs(train: BatteryDataset, test: BatteryDataset | None) -> None:
    if not train.has_labels:
        bad = int(np.flatnonzero(~(np.isfinite(train.cycle_life) & (train.cycle_life > 0)))[0])
        raise DataError(
            f"Training data {train.source or ''}: cell {train.cell_ids[bad]!r} (row {bad}) has no valid cycle life "
            f"({train.cycle_life[bad]!r}); every training cell needs one."
        )
    if train.n_cells < 5:
        raise DataError(f"Training data {train.source or ''} has {train.n_cells} cells; at least 5 are needed.")
    for c in REQUIRED_CYCLES:
        train.cycle_index(c)
    if test is not None:
        train.check_compatible(test, name="test set", cycles=REQUIRED_CYCLES)


def _learning_curve_classical(name: str, train: BatteryDataset, seed: int, path: Path) -> Path:
    """RMSE of 5-fold out-of-fold predictions against the number of training cells."""
    from matnn.models.battery.classical import ClassicalModel
    from matnn.utils.plotting import plt, save_figure

    rng = np.random.default_rng(seed)
    n = train.n_cells
    sizes = sorted({int(s) for s in np.linspace(max(8, n // 3), n, 4)})
    tr_err, cv_err = [], []
    for size in sizes:
        idx = rng.permutation(n)[:size]
        sub = train.subset(idx)
        folds = np.array_split(rng.permutation(size), min(5, size))
        pred = np.zeros(size)
        for f in folds:
            rest = np.setdiff1d(np.arange(size), f)
            pred[f] = ClassicalModel(name, seed=seed).fit(sub.subset(rest)).predict(sub.subset(f))
        cv_err.append(rmse(sub.cycle_life, pred))
        tr_err.append(rmse(sub.cycle_life, ClassicalModel(name, seed=seed).fit(sub).predict(sub)))
    fig, ax = plt.subplots(figsize=(4.5, 3.5))
    ax.plot(sizes, tr_err, "o-", label="training RMSE")
    ax.plot(sizes, cv_err, "s-", label="5-fold CV RMSE")
    ax.set_xlabel("training cells")
    ax.set_ylabel("RMSE (cycles)")
    ax.set_title(f"{name}: learning curve")
    ax.legend()
    return save_figure(fig, path)


def _learning_curve_network(histories: list[dict[str, list[float]]], name: str, path: Path) -> Path:
    from matnn.utils.plotting import plt, save_figure

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for j, h in enumerate(histories):
        ep = np.arange(1, len(h["loss"]) + 1)
        ax.plot(ep, h["loss"], color="C0", alpha=0.6, label="training loss" if j == 0 else None)
        if "val_loss" in h:
            ax.plot(ep, h["val_loss"], color="C1", alpha=0.6, label="validation loss" if j == 0 else None)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE of log10 cycle life")
    ax.set_title(f"{name}: learning curves (seed 1, {len(histories)} member(s))")
    ax.legend()
    return save_figure(fig, path)


def write_predictions(
    path: str | os.PathLike, cells: list[str], true: np.ndarray, mean: np.ndarray, std: np.ndarray, z: np.ndarray
) -> Path:
    """``cell,true,predicted_mean,predicted_std`` (cycles) and ``feature_max_abs_z``, written atomically."""
    from matnn.utils.io import atomic_write

    path = Path(path)
    with atomic_write(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["cell", "true", "predicted_mean", "predicted_std", "feature_max_abs_z"])
        for c, t, m, s, zi in zip(cells, true, mean, std, z, strict=False):
            w.writerow([c, "" if not np.isfinite(t) else f"{t:.0f}", f"{m:.1f}", f"{s:.1f}", f"{zi:.2f}"])
    return path


#: Files of a run folder that ``matnn battery predict`` reads: ``model_info.json`` and one folder per seed.
MODEL_INFO_FILE = "model_info.json"
MODELS_DIR = "models"


def seed_dir(out: str | os.PathLike, seed: int) -> Path:
    """Where the model fitted with ``seed`` is saved in the run folder ``out``."""
    return Path(out) / MODELS_DIR / f"seed{seed}"


def _fit_one_seed(
    task: tuple[str, int, BatteryDataset, BatteryDataset, Any, Path | None, dict[str, Any]],
) -> tuple[np.ndarray, float, list]:
    """Fit one seed's model (saved to the task's folder when given); return its predictions on the
    evaluation cells, training RMSE and histories."""
    from matnn.models.battery import make_model

    model, s, train, evaluate, device, save_to, options = task
    spec = BATTERY_MODELS.get(model)
    m = make_model(model, seed=s, options=options)  # a fresh model: its registered recipe with the options set
    m.fit(train, device=device)
    histories = m.histories_ if spec.family == "network" else []
    if save_to is not None:  # saved by the process that fitted it: no model crosses processes
        m.save(save_to)
    return np.asarray(m.predict(evaluate)), rmse(train.cycle_life, m.predict(train)), histories


def train_and_evaluate(
    train: BatteryDataset,
    test: BatteryDataset | None = None,
    *,
    model: str = DEFAULT_MODEL,
    seeds: int = 10,
    seed: int = 0,
    out: str | os.PathLike | None = None,
    device: Any = None,
    show_progress: bool = True,
    figures: bool = True,
    workers: int = 1,
    scheduler: str | None = None,
    model_options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Fit ``model`` on ``train`` once per seed, evaluate on ``test``; return flat metrics.

    Parameters
    ----------
    train : BatteryDataset
        Training cells (every cell needs a cycle life).
    test : BatteryDataset, optional
        Cells to predict, same voltage grid; without labels only predictions are written.
    model : str, default=:data:`~matnn.models.battery.registry.DEFAULT_MODEL` ("dqnet")
        A model of :data:`~matnn.models.battery.registry.BATTERY_MODELS`.
    seeds : int, default=10
        Independent fits with seeds ``seed, seed+1, ...``; metrics are mean and std over them.
    out : path, optional
        Folder for ``metrics.json``, ``predictions.csv`` and figures.
    workers, scheduler : optional
        Fit the seeds on a local Dask cluster of ``workers`` processes, or on the cluster at ``scheduler``
        (:class:`matnn.core.engines.Executor`); the metrics equal a serial run's.
    model_options : mapping, optional
        Changes to the model's registered recipe (``--model-option``; see
        :func:`~matnn.models.battery.check_model_options`): a network's training settings such as
        ``epochs``, ``learning_rate`` or ``ensemble``; classical models take none. Saved with every model.

    Returns
    -------
    dict
        The metrics written to ``metrics.json`` (see module docstring).
    """
    from matnn.models.battery import check_model_options
    from matnn.utils.progress import progress

    spec = BATTERY_MODELS.get(model)  # the one check of the name
    model = spec.name
    options = check_model_options(model, model_options)  # the one check of the options
    if seeds < 1:
        raise ConfigError(f"The number of seeds must be a positive integer. Got {seeds!r}.")
    _check_inputs(train, test)
    t0 = time.perf_counter()
    evaluate = test if test is not None else train
    labelled = evaluate.has_labels
    from matnn.core.engines import Executor

    # one task per seed: serial, or on a Dask cluster (each seed seeds its own model, so the results are the same)
    tasks = [
        (model, s, train, evaluate, device, seed_dir(out, s) if out is not None else None, options)
        for s in range(seed, seed + seeds)
    ]
    results: list[Any] = [None] * seeds
    bar = progress(total=seeds, desc=f"training {model}", enabled=show_progress)
    with Executor(workers=workers, scheduler=scheduler) as ex:
        for i, res in ex.as_completed(_fit_one_seed, tasks):
            results[i] = res
            bar.update(1)
    bar.close()
    preds = [r[0] for r in results]
    train_rmses = [r[1] for r in results]
    histories = results[0][2]
    P = np.stack(preds)  # (n_seeds, n_cells)
    mean, std = P.mean(axis=0), P.std(axis=0)
    metrics: dict[str, Any] = {
        "model": model,
        "model_options": options,
        "seeds": seeds,
        "n_train": train.n_cells,
        "n_test": evaluate.n_cells if test is not None else 0,
        "rmse_train": float(np.mean(train_rmses)),
    }
    if test is not None and labelled:
        per_seed = [rmse(test.cycle_life, p) for p in P]
        per_seed_mape = [mape(test.cycle_life, p) for p in P]
        metrics.update(
            rmse=float(np.mean(per_seed)),
            rmse_std=float(np.std(per_seed)),
            mape=float(np.mean(per_seed_mape)),
            mape_std=float(np.std(per_seed_mape)),
            rmse_of_mean=rmse(test.cycle_life, mean),
            rmse_per_seed=[round(r, 2) for r in per_seed],
        )
    elif test is not None:
        metrics.update(rmse=None, rmse_std=None, mape=None, note="test file has no cycle_life: predictions only")
    z = feature_z_scores(train, evaluate)
    beyond = z > EXTRAPOLATION_Z
    metrics["n_test_beyond_training"] = int(beyond.sum()) if test is not None else 0
    metrics["max_feature_z"] = float(z.max()) if z.size else 0.0
    metrics["cells_beyond_training"] = (
        [str(c) for c in np.asarray(evaluate.cell_ids)[beyond]] if test is not None else []
    )
    metrics["n_qc_notes_train"] = len(train.qc_report)
    metrics["n_qc_notes_test"] = len(test.qc_report) if test is not None else 0
    metrics["wall_s"] = time.perf_counter() - t0
    if out is not None:
        from matnn.utils.io import ensure_dir, write_json, write_metrics
        from matnn.utils.plotting import plot_parity

        out = ensure_dir(out)
        write_predictions(out / "predictions.csv", list(evaluate.cell_ids), evaluate.cycle_life, mean, std, z)  # type: ignore[arg-type]
        if figures and labelled:
            plot_parity(
                evaluate.cycle_life,
                mean,
                out / "parity.png",
                y_err=std,
                label="cycle life (cycles)",
                title=f"{model}: {'test' if test is not None else 'training'} cells, mean ± std over {seeds} seeds",
            )
        if figures:
            if histories:
                _learning_curve_network(histories, model, out / "learning_curves.png")
            elif spec.family == "classical":
                _learning_curve_classical(model, train, seed, out / "learning_curves.png")
        notes = train.qc_report + (test.qc_report if test is not None else [])
        if notes:
            from matnn.utils.io import atomic_write

            with atomic_write(out / "qc_report.txt") as fh:
                fh.write("\n".join(notes) + "\n")
        write_json(
            out / MODEL_INFO_FILE,
            {
                "model": model,
                "family": spec.family,
                "model_options": options,
                "seeds": list(range(seed, seed + seeds)),
                "models_dir": MODELS_DIR,
                "voltage_v": [float(v) for v in train.voltage],
                "required_cycles": list(REQUIRED_CYCLES),
                "n_train": train.n_cells,
                "train_source": str(train.source or ""),
            },
        )
        write_metrics(out, metrics)
    return metrics
