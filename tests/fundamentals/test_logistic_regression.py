"""Glass-box logistic regression: its gradient, its optimum (= scikit-learn's) and its limits."""

from __future__ import annotations

import numpy as np
import pytest

from matnn.core.exceptions import DataError
from matnn.fundamentals import datasets
from matnn.fundamentals.logistic_regression import fit_logistic_gd, log_loss, predict_proba, sklearn_unregularised


def test_log_loss_matches_sklearn():
    from sklearn.metrics import log_loss as sk_log_loss

    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, 50)
    y = (rng.uniform(size=50) < 0.5).astype(float)
    assert log_loss(y, z) == pytest.approx(sk_log_loss(y, 1 / (1 + np.exp(-z))), rel=1e-10)
    # Confidently wrong costs a large but finite amount.
    assert np.isfinite(log_loss(np.array([1.0]), np.array([-800.0])))


def test_gradient_formula_matches_finite_differences():
    X, y = datasets.two_blobs(40, separation=1.5, seed=1)
    res = fit_logistic_gd(X, y, max_epochs=3)  # some non-optimal point
    theta = np.append(res.weights, res.bias)
    A = np.c_[X, np.ones(len(y))]
    p = predict_proba(X, res.weights, res.bias)
    grad = A.T @ (p - y) / len(y)
    h = 1e-6
    num = [(log_loss(y, A @ (theta + h * e)) - log_loss(y, A @ (theta - h * e))) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(grad, num, atol=1e-8)


@pytest.mark.parametrize("seed", [0, 4])
def test_gradient_descent_equals_sklearn_unregularised(seed):
    X, y = datasets.two_blobs(200, separation=2.0, seed=seed)
    res = fit_logistic_gd(X, y)
    sk = sklearn_unregularised(X, y)
    assert res.converged
    np.testing.assert_allclose(res.weights, sk.coef_[0], atol=1e-5)
    assert res.bias == pytest.approx(sk.intercept_[0], abs=1e-5)
    # The loss decreases monotonically with the step 1/L (L bounds the curvature).
    assert np.all(np.diff(res.loss_history) <= 1e-12)


def test_separable_data_weights_keep_growing():
    X, y, _, _ = datasets.separable_with_margin(60, margin=0.2, seed=0)
    short = fit_logistic_gd(X, y, max_epochs=200)
    long = fit_logistic_gd(X, y, max_epochs=2000)
    assert not long.converged
    assert np.linalg.norm(long.weights) > 1.5 * np.linalg.norm(short.weights)
    assert np.mean((predict_proba(X, long.weights, long.bias) >= 0.5) == y) == 1.0


def test_labels_must_be_binary():
    X, y = datasets.two_blobs(10)
    with pytest.raises(DataError, match="labels 0 or 1.*row 2"):
        fit_logistic_gd(X, np.where(np.arange(10) == 2, 2.0, y))
