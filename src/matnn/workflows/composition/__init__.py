"""Composition workflows: formula table → features → model → honest numbers.

* :func:`train_composition_model` — fit on a training CSV, score on a test CSV.
* :func:`cross_validate_composition` — Matbench-style shuffled k-fold CV (mean ± std over folds).
* :func:`depth_study` — test MAE against network depth (ElemNet's Fig. 3) next to a random forest.
* :func:`make_estimator` / :class:`ModelSettings` — the models behind ``--model``.
"""

from __future__ import annotations

from matnn.workflows.composition.cv import MATBENCH_SPLIT_SEED, cross_validate_composition, kfold_indices, summarize_folds
# Imported eagerly (light imports only): a lazy module __getattr__ returned the *submodule*
# ``depth_study`` instead of the function once the submodule had been imported anywhere.
from matnn.workflows.composition.depth_study import depth_study
from matnn.data.splits import validation_split
from matnn.workflows.composition.estimators import MODEL_NAMES, ModelSettings, make_estimator
from matnn.workflows.composition.train import train_composition_model

__all__ = [
    "MATBENCH_SPLIT_SEED",
    "MODEL_NAMES",
    "ModelSettings",
    "cross_validate_composition",
    "kfold_indices",
    "make_estimator",
    "summarize_folds",
    "train_composition_model",
    "validation_split",
    "depth_study",
]

