"""The crystal models by name, with their default recipes: the one place those are written.

``CRYSTAL_MODELS`` holds two families: ``"property"`` networks map a structure to a number
(``matnn crystals train``) and ``"potential"`` networks map it to an energy with forces and stress
(``matnn crystals potential``). The CLI reads its ``--model`` choices, defaults and help text from here;
the workflows read each model's default ``learning_rate`` (and ``weight_decay``) from here. Reading
this module imports no torch: the classes are imported when a model is built.
"""

from __future__ import annotations

from matnn.core.exceptions import unknown_name
from matnn.core.registry import ModelRegistry, ModelSpec

__all__ = ["CRYSTAL_MODELS", "FAMILIES", "crystal_model"]

#: The families, and what a model of each maps a structure to.
FAMILIES = {"property": "a scalar property", "potential": "energy, forces and stress"}

CRYSTAL_MODELS = ModelRegistry("crystals")

CRYSTAL_MODELS.register(
    "cgcnn",
    "matnn.models.crystals.cgcnn:CGCNN",
    summary="crystal graph convolutional network (Xie & Grossman 2018)",
    family="property",
    source="bench/RESULTS.md: weight decay and peak learning rate chosen on the MP formation-energy validation "
    "structures (validation MAE 0.0505 eV/atom with this decay against 0.0553 with 0.05; 0.0499 with this "
    "learning rate against 0.0505 with half of it)",
    learning_rate=4e-3,
    weight_decay=0.01,
)
CRYSTAL_MODELS.register(
    "megnet",
    "matnn.models.crystals.megnet:MEGNet",
    summary="MEGNet-style graph network with a global state (Chen et al. 2019)",
    family="property",
    source="bench/RESULTS.md: the settings its Materials Project benchmark was measured with",
    learning_rate=2e-3,
    weight_decay=1e-5,
)
CRYSTAL_MODELS.register(
    "schnet",
    "matnn.models.crystals.potential:GraphPotential",
    summary="matnn's SchNet-style potential (Schütt et al. 2018)",
    family="potential",
    source="docs/crystals.md: the CuAu EMT potential's figures were measured with it",
    learning_rate=2e-3,
)
CRYSTAL_MODELS.register(
    "mace",
    "matnn.models.crystals.mace:MACEPotential",
    summary="a MACE network from mace-torch, trained from scratch (Batatia et al. 2022)",
    family="potential",
    source="MACE's own default; on 120 CuAu structures, 20 epochs, the validation loss was 1.01 at 2e-3 "
    "and 0.046 at 1e-2",
    learning_rate=1e-2,
)


def crystal_model(name: str, family: str) -> ModelSpec:
    """The spec of the ``family`` model called ``name``; an unknown name (or one of the other family)
    is a :class:`~matnn.core.exceptions.ConfigError` naming the allowed ones and the closest."""
    if family not in FAMILIES:
        raise unknown_name("crystal model family", family, FAMILIES)
    allowed = CRYSTAL_MODELS.names(family)
    if name in CRYSTAL_MODELS and CRYSTAL_MODELS.get(name).family == family:
        return CRYSTAL_MODELS.get(name)
    raise unknown_name(f"crystals {family} model", name, allowed)
