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

from collections.abc import Mapping
from typing import Any

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
    "network_options": "matnn.models.battery.networks",
    "inverse_frequency_weights": "matnn.models.battery.networks",
    "build_tutorial_cnn": "matnn.models.battery.architectures",
    "build_dq_net": "matnn.models.battery.architectures",
    "build_full_delta_q_cnn": "matnn.models.battery.architectures",
    "SoftClip": "matnn.models.battery.architectures",
}

__all__ = ["BATTERY_MODELS", "DEFAULT_MODEL", "make_model", "check_model_options", *_LAZY]


def check_model_options(name: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``--model-option KEY=VALUE`` settings of battery model ``name``, checked and typed.

    A network's options are the fields of its training recipe
    (:func:`~matnn.models.battery.networks.network_options`: ``epochs``, ``learning_rate``, ``ensemble`` ...);
    a classical model's recipe is fixed (its hyper-parameters are chosen by inner cross-validation),
    so it takes none. Raises a one-line :class:`~matnn.core.exceptions.ConfigError` otherwise.
    """
    from matnn.core.exceptions import ConfigError

    spec = BATTERY_MODELS.get(name)
    options = dict(options or {})
    if spec.family == "network":
        from matnn.models.battery.networks import network_options

        return network_options(spec.name, options)
    if options:
        raise ConfigError(
            f"The battery model {spec.name!r} takes no model options (its hyper-parameters are chosen by "
            f"inner cross-validation); got {', '.join(sorted(options))}. "
            f"Networks with options: {', '.join(BATTERY_MODELS.names('network'))}."
        )
    return {}


def make_model(name: str, seed: int = 0, options: Mapping[str, Any] | None = None) -> Any:
    """A fresh, unfitted battery model called ``name`` (any of ``BATTERY_MODELS.names()``).

    Returns a :class:`ClassicalModel` or a :class:`NeuralModel` with its registered recipe, changed by
    ``options`` (:func:`check_model_options`).
    """
    spec = BATTERY_MODELS.get(name)
    options = check_model_options(spec.name, options)
    if options:
        from matnn.models.battery.networks import config_with_options

        return spec.build(seed=seed, config=config_with_options(spec.name, options))
    return spec.build(seed=seed)


__getattr__ = lazy_exports(__name__, _LAZY, globals())
