"""The lecture's microstructure inpainting exercise: smooth random maps with failed measurements.

A "measured map" is Gaussian white noise (standard deviation ``noise_std``) smoothed by a Gaussian
filter of ``sigma = 1`` pixel, on a 50 x 50 grid; a quarter of its pixels are "failed measurements"
(missing, chosen independently with probability 0.25).  The task is to fill them in.

The lecture's trivial baseline fills each missing pixel with the mean of the *known* pixels among its
eight neighbours (the map mean when all eight are missing).  The noise amplitude is not part of the
lecture's description; ``noise_std = 0.1`` reproduces its baseline error (≈ 0.00016 mean squared error
on the missing pixels), so the numbers are comparable.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from matnn.core.exceptions import ConfigError, ShapeError

__all__ = ["smooth_random_maps", "missing_mask", "neighbour_mean_fill", "masked_mse", "inpainting_inputs"]


def smooth_random_maps(
    n: int, *, size: int = 50, sigma: float = 1.0, noise_std: float = 0.1, seed: int | None = 0
) -> np.ndarray:
    """``n`` maps of Gaussian noise smoothed with a Gaussian filter of ``sigma`` pixels, shape (n, size, size)."""
    if n < 1 or size < 3:
        raise ConfigError(f"Need n >= 1 maps of size >= 3. Got n={n!r}, size={size!r}.")
    if sigma <= 0 or noise_std <= 0:
        raise ConfigError(f"'sigma' and 'noise_std' must be > 0. Got sigma={sigma!r}, noise_std={noise_std!r}.")
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, noise_std, size=(n, size, size))
    # smooth each map in its own plane only (sigma 0 along the sample axis)
    return ndimage.gaussian_filter(noise, sigma=(0.0, sigma, sigma))


def missing_mask(n: int, *, size: int = 50, fraction: float = 0.25, seed: int | None = 0) -> np.ndarray:
    """Boolean mask (n, size, size), True where a measurement failed (each pixel independently, p = fraction)."""
    if not 0.0 < fraction < 1.0:
        raise ConfigError(f"The missing 'fraction' must be in (0, 1). Got {fraction!r} instead.")
    return np.random.default_rng(seed).random((n, size, size)) < fraction


def _check(maps: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    maps = np.asarray(maps, dtype=float)
    missing = np.asarray(missing, dtype=bool)
    if maps.ndim != 3 or missing.shape != maps.shape:
        raise ShapeError(
            f"maps and missing mask must both have shape (n, height, width); got {maps.shape} and {missing.shape}."
        )
    return maps, missing


def neighbour_mean_fill(maps: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """The trivial baseline: each missing pixel ← mean of the known pixels among its 8 neighbours.

    Known pixels are returned unchanged; a missing pixel whose neighbours are all missing gets the
    mean of that map's known pixels.  Maps (n, H, W).
    """
    maps, missing = _check(maps, missing)
    known = (~missing).astype(float)
    ring = np.ones((1, 3, 3))
    ring[0, 1, 1] = 0.0  # neighbours only
    total = ndimage.convolve(maps * known, ring, mode="constant")
    count = ndimage.convolve(known, ring, mode="constant")
    map_mean = (maps * known).sum(axis=(1, 2)) / np.maximum(known.sum(axis=(1, 2)), 1)
    fill = np.where(count > 0, total / np.maximum(count, 1), map_mean[:, None, None])
    return np.where(missing, fill, maps)


def masked_mse(truth: np.ndarray, estimate: np.ndarray, missing: np.ndarray) -> float:
    """Mean squared error over the missing pixels only."""
    truth, missing = _check(truth, missing)
    estimate = np.asarray(estimate, dtype=float).reshape(truth.shape)
    return float(np.mean((estimate - truth)[missing] ** 2))


def inpainting_inputs(maps: np.ndarray, missing: np.ndarray, *, with_mask: bool = True) -> np.ndarray:
    """Network input: the map with missing pixels set to 0, plus (``with_mask``) the known-pixel mask.

    Returns float32 of shape (n, H, W, 2) — or (n, H, W, 1) without the mask, as in the lecture.
    """
    maps, missing = _check(maps, missing)
    observed = np.where(missing, 0.0, maps)
    chans = [observed, (~missing).astype(float)] if with_mask else [observed]
    return np.stack(chans, axis=-1).astype(np.float32)
