"""Microstructure image → log tortuosity: CNN against a porosity-only baseline.

prepare (split by seed) → baseline (best monotone function of porosity, fitted on the training
images) → CNN (flip augmentation, validation-based checkpoint selection, flip-averaged prediction)
→ analyse (R², MAE on held-out images; parity and learning-curve figures).

The test images are used once, for the final numbers: nothing is chosen by looking at them.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import DataError
from matnn.core.metrics import regression_metrics
from matnn.data.microstructure.dataset import MicrostructureDataset
from matnn.data.splits import split_indices
from matnn.models.microstructure.registry import MICROSTRUCTURE_MODELS

#: The tortuosity CNN's default recipe (epochs, batch size, learning rate, width) lives in the registry.
_RECIPE = MICROSTRUCTURE_MODELS.get("tortuosity-cnn")

__all__ = ["porosity_baseline", "network_inputs", "fit_tortuosity_cnn", "predict_flip_average", "train_tortuosity"]


def network_inputs(images: np.ndarray, *, connectivity: bool = False) -> np.ndarray:
    """CNN input from binary images (n, H, W): float32 (n, H, W, 1), or (n, H, W, 2) with ``connectivity``.

    The second channel marks the pore pixels of clusters that touch both faces (the percolation filter,
    computed from the image alone): connectivity across the whole image is what decides the flux, and a
    stack of local 3 x 3 filters has to work hard to find it.
    """
    x = np.asarray(images, dtype=np.float32)[..., None]
    if not connectivity:
        return x
    from matnn.data.microstructure.percolation import percolating_mask

    mask = np.stack([percolating_mask(im) for im in np.asarray(images, dtype=bool)]).astype(np.float32)[..., None]
    return np.concatenate([x, mask], axis=-1)


def porosity_baseline(porosity_train: np.ndarray, y_train: np.ndarray):
    """The porosity-only model: the best *decreasing* function of porosity (isotonic regression).

    Tortuosity can only fall as pores are added on average, so a monotone fit is the natural
    one-feature model; it has no hyperparameter to tune.  Returns a fitted scikit-learn estimator
    whose ``predict`` takes porosities of shape (n,).
    """
    from sklearn.isotonic import IsotonicRegression

    return IsotonicRegression(increasing=False, out_of_bounds="clip").fit(
        np.asarray(porosity_train), np.asarray(y_train)
    )


def predict_flip_average(model: Any, x: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
    """Mean prediction over the four label-preserving flips of ``x`` (n, H, W, channels) → (n,)."""
    from matnn.data.images.augment import flip_variants

    preds = [
        np.asarray(model.predict(np.ascontiguousarray(v), batch_size=batch_size)).reshape(len(x))
        for v in flip_variants(x)
    ]
    return np.mean(preds, axis=0)


def fit_tortuosity_cnn(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    *,
    epochs: int = _RECIPE.default("epochs"),
    batch_size: int = _RECIPE.default("batch_size"),
    learning_rate: float = _RECIPE.default("learning_rate"),
    width: int = _RECIPE.default("width"),
    augment: bool = True,
    seed: int = 0,
    backup_dir: str | os.PathLike | None = None,
    device: Any = None,
    verbose: Any = "auto",
):
    """Train :func:`~matnn.models.microstructure.cnn.tortuosity_cnn` on inputs (n, H, W, channels) → y (n,).

    ``x`` comes from :func:`network_inputs` (1 channel: the image; 2: image + percolating-cluster mask).

    Adam with a cosine-decaying learning rate, MSE loss; the network works on standardised targets and
    ends in a ``Rescaling`` layer, so it predicts ``y`` in its own units, the weights of the epoch with the lowest
    validation loss kept, and (``backup_dir``) the state saved every epoch so a killed run resumes.

    Returns
    -------
    model, history
    """
    import matnn
    from matnn.callbacks import BackupAndRestore, EarlyStopping
    from matnn.data.images.augment import flip_loader
    from matnn.layers import Rescaling
    from matnn.models.microstructure.cnn import tortuosity_cnn

    matnn.set_seed(seed)
    mean, std = float(np.mean(y_train)), float(np.std(y_train) or 1.0)
    model = tortuosity_cnn(int(x_train.shape[1]), width=width, channels=int(x_train.shape[-1]))
    model.add(Rescaling(scale=std, offset=mean))
    steps = epochs * int(np.ceil(len(x_train) / batch_size))
    model.compile(
        optimizer=matnn.optimizers.Adam(learning_rate=matnn.optimizers.schedules.CosineDecay(learning_rate, steps)),
        loss="mse",
        metrics=["mae"],
    )
    callbacks = [EarlyStopping(monitor="val_loss", patience=epochs, restore_best_weights=True)]
    if backup_dir is not None:
        callbacks.append(BackupAndRestore(backup_dir))
    y_train = np.asarray(y_train, dtype=np.float32).reshape(-1, 1)
    y_val = np.asarray(y_val, dtype=np.float32).reshape(-1, 1)
    if augment:
        data: Any = flip_loader(x_train, y_train, batch_size=batch_size, seed=seed)
        history = model.fit(
            data, epochs=epochs, validation_data=(x_val, y_val), callbacks=callbacks, verbose=verbose, device=device
        )
    else:
        history = model.fit(
            x_train,
            y_train,
            batch_size=batch_size,
            epochs=epochs,
            validation_data=(x_val, y_val),
            callbacks=callbacks,
            verbose=verbose,
            device=device,
        )
    return model, history


def train_tortuosity(
    data: str | os.PathLike | MicrostructureDataset,
    out: str | os.PathLike | None = None,
    *,
    test_size: float | int = 0.2,
    val_fraction: float = 0.1,
    epochs: int = _RECIPE.default("epochs"),
    batch_size: int = _RECIPE.default("batch_size"),
    learning_rate: float = _RECIPE.default("learning_rate"),
    width: int = _RECIPE.default("width"),
    augment: bool = True,
    connectivity: bool = True,
    seed: int = 0,
    device: Any = None,
    verbose: Any = "auto",
) -> dict[str, Any]:
    """Train a CNN to predict log τ from microstructure images and compare it with porosity alone.

    Parameters
    ----------
    data : path or MicrostructureDataset
        A file from ``matnn microstructure generate`` (or the same format).
    out : path, optional
        Folder for ``metrics.json``, ``model.matnn``, ``predictions.npz`` and the figures
        (``parity.png``, ``learning_curves.png``, ``error_vs_porosity.png``); also holds the resumable
        training state while a run is under way.
    test_size : float or int, default=0.2
        Held-out fraction (< 1) or number of images, drawn at random with ``seed``.
    val_fraction : float, default=0.1
        Fraction of the remaining images used to pick the best epoch.
    epochs, batch_size, learning_rate, width, augment
        See :func:`fit_tortuosity_cnn`.
    connectivity : bool, default=True
        Give the CNN the percolating-cluster mask as a second channel (:func:`network_inputs`);
        ``False`` trains on the binary image alone.

    Returns
    -------
    dict
        Flat metrics: ``r2``, ``mae_log_tau``, ``rmse_log_tau`` (CNN on the test images, natural log),
        ``baseline_r2``, ``baseline_mae_log_tau``, ``baseline_rmse_log_tau`` (porosity only),
        ``r2_tau`` (R² on τ itself), ``n_train``, ``n_val``, ``n_test``, ``train_time_s``.
    """
    ds = data if isinstance(data, MicrostructureDataset) else MicrostructureDataset.load(data)
    if len(ds) < 20:
        raise DataError(f"The data set has {len(ds)} images; training needs at least 20 (generate more).")
    tr, va, te = split_indices(len(ds), test_size=test_size, val_fraction=val_fraction, seed=seed)
    x = network_inputs(ds.images, connectivity=connectivity)
    y = ds.log_tau

    base = porosity_baseline(ds.porosity[tr], y[tr])
    p_base = base.predict(ds.porosity[te])

    t0 = time.perf_counter()
    backup = Path(out) / "training_state" if out is not None else None
    model, history = fit_tortuosity_cnn(
        x[tr],
        y[tr],
        x[va],
        y[va],
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        width=width,
        augment=augment,
        seed=seed,
        backup_dir=backup,
        device=device,
        verbose=verbose,
    )
    train_time = time.perf_counter() - t0
    p_cnn = predict_flip_average(model, x[te])

    s_cnn, s_base = regression_metrics(y[te], p_cnn), regression_metrics(y[te], p_base)
    metrics: dict[str, Any] = {
        "r2": s_cnn["r2"],
        "mae_log_tau": s_cnn["mae"],
        "rmse_log_tau": s_cnn["rmse"],
        "r2_tau": regression_metrics(np.exp(y[te]), np.exp(p_cnn))["r2"],
        "baseline_r2": s_base["r2"],
        "baseline_mae_log_tau": s_base["mae"],
        "baseline_rmse_log_tau": s_base["rmse"],
        "n_train": int(tr.size),
        "n_val": int(va.size),
        "n_test": int(te.size),
        "epochs": int(len(history.history["loss"])),
        "best_val_loss": float(np.min(history.history["val_loss"])),
        "train_time_s": float(train_time),
        "image_size_px": int(ds.images.shape[1]),
        "input_channels": int(x.shape[-1]),
        "seed": int(seed),
    }
    if out is not None:
        _write_outputs(Path(out), model, history, ds, te, y[te], p_cnn, p_base, metrics)
    return metrics


def _write_outputs(out: Path, model, history, ds, te, y_te, p_cnn, p_base, metrics) -> None:
    from matnn.utils.io import atomic_save_npz, ensure_dir, write_metrics
    from matnn.utils.plotting import plot_learning_curves, plt, save_figure

    ensure_dir(out)
    inputs = (
        "binary image (H, W, 1), 1 = pore"
        if metrics["input_channels"] == 1
        else "(H, W, 2): binary image (1 = pore), percolating-cluster mask (matnn...train.network_inputs)"
    )
    model.metadata.update(
        {
            "target": "natural log of the tortuosity factor",
            "input": inputs,
            "input_channels": int(metrics["input_channels"]),
            "transport_axis": 0,
            "predict_with": "matnn.workflows.microstructure.predict.predict_tortuosity "
            "or 'matnn microstructure predict' (build the channels for you)",
        }
    )
    model.save(out / "model.matnn")
    atomic_save_npz(
        out / "predictions.npz", test_index=te, log_tau_true=y_te, log_tau_cnn=p_cnn, log_tau_porosity_baseline=p_base
    )
    plot_learning_curves(history, out / "learning_curves.png", keys=["loss"], title="Tortuosity CNN (MSE of ln τ)")

    fig, axes = plt.subplots(1, 2, figsize=(9, 4.3), sharex=True, sharey=True)
    lo, hi = float(min(y_te.min(), p_cnn.min(), p_base.min())), float(max(y_te.max(), p_cnn.max(), p_base.max()))
    for ax, p, name, r2 in (
        (axes[0], p_base, "porosity only (isotonic)", metrics["baseline_r2"]),
        (axes[1], p_cnn, "CNN", metrics["r2"]),
    ):
        ax.scatter(y_te, p, s=4, alpha=0.4)
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.set_title(f"{name}: R² = {r2:.3f}")
        ax.set_xlabel("true ln τ (solver)")
    axes[0].set_ylabel("predicted ln τ")
    fig.suptitle(f"{len(y_te)} held-out microstructures")
    save_figure(fig, out / "parity.png")

    fig, ax = plt.subplots(figsize=(5, 3.6))
    por = ds.porosity[te]
    ax.scatter(por, p_base - y_te, s=4, alpha=0.3, label="porosity only")
    ax.scatter(por, p_cnn - y_te, s=4, alpha=0.3, label="CNN")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel("porosity ε")
    ax.set_ylabel("error in ln τ")
    ax.legend()
    save_figure(fig, out / "error_vs_porosity.png")
    write_metrics(out, metrics)
