"""Train CGCNN or the MEGNet-style network on a file of structures with a scalar target.

prepare (read + build graphs, cached) → split (seeded hold-out, or a separate test file) →
build (the registry's model and recipe) → fit (validation part of the training data picks the best
epoch; the test set is never looked at during training) → analyse (MAE/RMSE/R² on the test set,
parity plot, learning curves).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import ConfigError, DataError, unknown_name
from matnn.core.metrics import regression_metrics
from matnn.core.validation import Interval, check, non_negative, positive, validate
from matnn.models.crystals.registry import ModelSpec, crystal_model

__all__ = ["PropertyRun", "build_property_model", "train_property_model"]


@dataclass
class PropertyRun:
    """What :func:`train_property_model` returns.

    Attributes
    ----------
    metrics : dict
        Flat summary (also written to ``out/metrics.json``); see :func:`train_property_model`.
    model : matnn.Model
        The trained network (best validation epoch).
    history : dict of lists
        Per-epoch ``loss``, ``mae``, ``val_loss``, ``val_mae``, ``lr``.
    test_ids : list of str;  y_test, y_pred : arrays of shape (n_test,)
    """

    metrics: dict[str, Any]
    model: Any
    history: dict[str, list[float]] = field(default_factory=dict)
    test_ids: list[str] = field(default_factory=list)
    y_test: np.ndarray | None = None
    y_pred: np.ndarray | None = None


def build_property_model(name: str, n_targets: int = 1, **kwargs: Any) -> Any:
    """A fresh ``"property"`` model of :data:`~matnn.models.crystals.registry.CRYSTAL_MODELS`
    (``'cgcnn'`` → :class:`~matnn.models.crystals.CGCNN`, ``'megnet'`` → :class:`~matnn.models.crystals.MEGNet`);
    ``kwargs`` are constructor options, unknown ones refused with the allowed ones listed."""
    cls = crystal_model(name, "property").load()
    cls.check_options(kwargs)
    return cls(n_targets, **kwargs)


def _choose_swa_or_best(
    net: Any, swa: Any, train_set: Any, val_set: Any, test_set: Any, *, batch_size: int, device: Any
) -> dict[str, Any]:
    """Keep in ``net`` whichever of its (recalibrated) best-epoch weights and the SWA weights has the
    lower validation MAE; return both validation and both test MAEs (eV/atom for formation energy)."""
    from matnn.workflows.crystals._common import predict_dataset, recalibrate_batchnorm

    def mae(dataset: Any) -> float:
        return float(np.abs(predict_dataset(net, dataset, device=device).reshape(-1) - dataset.y.reshape(-1)).mean())

    best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    val_best, test_best = mae(val_set), mae(test_set)
    swa.apply_to(net)
    recalibrate_batchnorm(net, train_set, batch_size=batch_size, device=device)
    val_swa, test_swa = mae(val_set), mae(test_set)
    use_swa = val_swa < val_best
    if not use_swa:
        net.load_state_dict(best_state)
    return {
        "weights": "swa" if use_swa else "best_epoch",
        "swa_epochs": int(swa.n_averaged),
        "val_mae_swa": val_swa,
        "val_mae_best_epoch": val_best,
        "mae_swa": test_swa,
        "mae_best_epoch": test_best,
    }


@dataclass
class _Data:
    """What :func:`_prepare` and :func:`_split` produce."""

    store: Any
    train: Any
    val: Any
    test: Any
    graph_time_s: float


@dataclass
class _Fit:
    """What :func:`_fit` produces: the trained ``net`` (or where a time limit stopped it)."""

    history: Any = None
    timer: Any = None
    best: Any = None
    swa: Any = None
    train_time_s: float = float("nan")
    stopped_at: int | None = None
    stop_reason: str = ""


def _check_settings(
    spec: ModelSpec,
    *,
    epochs: int,
    batch_size: int,
    max_train: int | None,
    learning_rate: float | None,
    weight_decay: float | None,
    val_fraction: float,
    time_limit_s: float | None,
    out: Any,
    swa_start: float | None,
    seed: int,
    split_seed: int | None,
    model_kwargs: dict[str, Any] | None,
) -> tuple[float, float, int, dict[str, Any]]:
    """Check the settings (before any graph is built) and fill in the model's defaults from the registry.

    Returns ``(learning_rate, weight_decay, split_seed, model_kwargs)``.
    """
    owner = "train_property_model"
    validate(
        owner, {"epochs": epochs, "batch_size": batch_size}, {"epochs": positive(int), "batch_size": positive(int)}
    )
    check(owner, "max_train", max_train, [None, Interval(int, 2, None)])
    learning_rate = spec.default("learning_rate") if learning_rate is None else learning_rate
    weight_decay = spec.default("weight_decay") if weight_decay is None else weight_decay
    validate(
        owner,
        {"learning_rate": learning_rate, "weight_decay": weight_decay, "val_fraction": val_fraction},
        {"learning_rate": positive(), "weight_decay": non_negative(), "val_fraction": Interval(float, 0, 1, "neither")},
    )
    if time_limit_s is not None and (out is None or not time_limit_s > 0):
        raise ConfigError(
            "'time_limit_s' needs an output folder (out=...) to keep the backup in, and a positive number of seconds."
        )
    check(owner, "swa_start", swa_start, [None, Interval(float, 0, 1, "neither")])
    split_seed = seed if split_seed is None else split_seed
    check(owner, "split_seed", split_seed, int)
    model_kwargs = dict(model_kwargs or {})
    for fixed in ("target_mean", "target_std"):
        if fixed in model_kwargs:  # net.adapt(...) sets the output scaling from the training targets
            raise ConfigError(f"'{fixed}' is set from the training targets; it is not a model option of this workflow.")
    spec.load().check_options(model_kwargs)
    return float(learning_rate), float(weight_decay), split_seed, model_kwargs


def _prepare(
    data: Any, test: Any, target: str, graph_spec: Any, *, cache_dir: Any, verbose: bool
) -> tuple[Any, Any, Any, float]:
    """Read ``data`` (and ``test``) and build their graphs with ``graph_spec`` (through the cache).

    Returns ``(store, full, test_set or None, graph_time_s)``: ``full`` is the data set of ``data``'s
    structures that have ``target``.
    """
    from matnn.data.crystals.dataset import CrystalGraphDataset, load_graphs

    t0 = time.perf_counter()
    store = load_graphs(data, graph_spec, cache_dir=cache_dir, verbose=verbose)
    graph_time = time.perf_counter() - t0
    if target not in store.target_names:
        raise unknown_name(f"target in {data}", target, store.target_names or ["(none)"])
    full = CrystalGraphDataset(store, target)
    if len(full) < 5:
        raise DataError(f"{data}: only {len(full)} structures have a value for '{target}'; need at least 5.")
    test_set = None
    if test is not None:
        test_store = load_graphs(test, graph_spec, cache_dir=cache_dir, verbose=verbose)
        if target not in test_store.target_names:
            raise unknown_name(f"target in {test}", target, test_store.target_names or ["(none)"])
        test_set = CrystalGraphDataset(test_store, target)
    return store, full, test_set, graph_time


def _split(
    full: Any, test_set: Any, *, test_fraction: float, val_fraction: float, split_seed: int, max_train: int | None
) -> tuple[Any, Any, Any]:
    """(train, val, test) data sets: :func:`matnn.data.splits.property_split`, shared with the ensemble."""
    from matnn.data.splits import property_split

    return property_split(
        full,
        test_set=test_set,
        test_fraction=test_fraction,
        val_fraction=val_fraction,
        seed=split_seed,
        max_train=max_train,
    )


def _build(
    spec: ModelSpec,
    model_kwargs: dict[str, Any],
    train_set: Any,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    weight_decay: float,
    loss: str,
    jit_compile: bool,
) -> Any:
    """A fresh network scaled to the training targets and compiled with AdamW and a warm-up + cosine schedule."""
    from matnn.core.schedules import CosineDecay
    from matnn.optimizers import AdamW

    # The initial weights are the second draw from the seeded generator: runs recorded with a seed
    # (bench/RESULTS.md, bench/models) drew a model once before the one they trained, and drawing
    # that first one here too keeps each seed's initial weights, so those runs reproduce.
    spec.build(1, **model_kwargs)
    net = spec.build(1, **model_kwargs)
    net.adapt(train_set.y)
    steps_per_epoch = -(-len(train_set) // batch_size)
    total = epochs * steps_per_epoch
    warm = max(1, int(0.05 * total))
    schedule = CosineDecay(
        learning_rate * 0.01,
        decay_steps=max(1, total - warm),
        alpha=0.01,
        warmup_target=learning_rate,
        warmup_steps=warm,
    )
    net.compile(
        optimizer=AdamW(learning_rate=schedule, weight_decay=weight_decay),
        loss=loss,
        metrics=["mae"],
        jit_compile=jit_compile,
    )
    return net


def _fit(
    net: Any,
    train_set: Any,
    val_set: Any,
    *,
    epochs: int,
    batch_size: int,
    out_dir: Path | None,
    swa_start: float | None,
    time_limit_s: float | None,
    verbose: bool,
    device: Any,
) -> _Fit:
    """Train ``net``, restoring its best validation epoch; a time limit stops it between epochs."""
    from matnn.callbacks import (
        BackupAndRestore,
        CSVLogger,
        EarlyStopping,
        StochasticWeightAveraging,
    )
    from matnn.core.callbacks import EpochTimer, TimeLimit, TimeLimitReached
    from matnn.data.crystals.batch import collate_graphs

    fit = _Fit(
        timer=EpochTimer(), best=EarlyStopping(monitor="val_mae", patience=epochs + 1, restore_best_weights=True)
    )
    callbacks = [fit.timer, fit.best]
    fit.swa = StochasticWeightAveraging(start=swa_start) if swa_start is not None else None
    if fit.swa is not None:
        callbacks.append(fit.swa)
    if out_dir is not None:
        callbacks += [CSVLogger(out_dir / "history.csv"), BackupAndRestore(out_dir / "backup")]
    if time_limit_s is not None:
        callbacks.append(TimeLimit(time_limit_s))
    t1 = time.perf_counter()
    try:
        fit.history = net.fit(
            train_set,
            batch_size=batch_size,
            epochs=epochs,
            collate_fn=collate_graphs,
            validation_data=val_set,
            validation_batch_size=256,
            callbacks=callbacks,
            verbose=2 if verbose else 0,
            device=device,
        )
    except TimeLimitReached as stop:
        fit.stopped_at, fit.stop_reason = stop.epoch, str(stop)
    fit.train_time_s = time.perf_counter() - t1
    return fit


def _analyse(
    net: Any, data: _Data, fit: _Fit, *, batch_size: int, device: Any
) -> tuple[dict[str, Any], dict[str, list[float]], np.ndarray, np.ndarray]:
    """Recalibrate BatchNorm (and choose SWA or best epoch), then score the test, validation and training sets.

    Returns ``(metrics, history, y_test, y_pred)``; ``metrics`` holds the scores and training figures,
    :func:`train_property_model` adds the settings.
    """
    from matnn.workflows.crystals._common import predict_dataset, recalibrate_batchnorm

    train_set, val_set, test_set = data.train, data.val, data.test
    t2 = time.perf_counter()
    recalibrated = recalibrate_batchnorm(net, train_set, batch_size=batch_size, device=device)
    recalibration_time = time.perf_counter() - t2
    swa_metrics: dict[str, Any] = {}
    if fit.swa is not None and fit.swa.n_averaged:
        swa_metrics = _choose_swa_or_best(
            net, fit.swa, train_set, val_set, test_set, batch_size=batch_size, device=device
        )

    y_pred = predict_dataset(net, test_set, device=device).reshape(-1)
    y_test = test_set.y.reshape(-1)
    metrics: dict[str, Any] = {**regression_metrics(y_test, y_pred), "n_test": len(y_test), **swa_metrics}
    hist = {k: list(v) for k, v in fit.history.history.items()}
    val_curve = hist.get("val_mae", [float("nan")])
    train_eval = predict_dataset(net, train_set, device=device).reshape(-1)
    timer, store = fit.timer, data.store
    metrics.update(
        {
            "val_mae": float(np.nanmin(val_curve)) if val_curve else float("nan"),
            "val_mae_final": float(
                np.abs(predict_dataset(net, val_set, device=device).reshape(-1) - val_set.y.reshape(-1)).mean()
            ),
            "batchnorm_recalibrated": recalibrated,
            "batchnorm_recalibration_s": recalibration_time,
            "train_mae": float(np.abs(train_eval - train_set.y.reshape(-1)).mean()),
            "n_train": len(train_set),
            "n_val": len(val_set),
            "epochs": len(hist.get("loss", [])),
            "best_epoch": int(fit.best.best_epoch) + 1,
            "epoch_time_s": float(np.median(timer.times)) if timer.times else float("nan"),
            "train_time_s": fit.train_time_s,
            "epochs_time_s": float(np.sum(timer.times)),
            "graph_time_s": data.graph_time_s,
            "graphs_per_s": (len(store) / store.build_seconds) if store.build_seconds else float("nan"),
            "n_params": int(net.count_params()),
        }
    )
    return metrics, hist, y_test, y_pred


def _write_outputs(
    out_dir: Path,
    net: Any,
    metrics: dict[str, Any],
    hist: dict[str, list[float]],
    test_set: Any,
    y_test: np.ndarray,
    y_pred: np.ndarray,
    *,
    name: str,
    target: str,
) -> None:
    """``model.matnn``, ``parity.png``, ``learning_curves.png``, ``predictions.csv`` and ``metrics.json``."""
    from matnn.utils.io import atomic_write, write_metrics
    from matnn.utils.plotting import plot_learning_curves, plot_parity

    net.save(out_dir / "model.matnn")
    plot_parity(
        y_test,
        y_pred,
        out_dir / "parity.png",
        label=target,
        title=f"{name.upper()} on {len(y_test)} test structures: MAE {metrics['mae']:.4f}",
    )
    if hist.get("loss"):
        plot_learning_curves(
            {k: v for k, v in hist.items() if k in ("loss", "val_loss", "mae", "val_mae")},
            out_dir / "learning_curves.png",
            keys=["mae"],
            title=f"{name.upper()}: {target}",
        )
    with atomic_write(out_dir / "predictions.csv", "w", encoding="utf-8") as fh:
        fh.write(f"id,{target},predicted\n")
        for i, yt, yp in zip(test_set.store.ids[test_set.indices], y_test, y_pred, strict=True):
            fh.write(f"{i},{yt:.6g},{yp:.6g}\n")
    write_metrics(out_dir, metrics)


def _save_training_range(out_dir: Path, store: Any, indices: np.ndarray) -> None:
    """``training_range.json``: descriptor statistics of the training structures, for 'predict'."""
    from matnn.data.extrapolation import TRAINING_RANGE_FILE, TrainingRange

    X = store.descriptors()[np.asarray(indices, dtype=np.int64)]
    TrainingRange.fit(X, store.DESCRIPTOR_NAMES).save(out_dir / TRAINING_RANGE_FILE)


def train_property_model(
    data: str | os.PathLike,
    *,
    target: str = "formation_energy_per_atom",
    model: str = "cgcnn",
    test: str | os.PathLike | None = None,
    epochs: int = 100,
    max_train: int | None = None,
    batch_size: int = 64,
    learning_rate: float | None = None,
    weight_decay: float | None = None,
    loss: str = "mae",
    test_fraction: float = 0.2,
    val_fraction: float = 0.1,
    seed: int = 0,
    split_seed: int | None = None,
    out: str | os.PathLike | None = None,
    device: Any = None,
    verbose: bool = True,
    cache_dir: str | os.PathLike | None | bool = None,
    model_kwargs: dict[str, Any] | None = None,
    time_limit_s: float | None = None,
    swa_start: float | None = None,
    jit_compile: bool = False,
) -> PropertyRun:
    """Train a crystal graph network on ``target`` and score it on held-out structures.

    Parameters
    ----------
    data : path
        Structures with targets (``.jsonl[.gz]`` as in ``shared/datasets/structures``, or any format
        :func:`matnn.data.crystals.read_structures` reads).
    target : str, default='formation_energy_per_atom'
        Key in each record's ``targets`` (eV/atom for formation energy).
    model : str, default='cgcnn'
        A ``"property"`` model of :data:`~matnn.models.crystals.registry.CRYSTAL_MODELS` (``cgcnn``, ``megnet``).
    test : path, optional
        A separate file of structures to score. Without it, a seeded ``test_fraction`` of ``data``
        is held out (the "held-out fifth").
    epochs, batch_size : int
    max_train : int, optional
        Use at most this many training structures (seeded subsample), e.g. for a quick run.
    learning_rate : float, optional
        Peak of a cosine schedule (5 % linear warm-up, decay to 1 % of the peak) with AdamW. Default: the
        model's ``learning_rate`` in :data:`~matnn.models.crystals.registry.CRYSTAL_MODELS` (its ``source``
        says how it was chosen).
    weight_decay : float, optional
        AdamW's decoupled decay (each step multiplies the weights by 1 − lr × decay). Default: the model's
        ``weight_decay`` in the registry.
    loss : {'mae', 'mse', 'huber'}, default='mae'
    val_fraction : float, default=0.1
        Part of the training structures used only to pick the best epoch.
    seed : int
        Controls the split, the subsample, the initial weights and the shuffling.
    split_seed : int, optional
        Seed of the test/validation split and the subsample only (default: ``seed``). Runs with
        different ``seed`` and the same ``split_seed`` see the same structures: that is how the
        members of an ensemble (:func:`~matnn.workflows.crystals.evaluate_ensemble`) or a seed spread
        on a fixed test set are made.
    out : path, optional
        Output folder: ``metrics.json``, ``model.matnn``, ``parity.png``, ``learning_curves.png``,
        ``predictions.csv``, ``history.csv``; a ``backup/`` folder lets a killed run resume.
    device : str, optional
        'auto' (CUDA if present), 'cpu', 'cuda'.
    cache_dir : path or False, optional
        Graph cache (default ``~/.cache/matnn/crystal_graphs``).
    model_kwargs : dict, optional
        Passed to the model constructor (``atom_dim``, ``n_conv``, ...).
    time_limit_s : float, optional
        Wall-time budget of this call. When the next epoch would end past it, training stops
        between epochs, the backup in ``out/backup`` is kept, and ``metrics`` is
        ``{"status": "interrupted", "epochs_done": k, ...}``; the same call again resumes (needs
        ``out``). Long runs can so proceed in chunks that fit a shared machine's job limit.
    swa_start : float in (0, 1), optional
        Also track stochastic weight averaging (:class:`~matnn.callbacks.StochasticWeightAveraging`)
        from this fraction of the epochs on (0.75: the last quarter), without changing the training.
        After BatchNorm recalibration the validation structures choose between the averaged and the
        best-epoch weights (``weights`` in the metrics); the other is discarded.
    jit_compile : bool, default=False
        Run the network through ``torch.compile`` (``Model.compile(jit_compile=True)``): CGCNN steps
        about 1.75× faster on a CPU core after a compilation of about a minute; numbers agree with
        eager mode to rounding, not bit for bit.

    Returns
    -------
    PropertyRun
        ``metrics`` keys: ``mae``, ``rmse``, ``r2``, ``n_test`` (test set, target units),
        ``val_mae`` (best epoch, as seen during training), ``val_mae_final`` (the returned model, after
        :func:`~matnn.workflows.crystals._common.recalibrate_batchnorm` re-estimated the BatchNorm
        statistics on the training structures), ``batchnorm_recalibrated``, ``train_mae``, ``n_train``,
        ``n_val``, ``epochs``, ``best_epoch``, ``split_seed``, ``val_fraction``, ``test_fraction`` (None
        with a test file), ``max_train``, ``batch_size``, ``data`` and ``test_file`` (absolute paths), which let
        :func:`~matnn.workflows.crystals.evaluate_ensemble` rebuild the split,
        ``epoch_time_s`` (median), ``epochs_time_s`` (sum over all epochs, across resumed chunks),
        ``train_time_s`` (this call's ``fit``), ``graph_time_s``, ``graphs_per_s`` (building, when not
        cached), ``n_params``, ``model``, ``target``, ``device``, ``hardware``, ``status``
        (``'complete'``). With ``swa_start``: ``weights`` (``'swa'`` or ``'best_epoch'``), ``swa_epochs``,
        ``val_mae_swa`` and ``val_mae_best_epoch`` (recalibrated), and for study ``mae_swa`` and
        ``mae_best_epoch``, the test MAE of both (the choice never looks at them).
    """
    import matnn
    from matnn.config import resolve_device
    from matnn.utils.io import ensure_dir, file_sha256, write_metrics
    from matnn.workflows.crystals._common import hardware

    spec = crystal_model(model, "property")
    learning_rate, weight_decay, split_seed, model_kwargs = _check_settings(
        spec,
        epochs=epochs,
        batch_size=batch_size,
        max_train=max_train,
        learning_rate=learning_rate,
        weight_decay=weight_decay,
        val_fraction=val_fraction,
        time_limit_s=time_limit_s,
        out=out,
        swa_start=swa_start,
        seed=seed,
        split_seed=split_seed,
        model_kwargs=model_kwargs,
    )
    matnn.set_seed(seed)
    dev = resolve_device(device if device is not None else "auto")
    out_dir = ensure_dir(out) if out is not None else None

    # ---------------------------------------------------------------- prepare and split
    graph_spec = spec.load().graph_spec_for(**model_kwargs)
    store, full, test_set, graph_time = _prepare(data, test, target, graph_spec, cache_dir=cache_dir, verbose=verbose)
    train_set, val_set, test_set = _split(
        full,
        test_set,
        test_fraction=test_fraction,
        val_fraction=val_fraction,
        split_seed=split_seed,
        max_train=max_train,
    )
    sets = _Data(store=store, train=train_set, val=val_set, test=test_set, graph_time_s=graph_time)

    # ---------------------------------------------------------------- build and fit
    net = _build(
        spec,
        model_kwargs,
        train_set,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        weight_decay=weight_decay,
        loss=loss,
        jit_compile=jit_compile,
    )
    net.metadata.update(
        {"target": target, "graph_cutoff_A": graph_spec.cutoff, "graph_max_neighbors": graph_spec.max_neighbors}
    )
    fit = _fit(
        net,
        train_set,
        val_set,
        epochs=epochs,
        batch_size=batch_size,
        out_dir=out_dir,
        swa_start=swa_start,
        time_limit_s=time_limit_s,
        verbose=verbose,
        device=dev,
    )
    if fit.stopped_at is not None:
        partial = {
            "status": "interrupted",
            "epochs_done": fit.stopped_at,
            "epochs": epochs,
            "chunk_time_s": fit.train_time_s,
            "model": spec.name,
            "target": target,
            "hardware": hardware(dev),
            "seed": seed,
        }
        write_metrics(out_dir, partial)
        if verbose:
            print(
                f"Stopped before epoch {fit.stopped_at + 1}/{epochs} ({fit.stop_reason}); run the same command again to resume."
            )
        return PropertyRun(metrics=partial, model=net)

    # ---------------------------------------------------------------- analyse
    metrics, hist, y_test, y_pred = _analyse(net, sets, fit, batch_size=batch_size, device=dev)
    metrics.update(
        {
            "model_options": model_kwargs,
            "jit_compile": bool(net.jit_compile),
            "model": spec.name,
            "target": target,
            "device": str(dev),
            "hardware": hardware(dev),
            "seed": seed,
            "split_seed": split_seed,
            "batch_size": batch_size,
            "learning_rate": float(learning_rate),
            "weight_decay": float(weight_decay),
            "val_fraction": val_fraction,
            "test_fraction": None if test is not None else test_fraction,
            "max_train": max_train,
            "data": str(Path(data).resolve()),
            "test_file": None if test is None else str(Path(test).resolve()),
            # Contents, not paths, identify the data: an ensemble accepts members trained on copies.
            "data_sha256": file_sha256(data),
            "test_file_sha256": None if test is None else file_sha256(test),
            "status": "complete",
        }
    )
    if out_dir is not None:
        _write_outputs(out_dir, net, metrics, hist, test_set, y_test, y_pred, name=spec.name, target=target)
        _save_training_range(out_dir, store, train_set.indices)
    return PropertyRun(
        metrics=metrics,
        model=net,
        history=hist,
        test_ids=[str(i) for i in test_set.store.ids[test_set.indices]],
        y_test=y_test,
        y_pred=y_pred,
    )
