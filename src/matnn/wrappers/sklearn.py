"""scikit-learn estimators around a model-building function.

``NeuralNetRegressor`` and ``NeuralNetClassifier`` follow scikit-learn's contract (constructor only
stores, ``fit`` returns ``self``, learned state ends in ``_``), so a matnn network drops into
``Pipeline``, ``GridSearchCV`` and ``cross_val_score``.

The ``build_fn`` receives ``n_features``, ``n_outputs`` (classes for the classifier) and the entries of
``build_params``, and returns a matnn model: compiled (then its own optimizer and loss are used) or
not (then ``optimizer``, ``learning_rate`` and ``loss`` are applied). Grid-search its arguments as
``build__<name>``::

    def build(n_features, n_outputs, units=32):
        return Sequential([Dense(units, activation="relu", input_shape=(n_features,)), Dense(n_outputs)])

    search = GridSearchCV(NeuralNetRegressor(build, epochs=50), {"build__units": [16, 64]})
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from matnn.core.exceptions import ConfigError

__all__ = ["NeuralNetRegressor", "NeuralNetClassifier", "default_mlp"]


def default_mlp(
    n_features: int,
    n_outputs: int,
    hidden_layer_sizes: Sequence[int] = (64, 64),
    activation: str = "relu",
    output_activation: str | None = None,
) -> Any:
    """The network used when no ``build_fn`` is given: Dense layers with ReLU."""
    from matnn.core.layers import Dense
    from matnn.models.sequential import Sequential

    model = Sequential()
    for i, units in enumerate(hidden_layer_sizes):
        model.add(Dense(int(units), activation=activation, **({"input_shape": (n_features,)} if i == 0 else {})))
    model.add(
        Dense(n_outputs, activation=output_activation, **({} if hidden_layer_sizes else {"input_shape": (n_features,)}))
    )
    return model


class _NeuralNetBase(BaseEstimator):
    _default_loss = "mse"

    def __init__(
        self,
        build_fn: Callable[..., Any] | None = None,
        *,
        build_params: dict[str, Any] | None = None,
        optimizer: str = "adam",
        learning_rate: float = 1e-3,
        loss: Any = None,
        epochs: int = 100,
        batch_size: int = 32,
        validation_split: float = 0.0,
        callbacks: list | None = None,
        verbose: int = 0,
        random_state: int | None = None,
        device: str | None = None,
    ) -> None:
        self.build_fn = build_fn
        self.build_params = build_params
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.loss = loss
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.callbacks = callbacks
        self.verbose = verbose
        self.random_state = random_state
        self.device = device

    # ``build__units=...`` routes to build_params, so GridSearchCV can search the architecture.
    def set_params(self, **params: Any) -> _NeuralNetBase:
        routed = {k[len("build__") :]: v for k, v in params.items() if k.startswith("build__")}
        rest = {k: v for k, v in params.items() if not k.startswith("build__")}
        if routed:
            merged = dict(self.build_params) if isinstance(self.build_params, dict) else {}
            merged.update(routed)
            rest["build_params"] = merged
        return super().set_params(**rest)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        params = super().get_params(deep=False)
        if deep and isinstance(self.build_params, dict):
            for k, v in self.build_params.items():
                params[f"build__{k}"] = v
        return params

    def _build(self, n_features: int, n_outputs: int) -> Any:
        from matnn.core import optimizers

        fn = self.build_fn or self._default_build
        model = fn(n_features, n_outputs, **(self.build_params or {}))
        if not getattr(model, "compiled", False):
            opt = (
                optimizers.get(self.optimizer)
                if not isinstance(self.optimizer, str)
                else optimizers.get(self.optimizer, learning_rate=self.learning_rate)
            )
            model.compile(optimizer=opt, loss=self.loss or self._default_loss)
        return model

    def _default_build(self, n_features: int, n_outputs: int, **kwargs: Any) -> Any:
        return default_mlp(n_features, n_outputs, **kwargs)

    def _fit(self, X: np.ndarray, y: np.ndarray, n_outputs: int, sample_weight: Any) -> None:
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float32)
            if not sample_weight.sum() > 0:
                raise ValueError("sample_weight sums to zero: at least one sample needs a positive weight.")
        with torch.random.fork_rng(devices=[]):
            if self.random_state is not None:
                torch.manual_seed(int(self.random_state))
            self.model_ = self._build(X.shape[1], n_outputs)
            history = self.model_.fit(
                X,
                y,
                epochs=self.epochs,
                batch_size=min(self.batch_size, len(X)),
                validation_split=self.validation_split,
                sample_weight=sample_weight,
                callbacks=copy.deepcopy(self.callbacks) if self.callbacks else None,
                verbose=self.verbose,
                device=self.device,
            )
        self.history_ = history.history

    def _forward(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=np.float32)
        # scikit-learn works in float64; the network computes in float32
        return np.asarray(self.model_.predict(X, device=self.device), dtype=np.float64)

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


class NeuralNetRegressor(RegressorMixin, _NeuralNetBase):
    """A matnn network as a scikit-learn regressor (single or multi-output).

    Parameters
    ----------
    build_fn : callable, optional
        ``build_fn(n_features, n_outputs, **build_params)`` → matnn model; default: Dense 64-64-ReLU.
    build_params : dict, optional
    optimizer, learning_rate, loss : optimizer name/object, float, loss name
        Used when ``build_fn`` returns an uncompiled model (default ``"adam"``, 1e-3, ``"mse"``).
    epochs, batch_size, validation_split, callbacks, verbose : as in ``Model.fit``
    random_state : int, optional
        Seeds weight initialisation, dropout and shuffling (same seed → same predictions on CPU).
    device : str, optional

    Attributes
    ----------
    model_ : matnn.Model
    history_ : dict of per-epoch lists
    n_features_in_ : int
    n_outputs_ : int
    """

    _default_loss = "mse"

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> NeuralNetRegressor:
        X, y = validate_data(self, X, y, dtype=np.float32, multi_output=True, y_numeric=True)
        y = np.asarray(y, dtype=np.float32)
        self._y_1d = y.ndim == 1
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        self._fit(X, y if y.ndim > 1 else y.reshape(-1, 1), self.n_outputs_, sample_weight)
        return self

    def predict(self, X: Any) -> np.ndarray:
        out = self._forward(X)
        return out.ravel() if self._y_1d else out


class NeuralNetClassifier(ClassifierMixin, _NeuralNetBase):
    """A matnn network as a scikit-learn classifier.

    The network returned by ``build_fn(n_features, n_classes, **build_params)`` must output class
    probabilities of shape ``(n, n_classes)`` (a softmax last layer, as in Keras); the default loss is
    ``"sparse_categorical_crossentropy"`` on the encoded labels. Default network: Dense 64-64-ReLU +
    softmax.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    model_, history_, n_features_in_ : as in :class:`NeuralNetRegressor`
    """

    _default_loss = "sparse_categorical_crossentropy"

    def _default_build(self, n_features: int, n_outputs: int, **kwargs: Any) -> Any:
        kwargs.setdefault("output_activation", "softmax")
        return default_mlp(n_features, n_outputs, **kwargs)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> NeuralNetClassifier:
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self._encoder = LabelEncoder().fit(y)
        self.classes_ = self._encoder.classes_
        if len(self.classes_) < 2:
            raise ConfigError(
                f"NeuralNetClassifier needs at least two classes; y has only one class: {self.classes_.tolist()}."
            )
        codes = self._encoder.transform(y).astype(np.int64)
        self._fit(X, codes, len(self.classes_), sample_weight)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        p = self._forward(X)
        if p.shape[1] != len(self.classes_):
            raise ConfigError(
                f"The network outputs {p.shape[1]} values per sample but there are {len(self.classes_)} classes."
            )
        return p

    def predict(self, X: Any) -> np.ndarray:
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
