"""The lecture's inpainting exercise: fill failed measurements in smooth 50 x 50 maps with a CNN.

Three numbers on the same held-out maps, all mean squared errors over the missing pixels only:

* ``baseline_mse`` — each missing pixel ← mean of its known 3 x 3 neighbours (no learning);
* ``lecture_default_mse`` — the lecture's small CNN trained as in class: one input channel (missing
  pixels set to 0), MSE over the whole map, plain SGD with learning rate 0.25, batch size 1, 5 epochs;
* ``test_mse`` — our best: a deeper CNN that also receives the known-pixel mask, works on maps divided
  by their standard deviation, and is trained with Adam (cosine decay) on the error at the missing
  pixels only, the epoch with the lowest validation error kept.

The known pixels are measurements, so every method keeps them and is scored on the gaps.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

__all__ = ["masked_mse_loss", "run_inpainting"]


def masked_mse_loss(y_true, y_pred):
    """Per-map MSE over the missing pixels; ``y_true`` carries (true map, missing mask) as its two channels."""
    truth, missing = y_true[..., :1], y_true[..., 1:]
    return ((y_pred - truth) ** 2 * missing).sum(dim=(1, 2, 3)) / missing.sum(dim=(1, 2, 3)).clamp(min=1.0)


def _fill(model, x: np.ndarray, maps: np.ndarray, missing: np.ndarray) -> np.ndarray:
    pred = np.asarray(model.predict(x, batch_size=256))[..., 0]
    return np.where(missing, pred, maps)


def run_inpainting(
    out: str | os.PathLike | None = None,
    *,
    n_train: int = 1000,
    n_test: int = 200,
    size: int = 50,
    sigma: float = 1.0,
    noise_std: float = 0.1,
    missing_fraction: float = 0.25,
    epochs: int = 60,
    lecture_epochs: int = 5,
    lecture_learning_rate: float = 0.25,
    filters: int = 32,
    depth: int = 4,
    seed: int = 0,
    device: Any = None,
    verbose: Any = 0,
) -> dict[str, Any]:
    """Generate maps, train the lecture's setting and our best CNN, compare with the neighbour-mean baseline.

    Returns
    -------
    dict
        ``test_mse``, ``baseline_mse``, ``lecture_default_mse`` (missing pixels of ``n_test`` held-out maps),
        ``lecture_final_train_loss`` (the lecture's reported quantity: whole-map training MSE after the
        last epoch), ``map_variance``, sizes and times. Figures: ``inpainting_examples.png``,
        ``learning_curves.png``.
    """
    import matnn
    from matnn.callbacks import EarlyStopping
    from matnn.data.microstructure.inpainting import (
        inpainting_inputs,
        masked_mse,
        missing_mask,
        neighbour_mean_fill,
        smooth_random_maps,
    )
    from matnn.models.microstructure.cnn import inpainting_cnn, lecture_inpainting_cnn

    n_val = max(1, n_train // 10)
    n_all = n_train + n_val + n_test
    maps = smooth_random_maps(n_all, size=size, sigma=sigma, noise_std=noise_std, seed=seed)
    missing = missing_mask(n_all, size=size, fraction=missing_fraction, seed=seed + 1)
    tr, va, te = slice(0, n_train), slice(n_train, n_train + n_val), slice(n_train + n_val, n_all)

    baseline = neighbour_mean_fill(maps[te], missing[te])
    metrics: dict[str, Any] = {"baseline_mse": masked_mse(maps[te], baseline, missing[te])}

    # The lecture's setting: 1 channel, whole-map MSE, SGD lr 0.25, batch 1, 5 epochs.
    matnn.set_seed(seed)
    t0 = time.perf_counter()
    lec = lecture_inpainting_cnn(size)
    lec.compile(optimizer=matnn.optimizers.SGD(learning_rate=lecture_learning_rate), loss="mse")
    x1 = inpainting_inputs(maps, missing, with_mask=False)
    lec_hist = lec.fit(
        x1[tr],
        maps[tr, ..., None].astype(np.float32),
        epochs=lecture_epochs,
        batch_size=1,
        verbose=verbose,
        device=device,
    )
    lec_fill = _fill(lec, x1[te], maps[te], missing[te])
    metrics["lecture_default_mse"] = masked_mse(maps[te], lec_fill, missing[te])
    metrics["lecture_final_train_loss"] = float(lec_hist.history["loss"][-1])
    metrics["lecture_train_time_s"] = float(time.perf_counter() - t0)

    # Our best: mask channel, loss on the gaps only, Adam + cosine decay, best validation epoch, and the
    # maps standardised by the training maps' standard deviation (values of ~0.03 train slowly).
    matnn.set_seed(seed)
    t0 = time.perf_counter()
    scale = float(np.std(maps[tr]))
    x2 = inpainting_inputs(maps / scale, missing, with_mask=True)
    target = np.stack([maps / scale, missing.astype(float)], axis=-1).astype(np.float32)
    best = inpainting_cnn(size, filters=filters, depth=depth)
    batch = 16
    steps = epochs * int(np.ceil(n_train / batch))
    best.compile(
        optimizer=matnn.optimizers.Adam(learning_rate=matnn.optimizers.schedules.CosineDecay(2e-3, steps)),
        loss=masked_mse_loss,
    )
    hist = best.fit(
        x2[tr],
        target[tr],
        epochs=epochs,
        batch_size=batch,
        validation_data=(x2[va], target[va]),
        callbacks=[EarlyStopping(monitor="val_loss", patience=epochs, restore_best_weights=True)],
        verbose=verbose,
        device=device,
    )
    best_fill = _fill(best, x2[te], maps[te] / scale, missing[te]) * scale
    metrics["test_mse"] = masked_mse(maps[te], best_fill, missing[te])
    metrics["train_time_s"] = float(time.perf_counter() - t0)
    metrics.update(
        {
            "improvement_over_baseline": metrics["baseline_mse"] / metrics["test_mse"],
            "map_variance": float(np.var(maps[te])),
            "n_train": n_train,
            "n_val": n_val,
            "n_test": n_test,
            "size_px": size,
            "sigma_px": sigma,
            "noise_std": noise_std,
            "missing_fraction": missing_fraction,
            "epochs": epochs,
            "lecture_epochs": lecture_epochs,
        }
    )
    if out is not None:
        _write(out, maps[te], missing[te], baseline, lec_fill, best_fill, hist, lec_hist, metrics)
    return metrics


def _write(out, maps, missing, baseline, lec_fill, best_fill, hist, lec_hist, metrics) -> None:
    from matnn.utils.io import ensure_dir, write_metrics
    from matnn.utils.plotting import plt, save_figure

    out = ensure_dir(out)
    fig, axes = plt.subplots(3, 5, figsize=(14, 8.6))
    vmin, vmax = float(np.percentile(maps[:3], 1)), float(np.percentile(maps[:3], 99))
    for r in range(3):
        panels = (
            (maps[r], "true map"),
            (np.where(missing[r], np.nan, maps[r]), "measured (25% missing)"),
            (baseline[r], f"neighbour mean\nMSE {metrics['baseline_mse']:.2e}"),
            (lec_fill[r], f"lecture setting\nMSE {metrics['lecture_default_mse']:.2e}"),
            (best_fill[r], f"our CNN\nMSE {metrics['test_mse']:.2e}"),
        )
        for ax, (arr, title) in zip(axes[r], panels, strict=True):
            ax.imshow(arr, cmap="viridis", vmin=vmin, vmax=vmax)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(title, fontsize=9)
    fig.suptitle("Inpainting failed measurements (MSE over missing pixels of all held-out maps)")
    save_figure(fig, out / "inpainting_examples.png")

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.plot(np.arange(1, len(hist.history["loss"]) + 1), hist.history["loss"], label="our CNN: train (gaps)")
    ax.plot(
        np.arange(1, len(hist.history["val_loss"]) + 1), hist.history["val_loss"], label="our CNN: validation (gaps)"
    )
    ax.plot(
        np.arange(1, len(lec_hist.history["loss"]) + 1),
        lec_hist.history["loss"],
        "o-",
        label="lecture setting: train (whole map)",
    )
    ax.axhline(metrics["baseline_mse"], color="k", ls="--", lw=1, label="neighbour-mean baseline (gaps)")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE")
    ax.legend(fontsize=7)
    save_figure(fig, out / "learning_curves.png")
    write_metrics(out, metrics)
