"""``to_categorical``: integer class labels → one-hot rows (NumPy only, as ``keras.utils.to_categorical``)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["to_categorical"]


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray:
    """One-hot encode integer class labels.

    Parameters
    ----------
    x : array-like of int, shape ``(n,)`` (or ``(n, 1)``, or any shape)
        Class indices in ``[0, num_classes)``.
    num_classes : int, optional
        Number of classes; default ``max(x) + 1``.

    Returns
    -------
    numpy.ndarray of float32, shape ``x.shape + (num_classes,)``
        As Keras, a trailing axis of length 1 is dropped first, so ``(n, 1)`` labels give ``(n, num_classes)``.

    Raises
    ------
    ValueError
        Non-integer or negative labels, or a label ``>= num_classes``.
    """
    arr = np.asarray(x)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        as_int = arr.astype(np.int64)
        if not np.array_equal(as_int, arr):
            raise ValueError(
                f"to_categorical needs integer class labels; got values such as {arr.reshape(-1)[:3].tolist()}"
            )
        arr = as_int
    arr = arr.astype(np.int64, copy=False)
    if arr.ndim > 1 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.size and arr.min() < 0:
        raise ValueError(f"to_categorical needs labels >= 0; got {int(arr.min())}")
    top = int(arr.max()) + 1 if arr.size else 0
    if num_classes is None:
        num_classes = top
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"'num_classes' of to_categorical must be a positive int; got {num_classes!r}")
    elif top > num_classes:
        raise ValueError(f"to_categorical got label {top - 1} but num_classes={num_classes}")
    out = np.zeros((*arr.shape, int(num_classes)), dtype=np.float32)
    np.put_along_axis(out, arr[..., None], 1.0, axis=-1)
    return out
