"""Capacity curves: nested models never fit the training set worse; validation error is U-shaped."""

from __future__ import annotations

import numpy as np
import pytest

from matnn.core.exceptions import ConfigError
from matnn.fundamentals.capacity import network_capacity, polynomial_capacity, polynomial_fit_errors
from matnn.fundamentals.datasets import noisy_sine


def test_training_error_never_increases_with_degree():
    curve = polynomial_capacity(degrees=list(range(16)), repeats=5, seed=1)
    assert np.all(np.diff(curve.train_mse, axis=1) <= 1e-10)  # nested models, per training set


def test_validation_error_is_u_shaped():
    curve = polynomial_capacity(degrees=list(range(16)), repeats=20, seed=0)
    v = curve.val_mse.mean(axis=0)
    assert curve.is_u_shaped()
    assert 3 <= curve.best_capacity <= 8  # a sine needs about a cubic; not the extremes
    assert v[0] > 3 * v.min() and v[-1] > 3 * v.min()
    assert v.min() > 0.0625 * 0.8  # cannot beat the noise variance (0.25²) by much
    # Overfitting: at the highest degree the training error is far below the noise, validation far above.
    assert curve.train_mse.mean(axis=0)[-1] < 0.0625 < v[-1]


def test_noise_free_data_is_fitted_exactly_by_interpolation():
    x, y = noisy_sine(10, noise=0.0, seed=0)
    tr, _ = polynomial_fit_errors(x, y, x, y, [9])
    assert tr[0] < 1e-20


def test_degree_must_be_below_sample_count():
    x, y = noisy_sine(10, seed=0)
    with pytest.raises(ConfigError, match=r"\[0, 9\]"):
        polynomial_fit_errors(x, y, x, y, [3, 10])


def test_network_width_curve_with_matnn():
    """Dogfoods matnn Sequential/Dense/compile/fit: a width-1 tanh network underfits a sine, a wide one does not."""
    curve = network_capacity(widths=(1, 32), repeats=1, epochs=600, seed=0, show_progress=False)
    assert curve.train_mse.shape == (1, 2)
    assert curve.train_mse[0, 1] < 0.5 * curve.train_mse[0, 0]
    assert curve.val_mse[0, 1] < curve.val_mse[0, 0]
