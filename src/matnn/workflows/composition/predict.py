"""Predict with a model saved by ``matnn composition train`` (new formulas, or a labelled test file)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import DataError, require
from matnn.core.metrics import regression_metrics
from matnn.data.composition.featurizers import required_elements
from matnn.data.composition.loader import CompositionTable, load_formula_csv, read_csv_frame, read_csv_header
from matnn.data.composition.parsing import parse_formulas
from matnn.models.composition.estimators import load_estimator

__all__ = ["predict_composition"]


def _extrapolation(model_dir: Path, est: Any, table: CompositionTable) -> dict[str, Any]:
    """``n_beyond_training`` etc. against ``model_dir/training_range.json`` (None when the run has no record)."""
    from matnn.data.extrapolation import TRAINING_RANGE_FILE, TrainingRange

    rng = TrainingRange.load(model_dir / TRAINING_RANGE_FILE)
    if rng is None or est.features == "columns":
        return {"n_beyond_training": None, "note_extrapolation": f"no {TRAINING_RANGE_FILE} in the model folder"}
    X = table.features(est.features)
    if X.shape[1] != len(rng.names):
        return {"n_beyond_training": None, "note_extrapolation": f"{TRAINING_RANGE_FILE} covers other features"}
    return rng.report(X, table.formulas, what="formula")


def predict_composition(
    model_dir: str | os.PathLike,
    data: str | os.PathLike,
    out: str | os.PathLike,
    *,
    drop_invalid: bool = False,
    formula_column: str = "formula",
    target_column: str = "target",
    target_label: str = "target",
) -> dict[str, Any]:
    """Predict the formulas of ``data`` with the model in ``model_dir`` (a run folder or its ``model/``).

    Writes ``out/predictions.csv`` (formula, [target,] prediction) and ``out/metrics.json``; when the
    CSV has a target column, also ``mae``/``rmse``/``r2`` and ``parity.png``.
    """
    require("pandas", "composition")
    from matnn.utils.io import atomic_write, write_metrics
    from matnn.utils.plotting import plot_parity

    t0 = time.perf_counter()
    d = Path(model_dir)
    if (d / "model").is_dir():
        d = d / "model"
    est = load_estimator(d)
    path = Path(data)
    head = read_csv_header(path)
    allowed = None if est.features == "columns" else required_elements(est.features)
    metrics: dict[str, Any] = {"model": est.name, "features": est.features}
    if target_column in head:
        table = load_formula_csv(
            path,
            formula_column=formula_column,
            target_column=target_column,
            allowed_elements=allowed,
            drop_invalid=drop_invalid,
            duplicates="keep",
        )
        y = table.y
        metrics.update({f"data_{k}": v for k, v in table.report.items()})
    else:
        if formula_column not in head:
            raise DataError(f"{path}: no column {formula_column!r}; found {', '.join(map(repr, map(str, head)))}.")
        raw = read_csv_frame(path, dtype={formula_column: str})[formula_column].tolist()
        parsed, invalid = parse_formulas(
            raw,
            allowed=allowed,
            on_error="collect" if drop_invalid else "raise",
            row_label=lambda i: f"{path} line {i + 2}",
        )
        table = CompositionTable(list(parsed.formulas), np.full(len(parsed), np.nan), parsed, str(path), {})
        y = None
        metrics["data_n_invalid_dropped"] = len(invalid)
    pred = est.predict(table)
    metrics["n_rows"] = len(table)
    metrics.update(_extrapolation(d, est, table))
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_write(out_dir / "predictions.csv", "w", encoding="utf-8") as fh:
        fh.write("formula,target,prediction\n" if y is not None else "formula,prediction\n")
        for i, f in enumerate(table.formulas):
            fh.write(f'"{f}",{y[i]:.10g},{pred[i]:.10g}\n' if y is not None else f'"{f}",{pred[i]:.10g}\n')
    if y is not None:
        metrics.update(regression_metrics(y, pred))
        plot_parity(y, pred, out_dir / "parity.png", label=target_label, title=f"{est.name}: MAE {metrics['mae']:.4g}")
    metrics["time_s"] = time.perf_counter() - t0
    write_metrics(out_dir, metrics)
    return metrics
