"""The layer table printed by ``model.summary()``."""

from __future__ import annotations

from typing import Any

from torch import nn


def _shape_text(shape: Any) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    return "(None, " + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _n_params(module: nn.Module, trainable: bool | None = None) -> int:
    return sum(p.numel() for p in module.parameters() if trainable is None or p.requires_grad == trainable)


def summary_table(model: nn.Module, line_length: int = 80) -> str:
    """Rows of layer name (type), output shape and parameter count, then the totals."""
    rows = []
    for name, layer in _named_layers(model):
        shape = getattr(layer, "output_shape", None)
        rows.append((f"{name} ({type(layer).__name__})", _shape_text(shape), f"{_n_params(layer):,}"))
    w1 = max([len("Layer (type)")] + [len(r[0]) for r in rows]) + 2
    w2 = max([len("Output Shape")] + [len(r[1]) for r in rows]) + 2
    width = max(line_length, w1 + w2 + 12)
    lines = [
        f'Model: "{getattr(model, "name", type(model).__name__)}"',
        "─" * width,
        f"{'Layer (type)':<{w1}}{'Output Shape':<{w2}}{'Param #':>10}",
        "═" * width,
    ]
    for r in rows:
        lines.append(f"{r[0]:<{w1}}{r[1]:<{w2}}{r[2]:>10}")
    lines.append("═" * width)
    total, trainable = _n_params(model), _n_params(model, True)
    lines += [
        f"Total params: {total:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}",
        "─" * width,
    ]
    return "\n".join(lines)


def _named_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    stack = getattr(model, "_stack", None)
    if isinstance(stack, nn.ModuleDict):
        return list(stack.items())
    return list(model.named_children())
