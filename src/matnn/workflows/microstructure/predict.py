"""Use a saved tortuosity CNN on new images: build the input it was trained on, predict τ, score if labelled.

A model from ``matnn microstructure train`` takes either the binary image alone ``(H, W, 1)`` or, by
default, the image plus its percolating-cluster mask ``(H, W, 2)``
(:func:`matnn.workflows.microstructure.train.network_inputs`). :func:`predict_tortuosity` reads which one
from the model (its declared input shape, or ``metadata['input_channels']``), so users pass binary
images and never build the channels by hand.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import DataError, ShapeError

__all__ = ["model_input_channels", "read_image_stack", "predict_tortuosity", "run_predict"]

_IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp", ".gif")


def model_input_channels(model: Any) -> int:
    """Input channels a saved tortuosity CNN expects: 1 (image) or 2 (image + percolating mask)."""
    shape = getattr(model, "input_shape_", None)
    if shape is not None and len(shape) == 3 and shape[-1] is not None:
        return int(shape[-1])
    return int(getattr(model, "metadata", {}).get("input_channels", 1))


def read_image_stack(
    paths: Sequence[str | os.PathLike], *, invert: bool = False
) -> tuple[np.ndarray, list[str], np.ndarray | None]:
    """Binary images (n, H, W) uint8 (1 = pore) from files, their names, and solver τ when a file has it.

    Accepted: a ``.npz`` with an ``images`` array (n, H, W) of 0/1 (a ``generate`` file; its ``tau`` is
    returned for scoring), a ``.npy`` array (H, W) or (n, H, W) of 0/1, or image files (PNG/TIFF/...,
    Otsu-thresholded, bright = pore unless ``invert``). All images must have the same size.
    """
    from matnn.data.images.readers import read_binary_image
    from matnn.data.microstructure.percolation import as_binary_image

    stacks, names, taus = [], [], []
    for p in map(Path, paths):
        if not p.exists():
            raise DataError(f"Image file {p} does not exist.")
        if p.suffix.lower() == ".npz":
            try:
                with np.load(p, allow_pickle=False) as z:
                    if "images" not in z.files:
                        raise DataError(
                            f"{p} has no 'images' array (found {', '.join(z.files) or 'nothing'}); "
                            "expected a file from 'matnn microstructure generate'."
                        )
                    ims, tau = z["images"], (z["tau"] if "tau" in z.files else None)
            except DataError:
                raise
            except Exception as exc:
                raise DataError(f"Cannot read {p} as an .npz file: {exc}") from None
            ims = as_binary_image(ims, name=f"'images' array of {p}", ndim=3)
            stacks.append(ims)
            names += [f"{p.name}[{i}]" for i in range(len(ims))]
            taus.append(np.asarray(tau, dtype=float) if tau is not None and len(tau) == len(ims) else None)
        elif p.suffix.lower() == ".npy":
            try:
                arr = np.load(p, allow_pickle=False)
            except Exception as exc:
                raise DataError(f"Cannot read {p} as a .npy array: {exc}") from None
            arr = as_binary_image(arr, name=f"array in {p}", ndim=(2, 3))
            arr = arr[None] if arr.ndim == 2 else arr
            stacks.append(arr)
            names += [p.name] if len(arr) == 1 else [f"{p.name}[{i}]" for i in range(len(arr))]
            taus.append(None)
        elif p.suffix.lower() in _IMAGE_SUFFIXES:
            stacks.append(read_binary_image(p, invert=invert)[None])
            names.append(p.name)
            taus.append(None)
        else:
            raise DataError(
                f"Cannot read {p}: expected .npz (from 'generate'), .npy, or an image file "
                f"({', '.join(_IMAGE_SUFFIXES)})."
            )
    if not stacks:
        raise DataError("No image files were given.")
    shapes = {s.shape[1:] for s in stacks}
    if len(shapes) > 1:
        raise ShapeError(f"All images must have the same size; got {sorted(shapes)}.")
    tau = np.concatenate(taus) if all(t is not None for t in taus) else None
    return np.concatenate(stacks).astype(np.uint8), names, tau


def predict_tortuosity(
    model: Any, images: np.ndarray, *, flip_average: bool = True, batch_size: int = 256
) -> dict[str, np.ndarray]:
    """Predict τ for binary images (n, H, W) (1 = pore, transport along axis 0) with a saved model.

    Parameters
    ----------
    model : matnn.Model or path
        A model written by ``matnn microstructure train`` (``model.matnn``).
    images : ndarray of shape (n, H, W)
        0/1 images of the size the model was trained on.
    flip_average : bool, default=True
        Average over the four flips that leave τ unchanged (as ``train`` scores its test images).

    Returns
    -------
    dict of (n,) arrays
        ``log_tau`` and ``tau`` (CNN), ``porosity``, ``percolates``. Images whose pore phase does not
        connect the two faces have τ = inf (no transport) and ``log_tau`` = inf; the CNN is not asked
        about them, because it never saw such images in training.
    """
    import matnn
    from matnn.data.microstructure.percolation import as_binary_image, percolates
    from matnn.workflows.microstructure.train import network_inputs, predict_flip_average

    if isinstance(model, (str, os.PathLike)):
        model = matnn.load_model(model)
    ims = as_binary_image(images, name="image stack", ndim=3)
    channels = model_input_channels(model)
    if channels not in (1, 2):
        raise ShapeError(
            f"The model takes {channels} input channels; a tortuosity model takes 1 (image) or 2 (image + mask)."
        )
    expected = getattr(model, "input_shape_", None)
    if expected is not None and tuple(expected[:2]) != tuple(ims.shape[1:]):
        raise ShapeError(
            f"The model was trained on {expected[0]}x{expected[1]} images; these are "
            f"{ims.shape[1]}x{ims.shape[2]}. Crop or resample them to the training size."
        )
    ok = np.array([percolates(im) for im in ims], dtype=bool)
    log_tau = np.full(len(ims), np.inf)
    if ok.any():
        x = network_inputs(ims[ok], connectivity=channels == 2)
        if flip_average:
            log_tau[ok] = predict_flip_average(model, x, batch_size=batch_size)
        else:
            log_tau[ok] = np.asarray(model.predict(x, batch_size=batch_size)).reshape(-1)
    return {
        "log_tau": log_tau,
        "tau": np.exp(log_tau),
        "porosity": ims.reshape(len(ims), -1).mean(axis=1),
        "percolates": ok,
    }


def run_predict(
    model_path: str | os.PathLike,
    images: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    invert: bool = False,
    flip_average: bool = True,
) -> dict[str, Any]:
    """Predict τ for image files with a saved model; write ``predictions.csv`` and ``metrics.json`` in ``out``.

    When the input is a ``generate`` file (it holds the solver's τ), also scores the prediction:
    ``r2`` and ``mae_log_tau`` on ln τ of the percolating images.
    """
    import matnn
    from matnn.utils.io import atomic_write, ensure_dir, write_metrics

    model_path = Path(model_path)
    if model_path.is_dir():
        model_path = model_path / "model.matnn"
    if not model_path.exists():
        raise DataError(f"Model file {model_path} does not exist (train one with 'matnn microstructure train').")
    model = matnn.load_model(model_path)
    ims, names, tau_true = read_image_stack(images, invert=invert)
    pred = predict_tortuosity(model, ims, flip_average=flip_average)
    out = ensure_dir(out)
    with atomic_write(out / "predictions.csv", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["image", "porosity", "percolates", "tau_cnn", "log_tau_cnn"]
            + (["tau_solver"] if tau_true is not None else [])
        )
        for i, name in enumerate(names):
            row = [
                name,
                f"{pred['porosity'][i]:.6g}",
                int(pred["percolates"][i]),
                f"{pred['tau'][i]:.6g}",
                f"{pred['log_tau'][i]:.6g}",
            ]
            w.writerow(row + ([f"{tau_true[i]:.6g}"] if tau_true is not None else []))
    metrics: dict[str, Any] = {
        "model": str(model_path),
        "n_images": len(names),
        "n_percolating": int(pred["percolates"].sum()),
        "input_channels": model_input_channels(model),
    }
    ok = pred["percolates"]
    if tau_true is not None and ok.sum() >= 2:
        from matnn.core.metrics import regression_metrics

        scores = regression_metrics(np.log(tau_true[ok]), pred["log_tau"][ok])
        metrics.update({"r2": scores["r2"], "mae_log_tau": scores["mae"]})
    write_metrics(out, metrics)
    return metrics
