"""Classify the user's digit images with the LeNet saved by ``matnn images digits --out RUN_DIR``.

load (``RUN_DIR/model.matnn`` or the file itself) → read each image (PNG, JPEG, TIFF, ``.npy``, ... with
:func:`~matnn.data.images.readers.read_image`: grey, float in [0, 1]) → bright ink on a dark background
as in training (an image whose border is bright is inverted) → resize to the model's H x W → predict
the digit and its softmax probability.

Training saw the 8 x 8 digits as grey levels 0-16 divided by 16 (or MNIST bytes / 255), i.e. [0, 1]
with 0 = background; :func:`prepare_digit_image` reproduces that for any image.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import ConfigError, DataError, require

__all__ = ["load_digit_model", "prepare_digit_image", "predict_digits"]


def load_digit_model(model: str | os.PathLike) -> Any:
    """The classifier in ``model``: a ``matnn images digits`` run folder (its ``model.matnn``) or a
    ``.matnn`` file. Raises :class:`DataError` when it is missing, :class:`ConfigError` when the file
    holds a model that does not take one grey image (H, W, 1)."""
    from matnn.models.saving import load_model

    path = Path(model)
    if path.is_dir():
        if not (path / "model.matnn").is_file():
            raise DataError(f"{path}: not a finished 'matnn images digits' folder: no model.matnn.")
        path = path / "model.matnn"
    elif not path.exists():
        raise DataError(f"{path}: no such run folder or model file (give the --out folder of 'matnn images digits').")
    net = load_model(path, compile=False)
    shape = getattr(net, "input_shape_", None)
    if shape is None or isinstance(shape, list) or len(shape) != 3 or int(shape[-1]) != 1:
        raise ConfigError(
            f"{path} holds a {type(net).__name__} with input shape {shape!r}, not an image classifier of "
            "grey (height, width, 1) images (a 'matnn images digits' model)."
        )
    return net


def prepare_digit_image(image: np.ndarray, shape: tuple[int, int], *, invert: bool | None = None) -> np.ndarray:
    """One grey image in [0, 1] (H', W') → the model's input (H, W, 1), float32, 0 = background.

    Parameters
    ----------
    image : ndarray, shape (H', W')
        Grey levels in [0, 1] (as :func:`~matnn.data.images.readers.read_image` returns).
    shape : (int, int)
        The model's (height, width) in pixels.
    invert : bool, optional
        ``1 - image`` first (dark ink on white paper); default: when the border's mean grey is above 0.5.
    """
    img = np.asarray(image, dtype=float)
    if invert is None:
        border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
        invert = bool(border.mean() > 0.5)
    if invert:
        img = 1.0 - img
    if img.shape != tuple(shape):
        # Each output pixel is the mean grey of the input area it covers: a 32 x 32 drawing of an 8 x 8
        # digit comes back as that digit (a Gaussian anti-aliasing filter would blur the strokes further).
        img = require("skimage.transform", "images").resize_local_mean(img, tuple(shape))
    return np.clip(img, 0.0, 1.0).astype(np.float32)[..., None]


def predict_digits(
    model: str | os.PathLike,
    images: Sequence[str | os.PathLike],
    out: str | os.PathLike | None = None,
    *,
    invert: bool | None = None,
    device: Any = None,
) -> dict[str, Any]:
    """Predict the digit of every image file with the model of a ``matnn images digits`` run.

    Parameters
    ----------
    model : path
        Run folder (``model.matnn`` inside) or a ``.matnn`` file.
    images : sequence of paths
        Image files, one digit each: PNG, JPEG, TIFF, BMP or a 2D ``.npy`` array.
    out : path, optional
        Writes ``predictions.csv`` (``image``, ``digit_pred``, ``probability``) and ``metrics.json``.
    invert : bool, optional
        Force (True) or forbid (False) inverting dark-on-light images; default per image (border).

    Returns
    -------
    dict
        ``n_images``, ``input_height_px``, ``input_width_px``, ``n_inverted``, ``n_resized``,
        ``probability_mean`` and ``wall_s``; ``digit_pred`` and ``probability`` lists per image.
    """
    from matnn.data.images.readers import read_image

    t0 = time.perf_counter()
    if not images:
        raise DataError("No image files given.")
    net = load_digit_model(model)
    h, w = (int(s) for s in net.input_shape_[:2])
    batch, n_inverted, n_resized = [], 0, 0
    for p in images:
        grey = read_image(p)
        border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
        flipped = bool(border.mean() > 0.5) if invert is None else invert
        n_inverted += flipped
        n_resized += grey.shape != (h, w)
        batch.append(prepare_digit_image(grey, (h, w), invert=flipped))
    x = np.stack(batch)
    proba = np.asarray(net.predict(x, device=device), dtype=float)
    digit = proba.argmax(axis=1)
    top = proba[np.arange(len(digit)), digit]
    names = [str(p) for p in images]
    metrics: dict[str, Any] = {
        "n_images": len(names),
        "input_height_px": h,
        "input_width_px": w,
        "n_inverted": int(n_inverted),
        "n_resized": int(n_resized),
        "probability_mean": float(top.mean()),
        "wall_s": time.perf_counter() - t0,
    }
    if out is not None:
        from matnn.utils.io import atomic_write, ensure_dir, write_metrics

        out_dir = ensure_dir(out)
        with atomic_write(out_dir / "predictions.csv", "w", encoding="utf-8", newline="") as fh:
            rows = csv.writer(fh)
            rows.writerow(["image", "digit_pred", "probability"])
            for n, d, pr in zip(names, digit, top, strict=True):
                rows.writerow([n, int(d), f"{pr:.6f}"])
        write_metrics(out_dir, metrics)
    return {**metrics, "digit_pred": [int(d) for d in digit], "probability": [float(v) for v in top]}
