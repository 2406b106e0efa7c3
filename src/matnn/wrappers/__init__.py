"""Adapters to other ecosystems: scikit-learn estimators wrapping matnn models."""

from matnn.wrappers.sklearn import NeuralNetClassifier, NeuralNetRegressor

__all__ = ["NeuralNetRegressor", "NeuralNetClassifier"]
