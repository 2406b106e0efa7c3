"""The functional form: ``Model(inputs, outputs)`` built by calling layers on symbolic ``Input`` tensors.

Example
-------
>>> from matnn import Model
>>> from matnn.layers import Input, Dense, Concatenate
>>> composition = Input(shape=(86,), name="composition")
>>> conditions = Input(shape=(2,), name="conditions")
>>> h = Dense(64, activation="relu")(composition)
>>> out = Dense(1)(Concatenate()([h, conditions]))
>>> model = Model([composition, conditions], out)
"""

from __future__ import annotations

from typing import Any

from torch import nn

from matnn.core.exceptions import ConfigError
from matnn.core.layers.base import Layer, SymbolicTensor
from matnn.core.layers.input_layer import InputLayer
from matnn.core.registry import deserialize, register_serializable, serialize
from matnn.models.model import Model
from matnn.models.sequential import _SHAPE_WORDS, shape_error, unique_layer_name

__all__ = ["Functional"]


def _as_list(x: Any) -> list[SymbolicTensor]:
    items = list(x) if isinstance(x, (list, tuple)) else [x]
    for t in items:
        if not isinstance(t, SymbolicTensor):
            raise ConfigError(f"Model(inputs, outputs) takes symbolic tensors from Input() and layer calls. Got {t!r}.")
    return items


@register_serializable("matnn>Functional")
class Functional(Model):
    """A directed acyclic graph of layers between ``inputs`` and ``outputs`` (see module docstring)."""

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None) -> None:
        super().__init__(name=name or "model")
        self._multi_input = isinstance(inputs, (list, tuple))
        self._multi_output = isinstance(outputs, (list, tuple))
        ins, outs = _as_list(inputs), _as_list(outputs)
        for t in ins:
            if not isinstance(t.layer, InputLayer):
                raise ConfigError("Every entry of Model(inputs=...) must come from Input().")
        # Topological order of layer calls, found by walking back from the outputs.
        order: list[SymbolicTensor] = []
        seen: set[int] = set()

        def visit(t: SymbolicTensor) -> None:
            if id(t) in seen:
                return
            for parent in t.inputs:
                visit(parent)
            seen.add(id(t))
            order.append(t)

        for t in outs:
            visit(t)
        reachable_inputs = {id(t) for t in order if isinstance(t.layer, InputLayer)}
        for t in order:
            if isinstance(t.layer, InputLayer) and id(t) not in {id(i) for i in ins}:
                raise ConfigError(f"The outputs depend on an Input ({t.layer.name or 'unnamed'}) that is not listed in Model(inputs=...).")
        for t in ins:
            if id(t) not in reachable_inputs:
                raise ConfigError(f"Input {t.layer.name or 'unnamed'} is not connected to the outputs.")

        self._stack = nn.ModuleDict()
        layer_names: dict[int, str] = {}
        for t in order:
            if isinstance(t.layer, InputLayer) or id(t.layer) in layer_names:
                continue
            name = unique_layer_name(t.layer, set(self._stack.keys()))
            t.layer.name = name
            layer_names[id(t.layer)] = name
            self._stack[name] = t.layer
        # Nodes: one per distinct (layer call); outputs of multi-output layers share a node.
        tensor_key: dict[int, tuple[int, int]] = {}
        self._nodes: list[dict[str, Any]] = []
        call_index: dict[tuple[int, tuple[int, ...]], int] = {}
        for pos, t in enumerate(ins):
            tensor_key[id(t)] = (-1, pos)
        for t in order:
            if isinstance(t.layer, InputLayer):
                continue
            parents = tuple(id(p) for p in t.inputs)
            key = (id(t.layer), parents)
            if key not in call_index:
                call_index[key] = len(self._nodes)
                self._nodes.append({
                    "layer": layer_names[id(t.layer)],
                    "inputs": [list(tensor_key[p]) for p in parents],
                    "list_input": len(t.inputs) > 1 or _called_with_list(t),
                })
            tensor_key[id(t)] = (call_index[key], t.index)
        self._outputs = [list(tensor_key[id(t)]) for t in outs]
        self.input_shape_ = [t.shape for t in ins] if self._multi_input else ins[0].shape
        self.output_shape_ = [t.shape for t in outs] if self._multi_output else outs[0].shape
        self._input_specs = [{"name": t.layer.name, "shape": list(t.shape), "dtype": t.layer.dtype_name} for t in ins]

    def forward(self, inputs: Any) -> Any:
        if isinstance(inputs, dict):
            inputs = [inputs[spec["name"]] for spec in self._input_specs]
        xs = list(inputs) if self._multi_input else [inputs]
        if len(xs) != len(self._input_specs):
            raise ConfigError(f"{self.name} takes {len(self._input_specs)} inputs; got {len(xs)}.")
        values: list[Any] = []
        for node in self._nodes:
            args = [xs[i] if n < 0 else _pick(values[n], i) for n, i in node["inputs"]]
            layer = self._stack[node["layer"]]
            arg = args if node["list_input"] else args[0]
            try:
                values.append(layer(arg))
            except RuntimeError as exc:
                if any(w in str(exc) for w in _SHAPE_WORDS):
                    raise shape_error(layer, arg, exc) from exc
                raise
        outs = [xs[i] if n < 0 else _pick(values[n], i) for n, i in self._outputs]
        return outs if self._multi_output else outs[0]

    @property
    def layers(self) -> list[nn.Module]:
        return list(self._stack.values())

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "inputs": self._input_specs,
            "layers": [{"name": k, **serialize(v)} for k, v in self._stack.items()],
            "nodes": self._nodes,
            "outputs": self._outputs,
            "multi_input": self._multi_input,
            "multi_output": self._multi_output,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Functional:
        from matnn.core.layers.input_layer import Input

        inputs = [Input(tuple(spec["shape"]), dtype=spec.get("dtype", "float32"), name=spec.get("name")) for spec in config["inputs"]]
        layers: dict[str, Layer] = {}
        for spec in config["layers"]:
            cfg = {k: v for k, v in spec["config"].items() if k != "input_shape"}
            layers[spec["name"]] = deserialize({"class_name": spec["class_name"], "module": spec.get("module"), "config": cfg})
        values: list[Any] = []
        for node in config["nodes"]:
            args = [inputs[i] if n < 0 else _pick(values[n], i) for n, i in node["inputs"]]
            values.append(layers[node["layer"]](args if node["list_input"] else args[0]))
        outs = [inputs[i] if n < 0 else _pick(values[n], i) for n, i in config["outputs"]]
        return cls(inputs if config["multi_input"] else inputs[0], outs if config["multi_output"] else outs[0],
                   name=config.get("name"))


def _pick(value: Any, index: int) -> Any:
    if isinstance(value, (list, tuple)):
        return value[index]
    return value


def _called_with_list(t: SymbolicTensor) -> bool:
    # Merging layers are always called with a list, even of one element.
    from matnn.core.layers.merging import Add, Average, Concatenate, Multiply, Subtract

    return isinstance(t.layer, (Concatenate, Add, Average, Multiply, Subtract))

