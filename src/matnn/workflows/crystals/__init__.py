"""Crystal workflows: property models on structure files, and interatomic potentials trained from scratch.

* :func:`train_property_model` — CGCNN / MEGNet-style network on a structure file with a target.
* :func:`evaluate_ensemble` — average runs made on one split (a deep ensemble), scored on validation and test.
* :func:`train_potential` — EMT data → GraphPotential (energy + forces) → held-out errors → MD drift.
* :func:`predict_property` — a trained property model's predictions for new structures.

The model names and their default recipes live in :data:`matnn.models.crystals.registry.CRYSTAL_MODELS`.
"""

from __future__ import annotations

from matnn.workflows.crystals.ensemble import EnsembleRun, evaluate_ensemble
from matnn.workflows.crystals.potential import PotentialRun, evaluate_potential, md_energy_drift, train_potential
from matnn.workflows.crystals.predict import PredictionRun, predict_property
from matnn.workflows.crystals.train import PropertyRun, build_property_model, train_property_model

__all__ = [
    "train_property_model",
    "PropertyRun",
    "build_property_model",
    "evaluate_ensemble",
    "EnsembleRun",
    "train_potential",
    "PotentialRun",
    "evaluate_potential",
    "md_energy_drift",
    "predict_property",
    "PredictionRun",
]
