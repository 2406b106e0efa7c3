"""Depth study: test MAE of ElemNet-style networks of increasing depth, next to a random forest.

ElemNet's Fig. 3 (Jha et al. 2018) is the lecture's sanity check: the error falls as layers are
added up to about 17, then slowly rises.  For each depth ``d`` the network is
:func:`~matnn.models.composition.elemnet.elemnet_architecture_for_depth` ``(d)`` (the first ``d - 1`` hidden
layers of ElemNet's sequence plus the output), trained exactly like ElemNet (Adam, MAE loss,
early stopping on a validation split carved from the training data) and measured on the test
table.  The random forest on Magpie features is trained on the same rows as the reference line.

Outputs in ``out/``: ``depth_study.csv`` (depth, n_params, test_mae, val_mae, epochs, time),
``depth_study.png`` and ``metrics.json``.  Each finished depth is stored in
``out/depths/depth_<d>.json``; re-running the command resumes after the last finished depth.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import ConfigError
from matnn.core.metrics import regression_metrics
from matnn.data.composition.elements import ELEMNET_ELEMENTS
from matnn.data.composition.loader import load_formula_csv
from matnn.models.composition.estimators import make_estimator
from matnn.models.composition.settings import ModelSettings
from matnn.workflows.composition.train import subsample

__all__ = ["DEFAULT_DEPTHS", "depth_study"]

DEFAULT_DEPTHS: tuple[int, ...] = (1, 2, 3, 5, 7, 10, 13, 17, 20, 24)


def depth_study(
    train: str | os.PathLike,
    test: str | os.PathLike,
    *,
    out: str | os.PathLike | None = None,
    depths: Sequence[int] = DEFAULT_DEPTHS,
    settings: ModelSettings | None = None,
    max_train: int | None = None,
    max_test: int | None = None,
    seed: int = 0,
    drop_invalid: bool = False,
    max_abs_target: float | None = None,
    duplicates: str = "mean",
    with_forest: bool = True,
) -> dict[str, Any]:
    """Train ElemNet-style networks of each depth in ``depths`` and record their test MAE.

    Parameters
    ----------
    train, test : path-like
        ``formula,target`` CSVs (elements restricted to ElemNet's 86).
    depths : sequence of int
        Numbers of dense layers (output layer included); 17 is the published ElemNet.
    settings : ModelSettings, optional
        Training settings for every depth (epochs, batch size, learning rate, patience).
    max_train, max_test : int, optional
        Random subsets for quick studies.
    with_forest : bool, default=True
        Also fit the random forest on Magpie features (the horizontal reference line).

    Returns
    -------
    dict
        Flat metrics: ``best_depth`` (lowest *validation* MAE; the test set chooses nothing),
        ``best_depth_val_mae``, ``best_depth_test_mae``, ``mae_depth_<d>`` (test) for each depth,
        ``rf_magpie_mae``, ``n_train``, ``n_test``, ``wall_time_s``.
    """
    from matnn.models.composition.elemnet import elemnet_architecture_for_depth
    from matnn.utils.progress import progress

    depths = sorted({int(d) for d in depths})
    if not depths or depths[0] < 1:
        raise ConfigError(f"depths must be positive integers. Got {list(depths)!r}.")
    settings = settings or ModelSettings()
    t_start = time.perf_counter()
    kw = dict(allowed_elements=ELEMNET_ELEMENTS, drop_invalid=drop_invalid, max_abs_target=max_abs_target)
    tr = subsample(load_formula_csv(train, duplicates=duplicates, **kw), max_train, seed)
    te = subsample(load_formula_csv(test, duplicates="keep", **kw), max_test, seed + 1)
    out_dir = Path(out) if out is not None else None
    store = out_dir / "depths" if out_dir is not None else None
    signature = json.dumps(
        {
            "train": str(train),
            "test": str(test),
            "n_train": len(tr),
            "n_test": len(te),
            "seed": seed,
            "settings": {k: str(v) for k, v in vars(settings).items() if k != "verbose"},
        },
        sort_keys=True,
    )
    rows: list[dict[str, Any]] = []
    for d in progress(depths, desc="depth study"):
        cached = _load(store, f"depth_{d}", signature)
        if cached is None:
            arch = elemnet_architecture_for_depth(d)
            est = make_estimator("elemnet", settings.replace(architecture=arch, features="fractions"))
            t0 = time.perf_counter()
            est.fit(tr, tr.y, seed=seed, work_dir=(store / f"work_{d}") if store is not None else None)
            m = regression_metrics(te.y, est.predict(te))
            cached = {
                "depth": d,
                "architecture": arch,
                "n_params": est.info_["n_params"],
                "test_mae": m["mae"],
                "test_rmse": m["rmse"],
                "val_mae": est.info_["val_mae"],
                "epochs_trained": est.info_["epochs_trained"],
                "time_s": time.perf_counter() - t0,
            }
            _save(store, f"depth_{d}", signature, cached)
        rows.append(cached)
    rf_mae = None
    if with_forest:
        cached = _load(store, "rf_magpie", signature)
        if cached is None:
            t0 = time.perf_counter()
            rf = make_estimator("rf-magpie", ModelSettings(n_estimators=settings.n_estimators)).fit(tr, tr.y, seed=seed)
            cached = {"test_mae": regression_metrics(te.y, rf.predict(te))["mae"], "time_s": time.perf_counter() - t0}
            _save(store, "rf_magpie", signature, cached)
        rf_mae = cached["test_mae"]

    # The depth is chosen on the validation split carved from the training data, never on the test
    # set; the test MAE of that depth is reported next to it.
    best = min(rows, key=lambda r: r["val_mae"])
    metrics: dict[str, Any] = {
        "best_depth": best["depth"],
        "best_depth_val_mae": best["val_mae"],
        "best_depth_test_mae": best["test_mae"],
        "rf_magpie_mae": rf_mae,
        "n_train": len(tr),
        "n_test": len(te),
        "depths": ",".join(map(str, depths)),
    }
    for r in rows:
        metrics[f"mae_depth_{r['depth']}"] = r["test_mae"]
    metrics["wall_time_s"] = time.perf_counter() - t_start
    if out_dir is not None:
        _write(out_dir, rows, rf_mae, metrics)
    return metrics


def _load(store: Path | None, name: str, signature: str) -> dict[str, Any] | None:
    if store is None or not (store / f"{name}.json").is_file():
        return None
    saved = json.loads((store / f"{name}.json").read_text())
    return saved["result"] if saved.get("signature") == signature else None


def _save(store: Path | None, name: str, signature: str, result: dict[str, Any]) -> None:
    if store is None:
        return
    from matnn.utils.io import write_json

    write_json(store / f"{name}.json", {"signature": signature, "result": result})


def _write(out_dir: Path, rows: list[dict[str, Any]], rf_mae: float | None, metrics: dict[str, Any]) -> None:
    from matnn.utils.io import atomic_write, write_metrics
    from matnn.utils.plotting import plt, save_figure

    cols = ["depth", "architecture", "n_params", "test_mae", "test_rmse", "val_mae", "epochs_trained", "time_s"]
    with atomic_write(out_dir / "depth_study.csv", "w", encoding="utf-8") as fh:
        fh.write(",".join(cols) + "\n")
        for r in rows:
            fh.write(",".join(f"{r[c]:.6g}" if isinstance(r[c], float) else str(r[c]) for c in cols) + "\n")
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    d = np.array([r["depth"] for r in rows])
    ax.plot(d, [r["test_mae"] for r in rows], "o-", label="ElemNet-style network (test)")
    ax.plot(d, [r["val_mae"] for r in rows], "s--", alpha=0.6, label="same, validation split")
    if rf_mae is not None:
        ax.axhline(rf_mae, color="k", ls=":", label="random forest, Magpie (test)")
    ax.set_xlabel("number of dense layers")
    ax.set_ylabel("MAE (target units)")
    ax.set_title(f"Depth study ({metrics['n_train']} training rows)")
    ax.legend()
    save_figure(fig, out_dir / "depth_study.png")
    write_metrics(out_dir, metrics)
