"""Which pore voxels connect the inlet face to the outlet face (the percolation filter).

Transport in the finite-volume solver only crosses shared faces, so connectivity here is the
face-neighbour one (4 neighbours in 2D, 6 in 3D): two pore pixels that touch only at a corner do
not exchange flux.  A pore cluster carries steady flux only if it touches both faces normal to the
transport axis; isolated clusters and dead-end clusters touching one face carry none.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from matnn.core.exceptions import ConfigError, DataError, ShapeError

__all__ = ["as_binary_image", "percolating_mask", "percolates"]


def as_binary_image(image: np.ndarray, *, name: str = "image", ndim: int | tuple[int, ...] = (2, 3)) -> np.ndarray:
    """Check that ``image`` is a 2D/3D two-phase array and return it as bool (True = pore).

    Parameters
    ----------
    image : array-like of shape (height, width) or (depth, height, width)
        Boolean, or numbers that are all 0 or 1 (1 = pore / conducting phase).
    name : str
        Used in error messages.
    ndim : int or tuple of int
        Allowed numbers of dimensions.

    Raises
    ------
    ShapeError
        Wrong number of dimensions or an empty axis.
    DataError
        Values other than 0/1 (or NaN).
    """
    arr = np.asarray(image)
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if arr.ndim not in allowed:
        raise ShapeError(
            f"The {name} must have {' or '.join(str(d) for d in allowed)} dimensions "
            f"(height, width[, ...]). Got shape {arr.shape} instead."
        )
    if min(arr.shape) < 1:
        raise ShapeError(f"The {name} is empty (shape {arr.shape}).")
    if arr.dtype == bool:
        return arr
    if not np.issubdtype(arr.dtype, np.number):
        raise DataError(f"The {name} must be boolean or numeric 0/1. Got dtype {arr.dtype} instead.")
    bad = ~((arr == 0) | (arr == 1))
    if bad.any():
        vals = np.unique(arr[bad])[:5]
        raise DataError(
            f"The {name} must be binary: 1 (or True) for the pore/conducting phase and 0 for the solid. "
            f"Found other values, e.g. {', '.join(repr(v.item()) for v in vals)}. Segment (threshold) the image first."
        )
    return arr.astype(bool)


def _check_axis(axis: int, ndim: int) -> int:
    if not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise ConfigError(f"The transport 'axis' must be an integer in [{-ndim}, {ndim - 1}]. Got {axis!r} instead.")
    return int(axis) % ndim


def percolating_mask(image: np.ndarray, *, axis: int = 0) -> np.ndarray:
    """Pore voxels belonging to a face-connected cluster that touches both faces normal to ``axis``.

    Parameters
    ----------
    image : array-like of shape (height, width) or (depth, height, width)
        Binary image, True/1 = pore.
    axis : int, default=0
        Transport direction; the faces are ``index 0`` and ``index -1`` along it.

    Returns
    -------
    ndarray of bool, same shape as ``image``
        True where a pore voxel belongs to a spanning cluster. All False when nothing percolates.

    Examples
    --------
    >>> import numpy as np
    >>> im = np.array([[1, 0, 1], [1, 0, 0], [1, 0, 1]])
    >>> percolating_mask(im).astype(int)
    array([[1, 0, 0],
           [1, 0, 0],
           [1, 0, 0]])
    """
    im = as_binary_image(image)
    ax = _check_axis(axis, im.ndim)
    labels, n = ndimage.label(im)  # default structure = face connectivity
    if n == 0:
        return np.zeros_like(im)
    first = np.take(labels, 0, axis=ax)
    last = np.take(labels, -1, axis=ax)
    spanning = np.intersect1d(first[first > 0], last[last > 0])
    if spanning.size == 0:
        return np.zeros_like(im)
    keep = np.zeros(n + 1, dtype=bool)
    keep[spanning] = True
    return keep[labels]


def percolates(image: np.ndarray, *, axis: int = 0) -> bool:
    """True when the pore phase connects the two faces normal to ``axis`` (face connectivity)."""
    return bool(percolating_mask(image, axis=axis).any())
