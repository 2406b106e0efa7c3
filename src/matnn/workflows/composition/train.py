"""Train one composition model on a training table and measure it on a test table.

``train_composition_model("train.csv", "test.csv", model="elemnet", out="run/")`` writes
``run/metrics.json`` (flat keys: ``mae``, ``rmse``, ``r2``, ``n_train``, ``n_test``, ``model``, ...; the
error unit is the target's, e.g. eV/atom), ``run/parity.png``, ``run/predictions.csv`` and, for
networks, ``run/learning_curves.png``, ``run/model/`` and ``run/work/`` (history and the
resumable backup).  The test table is only used after the model is final.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import ConfigError, DataError
from matnn.core.metrics import regression_metrics
from matnn.data.composition.featurizers import required_elements
from matnn.data.composition.loader import CompositionTable, load_formula_csv, load_tabular_csv
from matnn.models.composition.estimators import candidate_names, default_features, make_estimator
from matnn.models.composition.registry import COMPOSITION_MODELS
from matnn.models.composition.settings import ModelSettings

__all__ = ["load_for_model", "train_composition_model", "subsample", "uses_work_dir"]


def _allowed_for(model: str, settings: ModelSettings) -> tuple[str, ...] | None:
    spec = COMPOSITION_MODELS.get(model)
    own = spec.default("features")
    if own is None:  # a selecting model: candidates read their own features; the first that restricts elements decides
        names = candidate_names(settings.value("candidates", spec))
        sets = [required_elements(default_features(n)) for n in names]
        return next((s for s in sets if s is not None), None)
    feats = settings.features or own
    return None if feats == "columns" else required_elements(feats)


def uses_work_dir(model: str) -> bool:
    """Whether ``model`` trains by epochs (a network) and keeps a history and a resumable backup."""
    return COMPOSITION_MODELS.get(model).family == "network"


def load_for_model(
    path: str | os.PathLike,
    model: str,
    settings: ModelSettings,
    *,
    drop_invalid: bool = False,
    max_abs_target: float | None = None,
    duplicates: str = "mean",
    formula_column: str = "formula",
    target_column: str = "target",
) -> CompositionTable | tuple[np.ndarray, np.ndarray]:
    """Load a table for ``model``: elements restricted to what its features support.

    With ``settings.features == 'columns'`` the CSV is a plain numeric table (no formulas) and
    ``(X, y)`` is returned.
    """
    if settings.features == "columns":
        X, y, _ = load_tabular_csv(path, target_column=target_column)
        return X, y
    return load_formula_csv(
        path,
        formula_column=formula_column,
        target_column=target_column,
        allowed_elements=_allowed_for(model, settings),
        drop_invalid=drop_invalid,
        max_abs_target=max_abs_target,
        duplicates=duplicates,
    )


def subsample(data: Any, n: int | None, seed: int) -> Any:
    """At most ``n`` rows, chosen at random with ``seed`` (all rows when ``n`` is None or larger)."""
    size = len(data) if isinstance(data, CompositionTable) else len(data[1])
    if n is None or n >= size:
        return data
    idx = np.sort(np.random.default_rng(seed).choice(size, size=n, replace=False))
    if isinstance(data, CompositionTable):
        return data.subset(idx)
    return data[0][idx], data[1][idx]


def _xy(data: Any) -> tuple[Any, np.ndarray]:
    return (data, data.y) if isinstance(data, CompositionTable) else (data[0], data[1])


def train_composition_model(
    train: str | os.PathLike,
    test: str | os.PathLike,
    *,
    model: str = "elemnet",
    out: str | os.PathLike | None = None,
    settings: ModelSettings | None = None,
    max_train: int | None = None,
    seed: int = 0,
    drop_invalid: bool = False,
    max_abs_target: float | None = None,
    duplicates: str = "mean",
    formula_column: str = "formula",
    target_column: str = "target",
    target_label: str = "target",
    save_model: bool = True,
) -> dict[str, Any]:
    """Fit ``model`` on ``train`` and report errors on ``test``.

    Parameters
    ----------
    train, test : path-like
        ``formula,target`` CSVs (or numeric tables with ``settings.features='columns'``).
    model : str
        A name of :data:`~matnn.models.composition.registry.COMPOSITION_MODELS`.
    out : path-like, optional
        Output folder for metrics, figures, predictions and the model.
    settings : ModelSettings, optional
    max_train : int, optional
        Use a random subset of this many training rows (quick runs).
    seed : int
        Seeds the subset, the validation split, the weights and the forest.
    drop_invalid, max_abs_target, duplicates, formula_column, target_column
        Loader policies, applied to both files (see :func:`~matnn.data.composition.load_formula_csv`).
    target_label : str
        Axis label of the parity plot (e.g. "formation enthalpy (eV/atom)").

    Returns
    -------
    dict
        Flat metrics (also written to ``out/metrics.json``).
    """
    settings = settings or ModelSettings()
    if max_train is not None and max_train < 8:
        raise ConfigError(f"max_train must be at least 8 rows. Got {max_train}.")
    t_start = time.perf_counter()
    kw = dict(
        drop_invalid=drop_invalid,
        max_abs_target=max_abs_target,
        formula_column=formula_column,
        target_column=target_column,
    )
    train_data = load_for_model(train, model, settings, duplicates=duplicates, **kw)
    # Test rows are never merged or dropped as duplicates: every test row is scored.
    test_data = load_for_model(test, model, settings, duplicates="keep", **kw)
    train_data = subsample(train_data, max_train, seed)
    x_tr, y_tr = _xy(train_data)
    x_te, y_te = _xy(test_data)
    if len(y_tr) < 8 or len(y_te) < 1:
        raise DataError(f"Too few rows after the loader policies: {len(y_tr)} training, {len(y_te)} test.")

    est = make_estimator(model, settings)
    out_dir = Path(out) if out is not None else None
    work = out_dir / "work" if out_dir is not None and uses_work_dir(model) else None
    t0 = time.perf_counter()
    est.fit(x_tr, y_tr, seed=seed, work_dir=work)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = est.predict(x_te)
    predict_s = time.perf_counter() - t0

    metrics: dict[str, Any] = regression_metrics(y_te, pred)
    baseline = regression_metrics(y_te, np.full_like(y_te, float(np.mean(y_tr))))
    metrics.update(
        {
            "model": model,
            "features": getattr(est, "features", None),
            "n_train": int(len(y_tr)),
            "n_test": int(len(y_te)),
            "baseline_mean_mae": baseline["mae"],
            "seed": seed,
            "fit_time_s": fit_s,
            "predict_time_s": predict_s,
            "wall_time_s": None,  # filled below
        }
    )
    if isinstance(train_data, CompositionTable) and isinstance(test_data, CompositionTable):
        train_keys = set(train_data.keys())
        metrics["n_test_in_train"] = int(sum(k in train_keys for k in test_data.keys()))
        metrics.update(novelty_metrics(train_data, test_data, y_te, pred))
        for prefix, table in (("train", train_data), ("test", test_data)):
            for k, v in table.report.items():
                metrics[f"{prefix}_{k}"] = v
    metrics.update({f"fit_{k}": v for k, v in est.info_.items() if k != "fit_time_s"})
    metrics["wall_time_s"] = time.perf_counter() - t_start

    if out_dir is not None:
        _write_outputs(out_dir, est, test_data, y_te, pred, metrics, target_label, save_model)
        if save_model and (out_dir / "model").is_dir():
            _save_training_range(out_dir / "model", est, x_tr)
    return metrics


def _feature_matrix(data: Any, features: str | None) -> np.ndarray:
    """Inputs as the estimator sees them, shape (n_rows, n_features)."""
    if isinstance(data, CompositionTable):
        return data.features(features or "magpie")
    return np.asarray(data, dtype=np.float64)


def _save_training_range(model_dir: Path, est: Any, x_tr: Any) -> None:
    """``model/training_range.json``: per-feature training statistics, for the extrapolation check of 'predict'."""
    from matnn.data.extrapolation import TRAINING_RANGE_FILE, TrainingRange

    features = getattr(getattr(est, "best_", est), "features", None)
    if features == "columns" or not isinstance(x_tr, CompositionTable):
        names = None
    else:
        from matnn.data.composition.featurizers import feature_labels

        names = feature_labels(features)
    X = _feature_matrix(x_tr, features)
    TrainingRange.fit(X, names if names is not None and len(names) == X.shape[1] else None).save(
        model_dir / TRAINING_RANGE_FILE
    )


def write_predictions(
    path: Path, data: Any, y: np.ndarray, pred: np.ndarray, extra: dict[str, np.ndarray] | None = None
) -> None:
    """Write ``predictions.csv``: an identifier column, ``target``, ``prediction`` and ``extra`` columns.

    The identifier is named after what it holds: ``formula`` for a formula table, ``row`` (the
    0-based row of the numeric table, after the loader's policies) for ``features='columns'`` data.
    """
    from matnn.utils.io import atomic_write

    if isinstance(data, CompositionTable):
        key, ids = "formula", [f'"{f}"' for f in data.formulas]
    else:
        key, ids = "row", [str(i) for i in range(len(y))]
    extra = extra or {}
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write(",".join([key, "target", "prediction", *extra]) + "\n")
        for i, (name, t, p) in enumerate(zip(ids, y, pred, strict=True)):
            fh.write(",".join([name, f"{t:.10g}", f"{p:.10g}", *(str(v[i]) for v in extra.values())]) + "\n")


def novelty_metrics(
    train: CompositionTable, test: CompositionTable, y_test: np.ndarray, pred: np.ndarray
) -> dict[str, Any]:
    """How new the test formulas are to the training rows, and the MAE on each part.

    Keys: ``n_test_new_system`` (test rows whose chemical system, the set of elements, never occurs in
    training), ``n_test_new_element`` (rows with an element absent from every training row),
    ``mae_seen_system`` and ``mae_new_system`` (target units; None for an empty part).  A model that
    learns per-element weights (ElemNet) cannot say anything about an element it never saw.
    """
    seen_systems = set(train.parsed.chemical_systems())
    seen_elements = set(train.parsed.present_elements())
    systems = test.parsed.chemical_systems()
    new_system = np.array([s not in seen_systems for s in systems], dtype=bool)
    new_element = np.array([not set(s.split("-")) <= seen_elements for s in systems], dtype=bool)
    err = np.abs(np.asarray(pred, float).reshape(-1) - np.asarray(y_test, float).reshape(-1))
    return {
        "n_test_new_system": int(new_system.sum()),
        "n_test_new_element": int(new_element.sum()),
        "mae_seen_system": float(err[~new_system].mean()) if (~new_system).any() else None,
        "mae_new_system": float(err[new_system].mean()) if new_system.any() else None,
    }


def _write_outputs(
    out_dir: Path,
    est: Any,
    test_data: Any,
    y_te: np.ndarray,
    pred: np.ndarray,
    metrics: dict,
    label: str,
    save_model: bool,
) -> None:
    from matnn.utils.io import write_metrics
    from matnn.utils.plotting import plot_learning_curves, plot_parity

    out_dir.mkdir(parents=True, exist_ok=True)
    plot_parity(
        y_te,
        pred,
        out_dir / "parity.png",
        label=label,
        title=f"{metrics['model']}: MAE {metrics['mae']:.4g} on {len(y_te)} test rows",
    )
    inner = getattr(est, "best_", est)
    history = getattr(inner, "history_", None)
    if history and history.get("loss"):
        plot_learning_curves(
            history, out_dir / "learning_curves.png", keys=["loss"], title=f"{inner.name} learning curves"
        )
    write_predictions(out_dir / "predictions.csv", test_data, y_te, pred)
    if save_model and hasattr(inner, "save"):
        inner.save(out_dir / "model")
    write_metrics(out_dir, metrics)
