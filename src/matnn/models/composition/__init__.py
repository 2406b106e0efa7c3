"""Composition models: formula features → property.

* :data:`COMPOSITION_MODELS` — the registry behind ``--model``: names, default feature sets and recipes.
* :func:`make_estimator` / :class:`ModelSettings` / :func:`load_estimator` — fit/predict estimators.
* :func:`build_elemnet` (ElemNet, Jha et al. 2018) and :func:`build_dense_network` (an MLP) — the networks.

The names are imported on first use: reading the registry (the CLI does) imports neither torch's
models nor scikit-learn.
"""

from __future__ import annotations

from matnn.utils.lazy import lazy_exports

_LAZY = {
    "COMPOSITION_MODELS": "matnn.models.composition.registry",
    "ModelSettings": "matnn.models.composition.settings",
    "FEATURE_CHOICES": "matnn.models.composition.settings",
    "make_estimator": "matnn.models.composition.estimators",
    "load_estimator": "matnn.models.composition.estimators",
    "default_features": "matnn.models.composition.estimators",
    "candidate_names": "matnn.models.composition.estimators",
    "NeuralRegressor": "matnn.models.composition.estimators",
    "ElemNetRegressor": "matnn.models.composition.estimators",
    "DenseRegressor": "matnn.models.composition.estimators",
    "ForestRegressor": "matnn.models.composition.estimators",
    "BoostingRegressor": "matnn.models.composition.estimators",
    "AutoSelectRegressor": "matnn.models.composition.estimators",
    "build_elemnet": "matnn.models.composition.elemnet",
    "elemnet_architecture_for_depth": "matnn.models.composition.elemnet",
    "ELEMNET_ARCHITECTURE": "matnn.models.composition.elemnet",
    "build_dense_network": "matnn.models.composition.dense_network",
}

__all__ = list(_LAZY)


__getattr__ = lazy_exports(__name__, _LAZY, globals())
