"""Classical filters on images and a hand-made (untrained) convolutional classifier.

* :func:`apply_filters` — Gaussian blur, Sobel gradients and their magnitude, Laplacian of one grey image.
* :func:`filter_properties` — the numbers that show what each filter does: the Gaussian sums to 1 and
  divides the variance of white noise by ``1 / sum(k^2)``; Sobel-x answers a dark-to-bright vertical step
  with +4; the Laplacian is 0 on a linear ramp.
* :func:`edge_classifier_stages` / :func:`edge_classify` — the lecture's pipeline with a fixed filter:
  vertical-line filter → zero padding → convolution → ReLU → max pooling → global max → threshold.
  It tells vertical from horizontal lines without any training, because the filter already is the
  feature a CNN would have to learn.

Everything is NumPy, built on :func:`~matnn.fundamentals.convolution.correlate2d` /
:func:`~matnn.fundamentals.convolution.conv2d` (cross-correlation, zero padding).
"""

from __future__ import annotations

import numpy as np

from matnn.core.exceptions import ShapeError
from matnn.fundamentals.convolution import conv2d, correlate2d, max_pool2d, pad2d
from matnn.fundamentals.kernels import SOBEL_X, SOBEL_Y, gaussian_kernel, laplacian_kernel, vertical_edge_kernel

__all__ = ["apply_filters", "filter_properties", "edge_classifier_stages", "edge_classify", "EDGE_THRESHOLD"]

#: Decision threshold of :func:`edge_classify`: half the response (6) of the vertical-line filter to an
#: ideal bright vertical line, three times the largest response (1) to a horizontal one.
EDGE_THRESHOLD = 3.0


def apply_filters(image: np.ndarray, *, sigma: float = 1.5, neighbours: int = 4) -> dict[str, np.ndarray]:
    """Blur, gradient and Laplacian of a grey image (H, W), each (H, W) ('same' output, zero padding).

    Returns
    -------
    dict
        ``blurred`` (Gaussian of ``sigma`` pixels), ``grad_x`` / ``grad_y`` (Sobel, intensity per pixel x 4
        on a unit step), ``grad_magnitude`` (``hypot(grad_x, grad_y)``), ``laplacian`` (``neighbours``-point).
    """
    im = np.asarray(image, dtype=float)
    if im.ndim != 2:
        raise ShapeError(f"apply_filters expects a grey image (H, W). Got shape {im.shape} instead.")
    gx = correlate2d(im, SOBEL_X, padding="same")
    gy = correlate2d(im, SOBEL_Y, padding="same")
    return {
        "blurred": correlate2d(im, gaussian_kernel(sigma), padding="same"),
        "grad_x": gx,
        "grad_y": gy,
        "grad_magnitude": np.hypot(gx, gy),
        "laplacian": correlate2d(im, laplacian_kernel(neighbours), padding="same"),
    }


def filter_properties(
    image: np.ndarray, *, sigma: float = 1.5, noise_std: float = 0.1, seed: int = 0
) -> dict[str, float]:
    """Measured properties of the filters, on ``image`` (H, W) and on small synthetic patterns.

    Returns
    -------
    dict
        ``gaussian_sum``; ``gaussian_noise_variance_reduction`` (variance of the added white noise of std
        ``noise_std`` before / after blurring, measured away from the zero-padded border) and
        ``gaussian_noise_variance_reduction_theory`` (``1 / sum(k^2)``); ``sobel_x_step_response`` (centre
        of a 0 → 1 vertical step, expected +4) and ``sobel_y_step_response`` (same step, expected 0);
        ``laplacian{4,8}_ramp_max_abs`` (interior of a linear ramp, expected 0).
    """
    im = np.asarray(image, dtype=float)
    k = gaussian_kernel(sigma)
    r = k.shape[0] // 2
    noise = np.random.default_rng(seed).normal(0.0, noise_std, size=im.shape)
    # Filtering is linear: blur(image + noise) - blur(image) is the blurred noise alone.
    residual = correlate2d(im + noise, k, padding="same") - correlate2d(im, k, padding="same")
    inner = (slice(r, -r or None), slice(r, -r or None))
    step = np.zeros((9, 9))
    step[:, 5:] = 1.0
    ramp = np.add.outer(0.3 * np.arange(9.0), 0.7 * np.arange(9.0))
    return {
        "gaussian_sigma_px": float(sigma),
        "gaussian_size_px": int(k.shape[0]),
        "gaussian_sum": float(k.sum()),
        "gaussian_noise_std": float(noise_std),
        "gaussian_noise_variance_reduction": float(noise[inner].var() / residual[inner].var()),
        "gaussian_noise_variance_reduction_theory": float(1.0 / np.sum(k**2)),
        "sobel_x_step_response": float(correlate2d(step, SOBEL_X)[3, 3]),
        "sobel_y_step_response": float(correlate2d(step, SOBEL_Y)[3, 3]),
        "laplacian4_ramp_max_abs": float(np.abs(correlate2d(ramp, laplacian_kernel(4))).max()),
        "laplacian8_ramp_max_abs": float(np.abs(correlate2d(ramp, laplacian_kernel(8))).max()),
    }


def edge_classifier_stages(x: np.ndarray, *, pool: int = 2) -> dict[str, np.ndarray]:
    """Every stage of the hand-made classifier for images ``x`` (n, H, W, 1).

    Returns
    -------
    dict
        ``padded`` (n, H+2, W+2, 1) zero padding of 1; ``conv`` (n, H, W, 1) 'valid' correlation with
        :func:`~matnn.fundamentals.kernels.vertical_edge_kernel`; ``relu`` (n, H, W, 1); ``pooled``
        (n, H // pool, W // pool, 1) max pooling; ``score`` (n,) the largest pooled value.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 4 or x.shape[-1] != 1:
        raise ShapeError(f"edge_classifier_stages expects images (n, H, W, 1). Got shape {x.shape} instead.")
    padded = pad2d(x, 1)
    conv = conv2d(padded, vertical_edge_kernel()[:, :, None, None])
    relu = np.maximum(conv, 0.0)
    pooled = max_pool2d(relu, pool)
    return {"padded": padded, "conv": conv, "relu": relu, "pooled": pooled, "score": pooled.max(axis=(1, 2, 3))}


def edge_classify(x: np.ndarray, *, threshold: float = EDGE_THRESHOLD) -> np.ndarray:
    """Label images ``x`` (n, H, W, 1): 1 (vertical line) where the pooled filter response exceeds
    ``threshold``, else 0 (horizontal) — the labels of :func:`matnn.data.images.lines.lines_dataset`."""
    return (edge_classifier_stages(x)["score"] > threshold).astype(np.int64)
