"""Every area's model registry, by area name: the one index of what ``--model`` accepts anywhere.

Each area keeps its own registry in ``matnn/models/<area>/registry.py``; this module only finds them, so
a docs table or a test can walk all models without knowing where each area lives.
"""

from __future__ import annotations

import importlib

from matnn.core.exceptions import unknown_name
from matnn.core.registry import ModelRegistry

__all__ = ["AREA_REGISTRIES", "model_registry", "all_registries"]

#: area → "module:attribute" of its registry.
AREA_REGISTRIES: dict[str, str] = {
    "battery": "matnn.models.battery.registry:BATTERY_MODELS",
    "composition": "matnn.models.composition.registry:COMPOSITION_MODELS",
    "images": "matnn.models.images.registry:IMAGE_MODELS",
    "microstructure": "matnn.models.microstructure.registry:MICROSTRUCTURE_MODELS",
    "crystals": "matnn.models.crystals.registry:CRYSTAL_MODELS",
}


def model_registry(area: str) -> ModelRegistry:
    """The :class:`~matnn.core.registry.ModelRegistry` of ``area`` (``"battery"``, ``"crystals"``, ...)."""
    if area not in AREA_REGISTRIES:
        raise unknown_name("area", area, AREA_REGISTRIES)
    module, _, attr = AREA_REGISTRIES[area].partition(":")
    return getattr(importlib.import_module(module), attr)


def all_registries() -> dict[str, ModelRegistry]:
    """Every area's registry, keyed by area."""
    return {area: model_registry(area) for area in AREA_REGISTRIES}
