"""``Activation`` and ``Dropout``: element-wise layers that ignore the channel layout."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from matnn.core import activations
from matnn.core.exceptions import ConfigError, ShapeError
from matnn.core.layers.base import Layer
from matnn.core.registry import register_serializable

__all__ = ["Activation", "Dropout", "LeakyReLU", "Lambda"]

#: keywords of the activation functions themselves, bound by ``Activation(name, **kwargs)``
_ACTIVATION_KEYWORDS = ("temperature", "negative_slope", "alpha", "axis")


@register_serializable("matnn>Activation")
class Activation(Layer):
    """Apply an activation function, e.g. ``Activation("softmax", temperature=2.0)``.

    Extra keyword arguments that the activation takes (``temperature``, ``negative_slope``,
    ``alpha``, ``axis``) are bound to it.
    """

    layout_agnostic = True

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        activation_kwargs = {k: kwargs.pop(k) for k in _ACTIVATION_KEYWORDS if k in kwargs}
        super().__init__(**kwargs)
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

    def __init__(
        self, rate: float, noise_shape: Any = None, seed: int | None = None, *, monte_carlo: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate < 1.0:
            raise ConfigError(f"The 'rate' parameter of Dropout must be a number in [0, 1). Got {rate!r} instead.")
        if noise_shape is not None:
            if not isinstance(noise_shape, (tuple, list)) or not all(
                d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 1) for d in noise_shape
            ):
                raise ConfigError(
                    f"'noise_shape' of Dropout must be None or a tuple of positive ints/None "
                    f"(batch axis included); got {noise_shape!r}"
                )
            noise_shape = tuple(noise_shape)
            self.layout_agnostic = False  # the mask's axes refer to the channels-last layout
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ConfigError(f"'seed' of Dropout must be None or an int; got {seed!r}")
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed
        self.monte_carlo = bool(monte_carlo)
        self._generator: torch.Generator | None = None

    def _mask_generator(self, device: torch.device) -> torch.Generator | None:
        # A seeded layer draws its masks from its own stream, so its sequence of masks is reproducible.
        if self.seed is None:
            return None
        if self._generator is None or self._generator.device != device:
            self._generator = torch.Generator(device=device)
            self._generator.manual_seed(self.seed)
        return self._generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.rate == 0 or not (self.training or self.monte_carlo):
            return x
        if self.noise_shape is None and self.seed is None:
            return F.dropout(x, self.rate, True)
        shape = (
            tuple(x.shape)
            if self.noise_shape is None
            else tuple(x.shape[i] if d is None else d for i, d in enumerate(self.noise_shape))
        )
        if len(shape) != x.dim():
            raise ShapeError(
                f"Dropout noise_shape {self.noise_shape} has {len(shape)} axes but the input has {x.dim()} "
                f"(shape {tuple(x.shape)})."
            )
        keep = torch.rand(shape, generator=self._mask_generator(x.device), device=x.device, dtype=x.dtype) >= self.rate
        return x * keep.to(x.dtype) / (1.0 - self.rate)

    def forward_cf(self, x: torch.Tensor) -> torch.Tensor:
        if self.noise_shape is None:
            return self.forward(x)
        return self.forward(x.movedim(1, -1)).movedim(-1, 1)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg["rate"] = self.rate
        if self.noise_shape is not None:
            cfg["noise_shape"] = list(self.noise_shape)
        if self.seed is not None:
            cfg["seed"] = self.seed
        if self.monte_carlo:
            cfg["monte_carlo"] = True
        return cfg


@register_serializable("matnn>LeakyReLU")
class LeakyReLU(Layer):
    """σ(z) = z for z ≥ 0, ``negative_slope``·z otherwise (Keras's layer default slope 0.3)."""

    layout_agnostic = True

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)) or negative_slope < 0:
            raise ConfigError(f"'negative_slope' of LeakyReLU must be a float in [0, inf); got {negative_slope!r}")
        self.negative_slope = float(negative_slope)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(x, self.negative_slope)

    forward_cf = forward

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg["negative_slope"] = self.negative_slope
        return cfg


@register_serializable("matnn>Lambda")
class Lambda(Layer):
    """Wrap a function of a tensor as a layer: ``Lambda(lambda x: x ** 2)``.

    The function receives channels-last torch tensors (batch first). ``output_shape`` (no batch
    dimension, or a function of the input shape) is needed only when the function changes the shape
    and a later layer must know it before seeing data; otherwise the shape is found by calling the
    function on a zero batch of one sample. ``arguments`` are extra keyword arguments of the function.
    A Lambda layer holds code, so a model containing one is saved with its weights but rebuilt from
    the script (pass it in ``custom_objects`` when loading).
    """

    def __init__(
        self, function: Any, output_shape: Any = None, arguments: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise ConfigError(f"'function' of Lambda must be callable; got {function!r}")
        if arguments is not None and not isinstance(arguments, dict):
            raise ConfigError(f"'arguments' of Lambda must be None or a dict; got {arguments!r}")
        self.function = function
        self.output_shape_arg = output_shape
        self.arguments = dict(arguments or {})

    def compute_output_shape(self, input_shape: Any) -> Any:
        if callable(self.output_shape_arg):
            return tuple(self.output_shape_arg(input_shape))
        if self.output_shape_arg is not None:
            return tuple(self.output_shape_arg)
        if isinstance(input_shape, tuple) and all(d is not None for d in input_shape):
            with torch.no_grad():
                out = self.function(torch.zeros((1, *input_shape)), **self.arguments)
            return tuple(out.shape[1:])
        return input_shape

    def forward(self, x: Any) -> Any:
        return self.function(x, **self.arguments)

    def get_config(self) -> dict[str, Any]:
        fn = self.function
        module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "<lambda>")
        if module is None or "<" in qualname or callable(self.output_shape_arg):
            raise ConfigError(
                "A Lambda layer holding an anonymous function (lambda) cannot be saved as an architecture; "
                "use a named module-level function, or save the weights and rebuild the model from the script."
            )
        cfg = super().get_config()
        cfg["function"] = f"{module}:{qualname}"
        if self.output_shape_arg is not None:
            cfg["output_shape"] = list(self.output_shape_arg)
        if self.arguments:
            cfg["arguments"] = self.arguments
        return cfg

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Lambda:
        import sys

        config = dict(config)
        module, _, qualname = str(config.pop("function")).partition(":")
        # Only a module the program has already imported: loading a file never imports code.
        obj: Any = sys.modules.get(module)
        if obj is None:
            raise ConfigError(f"Lambda layer: import {module!r} (which defines {qualname!r}) before loading the model.")
        for part in qualname.split("."):
            obj = getattr(obj, part)
        return cls(obj, **config)
