"""Weight penalties added to the loss: L1, L2 and both (Keras ``kernel_regularizer``)."""

from __future__ import annotations

from typing import Any

import torch

from matnn.core.exceptions import ConfigError
from matnn.core.registry import register_serializable

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get"]


@register_serializable("matnn>L1L2")
class L1L2:
    """penalty = l1·Σ|w| + l2·Σw² (added to the loss of every batch)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        if l1 < 0 or l2 < 0:
            raise ConfigError(f"Regularization factors must be non-negative. Got l1={l1!r}, l2={l2!r}.")
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        out = w.new_zeros(())
        if self.l1:
            out = out + self.l1 * w.abs().sum()
        if self.l2:
            out = out + self.l2 * w.square().sum()
        return out

    def get_config(self) -> dict[str, float]:
        return {"l1": self.l1, "l2": self.l2}

    def __repr__(self) -> str:
        return f"L1L2(l1={self.l1}, l2={self.l2})"


Regularizer = L1L2


def L1(l1: float = 0.01) -> L1L2:  # noqa: N802 - Keras name
    return L1L2(l1=l1)


def L2(l2: float = 0.01) -> L1L2:  # noqa: N802 - Keras name
    return L1L2(l2=l2)


l1 = L1
l2 = L2


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    return L1L2(l1=l1, l2=l2)


def get(identifier: Any) -> L1L2 | None:
    """``None``, an :class:`L1L2`, a float (L2 factor), ``"l1"``/``"l2"``/``"l1_l2"`` or a config dict."""
    if identifier is None or isinstance(identifier, L1L2):
        return identifier
    if isinstance(identifier, (int, float)) and not isinstance(identifier, bool):
        return L1L2(l2=float(identifier))
    if isinstance(identifier, str):
        table = {"l1": L1, "l2": L2, "l1_l2": l1_l2}
        if identifier.lower() in table:
            return table[identifier.lower()]()
    if isinstance(identifier, dict):
        cfg = identifier.get("config", identifier)
        return L1L2(**{k: v for k, v in cfg.items() if k in ("l1", "l2")})
    raise ConfigError(
        f"Unknown regularizer {identifier!r}. Allowed: None, a float (L2), 'l1', 'l2', 'l1_l2', L1L2(...)."
    )
