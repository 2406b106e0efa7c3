"""Predict the cycle life of new cells with a model saved by ``matnn battery train --out RUN_DIR``.

load (``RUN_DIR/model_info.json``: model name, seeds, voltage grid; ``RUN_DIR/models/seed<k>/``: each
seed's fitted model) → check the cells' file against the training voltage grid and cycles → predict
with every seed → mean and standard deviation over seeds → score when the file holds cycle lives.
"""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import DataError
from matnn.data.battery.dataset import BatteryDataset

__all__ = ["load_battery_run", "predict_cycle_life"]


def load_battery_run(run: str | os.PathLike) -> tuple[list[Any], dict[str, Any]]:
    """Every seed's fitted model of a ``matnn battery train --out`` folder and its ``model_info.json``.

    Raises :class:`~matnn.core.exceptions.DataError` for a folder that is missing, holds no saved
    models (e.g. a run without ``--out`` models, or not a battery run) or a damaged file.
    """
    from matnn.models.battery.registry import BATTERY_MODELS
    from matnn.workflows.battery.train import MODEL_INFO_FILE, seed_dir

    run_dir = Path(run)
    if not run_dir.is_dir():
        raise DataError(f"{run_dir}: no such run folder (give the --out folder of 'matnn battery train').")
    info_file = run_dir / MODEL_INFO_FILE
    if not info_file.is_file():
        raise DataError(f"{run_dir}: not a finished 'matnn battery train' folder: no {MODEL_INFO_FILE}.")
    try:
        info = json.loads(info_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{info_file}: cannot be read as JSON ({exc}).") from None
    if not isinstance(info, dict) or not info.get("seeds") or "model" not in info:
        raise DataError(f"{info_file}: does not name the model and its seeds.")
    spec = BATTERY_MODELS.get(str(info["model"]))
    from matnn.models.battery.classical import ClassicalModel
    from matnn.models.battery.networks import NeuralModel

    cls = NeuralModel if spec.family == "network" else ClassicalModel
    models = []
    for s in info["seeds"]:
        d = seed_dir(run_dir, int(s))
        if not d.is_dir():
            raise DataError(f"{run_dir}: the model of seed {s} is missing ({d}); train again with the same --out.")
        models.append(cls.load(d))
    return models, info


def _check_cells(ds: BatteryDataset, info: dict[str, Any]) -> None:
    """The cells must be on the training voltage grid and hold the cycles the models read."""
    grid = np.asarray(info.get("voltage_v") or [], dtype=float)
    if grid.size and (ds.voltage.shape != grid.shape or not np.allclose(ds.voltage, grid, atol=1e-6)):
        raise DataError(
            f"{ds.source or 'The cells'} have a different voltage grid: {ds.n_voltages} points from "
            f"{ds.voltage[0]:.3f} to {ds.voltage[-1]:.3f} V, but the model was trained on {grid.size} points from "
            f"{grid[0]:.3f} to {grid[-1]:.3f} V. Re-interpolate them on the same grid "
            "(matnn.data.battery.resample_voltage)."
        )
    held = set(int(c) for c in ds.cycles)
    for c in info.get("required_cycles") or ():
        if int(c) not in held:
            raise DataError(
                f"{ds.source or 'The cells'} lack cycle {c}; they hold cycles {ds.cycles[0]} to {ds.cycles[-1]}."
            )


def predict_cycle_life(
    run: str | os.PathLike,
    data: BatteryDataset | str | os.PathLike,
    out: str | os.PathLike | None = None,
    *,
    device: Any = None,
) -> dict[str, Any]:
    """Predict the cycle life of the cells in ``data`` with every seed's model of ``run``.

    Parameters
    ----------
    run : path
        Output folder of :func:`~matnn.workflows.battery.train.train_and_evaluate` (``matnn battery
        train --out``).
    data : BatteryDataset or path
        Cells on the training voltage grid with cycles 2-100 (.npz, .csv or .h5); cycle lives optional.
    out : path, optional
        Writes ``predictions.csv`` (``cell``, ``cycle_life`` when the file holds it, ``cycle_life_pred``
        and ``cycle_life_pred_std``, cycles: mean and std over seeds) and ``metrics.json``.
    device : str, optional
        Where the networks run ('auto', 'cpu', 'cuda').

    Returns
    -------
    dict
        ``n_cells``, ``model``, ``seeds``, ``run``, ``data``; with cycle lives: ``n_scored``, ``rmse``
        (cycles, of the seed mean), ``mape`` (percent), ``rmse_per_seed_mean`` / ``_std``; ``wall_s``.
    """
    from matnn.workflows.battery.train import mape, rmse

    t0 = time.perf_counter()
    models, info = load_battery_run(run)
    if isinstance(data, BatteryDataset):
        ds = data
    else:
        from matnn.data.battery import load_dataset

        path = Path(data)
        if not path.exists():
            raise DataError(f"The cells file {path} does not exist.")
        ds = load_dataset(path, require_labels=False)
    _check_cells(ds, info)
    P = np.stack([np.asarray(m.predict(ds), dtype=float) for m in models])  # (n_seeds, n_cells), cycles
    mean, std = P.mean(axis=0), P.std(axis=0)
    life = np.asarray(ds.cycle_life, dtype=float)
    known = np.isfinite(life) & (life > 0)
    metrics: dict[str, Any] = {
        "n_cells": ds.n_cells,
        "model": info["model"],
        "model_options": dict(info.get("model_options") or {}),  # as trained (the saved models carry them)
        "seeds": len(models),
        "run": str(Path(run).resolve()),
        "data": str(ds.source or ""),
    }
    if known.any():
        per_seed = [rmse(life[known], p[known]) for p in P]
        metrics.update(
            n_scored=int(known.sum()),
            rmse=rmse(life[known], mean[known]),
            mape=mape(life[known], mean[known]),
            rmse_per_seed_mean=float(np.mean(per_seed)),
            rmse_per_seed_std=float(np.std(per_seed)),
        )
    metrics["wall_s"] = time.perf_counter() - t0
    if out is not None:
        from matnn.utils.io import atomic_write, ensure_dir, write_metrics

        out_dir = ensure_dir(out)
        labelled = bool(known.any())
        with atomic_write(out_dir / "predictions.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["cell", *(["cycle_life"] if labelled else []), "cycle_life_pred", "cycle_life_pred_std"])
            for k, c in enumerate(ds.cell_ids):
                true = [f"{life[k]:.0f}" if known[k] else ""] if labelled else []
                w.writerow([c, *true, f"{mean[k]:.1f}", f"{std[k]:.1f}"])
        write_metrics(out_dir, metrics)
    return metrics
