"""The Layer base class and the symbolic tensors of the functional API.

A layer stores its arguments in ``__init__``, creates its weights in ``build(input_shape)`` once the
shape of its input is known (from ``input_shape=``, from the previous layer, or from the first real
batch), and computes in ``forward``.  Shapes exclude the batch dimension and are channels-last, as
in Keras: an RGB image batch is ``(n_samples, height, width, 3)`` and its ``input_shape`` is
``(height, width, 3)``.

Layers whose maths is naturally channels-first in torch (convolutions, pooling, ...) also implement
``forward_cf`` taking ``(n, channels, *spatial)``; :class:`~matnn.models.sequential.Sequential`
uses it to run stacks of such layers without transposing between each of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from matnn.core.exceptions import ShapeError
from matnn.core.keras_args import check_keras_only

__all__ = ["Layer", "SymbolicTensor", "Shape", "is_symbolic", "to_shape", "snake_case"]

Shape = tuple  # tuple[int | None, ...] without the batch dimension


def snake_case(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()
    return s.replace("1_d", "1d").replace("2_d", "2d").replace("3_d", "3d")


def to_shape(shape: Any, what: str = "input_shape") -> Shape:
    """Normalise an int or a sequence of ints/None into a shape tuple."""
    if isinstance(shape, int) and not isinstance(shape, bool):
        return (shape,)
    if isinstance(shape, (tuple, list, torch.Size)):
        out = []
        for d in shape:
            if d is None:
                out.append(None)
            elif isinstance(d, int) and not isinstance(d, bool) and d >= 0:
                out.append(int(d))
            else:
                raise ShapeError(f"{what} must be a tuple of non-negative integers (or None). Got {tuple(shape)!r}.")
        return tuple(out)
    raise ShapeError(f"{what} must be a tuple of integers such as (28, 28, 1). Got {shape!r}.")


def _accepted_keywords(cls: type) -> list[str]:
    import inspect

    names: list[str] = []
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            names += [
                k
                for k, p in inspect.signature(klass.__init__).parameters.items()
                if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and k != "self"
            ]
    return names


class SymbolicTensor:
    """A placeholder flowing through layers in the functional API; it carries a shape and its history.

    Attributes
    ----------
    shape : tuple
        Shape without the batch dimension.
    node : object
        The producing call: ``(layer, inputs, output_index)``.
    """

    __slots__ = ("shape", "dtype", "layer", "inputs", "index", "name")

    def __init__(
        self,
        shape: Shape,
        *,
        layer: Any,
        inputs: list[SymbolicTensor],
        index: int = 0,
        dtype: torch.dtype = torch.float32,
        name: str | None = None,
    ) -> None:
        self.shape = tuple(shape)
        self.dtype = dtype
        self.layer = layer
        self.inputs = inputs
        self.index = index
        self.name = name

    def __repr__(self) -> str:
        return f"<SymbolicTensor shape=(None, {', '.join(map(str, self.shape))}) from {getattr(self.layer, 'name', self.layer)!s}>"


def is_symbolic(x: Any) -> bool:
    if isinstance(x, SymbolicTensor):
        return True
    if isinstance(x, (list, tuple)) and x and all(isinstance(t, SymbolicTensor) for t in x):
        return True
    return False


class Layer(nn.Module):
    """Base class of matnn layers (also a ``torch.nn.Module``).

    Parameters
    ----------
    name : str, optional
        Unique within a model; generated from the class name when omitted.
    input_shape : tuple of int, optional
        Shape of one sample (no batch dimension); only meaningful on a model's first layer.
    trainable : bool, default=True
        ``False`` freezes the layer's weights.
    """

    #: True for layers that implement ``forward_cf`` on channels-first tensors.
    supports_channels_first: bool = False
    #: True for element-wise layers indifferent to the channel axis (Activation, Dropout).
    layout_agnostic: bool = False
    #: True when ``forward_cf`` already returns a channels-last tensor (global pooling).
    cf_returns_channels_last: bool = False

    def __init__(
        self,
        *,
        name: str | None = None,
        input_shape: Sequence[int | None] | None = None,
        input_dim: int | None = None,
        trainable: bool = True,
        dtype: Any = None,
        batch_input_shape: Sequence[int | None] | None = None,
        **keras_kwargs: Any,
    ) -> None:
        super().__init__()
        # Keras keywords matnn does not implement (kernel_constraint, data_format='channels_first', ...)
        # are accepted at their Keras default and otherwise refused by name.
        if keras_kwargs:
            check_keras_only(type(self).__name__, keras_kwargs, _accepted_keywords(type(self)))
        if input_shape is None and batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        if input_shape is None and input_dim is not None:
            input_shape = (input_dim,)
        self.name = name
        self._input_shape_arg: Shape | None = to_shape(input_shape) if input_shape is not None else None
        self.built = False
        self.input_shape: Shape | None = None
        self.output_shape: Shape | None = None
        self._trainable = bool(trainable)
        # weights take the dtype of the data (or model.to(dtype)); a Keras dtype policy is not implemented
        if dtype is not None and dtype not in ("float32", torch.float32):
            check_keras_only(type(self).__name__, {"dtype": dtype})
        self._dtype_arg = dtype

    # ----------------------------------------------------------------- building
    def build(self, input_shape: Shape) -> None:
        """Create the weights for inputs of ``input_shape`` (no batch dim). Subclasses call super()."""
        self.built = True

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """Shape of the output for an input of ``input_shape`` (no batch dim)."""
        return input_shape

    def build_for(self, input_shape: Any) -> Any:
        """Build (once) and return the output shape; errors name the layer and the shapes."""
        try:
            if not self.built:
                self.build(input_shape)
                self.built = True
                if not self._trainable:
                    for p in self.parameters():
                        p.requires_grad_(False)
            out = self.compute_output_shape(input_shape)
        except ShapeError as exc:
            raise ShapeError(
                f"Layer '{self.name or snake_case(type(self).__name__)}' ({type(self).__name__}): {exc}"
            ) from None
        self.input_shape, self.output_shape = input_shape, out
        return out

    # ----------------------------------------------------------------- calling
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        first = args[0] if args else None
        if is_symbolic(first):
            return self._symbolic_call(first)
        if not self.built:
            self._build_from_tensor(first)
        return super().__call__(*args, **kwargs)

    def _build_from_tensor(self, x: Any) -> None:
        if isinstance(x, (list, tuple)):
            shape: Any = [tuple(t.shape[1:]) for t in x]
            ref = x[0]
        else:
            shape = tuple(x.shape[1:])
            ref = x
        self.build_for(shape)
        if isinstance(ref, torch.Tensor):
            dtype = ref.dtype if ref.is_floating_point() else None
            self.to(device=ref.device, dtype=dtype)

    def _symbolic_call(self, x: SymbolicTensor | Sequence[SymbolicTensor]) -> Any:
        inputs = list(x) if isinstance(x, (list, tuple)) else [x]
        in_shape: Any = [t.shape for t in inputs] if isinstance(x, (list, tuple)) else inputs[0].shape
        out_shape = self.build_for(in_shape)
        if isinstance(out_shape, list):
            return [SymbolicTensor(s, layer=self, inputs=inputs, index=i) for i, s in enumerate(out_shape)]
        return SymbolicTensor(out_shape, layer=self, inputs=inputs)

    def forward_cf(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - overridden
        raise NotImplementedError

    # ----------------------------------------------------------------- properties
    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for p in self.parameters():
            p.requires_grad_(self._trainable)

    def count_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def regularization_loss(self) -> torch.Tensor | None:
        """Penalty from ``kernel_regularizer`` on ``weight`` and ``bias_regularizer`` on ``bias``.

        ``None`` when the layer has no regularizer (layers without these attributes never do).
        """
        terms = []
        kernel_reg, bias_reg = getattr(self, "kernel_regularizer", None), getattr(self, "bias_regularizer", None)
        if kernel_reg is not None:
            terms.append(kernel_reg(self.weight))
        if bias_reg is not None and getattr(self, "bias", None) is not None:
            terms.append(bias_reg(self.bias))
        return sum(terms) if terms else None  # type: ignore[return-value]

    # ----------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"name": self.name}
        if not self._trainable:
            config["trainable"] = False
        if self._input_shape_arg is not None:
            config["input_shape"] = list(self._input_shape_arg)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        return cls(**config)

    def extra_repr(self) -> str:
        """Only the arguments that differ from their defaults, as torch's ``extra_repr`` does."""
        import inspect

        defaults = {}
        for klass in type(self).__mro__:
            if "__init__" in vars(klass):
                for k, p in inspect.signature(klass.__init__).parameters.items():
                    if p.default is not inspect.Parameter.empty:
                        defaults.setdefault(k, p.default)
        norm = lambda v: list(v) if isinstance(v, tuple) else v  # noqa: E731
        cfg = self.get_config()
        cfg.pop("name", None)

        def same(d: Any, v: Any) -> bool:
            if isinstance(d, int) and isinstance(v, (list, tuple)):
                return all(x == d for x in v)
            return norm(d) == norm(v)

        shown = {k: v for k, v in cfg.items() if k not in defaults or not same(defaults[k], v)}
        return ", ".join(f"{k}={v!r}" for k, v in shown.items())
