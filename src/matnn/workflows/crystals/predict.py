"""Predict a property for new structures with a model trained by ``matnn crystals train``.

load (``RUN_DIR/model.matnn``: weights, target scaling and graph settings; ``RUN_DIR/metrics.json``:
model name and target) → read the structures (any format :func:`~matnn.data.crystals.read_structures`
reads, or a folder of such files) → build their graphs with the run's cutoff and neighbour cap →
predict → score against the target when the file holds it.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import ConfigError, DataError
from matnn.core.metrics import regression_metrics
from matnn.core.validation import check, positive

__all__ = ["PredictionRun", "load_property_run", "predict_property"]


@dataclass
class PredictionRun:
    """What :func:`predict_property` returns.

    Attributes
    ----------
    metrics : dict
        Flat summary (also ``out/metrics.json``); see :func:`predict_property`.
    ids : list of str
        Structure ids, in the order of the file.
    y_pred : array, shape (n_structures,)
        Predictions in the target's units.
    y_true : array, shape (n_structures,), optional
        The file's values of the target (NaN where a structure has none); None when it has none at all.
    """

    metrics: dict[str, Any]
    ids: list[str] = field(default_factory=list)
    y_pred: np.ndarray | None = None
    y_true: np.ndarray | None = None


def load_property_run(run: str | os.PathLike) -> tuple[Any, dict[str, Any]]:
    """The trained model of a ``matnn crystals train`` folder and what the run recorded about it.

    Returns ``(model, info)`` with ``info`` holding ``model`` (registry name), ``target`` and
    ``run`` (absolute path). Raises :class:`~matnn.core.exceptions.DataError` for a folder that is
    missing or holds no finished run, :class:`~matnn.core.exceptions.ConfigError` for a model that is
    not a crystal property model (e.g. a potential).
    """
    from matnn.models.crystals._base import GraphPropertyModel
    from matnn.models.saving import load_model

    run_dir = Path(run)
    if not run_dir.is_dir():
        raise DataError(f"{run_dir}: no such run folder (give the --out folder of 'matnn crystals train').")
    model_file, metrics_file = run_dir / "model.matnn", run_dir / "metrics.json"
    recorded: dict[str, Any] = {}
    if metrics_file.is_file():
        try:
            recorded = json.loads(metrics_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataError(f"{metrics_file}: cannot be read as JSON ({exc}).") from None
    if not model_file.is_file():
        state = (
            " (the run is not complete; run the same 'crystals train' command again to resume)"
            if recorded.get("status") == "interrupted"
            else ""
        )
        raise DataError(f"{run_dir}: not a finished 'matnn crystals train' folder: no model.matnn{state}.")
    net = load_model(model_file, compile=False)
    if not isinstance(net, GraphPropertyModel):
        raise ConfigError(
            f"{model_file} holds a {type(net).__name__}, not a crystal property model (a 'matnn crystals train' run)."
        )
    target = net.metadata.get("target") or recorded.get("target")
    if not target:
        raise DataError(f"{run_dir}: neither model.matnn nor metrics.json records the target the model predicts.")
    info = {
        "model": recorded.get("model") or type(net).__name__.lower(),
        "target": str(target),
        "run": str(run_dir.resolve()),
    }
    return net, info


def predict_property(
    run: str | os.PathLike,
    data: str | os.PathLike,
    *,
    out: str | os.PathLike | None = None,
    batch_size: int = 256,
    device: Any = None,
    cache_dir: str | os.PathLike | None | bool = None,
    verbose: bool = True,
) -> PredictionRun:
    """Predict the target of a trained crystal property model for the structures in ``data``.

    Parameters
    ----------
    run : path
        Output folder of :func:`~matnn.workflows.crystals.train_property_model` (``matnn crystals
        train --out``): ``model.matnn`` holds the weights, the target scaling and the graph settings
        (cutoff in Å, neighbour cap), ``metrics.json`` the model name.
    data : path
        Structures: ``.jsonl[.gz]``, ``.json``, CIF, POSCAR, ``.extxyz``, or a folder of such files.
        Targets are optional; when the records carry the run's target, the predictions are scored.
    out : path, optional
        Writes ``predictions.csv`` (``id``, ``<target>`` when the file holds it, ``<target>_pred``)
        and ``metrics.json``.
    batch_size : int, default=256
        Structures per forward pass (memory only: predictions do not depend on it beyond rounding).
    device : str, optional
        'auto' (CUDA if present), 'cpu', 'cuda'.
    cache_dir : path or False, optional
        Graph cache of ``data`` (default ``~/.cache/matnn/crystal_graphs``); folders are never cached.

    Returns
    -------
    PredictionRun
        ``metrics`` keys: ``n_structures``, ``model``, ``target``, ``run`` and ``data`` (absolute
        paths), ``graph_cutoff_A``, ``graph_max_neighbors``, ``device``; when the file holds the
        target: ``n_scored`` (structures with a value) and ``mae``, ``rmse``, ``max_abs_error`` (target
        units) and ``r2`` over them.
    """
    import torch

    from matnn.config import resolve_device
    from matnn.data.crystals.batch import collate_graphs
    from matnn.data.crystals.dataset import load_graphs
    from matnn.utils.io import atomic_write, ensure_dir, write_metrics

    check("predict_property", "batch_size", batch_size, positive(int))
    net, info = load_property_run(run)
    target = info["target"]
    dev = resolve_device(device if device is not None else "auto")
    spec = net.graph_spec
    store = load_graphs(data, spec, cache_dir=cache_dir, verbose=verbose)
    loader = torch.utils.data.DataLoader(
        [store.graph(k) for k in range(len(store))],
        batch_size=batch_size,
        shuffle=False,
        collate_fn=collate_graphs,
    )
    y_pred = np.asarray(net.predict(loader, device=dev)).reshape(len(store), -1)[:, 0]
    ids = [str(i) for i in store.ids]
    y_true = store.target(target) if target in store.target_names else None

    metrics: dict[str, Any] = {
        "n_structures": len(store),
        **info,
        "data": str(Path(data).resolve()),
        "graph_cutoff_A": spec.cutoff,
        "graph_max_neighbors": spec.max_neighbors,
        "device": str(dev),
    }
    from matnn.data.extrapolation import TRAINING_RANGE_FILE, TrainingRange

    training_range = TrainingRange.load(Path(info["run"]) / TRAINING_RANGE_FILE)
    if training_range is None:
        metrics.update(n_beyond_training=None, note_extrapolation=f"no {TRAINING_RANGE_FILE} in the run folder")
    else:
        metrics.update(training_range.report(store.descriptors(), ids, what="structure"))
    if y_true is not None:
        known = np.isfinite(y_true)
        metrics["n_scored"] = int(known.sum())
        if known.any():
            metrics.update(regression_metrics(y_true[known], y_pred[known]))
    if out is not None:
        out_dir = ensure_dir(out)
        with atomic_write(out_dir / "predictions.csv", "w", encoding="utf-8", newline="") as fh:
            rows = csv.writer(fh)
            rows.writerow(["id", target, f"{target}_pred"] if y_true is not None else ["id", f"{target}_pred"])
            for k, (i, yp) in enumerate(zip(ids, y_pred, strict=True)):
                rows.writerow([i, f"{y_true[k]:.6g}", f"{yp:.6g}"] if y_true is not None else [i, f"{yp:.6g}"])
        write_metrics(out_dir, metrics)
    return PredictionRun(metrics=metrics, ids=ids, y_pred=y_pred, y_true=y_true)
