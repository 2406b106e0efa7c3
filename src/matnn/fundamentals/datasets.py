"""Small synthetic data sets for the glass-box demos (all seeded, all generated in memory).

Each generator returns plain NumPy arrays so the demos can be followed line by line.
"""

from __future__ import annotations

import numpy as np

from matnn.fundamentals._validation import check_positive

__all__ = ["noisy_line", "noisy_plane", "two_blobs", "separable_with_margin", "xor", "noisy_sine"]


def noisy_line(
    n_samples: int = 100, *, slope: float = 2.5, intercept: float = -1.0, noise: float = 0.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Points on ``y = slope·x + intercept`` plus Gaussian noise, ``x`` uniform in [0, 4].

    Returns
    -------
    x : ndarray of shape (n_samples,)
    y : ndarray of shape (n_samples,)
    """
    check_positive(n_samples, owner="noisy_line", name="n_samples", integer=True)
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 4.0, n_samples)
    y = slope * x + intercept + noise * rng.standard_normal(n_samples)
    return x, y


def noisy_plane(
    n_samples: int = 200, n_features: int = 3, *, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """A linear target in several (correlated) features: ``y = X·w + b + noise``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    w : ndarray of shape (n_features,)
        The true weights.
    b : float
        The true intercept.
    """
    check_positive(n_samples, owner="noisy_plane", name="n_samples", integer=True)
    check_positive(n_features, owner="noisy_plane", name="n_features", integer=True)
    rng = np.random.default_rng(seed)
    # Mildly correlated features, as real descriptors are, so the normal equations are non-trivial.
    mix = np.eye(n_features) + 0.3 * rng.standard_normal((n_features, n_features))
    X = rng.standard_normal((n_samples, n_features)) @ mix + 1.0
    w = rng.uniform(-2.0, 2.0, n_features)
    b = 0.7
    y = X @ w + b + noise * rng.standard_normal(n_samples)
    return X, y, w, b


def two_blobs(
    n_samples: int = 200, *, separation: float = 3.0, spread: float = 1.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian clouds in 2-D, labels 0 and 1 (half each).

    A large ``separation`` relative to ``spread`` gives linearly separable data; a small one gives
    overlapping classes (where logistic regression has a finite, unique optimum).

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), values 0.0 or 1.0
    """
    check_positive(n_samples, owner="two_blobs", name="n_samples", integer=True)
    rng = np.random.default_rng(seed)
    n0 = n_samples // 2
    n1 = n_samples - n0
    direction = np.array([1.0, 0.6]) / np.hypot(1.0, 0.6)
    c0, c1 = -0.5 * separation * direction, 0.5 * separation * direction
    X = np.vstack([c0 + spread * rng.standard_normal((n0, 2)), c1 + spread * rng.standard_normal((n1, 2))])
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    order = rng.permutation(n_samples)
    return X[order], y[order]


def separable_with_margin(
    n_samples: int = 100, *, margin: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Points in the square [−1, 1]² labelled by a random line, none closer to it than ``margin``.

    Linearly separable by construction for every seed (the perceptron is guaranteed to converge).

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), 1 on the side the normal points to
    w : ndarray of shape (2,)
        Unit normal of the true line.
    b : float
        Offset of the true line (``w·x + b = 0``).
    """
    check_positive(n_samples, owner="separable_with_margin", name="n_samples", integer=True)
    check_positive(margin, owner="separable_with_margin", name="margin")
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0.0, 2 * np.pi)
    w = np.array([np.cos(angle), np.sin(angle)])
    b = float(rng.uniform(-0.3, 0.3))
    kept: list[np.ndarray] = []
    n_kept = 0
    while n_kept < n_samples:  # rejection sampling; the band removes at most ~2·margin/2 of the area
        cand = rng.uniform(-1.0, 1.0, (2 * n_samples, 2))
        cand = cand[np.abs(cand @ w + b) >= margin]
        kept.append(cand)
        n_kept += len(cand)
    X = np.vstack(kept)[:n_samples]
    y = (X @ w + b > 0).astype(float)
    return X, y, w, b


def xor(*, n_per_corner: int = 1, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: label 1 when exactly one coordinate is 1 — not linearly separable.

    Returns
    -------
    X : ndarray of shape (4 * n_per_corner, 2)
    y : ndarray of shape (4 * n_per_corner,)
    """
    check_positive(n_per_corner, owner="xor", name="n_per_corner", integer=True)
    rng = np.random.default_rng(seed)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0.0, 1.0, 1.0, 0.0])
    X = np.repeat(corners, n_per_corner, axis=0) + noise * rng.standard_normal((4 * n_per_corner, 2))
    y = np.repeat(labels, n_per_corner)
    return X, y


def noisy_sine(
    n_samples: int = 30,
    *,
    noise: float = 0.25,
    low: float = 0.0,
    high: float = 1.0,
    stratified: bool = True,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """``y = sin(2πx) + noise`` with ``x`` random in ``[low, high]`` (the classic capacity example).

    With ``stratified=True`` one ``x`` is drawn uniformly in each of ``n_samples`` equal bins, so small
    samples still cover the whole interval (no accidental extrapolation at the ends); otherwise ``x``
    is plain uniform.

    Returns
    -------
    x : ndarray of shape (n_samples,)
    y : ndarray of shape (n_samples,)
    """
    check_positive(n_samples, owner="noisy_sine", name="n_samples", integer=True)
    rng = np.random.default_rng(seed)
    if stratified:
        x = low + (high - low) * (np.arange(n_samples) + rng.uniform(0.0, 1.0, n_samples)) / n_samples
    else:
        x = rng.uniform(low, high, n_samples)
    y = np.sin(2 * np.pi * x) + noise * rng.standard_normal(n_samples)
    return x, y
