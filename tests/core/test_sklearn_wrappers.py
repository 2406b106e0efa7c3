"""The scikit-learn wrappers pass scikit-learn's estimator checks and work in Pipeline/GridSearchCV."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_regression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import matnn
from matnn.layers import Dense
from matnn.wrappers import NeuralNetClassifier, NeuralNetRegressor

# Checks that cannot apply to a float32 network trained by minibatch SGD.
NOT_APPLICABLE = {
    # shuffled minibatches with a weight of 2 are not the same optimisation path as a repeated row
    "check_sample_weight_equivalence_on_dense_data": "stochastic minibatch training: weights differ from repeated rows",
}
NOT_APPLICABLE_REGRESSOR = {
    **NOT_APPLICABLE,
    # float32 BLAS sums in an order that depends on the batch size: predictions differ by ~1e-7 (atol is 1e-7)
    "check_methods_subset_invariance": "float32 matrix products differ at 1e-7 between batch sizes",
}


@parametrize_with_checks(
    [NeuralNetRegressor(epochs=30, random_state=0), NeuralNetClassifier(epochs=30, random_state=0)],
    expected_failed_checks=lambda est: (
        NOT_APPLICABLE_REGRESSOR if isinstance(est, NeuralNetRegressor) else NOT_APPLICABLE
    ),
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def build(n_features: int, n_outputs: int, units: int = 16) -> matnn.Sequential:
    return matnn.Sequential([Dense(units, activation="relu", input_shape=(n_features,)), Dense(n_outputs)])


def test_regressor_in_pipeline_and_grid_search():
    X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    y = y / y.std()
    pipe = make_pipeline(StandardScaler(), NeuralNetRegressor(build, epochs=60, learning_rate=1e-2, random_state=0))
    search = GridSearchCV(pipe, {"neuralnetregressor__build__units": [2, 32]}, cv=3)
    search.fit(X, y)
    assert search.best_params_["neuralnetregressor__build__units"] == 32
    assert search.best_score_ > 0.9


def test_classifier_cross_validation_on_iris():
    X, y = load_iris(return_X_y=True)
    clf = make_pipeline(StandardScaler(), NeuralNetClassifier(epochs=60, learning_rate=1e-2, random_state=0))
    scores = cross_val_score(clf, X, y, cv=3)
    assert scores.mean() > 0.9


def test_random_state_makes_fit_reproducible():
    X, y = make_regression(n_samples=80, n_features=3, random_state=1)
    a = NeuralNetRegressor(epochs=5, random_state=3).fit(X, y).predict(X)
    b = NeuralNetRegressor(epochs=5, random_state=3).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)


def test_classifier_string_labels_and_probabilities():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = NeuralNetClassifier(epochs=5, random_state=0).fit(X, names)
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)
    assert set(clf.predict(X)) <= set(names)


def test_one_class_is_a_clear_error():
    with pytest.raises(ValueError, match="one class"):
        NeuralNetClassifier(epochs=1).fit(np.zeros((5, 2)), np.ones(5))
