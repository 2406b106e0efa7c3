"""Input checks shared by the fundamentals: turn bad arrays into errors a scientist can act on."""

from __future__ import annotations

import numpy as np

from matnn.core.exceptions import DataError, ShapeError
from matnn.core.validation import check, positive

__all__ = ["as_features", "as_targets", "check_positive", "check_binary"]


def as_features(X: object, *, owner: str, name: str = "X") -> np.ndarray:
    """Return ``X`` as a finite float64 array of shape ``(n_samples, n_features)``.

    A 1-D input is read as one feature, ``(n_samples,)`` → ``(n_samples, 1)``.
    """
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(
            f"{owner}: {name} must be numeric. Got {type(X).__name__} that cannot be converted to float."
        ) from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ShapeError(
            f"{owner}: {name} must have shape (n_samples, n_features) or (n_samples,). Got shape {arr.shape}."
        )
    if arr.shape[0] == 0:
        raise DataError(f"{owner}: {name} is empty (0 samples).")
    bad = ~np.isfinite(arr)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise DataError(
            f"{owner}: {name} contains NaN or inf, first at row {row}, column {col} (value {arr[row, col]!r})."
        )
    return arr


def as_targets(y: object, n_samples: int, *, owner: str, name: str = "y", allow_2d: bool = False) -> np.ndarray:
    """Return ``y`` as a finite float64 array with ``n_samples`` rows (1-D unless ``allow_2d``)."""
    try:
        arr = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(
            f"{owner}: {name} must be numeric. Got {type(y).__name__} that cannot be converted to float."
        ) from None
    if arr.ndim == 2 and arr.shape[1] == 1 and not allow_2d:
        arr = arr[:, 0]
    if arr.ndim != 1 and not (allow_2d and arr.ndim == 2):
        allowed = "(n_samples,) or (n_samples, n_outputs)" if allow_2d else "(n_samples,)"
        raise ShapeError(f"{owner}: {name} must have shape {allowed}. Got shape {arr.shape}.")
    if arr.shape[0] != n_samples:
        raise ShapeError(f"{owner}: X has {n_samples} samples but {name} has {arr.shape[0]}; they must match.")
    bad = ~np.isfinite(arr)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise DataError(f"{owner}: {name} contains NaN or inf, first at row {row}.")
    return arr


def check_binary(y: np.ndarray, *, owner: str, name: str = "y") -> None:
    """Raise :class:`DataError` unless every label is 0 or 1."""
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise DataError(f"{owner}: {name} must hold class labels 0 or 1. Got {y[row]!r} at row {row}.")


def check_positive(value: object, *, owner: str, name: str, integer: bool = False) -> None:
    """Raise :class:`ConfigError` unless ``value`` is a positive (integer) number (:mod:`matnn.core.validation`)."""
    check(owner, name, value, positive(int if integer else float))
