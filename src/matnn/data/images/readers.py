"""Read the user's image files (micrographs, segmented microstructures) with clear errors.

Supported: anything scikit-image reads (PNG, JPEG, TIFF, BMP, ...), plus NumPy ``.npy`` arrays.
Colour images are converted to grey; the result is float in [0, 1] (integers are divided by the
maximum of their type).  :func:`read_binary_image` also segments: it accepts images that are already
two-phase, or thresholds grey images with Otsu's method.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from matnn.core.exceptions import DataError, ShapeError, require

__all__ = ["read_image", "read_binary_image", "sample_image", "SAMPLE_IMAGES"]

SAMPLE_IMAGES = ("coins", "camera", "moon", "text", "page", "brick", "grass", "gravel")


def _to_unit_grey(arr: np.ndarray, source: str) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.dtype == bool:
        return arr.astype(float)
    if arr.ndim == 3 and arr.shape[-1] in (3, 4):
        skimage_color = require("skimage.color", "images")
        rgb = arr[..., :3]
        if np.issubdtype(rgb.dtype, np.integer):
            rgb = rgb / float(np.iinfo(rgb.dtype).max)
        arr = skimage_color.rgb2gray(rgb)
    elif arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise ShapeError(
            f"{source} is not a single 2D image: its array has shape {arr.shape} "
            "(expected (height, width) or (height, width, 3|4) for colour)."
        )
    if min(arr.shape) < 1:
        raise ShapeError(f"{source} is empty (shape {arr.shape}).")
    if np.issubdtype(arr.dtype, np.integer):
        info = np.iinfo(arr.dtype)
        return (arr.astype(float) - max(info.min, 0)) / float(info.max - max(info.min, 0))
    if not np.issubdtype(arr.dtype, np.floating):
        raise DataError(f"{source} has pixels of type {arr.dtype}; expected numbers.")
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{source} contains NaN or infinite pixels.")
    lo, hi = float(arr.min()), float(arr.max())
    if lo < 0.0 or hi > 1.0:  # float images outside [0, 1]: rescale rather than clip
        arr = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
    return arr


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read one image file as a grey float array of shape (height, width) with values in [0, 1].

    Raises
    ------
    DataError
        The file does not exist, is empty, or is not an image scikit-image can decode (named, with
        the reader's reason).
    ShapeError
        The file holds a stack or volume rather than one 2D image.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"Image file {path} does not exist.")
    if path.is_dir():
        raise DataError(f"{path} is a folder; give the path of one image file.")
    if path.stat().st_size == 0:
        raise DataError(f"Image file {path} is empty (0 bytes).")
    if path.suffix.lower() == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except Exception as exc:
            raise DataError(f"Cannot read {path} as a NumPy .npy array: {exc}") from None
    else:
        io = require("skimage.io", "images")
        try:
            arr = io.imread(str(path))
        except Exception as exc:  # PIL.UnidentifiedImageError, ValueError, OSError, ...
            reason = (str(exc).strip().splitlines() or [""])[0].rstrip(".")  # imageio appends install hints
            raise DataError(
                f"Cannot read {path} as an image ({type(exc).__name__}: {reason}). Supported: PNG, JPEG, TIFF, BMP "
                "and other formats scikit-image reads, or a 2D NumPy .npy array."
            ) from None
    return _to_unit_grey(arr, f"Image file {path}")


def read_binary_image(path_or_array: str | os.PathLike | np.ndarray, *, invert: bool = False) -> np.ndarray:
    """A two-phase image as bool (True = pore): kept as is when already binary, else Otsu-thresholded.

    Parameters
    ----------
    path_or_array : path or ndarray
        Image file (see :func:`read_image`) or a 2D array.
    invert : bool, default=False
        By default bright pixels are pore; ``invert=True`` makes dark pixels pore.
    """
    if isinstance(path_or_array, (str, os.PathLike)):
        grey = read_image(path_or_array)
        source = f"Image file {path_or_array}"
    else:
        source = "The image array"
        grey = _to_unit_grey(np.asarray(path_or_array), source)
    values = np.unique(grey)
    if values.size == 1:
        raise DataError(f"{source} has a single grey level ({values[0]:.3g}); it cannot be split into two phases.")
    if values.size == 2:
        binary = grey == values[1]
    else:
        filters = require("skimage.filters", "images")
        binary = grey > filters.threshold_otsu(grey)
    return ~binary if invert else binary


def sample_image(name: str = "coins") -> np.ndarray:
    """A real grey image shipped with scikit-image (no download), float (H, W) in [0, 1].

    ``'coins'`` (Greek coins on a dark background) is the default; see :data:`SAMPLE_IMAGES`.
    """
    from matnn.core.exceptions import unknown_name

    if name not in SAMPLE_IMAGES:
        raise unknown_name("scikit-image sample image", name, SAMPLE_IMAGES)
    data = require("skimage.data", "images")
    return _to_unit_grey(getattr(data, name)(), f"skimage.data.{name}()")
