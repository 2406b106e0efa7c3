"""The horizontal-vs-vertical lines toy: why convolutions generalise across positions.

Each image holds one short bright line, horizontal (label 0) or vertical (label 1), on a dim noisy
background.  In the training split every line lies in the top-left quadrant; in the test split every
line lies in the bottom-right quadrant, on pixels no training line ever touched.  A dense network on
flattened pixels has never seen those pixels light up and cannot tell the classes apart there; a
convolution followed by global pooling applies the same filter everywhere and does.
"""

from __future__ import annotations

import numpy as np

from matnn.core.exceptions import ConfigError

__all__ = ["lines_dataset"]


def lines_dataset(
    n: int,
    *,
    region: str = "train",
    size: int = 12,
    length: int = 3,
    noise: float = 0.1,
    seed: int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Images of one horizontal or vertical line placed inside one quadrant.

    Parameters
    ----------
    n : int
        Number of images (half horizontal, half vertical, shuffled).
    region : {'train', 'test'}
        ``'train'``: lines inside the top-left quadrant; ``'test'``: inside the bottom-right quadrant.
    size : int, default=12
        Images are ``size x size``; each quadrant is ``size // 2`` wide.
    length : int, default=3
        Line length in pixels (at most ``size // 2``).
    noise : float, default=0.1
        Standard deviation of Gaussian background noise (the line has intensity 1).
    seed : int, optional

    Returns
    -------
    x : ndarray of shape (n, size, size, 1), float32
    y : ndarray of shape (n,), int64 — 0 = horizontal, 1 = vertical
    """
    if region not in ("train", "test"):
        raise ConfigError(f"'region' must be 'train' or 'test'. Got {region!r} instead.")
    half = size // 2
    if not 1 <= length <= half:
        raise ConfigError(f"'length' must be between 1 and size // 2 = {half}. Got {length!r} instead.")
    rng = np.random.default_rng(seed)
    offset = 0 if region == "train" else size - half
    y = rng.permutation(np.arange(n) % 2)
    x = noise * rng.standard_normal((n, size, size)) if noise > 0 else np.zeros((n, size, size))
    along = rng.integers(0, half - length + 1, size=n)  # start along the line
    across = rng.integers(0, half, size=n)  # row of a horizontal line / column of a vertical one
    for k in range(n):
        a, b = offset + along[k], offset + across[k]
        if y[k] == 0:
            x[k, b, a : a + length] = 1.0
        else:
            x[k, a : a + length, b] = 1.0
    return x[..., None].astype(np.float32), y.astype(np.int64)
