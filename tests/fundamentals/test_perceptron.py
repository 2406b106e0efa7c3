"""Rosenblatt's rule: convergence within Novikoff's bound on separable data, a clean stop otherwise."""

from __future__ import annotations

import time

import numpy as np
import pytest

from matnn.core.exceptions import ConfigError
from matnn.fundamentals import datasets
from matnn.fundamentals.perceptron import novikoff_bound, perceptron_predict, train_perceptron


@pytest.mark.parametrize("seed", range(5))
def test_converges_on_separable_data_within_novikoff_bound(seed):
    X, y, w_true, b_true = datasets.separable_with_margin(150, margin=0.05, seed=seed)
    res = train_perceptron(X, y, max_epochs=1000, seed=seed)
    assert res.converged
    assert res.accuracy == 1.0
    assert res.mistakes_per_epoch[-1] == 0
    assert res.n_updates == res.mistakes_per_epoch.sum()
    assert res.n_updates <= novikoff_bound(X, y, w_true, b_true)
    np.testing.assert_array_equal(perceptron_predict(X, res.weights, res.bias), y)


def test_learning_rate_only_rescales_weights():
    X, y, _, _ = datasets.separable_with_margin(80, margin=0.05, seed=2)
    a = train_perceptron(X, y, learning_rate=1.0, seed=7)
    b = train_perceptron(X, y, learning_rate=0.1, seed=7)
    assert a.n_updates == b.n_updates and a.epochs == b.epochs
    np.testing.assert_allclose(b.weights, 0.1 * a.weights)


def test_logic_gates():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    for y in (np.array([0, 0, 0, 1.0]), np.array([0, 1, 1, 1.0])):  # AND, OR
        res = train_perceptron(X, y, max_epochs=50)
        assert res.converged and res.accuracy == 1.0


def test_xor_reports_non_convergence_and_stops():
    X, y = datasets.xor()
    t0 = time.perf_counter()
    res = train_perceptron(X, y, max_epochs=500)
    assert time.perf_counter() - t0 < 5.0
    assert not res.converged
    assert res.epochs == 500
    assert res.accuracy < 1.0
    assert np.all(res.mistakes_per_epoch > 0)


def test_novikoff_bound_rejects_non_separator():
    X, y, w, b = datasets.separable_with_margin(30, seed=0)
    assert novikoff_bound(X, y, -w, -b) == float("inf")


def test_bad_parameters():
    X, y = datasets.xor()
    with pytest.raises(ConfigError, match="max_epochs"):
        train_perceptron(X, y, max_epochs=0)
