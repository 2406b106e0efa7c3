"""Standard figures every workflow writes: learning curves and parity plots.

Matplotlib runs headless (Agg) and figures are saved atomically as PNG.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from matnn.utils.io import atomic_path  # noqa: E402

__all__ = ["save_figure", "plot_learning_curves", "plot_parity", "plt"]


def save_figure(fig: Any, path: str | os.PathLike, dpi: int = 120) -> Path:
    """Save ``fig`` to ``path`` atomically and close it."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=path.suffix.lstrip(".") or "png")
    plt.close(fig)
    return path


def plot_learning_curves(
    history: Mapping[str, Sequence[float]] | Any,
    path: str | os.PathLike,
    *,
    keys: Sequence[str] | None = None,
    title: str = "Learning curves",
    logy: bool | None = None,
) -> Path:
    """Plot per-epoch training (and ``val_``) curves from a History or its ``.history`` dict."""
    hist = getattr(history, "history", history)
    if keys is None:
        keys = [k for k in hist if not k.startswith("val_") and k != "lr"]
    fig, axes = plt.subplots(1, len(keys), figsize=(4.5 * len(keys), 3.5), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=False):
        values = np.asarray(hist[key], dtype=float)
        epochs = np.arange(1, len(values) + 1)
        ax.plot(epochs, values, label=f"train {key}")
        if f"val_{key}" in hist:
            ax.plot(epochs, np.asarray(hist[f"val_{key}"], dtype=float), label=f"validation {key}")
        use_log = (
            logy
            if logy is not None
            else bool(np.all(values[np.isfinite(values)] > 0)) and key in {"loss", "mse", "mae", "rmse"}
        )
        if use_log:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.legend()
    fig.suptitle(title)
    return save_figure(fig, path)


def plot_parity(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    path: str | os.PathLike,
    *,
    y_err: np.ndarray | None = None,
    label: str = "value",
    title: str | None = None,
    log: bool = False,
) -> Path:
    """Predicted against true values with the y = x line; ``y_err`` draws error bars (e.g. seed std)."""
    y_true = np.asarray(y_true, dtype=float).ravel()
    y_pred = np.asarray(y_pred, dtype=float).ravel()
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    if y_err is not None:
        ax.errorbar(y_true, y_pred, yerr=np.asarray(y_err).ravel(), fmt="o", ms=3, alpha=0.7, elinewidth=0.8)
    else:
        ax.scatter(y_true, y_pred, s=8 if len(y_true) > 500 else 16, alpha=0.6)
    finite = np.isfinite(y_true) & np.isfinite(y_pred)
    lo = float(min(y_true[finite].min(), y_pred[finite].min())) if finite.any() else 0.0
    hi = float(max(y_true[finite].max(), y_pred[finite].max())) if finite.any() else 1.0
    ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel(f"true {label}")
    ax.set_ylabel(f"predicted {label}")
    if title:
        ax.set_title(title)
    ax.set_aspect("equal", adjustable="datalim")
    return save_figure(fig, path)
