"""``Activation`` and ``Dropout``: element-wise layers that ignore the channel layout."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from matnn.core import activations
from matnn.core.exceptions import ConfigError
from matnn.core.layers.base import Layer
from matnn.core.registry import register_serializable

__all__ = ["Activation", "Dropout"]


@register_serializable("matnn>Activation")
class Activation(Layer):
    """Apply an activation function, e.g. ``Activation("softmax", temperature=2.0)``.

    Extra keyword arguments that the activation takes (``temperature``, ``negative_slope``,
    ``alpha``, ``axis``) are bound to it.
    """

    layout_agnostic = True

    def __init__(self, activation: Any, *, name: str | None = None, input_shape: Any = None,
                 trainable: bool = True, **activation_kwargs: Any) -> None:
        super().__init__(name=name, input_shape=input_shape, trainable=trainable)
        self.activation_kwargs = activation_kwargs
        self.activation_spec = activations.serialize(activation)
        self.fn = activations.get(activation, **activation_kwargs)
        # softmax over the channel axis is not layout-agnostic
        if self.activation_spec in ("softmax",) or isinstance(self.activation_spec, dict):
            self.layout_agnostic = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)

    def forward_cf(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg["activation"] = self.activation_spec
        cfg.update(self.activation_kwargs)
        return cfg


@register_serializable("matnn>Dropout")
class Dropout(Layer):
    """Randomly zero a fraction ``rate`` of inputs during training (scaled by 1/(1−rate)).

    ``rate`` is the *drop* probability (Keras convention); TensorFlow 1 code such as ElemNet's passes
    the keep probability ``1 − rate``.  With ``monte_carlo=True`` the layer keeps dropping at
    inference too (Monte Carlo dropout, Gal & Ghahramani 2016): every prediction is one sample of the
    trained noisy network, and averaging several gives the MC-dropout estimate.  ElemNet's reference
    code evaluates this way.
    """

    layout_agnostic = True

    def __init__(self, rate: float, *, monte_carlo: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate < 1.0:
            raise ConfigError(f"The 'rate' parameter of Dropout must be a number in [0, 1). Got {rate!r} instead.")
        self.rate = float(rate)
        self.monte_carlo = bool(monte_carlo)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.dropout(x, self.rate, self.training or self.monte_carlo) if self.rate > 0 else x

    forward_cf = forward

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg["rate"] = self.rate
        if self.monte_carlo:
            cfg["monte_carlo"] = True
        return cfg
