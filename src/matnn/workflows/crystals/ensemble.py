"""Average the predictions of several trained crystal models that share one split (a deep ensemble).

Members are the ``--out`` folders of :func:`~matnn.workflows.crystals.train_property_model` runs
made with different ``seed`` and the same ``split_seed`` (same data, target and fractions), so they
were trained, validated and tested on the same structures. Whether to use the ensemble is decided on
the validation structures (``val_mae`` against the members' ``member_val_mae_*``), never on the test
structures.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import ConfigError, DataError, unknown_name
from matnn.core.metrics import regression_metrics

__all__ = ["evaluate_ensemble", "EnsembleRun"]

# Keys of a member's metrics.json that fix which structures it was trained, validated and tested on.
_SPLIT_KEYS = ("data", "test_file", "target", "split_seed", "val_fraction", "test_fraction", "max_train")


@dataclass
class EnsembleRun:
    """What :func:`evaluate_ensemble` returns.

    Attributes
    ----------
    metrics : dict
        Flat summary (also ``out/metrics.json``); see :func:`evaluate_ensemble`.
    test_ids : list of str
    y_test : array, shape (n_test,)
    member_predictions : array, shape (n_members, n_test)
        Each member's test predictions (target units).
    y_pred : array, shape (n_test,)
        Their mean, the ensemble's prediction.
    """

    metrics: dict[str, Any]
    test_ids: list[str] = field(default_factory=list)
    y_test: np.ndarray | None = None
    member_predictions: np.ndarray | None = None
    y_pred: np.ndarray | None = None


def _member_settings(run_dir: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    path = run_dir / "metrics.json"
    if not (run_dir / "model.matnn").is_file() or not path.is_file():
        raise DataError(
            f"{run_dir}: not a finished 'matnn crystals train' folder (needs metrics.json and model.matnn)."
        )
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read as JSON ({exc}).") from None
    if metrics.get("status") != "complete":
        raise DataError(f"{run_dir}: the run is not complete (status {metrics.get('status')!r}); resume it first.")
    settings = {key: metrics.get(key) for key in _SPLIT_KEYS}
    settings.update({key + "_sha256": metrics.get(key + "_sha256") for key in ("data", "test_file")})
    settings["batch_size"] = int(metrics.get("batch_size") or 64)  # the training default before it was recorded
    if settings["split_seed"] is None:  # runs made before split_seed existed split with their seed
        settings["split_seed"] = metrics.get("seed")
    if "test_fraction" not in metrics and metrics.get("test_file") is None:
        settings["test_fraction"] = 0.2
    for key, value in overrides.items():
        if value is not None:
            settings[key] = value
            settings.pop(key + "_sha256", None)  # the recorded hash was of the file the override replaces
    missing = [k for k in ("data", "target", "split_seed", "val_fraction") if settings.get(k) is None]
    if missing:
        raise ConfigError(
            f"{path} does not record {', '.join(missing)} (a run older than split_seed); "
            f"pass them explicitly ({', '.join('--' + k.replace('_', '-') for k in missing)})."
        )
    return settings


def _content_identity(settings: list[dict[str, Any]], key: str) -> None:
    """Set ``<key>_identity``, what identifies each member's ``data`` or ``test_file``: its contents.

    The SHA-256 recorded at training, else the hash of the recorded path when that file exists here
    (runs saved before the hash was recorded), else the path itself. Members trained on byte-identical
    copies at different paths (another machine, a moved folder) therefore agree.
    """
    from matnn.utils.io import file_sha256

    hashes: dict[str, str] = {}
    for s in settings:
        path, digest = s[key], s.get(key + "_sha256")
        if path is not None and digest is None and Path(path).is_file():
            if path not in hashes:
                hashes[path] = file_sha256(path)
            digest = hashes[path]
        s[key + "_identity"] = digest or path


def _shared_file(settings: list[dict[str, Any]], key: str, run_dirs: Sequence[Path]) -> str | None:
    """The path of the members' common ``key`` file to read here: the first recorded one that exists,
    checked against the recorded hash so that a file edited since training is refused."""
    from matnn.utils.io import file_sha256

    paths = [s[key] for s in settings if s[key] is not None]
    if not paths:
        return None
    existing = next((p for p in paths if Path(p).is_file()), None)
    flag = "--data" if key == "data" else "--test"
    if existing is None:
        where = "; ".join(f"{r}: {s[key]}" for r, s in zip(run_dirs, settings, strict=True))
        raise DataError(f"None of the members' {key} files exists here ({where}). Pass the file with {flag}.")
    recorded = next((s[key + "_sha256"] for s in settings if s.get(key + "_sha256")), None)
    if recorded is not None and file_sha256(existing) != recorded:
        raise DataError(
            f"{existing}: its contents differ from the {key} file the members were trained on "
            f"(SHA-256 {recorded[:12]}…). Pass the original file with {flag}."
        )
    return existing


def evaluate_ensemble(
    runs: Sequence[str | os.PathLike],
    *,
    data: str | os.PathLike | None = None,
    test: str | os.PathLike | None = None,
    target: str | None = None,
    val_fraction: float | None = None,
    test_fraction: float | None = None,
    recalibrate: bool = True,
    out: str | os.PathLike | None = None,
    device: Any = None,
    cache_dir: str | os.PathLike | None | bool = None,
    verbose: bool = True,
) -> EnsembleRun:
    """Score each member and their mean prediction on the members' common validation and test structures.

    Parameters
    ----------
    runs : sequence of paths
        At least two ``matnn crystals train`` output folders (``model.matnn`` + ``metrics.json``).
    data, test, target, val_fraction, test_fraction : optional
        Override what the members' ``metrics.json`` record; needed only for runs made before those
        keys were written (then pass what the runs were started with).
    recalibrate : bool, default=True
        Re-estimate every member's BatchNorm statistics on the training structures first
        with the member's training batch size (:func:`~matnn.workflows.crystals._common.recalibrate_batchnorm`),
        as training now does at its end: a no-op for such runs, a correction for runs saved before that step existed.
    out : path, optional
        ``metrics.json``, ``predictions.csv`` (id, true, ensemble mean, spread over members) and
        ``parity.png``.

    Returns
    -------
    EnsembleRun
        ``metrics`` keys: ``mae``, ``rmse``, ``r2``, ``n_test`` (ensemble on the test structures, target
        units), ``val_mae`` (ensemble, validation structures), ``member_mae_mean``, ``member_mae_std``,
        ``member_val_mae_mean``, ``member_val_mae_std``, ``best_member_val_mae``,
        ``test_mae_of_best_val_member``, ``ensemble_beats_members_on_val`` (``val_mae`` below the best
        member's: the rule for adopting the ensemble), ``mean_member_spread`` (mean over test structures of
        the members' standard deviation), ``n_members``, ``members``, ``n_train``, ``n_val``, ``target``,
        ``split_seed``, ``recalibrated``, ``data`` (the path read), ``data_sha256`` (its contents' hash:
        members trained on byte-identical copies at other paths agree), ``test_file``.
    """
    from matnn.config import resolve_device
    from matnn.data.crystals.dataset import CrystalGraphDataset, load_graphs
    from matnn.data.splits import property_split
    from matnn.models import load_model
    from matnn.utils.io import atomic_write, ensure_dir, write_metrics
    from matnn.workflows.crystals._common import predict_dataset, recalibrate_batchnorm

    run_dirs = [Path(r) for r in runs]
    if len(run_dirs) < 2:
        raise ConfigError(f"An ensemble needs at least two runs. Got {len(run_dirs)}.")
    if len({r.resolve() for r in run_dirs}) < len(run_dirs):
        raise ConfigError("The same run is listed twice; an ensemble needs distinct members.")
    overrides = {
        "data": None if data is None else str(Path(data).resolve()),
        "test_file": None if test is None else str(Path(test).resolve()),
        "target": target,
        "val_fraction": val_fraction,
        "test_fraction": test_fraction,
    }
    settings = [_member_settings(r, overrides) for r in run_dirs]
    for key in ("data", "test_file"):
        _content_identity(settings, key)
    for key in _SPLIT_KEYS:
        compared = key + "_identity" if key in ("data", "test_file") else key
        values = {json.dumps(s[compared]) for s in settings}
        if len(values) > 1:
            detail = "; ".join(
                f"{r}: {s[key]!r}" + (f" (SHA-256 {s[compared][:12]}…)" if s[compared] != s[key] else "")
                for r, s in zip(run_dirs, settings, strict=True)
            )
            raise ConfigError(
                f"The runs were not made on the same split: '{key}' differs ({detail}). "
                "Train members with the same --split-seed, data and fractions."
            )
    split = dict(settings[0])
    split["data"] = _shared_file(settings, "data", run_dirs)
    split["test_file"] = _shared_file(settings, "test_file", run_dirs)
    settings_of = dict(zip(run_dirs, settings, strict=True))
    dev = resolve_device(device if device is not None else "auto")

    val_preds, test_preds, names = [], [], []
    y_val = y_test = test_ids = None
    n_train = 0
    for run_dir in run_dirs:
        net = load_model(run_dir / "model.matnn")
        store = load_graphs(split["data"], net.graph_spec, cache_dir=cache_dir, verbose=verbose)
        if split["target"] not in store.target_names:
            raise unknown_name(f"target in {split['data']}", split["target"], store.target_names or ["(none)"])
        test_set = None
        if split["test_file"] is not None:
            test_store = load_graphs(split["test_file"], net.graph_spec, cache_dir=cache_dir, verbose=verbose)
            test_set = CrystalGraphDataset(test_store, split["target"])
        train_set, val_set, test_set = property_split(
            CrystalGraphDataset(store, split["target"]),
            test_set=test_set,
            test_fraction=split["test_fraction"] or 0.2,
            val_fraction=split["val_fraction"],
            seed=int(split["split_seed"]),
            max_train=split["max_train"],
        )
        if recalibrate:
            recalibrate_batchnorm(net, train_set, batch_size=settings_of[run_dir]["batch_size"], device=dev)
        val_preds.append(predict_dataset(net, val_set, device=dev).reshape(-1))
        test_preds.append(predict_dataset(net, test_set, device=dev).reshape(-1))
        y_val, y_test, n_train = val_set.y.reshape(-1), test_set.y.reshape(-1), len(train_set)
        test_ids = [str(i) for i in test_set.store.ids[test_set.indices]]
        names.append(str(run_dir))
        if verbose:
            print(f"{run_dir}: val MAE {np.abs(val_preds[-1] - y_val).mean():.4f}")
    assert y_val is not None and y_test is not None and test_ids is not None
    val_preds_a, test_preds_a = np.stack(val_preds), np.stack(test_preds)
    if not (np.isfinite(val_preds_a).all() and np.isfinite(test_preds_a).all()):
        raise DataError("A member predicted NaN or inf; check its run (diverged training?).")
    y_pred = test_preds_a.mean(axis=0)
    member_val = np.abs(val_preds_a - y_val).mean(axis=1)
    member_test = np.abs(test_preds_a - y_test).mean(axis=1)
    val_mae = float(np.abs(val_preds_a.mean(axis=0) - y_val).mean())
    metrics: dict[str, Any] = {
        **regression_metrics(y_test, y_pred),
        "n_test": int(len(y_test)),
        "val_mae": val_mae,
        "member_mae_mean": float(member_test.mean()),
        "member_mae_std": float(member_test.std()),
        "member_val_mae_mean": float(member_val.mean()),
        "member_val_mae_std": float(member_val.std()),
        "best_member_val_mae": float(member_val.min()),
        "test_mae_of_best_val_member": float(member_test[int(np.argmin(member_val))]),
        "ensemble_beats_members_on_val": bool(val_mae < member_val.min()),
        "mean_member_spread": float(test_preds_a.std(axis=0).mean()),
        "n_members": len(run_dirs),
        "members": names,
        "n_train": int(n_train),
        "n_val": int(len(y_val)),
        "target": split["target"],
        "split_seed": int(split["split_seed"]),
        "recalibrated": bool(recalibrate),
        "data": split["data"],
        "data_sha256": split["data_identity"],
        "test_file": split["test_file"],
    }
    if out is not None:
        from matnn.utils.plotting import plot_parity

        out_dir = ensure_dir(out)
        with atomic_write(out_dir / "predictions.csv", "w", encoding="utf-8") as fh:
            fh.write(f"id,{split['target']},predicted,predicted_std\n")
            for i, yt, yp, sd in zip(test_ids, y_test, y_pred, test_preds_a.std(axis=0), strict=True):
                fh.write(f"{i},{yt:.6g},{yp:.6g},{sd:.4g}\n")
        plot_parity(
            y_test,
            y_pred,
            out_dir / "parity.png",
            label=split["target"],
            title=f"Ensemble of {len(run_dirs)} on {len(y_test)} test structures: MAE {metrics['mae']:.4f}",
        )
        write_metrics(out_dir, metrics)
    return EnsembleRun(
        metrics=metrics, test_ids=test_ids, y_test=y_test, member_predictions=test_preds_a, y_pred=y_pred
    )
