"""Battery cycle-life workflows: prepare → train → analyse.

* :mod:`~matnn.workflows.battery.train` — ``train_and_evaluate`` (``matnn battery train``);
* :mod:`~matnn.workflows.battery.cv` — ``cross_validate`` (``matnn battery cv``);
* :mod:`~matnn.workflows.battery.demo` — ``run_demo`` (``matnn battery demo``).

The models live in :mod:`matnn.models.battery` (registry :data:`~matnn.models.battery.BATTERY_MODELS`,
``ClassicalModel``, ``NeuralModel``, ``NeuralConfig``) and the ΔQ(V) features in
:mod:`matnn.data.battery.features`; their names are importable from here too (imported on first use).
"""

from __future__ import annotations

from matnn.utils.lazy import lazy_exports

_LAZY = {
    "train_and_evaluate": "matnn.workflows.battery.train",
    "cross_validate": "matnn.workflows.battery.cv",
    "run_demo": "matnn.workflows.battery.demo",
    "BATTERY_MODELS": "matnn.models.battery",
    "DEFAULT_MODEL": "matnn.models.battery",
    "make_model": "matnn.models.battery",
    "ClassicalModel": "matnn.models.battery",
    "NeuralModel": "matnn.models.battery",
    "NeuralConfig": "matnn.models.battery",
    "default_config": "matnn.models.battery",
}

__all__ = list(_LAZY)


__getattr__ = lazy_exports(__name__, _LAZY, globals())
