"""Universal approximation (matnn Sequential/Dense/fit): good inside the training range, arbitrary outside."""

from __future__ import annotations

import numpy as np
import pytest

from matnn.core.exceptions import ConfigError, UnknownNameError
from matnn.fundamentals.approximation import NetworkConfig, fit_relu_networks


def test_relu_fits_agree_inside_and_diverge_outside():
    res = fit_relu_networks(
        "sin", configs=[NetworkConfig(64, 0), NetworkConfig(64, 1)], epochs=150, show_progress=False
    )
    assert res.predictions.shape == (2, len(res.x))
    assert np.all(res.rmse(inside=True) < 0.05)  # both approximate sin on [-π, π]
    assert np.all(res.rmse(inside=False) > 0.5)  # neither knows sin outside it
    assert res.spread(inside=False) > 10 * res.spread(inside=True)
    # ReLU networks are piecewise linear: outside the data the prediction is straight almost everywhere
    # (second difference ~0 except at the few grid points next to a kink), while sin keeps curving.
    out = ~res.in_range
    curved = np.abs(np.diff(res.predictions[:, out], n=2, axis=1)) > 1e-4
    assert curved.mean() < 0.05
    assert np.mean(np.abs(np.diff(res.y_true[out], n=2)) > 1e-4) > 0.5


def test_bad_arguments():
    with pytest.raises(UnknownNameError, match="Did you mean 'sin'"):
        fit_relu_networks("sinn")
    with pytest.raises(ConfigError, match="train_range"):
        fit_relu_networks("sin", train_range=(-1.0, 1.0), eval_range=(0.0, 2.0))
