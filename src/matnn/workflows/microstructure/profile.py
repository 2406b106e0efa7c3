"""Encoder–decoder, image → curve: predict the through-plane concentration profile from the image.

The curve is the solver's steady concentration averaged over the transporting pore pixels of each
row (inlet c = 1 at the top face, outlet c = 0 at the bottom). A straight channel gives a straight
line; bottlenecks put steps where the flux squeezes through. The network is the lecture's
ferroelectric architecture: a 2D convolutional encoder to a latent vector, a 1D convolutional decoder
back to a curve. Errors are reported against the solver, next to two learning-free references: the
mean training profile, and the straight line of a homogeneous medium.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.metrics import regression_metrics
from matnn.data.microstructure.dataset import MicrostructureDataset

__all__ = ["run_profile"]


def run_profile(
    out: str | os.PathLike | None = None,
    *,
    data: str | os.PathLike | MicrostructureDataset | None = None,
    n: int = 4000,
    size: int = 64,
    test_size: float | int = 0.2,
    val_fraction: float = 0.1,
    epochs: int = 40,
    batch_size: int = 64,
    learning_rate: float = 2e-3,
    latent: int = 32,
    seed: int = 0,
    device: Any = None,
    verbose: Any = 0,
    progress: bool = True,
) -> dict[str, Any]:
    """Train the encoder–decoder on (image, profile) pairs and score it on held-out images.

    Parameters
    ----------
    data : path or MicrostructureDataset, optional
        A file from ``matnn microstructure generate``; without it ``n`` images of ``size`` pixels are
        generated with ``seed``.

    Returns
    -------
    dict
        ``rmse`` / ``mae`` (concentration, fraction of the inlet value, over all points of the test curves),
        ``max_abs_error``, ``r2`` (over all points), ``baseline_mean_rmse`` (mean training profile),
        ``baseline_linear_rmse`` (straight line), sizes and time. Figures ``profile_examples.png``,
        ``learning_curves.png``; the model in ``model.matnn``.
    """
    import matnn
    from matnn.callbacks import EarlyStopping
    from matnn.data.microstructure.generate import GenerationSpec, generate_dataset
    from matnn.data.splits import split_indices
    from matnn.models.microstructure.cnn import profile_encoder_decoder

    if data is None:
        ds = generate_dataset(n, spec=GenerationSpec(size=size), seed=seed, progress=progress)
    else:
        ds = data if isinstance(data, MicrostructureDataset) else MicrostructureDataset.load(data)
    size = int(ds.images.shape[1])
    tr, va, te = split_indices(len(ds), test_size=test_size, val_fraction=val_fraction, seed=seed)
    x = ds.images[..., None].astype(np.float32)
    y = ds.profile.astype(np.float32)

    # Mirroring left-right keeps the curve (augment with it); mirroring top-bottom would turn c into 1 - c
    # reversed, so we add those copies with the transformed target: four symmetric views of each image.
    x_tr = np.concatenate([x[tr], x[tr, :, ::-1], x[tr, ::-1], x[tr, ::-1, ::-1]])
    y_tr = np.concatenate([y[tr], y[tr], 1.0 - y[tr, ::-1], 1.0 - y[tr, ::-1]])

    matnn.set_seed(seed)
    model = profile_encoder_decoder(size, latent=latent)
    steps = epochs * int(np.ceil(len(x_tr) / batch_size))
    model.compile(
        optimizer=matnn.optimizers.Adam(learning_rate=matnn.optimizers.schedules.CosineDecay(learning_rate, steps)),
        loss="mse",
        metrics=["mae"],
    )
    t0 = time.perf_counter()
    hist = model.fit(
        x_tr,
        y_tr,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=(x[va], y[va]),
        callbacks=[EarlyStopping(monitor="val_loss", patience=epochs, restore_best_weights=True)],
        verbose=verbose,
        device=device,
    )
    train_time = time.perf_counter() - t0
    pred = np.asarray(model.predict(x[te], batch_size=256))
    mean_profile = y[tr].mean(axis=0)
    linear = 1.0 - (np.arange(size) + 0.5) / size
    metrics: dict[str, Any] = {
        **regression_metrics(y[te], pred),
        "baseline_mean_rmse": float(np.sqrt(np.mean((mean_profile - y[te]) ** 2))),
        "baseline_linear_rmse": float(np.sqrt(np.mean((linear - y[te]) ** 2))),
        "n_train": int(tr.size),
        "n_val": int(va.size),
        "n_test": int(te.size),
        "image_size_px": size,
        "epochs": int(len(hist.history["loss"])),
        "train_time_s": float(train_time),
    }
    if out is not None:
        _write(Path(out), model, hist, ds, te, y[te], pred, linear, metrics)
    return metrics


def _write(out: Path, model, hist, ds, te, y_te, pred, linear, metrics) -> None:
    from matnn.utils.io import ensure_dir, write_metrics
    from matnn.utils.plotting import plot_learning_curves, plt, save_figure

    ensure_dir(out)
    model.metadata.update(
        {"target": "through-plane concentration profile (inlet row first)", "input": "binary image, 1 = pore"}
    )
    model.save(out / "model.matnn")
    plot_learning_curves(hist, out / "learning_curves.png", keys=["loss"], title="Encoder–decoder (MSE of the curve)")
    rmse_each = np.sqrt(np.mean((pred - y_te) ** 2, axis=1))
    order = np.argsort(rmse_each)
    picks = [order[len(order) // 10], order[len(order) // 2], order[int(len(order) * 0.9)], order[-1]]
    fig, axes = plt.subplots(2, 4, figsize=(13, 6.5))
    depth = np.arange(y_te.shape[1])
    for k, i in enumerate(picks):
        axes[0, k].imshow(ds.images[te[i]], cmap="gray")
        axes[0, k].set_title(f"ε = {ds.porosity[te[i]]:.2f}, τ = {ds.tau[te[i]]:.2f}", fontsize=9)
        axes[0, k].set_xticks([])
        axes[0, k].set_yticks([])
        ax = axes[1, k]
        ax.plot(y_te[i], depth, "k-", label="solver")
        ax.plot(pred[i], depth, "C1--", label="encoder–decoder")
        ax.plot(linear, depth, ":", color="0.6", label="homogeneous")
        ax.invert_yaxis()
        ax.set_xlabel("mean concentration c / c_inlet")
        ax.set_title(f"{['10th', '50th', '90th', 'worst'][k]} percentile error: RMSE {rmse_each[i]:.3f}", fontsize=9)
    axes[1, 0].set_ylabel("depth (pixel row)")
    axes[1, 0].legend(fontsize=7)
    fig.suptitle(
        f"Image → profile on {len(te)} held-out images: RMSE {metrics['rmse']:.4f} "
        f"(mean-profile baseline {metrics['baseline_mean_rmse']:.4f})"
    )
    save_figure(fig, out / "profile_examples.png")
    write_metrics(out, metrics)
