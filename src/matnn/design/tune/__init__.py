"""Hyperparameter search with Optuna: search spaces, samplers (SAC included), pruning, storage.

Pure Optuna parts only; running a matnn command per trial lives in :mod:`matnn.cli.tune`.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Param",
    "PruningCallback",
    "SACSampler",
    "TuneSettings",
    "make_pruner",
    "make_sampler",
    "make_storage",
    "parse_space",
    "parse_tune_block",
    "report_to_trial",
    "run_worker",
    "suggest",
]

_WHERE = {
    "Param": "space",
    "TuneSettings": "space",
    "parse_space": "space",
    "parse_tune_block": "space",
    "suggest": "space",
    "make_sampler": "samplers",
    "make_pruner": "samplers",
    "PruningCallback": "pruning",
    "report_to_trial": "pruning",
    "make_storage": "storage",
    "run_worker": "storage",
    "SACSampler": "sac",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"matnn.design.tune.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'matnn.design.tune' has no attribute {name!r}")
