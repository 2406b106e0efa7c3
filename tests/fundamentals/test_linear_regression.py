"""Closed form = gradient descent = scikit-learn, and the errors bad input gets."""

from __future__ import annotations

import numpy as np
import pytest

from matnn.core.exceptions import ConfigError, DataError, DivergenceError, ShapeError
from matnn.fundamentals import datasets
from matnn.fundamentals.linear_regression import (
    fit_closed_form_1d,
    fit_gradient_descent,
    fit_normal_equations,
    mse,
)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_closed_form_equals_gradient_descent_1d(seed):
    x, y = datasets.noisy_line(80, seed=seed)
    m, b = fit_closed_form_1d(x, y)
    gd = fit_gradient_descent(x, y)
    assert gd.converged
    assert abs(gd.weights[0] - m) < 1e-6
    assert abs(gd.bias - b) < 1e-6
    # The loss history is non-increasing with the safe step 1/λ_max (a convex quadratic).
    assert np.all(np.diff(gd.loss_history) <= 1e-12)


def test_closed_form_matches_polyfit_and_definition():
    x, y = datasets.noisy_line(50, slope=-1.3, intercept=4.0, seed=3)
    m, b = fit_closed_form_1d(x, y)
    m_ref, b_ref = np.polyfit(x, y, 1)
    assert m == pytest.approx(m_ref, abs=1e-12)
    assert b == pytest.approx(b_ref, abs=1e-12)
    # m = Cov[x, y] / Var[x] with numpy's own (population) estimators.
    assert m == pytest.approx(np.cov(x, y, bias=True)[0, 1] / np.var(x), rel=1e-12)


def test_exact_line_recovered():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    m, b = fit_closed_form_1d(x, 3.0 * x - 2.0)
    assert (m, b) == pytest.approx((3.0, -2.0), abs=1e-12)


def test_normal_equations_equal_gd_and_sklearn():
    from sklearn.linear_model import LinearRegression

    X, y, w_true, b_true = datasets.noisy_plane(300, 4, noise=0.05, seed=5)
    w, b = fit_normal_equations(X, y)
    gd = fit_gradient_descent(X, y)
    sk = LinearRegression().fit(X, y)
    assert gd.converged
    np.testing.assert_allclose(gd.weights, w, atol=1e-6)
    assert gd.bias == pytest.approx(b, abs=1e-6)
    np.testing.assert_allclose(w, sk.coef_, atol=1e-9)
    assert b == pytest.approx(sk.intercept_, abs=1e-9)
    np.testing.assert_allclose(w, w_true, atol=0.02)  # noise 0.05, 300 samples
    # The normal-equation solution is the minimum: nudging any parameter raises the MSE.
    base = mse(X, y, w, b)
    for k in range(len(w)):
        dw = np.zeros_like(w)
        dw[k] = 1e-3
        assert mse(X, y, w + dw, b) > base and mse(X, y, w - dw, b) > base


def test_one_feature_normal_equations_equal_cov_var():
    x, y = datasets.noisy_line(40, seed=9)
    w, b = fit_normal_equations(x, y)
    m, b1 = fit_closed_form_1d(x, y)
    assert w[0] == pytest.approx(m, abs=1e-10) and b == pytest.approx(b1, abs=1e-10)


def test_too_large_step_diverges_with_a_clear_error():
    x, y = datasets.noisy_line(50, seed=0)
    A = np.c_[x, np.ones_like(x)]
    lam_max = np.linalg.eigvalsh(2 / len(x) * A.T @ A)[-1]
    ok = fit_gradient_descent(x, y, learning_rate=1.9 / lam_max, max_epochs=20_000)
    assert ok.converged
    with pytest.raises(DivergenceError, match="too large"):
        fit_gradient_descent(x, y, learning_rate=2.2 / lam_max, max_epochs=20_000)


def test_bad_inputs():
    x, y = datasets.noisy_line(10)
    with pytest.raises(DataError, match="Var"):
        fit_closed_form_1d(np.ones(5), np.arange(5.0))
    bad = x.copy()
    bad[3] = np.nan
    with pytest.raises(DataError, match="row 3, column 0"):
        fit_closed_form_1d(bad, y)
    with pytest.raises(ShapeError, match="10 samples but y has 9"):
        fit_gradient_descent(x, y[:-1])
    with pytest.raises(DataError, match="singular"):
        fit_normal_equations(np.c_[x, 2 * x], y)
    with pytest.raises(ConfigError, match="learning_rate"):
        fit_gradient_descent(x, y, learning_rate=-1.0)
