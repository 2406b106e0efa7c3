"""Models: the Model base class (compile/fit/evaluate/predict/save), Sequential and the functional form,
and one folder per area holding that area's architectures, estimators and model registry.

The names below are imported on first use, so that reading an area's registry (the CLI does, to list
model names and defaults) does not import torch.
"""

from __future__ import annotations

from matnn.utils.lazy import lazy_exports

_LAZY = {
    "Model": "matnn.models.model",
    "Sequential": "matnn.models.sequential",
    "Functional": "matnn.models.functional",
    "predict_monte_carlo": "matnn.models.monte_carlo",
    "load_model": "matnn.models.saving",
    "save_model": "matnn.models.saving",
    "save_weights": "matnn.models.saving",
    "load_weights": "matnn.models.saving",
}

__all__ = list(_LAZY)


__getattr__ = lazy_exports(__name__, _LAZY, globals())
