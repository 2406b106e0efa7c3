"""``Sequential``: a plain stack of layers, each feeding the next.

Internally the stack runs convolution, pooling and batch-norm layers channels-first (torch's native
layout) and converts between layouts only where a channels-last layer (``Dense``, ``Flatten``,
``Reshape``) needs it, so a CNN declared channels-last as in Keras pays for one transpose, not one
per layer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from matnn.core.exceptions import ConfigError
from matnn.core.layers.base import Layer, SymbolicTensor, to_shape
from matnn.core.layers.input_layer import InputLayer
from matnn.core.registry import deserialize, register_serializable, serialize
from matnn.models.model import _SHAPE_WORDS, Model, shape_error, unique_layer_name

__all__ = ["Sequential", "unique_layer_name"]


def _hooked(layer: nn.Module) -> bool:
    return bool(
        layer._forward_hooks
        or layer._forward_pre_hooks
        or not isinstance(layer, Layer)
        or nn.modules.module._global_forward_hooks
        or nn.modules.module._global_forward_pre_hooks
    )


@register_serializable("matnn>Sequential")
class Sequential(Model):
    """A linear stack of layers.

    Parameters
    ----------
    layers : list of Layer, optional
        The first may carry ``input_shape=`` (or be an ``Input``), which builds the model at once;
        otherwise the weights are created on the first batch.
    name : str, optional

    Example
    -------
    >>> from matnn.layers import Conv2D, Dropout, Flatten, Dense
    >>> model = Sequential()
    >>> model.add(Conv2D(64, kernel_size=3, activation="relu", input_shape=(28, 28, 1)))
    >>> model.add(Conv2D(32, kernel_size=3, activation="relu"))
    >>> model.add(Dropout(0.5))
    >>> model.add(Flatten())
    >>> model.add(Dense(10, activation="softmax"))
    >>> model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    """

    def __init__(self, layers: Iterable[Any] | None = None, name: str | None = None) -> None:
        super().__init__(name=name or "sequential")
        self._stack = nn.ModuleDict()
        self.input_shape_: tuple | None = None
        self.output_shape_: tuple | None = None
        self._plan: list[tuple[str, Any]] = []
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list[nn.Module]:
        return list(self._stack.values())

    def add(self, layer: Any) -> None:
        """Append a layer (or an ``Input`` to declare the input shape)."""
        if isinstance(layer, SymbolicTensor):
            if not isinstance(layer.layer, InputLayer) or len(self._stack):
                raise ConfigError("Sequential accepts an Input only as its first element.")
            self.build(layer.shape)
            return
        if isinstance(layer, InputLayer):
            if len(self._stack):
                raise ConfigError("Sequential accepts an InputLayer only as its first element.")
            self.build(layer.shape)
            return
        if not isinstance(layer, nn.Module):
            raise ConfigError(f"Sequential.add() takes a layer (a torch.nn.Module). Got {layer!r}.")
        if (
            isinstance(layer, Layer)
            and layer._input_shape_arg is not None
            and len(self._stack)
            and self.input_shape_ is None
        ):
            raise ConfigError(
                f"input_shape was given to layer '{layer.name or type(layer).__name__}', which is not the first layer."
            )
        name = unique_layer_name(layer, set(self._stack.keys()))
        if isinstance(layer, Layer):
            layer.name = name
        self._stack[name] = layer
        if self.input_shape_ is not None:
            self.build(self.input_shape_)
        elif len(self._stack) == 1 and isinstance(layer, Layer) and layer._input_shape_arg is not None:
            self.build(layer._input_shape_arg)

    def pop(self) -> nn.Module:
        """Remove and return the last layer."""
        if not len(self._stack):
            raise ConfigError("Sequential.pop() on an empty model.")
        name = list(self._stack.keys())[-1]
        layer = self._stack[name]
        del self._stack[name]
        if self.input_shape_ is not None and len(self._stack):
            self.build(self.input_shape_)
        return layer

    # ------------------------------------------------------------------ building
    def build(self, input_shape: Any) -> None:
        """Create every layer's weights for samples of ``input_shape`` (channels-last, no batch dim)."""
        shape = to_shape(input_shape)
        self.input_shape_ = shape
        current: Any = shape
        shapes = []
        for layer in self._stack.values():
            if isinstance(layer, Layer):
                current = layer.build_for(current)
            else:  # a plain torch module: infer by running zeros through it
                with torch.no_grad():
                    out = layer(torch.zeros((1, *current)))
                current = tuple(out.shape[1:])
            shapes.append(current)
        self.output_shape_ = current
        self._plan = self._make_plan(shape, shapes)
        params = list(self.parameters())
        if params:  # new layers must live with the existing ones
            ref = next((p for p in params), None)
            if ref is not None:
                self.to(device=ref.device)

    def _make_plan(self, input_shape: tuple, shapes: list) -> list[tuple[str, Any]]:
        plan: list[tuple[str, Any]] = []
        layout = "cl"
        in_shape: Any = input_shape
        for layer, out_shape in zip(self._stack.values(), shapes, strict=True):
            spatial = isinstance(in_shape, tuple) and len(in_shape) >= 2
            if spatial and getattr(layer, "supports_channels_first", False):
                if layout == "cl":
                    plan.append(("to_cf", None))
                plan.append(("cf", layer))
                layout = "cl" if layer.cf_returns_channels_last else "cf"
            elif layout == "cf" and getattr(layer, "layout_agnostic", False):
                plan.append(("cf", layer))
            else:
                if layout == "cf":
                    plan.append(("to_cl", None))
                    layout = "cl"
                plan.append(("cl", layer))
            in_shape = out_shape
        if layout == "cf":
            plan.append(("to_cl", None))
        return plan

    # ------------------------------------------------------------------ calling
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self._plan:
            if not len(self._stack):
                raise ConfigError("This Sequential model has no layers; add some with model.add(...).")
            self.build(tuple(x.shape[1:]))
            self.to(device=x.device)
        for kind, layer in self._plan:
            try:
                if kind == "cl":
                    # Layer.forward directly when nothing hooks the layer: the nn.Module call machinery
                    # costs as much as a small layer's maths
                    x = layer(x) if _hooked(layer) else layer.forward(x)
                elif kind == "cf":
                    x = layer.forward_cf(x)
                elif kind == "to_cf":
                    x = x.movedim(-1, 1)
                else:
                    x = x.movedim(1, -1)
            except RuntimeError as exc:
                if layer is not None and any(w in str(exc) for w in _SHAPE_WORDS):
                    raise shape_error(layer, x, exc) from exc
                raise
        return x

    def layer_outputs(self, x: Any) -> dict[str, torch.Tensor]:
        """Every layer's output (channels-last) for input ``x``: the feature maps of a CNN, for plotting."""
        x = torch.as_tensor(x, dtype=self._float_dtype(), device=self._device(None))
        outputs: dict[str, torch.Tensor] = {}
        was = self.training
        self.eval()
        with torch.no_grad():
            for name, layer in self._stack.items():
                x = layer(x)
                outputs[name] = x
        self.train(was)
        return outputs

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "layers": [serialize(layer) for layer in self._stack.values()],
            "build_input_shape": list(self.input_shape_) if self.input_shape_ is not None else None,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Sequential:
        layers = []
        for spec in config.get("layers", []):
            spec = {
                "class_name": spec["class_name"],
                "module": spec.get("module"),
                "config": {k: v for k, v in spec["config"].items() if k != "input_shape"},
            }
            layers.append(deserialize(spec))
        model = cls(layers, name=config.get("name"))
        if config.get("build_input_shape") is not None:
            model.build(tuple(config["build_input_shape"]))
        return model
