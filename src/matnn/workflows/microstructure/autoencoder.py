"""Bottleneck autoencoder on microstructure images: how much of a pore image fits in a few numbers?

A convolutional encoder squeezes each binary image (1 = pore) into ``latent`` numbers; a decoder
rebuilds a pore-probability map from them. Trained with binary cross-entropy on the training images
(with their flips), it is scored on held-out images against the learning-free reference that knows
only the porosity: every pixel predicted as the image's mean. Beating it means the code holds
spatial structure, not just the pore fraction. The latent space is shown projected on its two
principal axes, coloured by porosity and by tortuosity.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from matnn.data.microstructure.dataset import MicrostructureDataset
from matnn.models.microstructure.registry import MICROSTRUCTURE_MODELS

__all__ = ["run_autoencoder", "mean_pixel_baseline"]

_RECIPE = MICROSTRUCTURE_MODELS.get("autoencoder")
_EPS = 1e-7


def _bce(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Per-image mean binary cross-entropy (nats per pixel) of probabilities ``p`` for binary ``y``, (n, H, W)."""
    p = np.clip(p, _EPS, 1.0 - _EPS)
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p), axis=(1, 2))


def mean_pixel_baseline(images: np.ndarray) -> np.ndarray:
    """The porosity-only reconstruction: every pixel of each image (n, H, W) set to that image's mean."""
    x = np.asarray(images, dtype=float)
    return np.broadcast_to(x.mean(axis=(1, 2), keepdims=True), x.shape).copy()


def _scores(y: np.ndarray, p: np.ndarray, prefix: str) -> dict[str, float]:
    return {
        f"{prefix}bce_nats_per_px": float(_bce(y, p).mean()),
        f"{prefix}mse": float(np.mean((p - y) ** 2)),
        f"{prefix}pixel_error_rate": float(np.mean((p > 0.5) != (y > 0.5))),
    }


def run_autoencoder(
    out: str | os.PathLike | None = None,
    *,
    data: str | os.PathLike | MicrostructureDataset | None = None,
    n: int = 1000,
    size: int = 64,
    blobiness: tuple[float, float] | None = None,
    test_size: float | int = 0.2,
    val_fraction: float = 0.1,
    epochs: int = _RECIPE.default("epochs"),
    batch_size: int = _RECIPE.default("batch_size"),
    learning_rate: float = _RECIPE.default("learning_rate"),
    latent: int = _RECIPE.default("latent"),
    width: int = _RECIPE.default("width"),
    seed: int = 0,
    device: Any = None,
    verbose: Any = 0,
    progress: bool = True,
) -> dict[str, Any]:
    """Train the bottleneck autoencoder and score its reconstructions of held-out images.

    Parameters
    ----------
    data : path or MicrostructureDataset, optional
        A file from ``matnn microstructure generate``; without it ``n`` images of ``size`` pixels are
        generated with ``seed``.
    blobiness : (float, float), optional
        porespy blobiness range of generated images (default: that of
        :class:`~matnn.data.microstructure.generate.GenerationSpec`); smaller values give larger blobs,
        which a few numbers describe better.
    latent : int
        Numbers in the bottleneck.

    Returns
    -------
    dict
        On the held-out images: ``bce_nats_per_px``, ``mse`` (of the pore probability against the 0/1 image)
        and ``pixel_error_rate`` (probability thresholded at 0.5), each also as ``baseline_*`` for the
        mean-pixel reconstruction; ``porosity_mae`` (mean |porosity of the thresholded reconstruction −
        true porosity|) and ``porosity_mae_soft`` (mean probability instead); ``latent_porosity_r2`` /
        ``latent_log_tau_r2`` (held-out R² of a linear map from the code, fitted on the training codes);
        sizes and time. Figures ``reconstructions.png``, ``latent_space.png``, ``learning_curves.png``;
        the model in ``model.matnn``.
    """
    import matnn
    from matnn.callbacks import EarlyStopping
    from matnn.core.validation import check, positive
    from matnn.data.microstructure.generate import GenerationSpec, generate_dataset
    from matnn.data.splits import split_indices
    from matnn.models.microstructure.cnn import microstructure_autoencoder

    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("latent", latent), ("width", width)):
        check("run_autoencoder", name, value, positive(int))
    check("run_autoencoder", "learning_rate", learning_rate, positive())
    if data is None:
        spec = GenerationSpec(size=size) if blobiness is None else GenerationSpec(size=size, blobiness=tuple(blobiness))
        ds = generate_dataset(n, spec=spec, seed=seed, progress=progress)
    else:
        ds = data if isinstance(data, MicrostructureDataset) else MicrostructureDataset.load(data)
    size = int(ds.images.shape[1])
    tr, va, te = split_indices(len(ds), test_size=test_size, val_fraction=val_fraction, seed=seed)
    x = ds.images[..., None].astype(np.float32)
    # Flipped microstructures are as valid as the originals: four views of each training image.
    x_tr = np.concatenate([x[tr], x[tr, :, ::-1], x[tr, ::-1], x[tr, ::-1, ::-1]])

    matnn.set_seed(seed)
    model = microstructure_autoencoder(size, latent=latent, width=width)
    steps = epochs * int(np.ceil(len(x_tr) / batch_size))
    model.compile(
        optimizer=matnn.optimizers.Adam(learning_rate=matnn.optimizers.schedules.CosineDecay(learning_rate, steps)),
        loss="binary_crossentropy",
    )
    t0 = time.perf_counter()
    hist = model.fit(
        x_tr,
        x_tr,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=(x[va], x[va]) if va.size else None,
        callbacks=[EarlyStopping(monitor="val_loss", patience=epochs, restore_best_weights=True)] if va.size else None,
        verbose=verbose,
        device=device,
    )
    train_time = time.perf_counter() - t0

    y_te = x[te, ..., 0].astype(float)
    rec = np.asarray(model.predict(x[te], batch_size=256), dtype=float)[..., 0]
    base = mean_pixel_baseline(y_te)
    codes_tr = _codes(model, x[tr])
    codes_te = _codes(model, x[te])
    porosity = ds.porosity.astype(float)
    metrics: dict[str, Any] = {
        **_scores(y_te, rec, ""),
        **_scores(y_te, base, "baseline_"),
        "porosity_mae": float(np.mean(np.abs((rec > 0.5).mean(axis=(1, 2)) - porosity[te]))),
        "porosity_mae_soft": float(np.mean(np.abs(rec.mean(axis=(1, 2)) - porosity[te]))),
        "latent_porosity_r2": _linear_r2(codes_tr, porosity[tr], codes_te, porosity[te]),
        "latent_log_tau_r2": _linear_r2(codes_tr, ds.log_tau[tr], codes_te, ds.log_tau[te]),
        "latent_size": int(latent),
        "compression_ratio": float(size * size / latent),
        "n_train": int(tr.size),
        "n_val": int(va.size),
        "n_test": int(te.size),
        "image_size_px": size,
        "epochs": int(len(hist.history["loss"])),
        "train_time_s": float(train_time),
    }
    metrics["bce_vs_baseline_ratio"] = metrics["bce_nats_per_px"] / max(metrics["baseline_bce_nats_per_px"], _EPS)
    if out is not None:
        _write(Path(out), model, hist, ds, te, y_te, rec, codes_te, metrics)
    return metrics


def _codes(model, x: np.ndarray) -> np.ndarray:
    """Latent codes (n, latent) of images ``x`` (n, H, W, 1), in batches."""
    parts = [model.layer_outputs(x[i : i + 256])["latent"].cpu().numpy() for i in range(0, len(x), 256)]
    return np.concatenate(parts).astype(float)


def _linear_r2(z_tr: np.ndarray, t_tr: np.ndarray, z_te: np.ndarray, t_te: np.ndarray) -> float:
    """Held-out R² of a least-squares linear map (with intercept) from codes to a target."""
    a_tr = np.column_stack([z_tr, np.ones(len(z_tr))])
    coef, *_ = np.linalg.lstsq(a_tr, t_tr, rcond=None)
    pred = np.column_stack([z_te, np.ones(len(z_te))]) @ coef
    ss_tot = float(np.sum((t_te - t_te.mean()) ** 2))
    return float(1.0 - np.sum((pred - t_te) ** 2) / ss_tot) if ss_tot > 0 else float("nan")


def _write(out: Path, model, hist, ds, te, y_te, rec, codes, metrics) -> None:
    from matnn.utils.io import ensure_dir, write_metrics
    from matnn.utils.plotting import plot_learning_curves, plt, save_figure

    ensure_dir(out)
    model.metadata.update({"target": "the input image (pore probability per pixel)", "input": "binary image, 1 = pore"})
    model.save(out / "model.matnn")
    plot_learning_curves(hist, out / "learning_curves.png", keys=["loss"], title="Autoencoder (BCE per pixel)")

    err = _bce(y_te, rec)
    order = np.argsort(err)
    k = min(6, len(order))
    picks = order[np.linspace(0, len(order) - 1, k).round().astype(int)]
    fig, axes = plt.subplots(3, k, figsize=(2.2 * k, 7), squeeze=False)
    for j, i in enumerate(picks):
        for row, (arr, cmap) in enumerate(((y_te[i], "gray"), (rec[i], "viridis"), (rec[i] > 0.5, "gray"))):
            axes[row, j].imshow(arr, cmap=cmap, vmin=0, vmax=1)
            axes[row, j].set_xticks([])
            axes[row, j].set_yticks([])
        axes[0, j].set_title(f"ε = {ds.porosity[te[i]]:.2f}", fontsize=9)
        axes[2, j].set_title(f"ε = {(rec[i] > 0.5).mean():.2f}", fontsize=9)
        axes[1, j].set_title(f"BCE {err[i]:.3f}", fontsize=9)
    for row, label in enumerate(("original", "reconstruction p(pore)", "thresholded at 0.5")):
        axes[row, 0].set_ylabel(label, fontsize=9)
    fig.suptitle(
        f"{metrics['latent_size']} numbers per {metrics['image_size_px']}² image: held-out BCE "
        f"{metrics['bce_nats_per_px']:.3f} vs mean-pixel {metrics['baseline_bce_nats_per_px']:.3f} nats/px; "
        f"pixel errors {metrics['pixel_error_rate']:.3f} vs {metrics['baseline_pixel_error_rate']:.3f}"
    )
    save_figure(fig, out / "reconstructions.png")

    # The two principal axes of the held-out codes.
    centred = codes - codes.mean(axis=0)
    _, sv, vt = np.linalg.svd(centred, full_matrices=False)
    pc = centred @ vt[:2].T if vt.shape[0] >= 2 else np.column_stack([centred[:, 0], np.zeros(len(codes))])
    share = sv[:2] ** 2 / max(float(np.sum(sv**2)), _EPS)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    for ax, values, label, target, r2 in (
        (axes[0], ds.porosity[te], "porosity ε", "ε", metrics["latent_porosity_r2"]),
        (axes[1], ds.tau[te], "tortuosity τ", "ln τ", metrics["latent_log_tau_r2"]),
    ):
        sc = ax.scatter(pc[:, 0], pc[:, 1], c=values, cmap="viridis", s=14)
        fig.colorbar(sc, ax=ax, label=label)
        ax.set_xlabel(f"latent PC1 ({share[0]:.0%} of variance)")
        ax.set_ylabel(f"latent PC2 ({share[1]:.0%})" if len(share) > 1 else "latent PC2")
        ax.set_title(f"coloured by {label}; linear read-out of {target}: R² = {r2:.2f}", fontsize=10)
    fig.suptitle(f"Latent space of {len(te)} held-out images")
    save_figure(fig, out / "latent_space.png")
    write_metrics(out, metrics)
