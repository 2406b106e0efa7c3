"""Recurrent layers ``LSTM`` and ``GRU`` over ``(n, steps, features)`` sequences (cuDNN/oneDNN kernels)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from matnn.core import initializers
from matnn.core.exceptions import ConfigError, ShapeError
from matnn.core.layers.base import Layer, Shape
from matnn.core.registry import register_serializable

__all__ = ["LSTM", "GRU"]


class _Recurrent(Layer):
    cell = ""
    n_gates = 1

    def __init__(
        self,
        units: int,
        *,
        activation: str = "tanh",
        recurrent_activation: str = "sigmoid",
        use_bias: bool = True,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        kernel_initializer: str = "glorot_uniform",
        recurrent_initializer: str = "orthogonal",
        bias_initializer: str = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ConfigError(f"The 'units' parameter of {owner} must be a positive integer. Got {units!r} instead.")
        if activation != "tanh" or recurrent_activation != "sigmoid":
            raise ConfigError(
                f"{owner} supports activation='tanh' and recurrent_activation='sigmoid' only (the fused kernels). "
                f"Got activation={activation!r}, recurrent_activation={recurrent_activation!r}."
            )
        self.units, self.use_bias = units, bool(use_bias)
        self.return_sequences, self.return_state, self.go_backwards = (
            bool(return_sequences),
            bool(return_state),
            bool(go_backwards),
        )
        self.kernel_initializer, self.recurrent_initializer, self.bias_initializer = (
            kernel_initializer,
            recurrent_initializer,
            bias_initializer,
        )

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ShapeError(
                f"{type(self).__name__} expects samples of shape (steps, features); got input shape {input_shape}."
            )
        rnn_cls = nn.LSTM if self.cell == "lstm" else nn.GRU
        self.rnn = rnn_cls(int(input_shape[-1]), self.units, batch_first=True, bias=self.use_bias)
        k_init, r_init, b_init = (
            initializers.get(n) for n in (self.kernel_initializer, self.recurrent_initializer, self.bias_initializer)
        )
        with torch.no_grad():
            w_ih, w_hh = self.rnn.weight_ih_l0, self.rnn.weight_hh_l0
            for g in range(self.n_gates):  # initialise gate by gate, as Keras does per gate block
                k_init(w_ih[g * self.units : (g + 1) * self.units])
                r_init(w_hh[g * self.units : (g + 1) * self.units])
            if self.use_bias:
                b_init(self.rnn.bias_ih_l0)
                nn.init.zeros_(self.rnn.bias_hh_l0)
                self._init_bias_extra()
        super().build(input_shape)

    def _init_bias_extra(self) -> None:
        pass

    def compute_output_shape(self, input_shape: Shape) -> Any:
        if len(input_shape) != 2:
            raise ShapeError(
                f"{type(self).__name__} expects samples of shape (steps, features); got input shape {input_shape}."
            )
        out = (input_shape[0], self.units) if self.return_sequences else (self.units,)
        if self.return_state:
            return [out] + [(self.units,)] * (2 if self.cell == "lstm" else 1)
        return out

    def forward(self, x: torch.Tensor) -> Any:
        if self.go_backwards:
            x = x.flip(1)
        seq, state = self.rnn(x)
        out = seq if self.return_sequences else seq[:, -1]
        if not self.return_state:
            return out
        if self.cell == "lstm":
            h, c = state
            return [out, h[-1], c[-1]]
        return [out, state[-1]]

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg.update(
            units=self.units,
            use_bias=self.use_bias,
            return_sequences=self.return_sequences,
            return_state=self.return_state,
            go_backwards=self.go_backwards,
            kernel_initializer=self.kernel_initializer,
            recurrent_initializer=self.recurrent_initializer,
            bias_initializer=self.bias_initializer,
        )
        return cfg


@register_serializable("matnn>LSTM")
class LSTM(_Recurrent):
    """Long short-term memory layer (forget-gate bias initialised to 1, as Keras's ``unit_forget_bias``).

    Shape: ``(n, steps, features)`` → ``(n, units)``, or ``(n, steps, units)`` with ``return_sequences``.
    """

    cell, n_gates = "lstm", 4

    def _init_bias_extra(self) -> None:
        self.rnn.bias_ih_l0[self.units : 2 * self.units].fill_(1.0)


@register_serializable("matnn>GRU")
class GRU(_Recurrent):
    """Gated recurrent unit (the ``reset_after=True`` form, Keras's default).

    Shape: ``(n, steps, features)`` → ``(n, units)``, or ``(n, steps, units)`` with ``return_sequences``.
    """

    cell, n_gates = "gru", 3
