"""scikit-learn's real 8 x 8 handwritten digits (UCI optdigits test set, 1,797 images), ready for a CNN."""

from __future__ import annotations

import numpy as np

from matnn.core.exceptions import ConfigError

__all__ = ["load_digits_images", "digits_split", "stratified_split"]


def load_digits_images() -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 digits as float32 images ``(n, 8, 8, 1)`` in [0, 1] (grey levels 0-16 / 16) and int64 labels."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[..., None]
    return x, d.target.astype(np.int64)


def digits_split(
    *, test_size: float = 0.2, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Stratified train/test split of the digits (each class keeps its share in both parts).

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        Images ``(n, 8, 8, 1)`` float32 in [0, 1], labels ``(n,)`` int64.
    """
    if not 0.0 < test_size < 1.0:
        raise ConfigError(f"'test_size' must be a fraction in (0, 1). Got {test_size!r} instead.")
    x, y = load_digits_images()
    return stratified_split(x, y, size=test_size, seed=seed, part="test")


def stratified_split(
    x: np.ndarray, y: np.ndarray, *, size: float, seed: int, part: str = "test"
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Split images ``x`` (n, ...) and labels ``y`` (n,) into a kept part and a held-out ``size`` fraction
    in which each class keeps its share; ``part`` names the held-out part in errors (``'test'``,
    ``'validation'``).

    Returns
    -------
    (x_kept, y_kept), (x_held, y_held)
    """
    from sklearn.model_selection import train_test_split

    n_classes, n = len(np.unique(y)), len(y)
    n_held = int(np.ceil(size * n))
    if n_held < n_classes or n - n_held < n_classes:
        raise ConfigError(
            f"'{part}_size' {size!r} leaves {n - n_held} training and {n_held} {part} images of {n}; "
            f"a stratified split needs at least {n_classes} (one per digit) on each side."
        )
    x_kept, x_held, y_kept, y_held = train_test_split(x, y, test_size=size, stratify=y, random_state=seed)
    return (x_kept, y_kept), (x_held, y_held)
