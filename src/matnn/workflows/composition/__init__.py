"""Composition workflows: formula table → features → model → honest numbers.

* :func:`train_composition_model` — fit on a training CSV, score on a test CSV.
* :func:`cross_validate_composition` — Matbench-style shuffled k-fold CV (mean ± std over folds).
* :func:`depth_study` — test MAE against network depth (ElemNet's Fig. 3) next to a random forest.
* :func:`predict_composition` — predict with a saved model; :func:`featurize_csv` — write a feature table.

The models themselves (registry, estimators, :class:`~matnn.models.composition.ModelSettings`) live
in :mod:`matnn.models.composition`.
"""

from __future__ import annotations

from matnn.workflows.composition.cv import (
    MATBENCH_SPLIT_SEED,
    cross_validate_composition,
    kfold_indices,
    summarize_folds,
)

# Imported eagerly (light imports only): a lazy module __getattr__ returned the *submodule*
# ``depth_study`` instead of the function once the submodule had been imported anywhere.
from matnn.workflows.composition.depth_study import depth_study
from matnn.workflows.composition.featurize import featurize_csv
from matnn.workflows.composition.predict import predict_composition
from matnn.workflows.composition.train import train_composition_model

__all__ = [
    "MATBENCH_SPLIT_SEED",
    "cross_validate_composition",
    "depth_study",
    "featurize_csv",
    "kfold_indices",
    "predict_composition",
    "summarize_folds",
    "train_composition_model",
]
