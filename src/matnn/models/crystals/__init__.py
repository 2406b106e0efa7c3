"""Graph neural networks for crystals: CGCNN, a MEGNet-style network and message-passing potentials
(SchNet-style, or MACE when ``mace-torch`` is installed), and their registry
(:data:`matnn.models.crystals.registry.CRYSTAL_MODELS`: names, summaries and default recipes).

Plain-PyTorch scatter operations (:mod:`matnn.models.crystals.scatter`) do the message passing; the
models are :class:`matnn.Model` subclasses that ``fit``/``evaluate``/``save``/``load`` like any other
(feed them a ``DataLoader`` from :func:`matnn.data.crystals.dataset.graph_loader`).

The classes below are imported on first use, so that reading the registry (the CLI does, to list
model names and defaults) does not import torch.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "CGCNN": "matnn.models.crystals.cgcnn",
    "MEGNet": "matnn.models.crystals.megnet",
    "Set2Set": "matnn.models.crystals.megnet",
    "GraphPotential": "matnn.models.crystals.potential",
    "InteratomicPotential": "matnn.models.crystals.potential",
    "MACEPotential": "matnn.models.crystals.mace",
}

__all__ = ["CGCNN", "CRYSTAL_MODELS", "GraphPotential", "InteratomicPotential", "MACEPotential", "MEGNet", "Set2Set"]


def __getattr__(name: str):
    if name == "CRYSTAL_MODELS":
        from matnn.models.crystals.registry import CRYSTAL_MODELS

        return CRYSTAL_MODELS
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'matnn.models.crystals' has no attribute {name!r}")
