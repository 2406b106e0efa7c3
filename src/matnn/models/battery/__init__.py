"""Battery cycle-life models: the registry, the classical baselines, the networks and their architectures.

* :mod:`~matnn.models.battery.registry` — :data:`BATTERY_MODELS` (every model, its source and
  default recipe) and :data:`DEFAULT_MODEL`;
* :mod:`~matnn.models.battery.classical` — :class:`ClassicalModel` (variance, discharge, elastic net,
  ridge, PLSR, PCR);
* :mod:`~matnn.models.battery.networks` — :class:`NeuralModel`, :class:`NeuralConfig` (cnn, dqnet,
  fullcnn) and their inputs;
* :mod:`~matnn.models.battery.architectures` — the network builders and :class:`SoftClip`.

Names are imported on first use, so reading the registry imports neither torch nor scikit-learn.
"""

from __future__ import annotations

from matnn.models.battery.registry import BATTERY_MODELS, DEFAULT_MODEL
from matnn.utils.lazy import lazy_exports

_LAZY = {
    "ClassicalModel": "matnn.models.battery.classical",
    "make_classical": "matnn.models.battery.classical",
    "classical_spec": "matnn.models.battery.classical",
    "NeuralConfig": "matnn.models.battery.networks",
    "NeuralModel": "matnn.models.battery.networks",
    "default_config": "matnn.models.battery.networks",
    "network_spec": "matnn.models.battery.networks",
    "network_inputs": "matnn.models.battery.networks",
    "inverse_frequency_weights": "matnn.models.battery.networks",
    "build_tutorial_cnn": "matnn.models.battery.architectures",
    "build_dq_net": "matnn.models.battery.architectures",
    "build_full_delta_q_cnn": "matnn.models.battery.architectures",
    "SoftClip": "matnn.models.battery.architectures",
}

__all__ = ["BATTERY_MODELS", "DEFAULT_MODEL", "make_model", *_LAZY]


def make_model(name: str, seed: int = 0):
    """A fresh, unfitted battery model called ``name`` (any of ``BATTERY_MODELS.names()``).

    Returns a :class:`ClassicalModel` or a :class:`NeuralModel` with its registered recipe.
    """
    return BATTERY_MODELS.build(name, seed=seed)


__getattr__ = lazy_exports(__name__, _LAZY, globals())
