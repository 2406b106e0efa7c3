"""Shared pieces of the reproductions: data, full-batch GD, slopes, result files (private)."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from matnn.utils.io import ensure_dir, write_metrics

__all__ = [
    "product_data",
    "gd_train",
    "GDRun",
    "loglog_slope",
    "finish",
    "Timer",
    "half_mse",
]


def half_mse(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """L = (1/n) Σ ½ (f − y)² — the papers' loss, whose critical learning rate is 2/λmax(K/n)."""
    return 0.5 * (pred - y).pow(2).sum(1).mean()


def product_data(n: int, d: int, seed: int, *, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """x ~ N(0, I_d), y = x₁ x₂ (shape (n, 1)) — the catapult papers' rank-2 target (drawn on the CPU, same on every device)."""
    gen = torch.Generator().manual_seed(int(seed))
    x = torch.randn(n, d, generator=gen)
    return x.to(device), (x[:, 0] * x[:, 1]).unsqueeze(1).to(device)


@dataclass
class GDRun:
    """Loss history of one run; ``losses[t]`` is the training loss before step t."""

    losses: np.ndarray
    diverged: bool
    steps: int

    @property
    def initial(self) -> float:
        return float(self.losses[0])

    @property
    def final(self) -> float:
        return float(self.losses[-1])

    @property
    def peak(self) -> float:
        return float(np.max(self.losses))


def gd_train(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    lr: float,
    steps: int,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = half_mse,
    diverge_at: float = 1e8,
    stop_below: float | None = None,
    every: Callable[[int, nn.Module, float], None] | None = None,
) -> GDRun:
    """Full-batch gradient descent ``w ← w − lr ∇L`` (the papers' setting), recording the loss per step.

    Stops early when the loss exceeds ``diverge_at`` × the initial loss or is not finite (``diverged``),
    or falls below ``stop_below``.  ``every(step, model, loss)`` is called before each step.
    """
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses: list[float] = []
    diverged = False
    for t in range(steps):
        opt.zero_grad(set_to_none=True)
        value = loss_fn(model(x), y)
        loss = float(value.detach())
        losses.append(loss)
        if every is not None:
            every(t, model, loss)
        if not math.isfinite(loss) or loss > diverge_at * max(losses[0], 1e-30):
            diverged = True
            break
        if stop_below is not None and loss < stop_below:
            break
        value.backward()
        opt.step()
    return GDRun(losses=np.asarray(losses), diverged=diverged, steps=len(losses))


def loglog_slope(x: Any, y: Any) -> float:
    """Least-squares slope of log y against log x."""
    lx, ly = np.log(np.asarray(x, dtype=float)), np.log(np.asarray(y, dtype=float))
    return float(np.polyfit(lx, ly, 1)[0])


class Timer:
    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0


def finish(
    out: str | os.PathLike, name: str, metrics: Mapping[str, Any], timer: Timer, *, signature: str, reproduced: bool
) -> dict[str, Any]:
    """Add the common keys and write ``out/metrics.json``; returns the metrics dict."""
    full: dict[str, Any] = {"reproduction": name, "reproduced": bool(reproduced), "signature": signature}
    full.update(metrics)
    full["wall_time_s"] = round(timer.elapsed(), 2)
    full["torch_threads"] = torch.get_num_threads()
    write_metrics(ensure_dir(Path(out)), full)
    return full


def sgd_train(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    lr: float,
    batch_size: int,
    steps: int,
    seed: int,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = half_mse,
    diverge_at: float = 1e8,
) -> GDRun:
    """Mini-batch SGD (batches drawn without replacement, reshuffled each epoch), recording the
    **full** training loss before every step — spikes of the full loss are the catapults."""
    n = x.shape[0]
    gen = torch.Generator().manual_seed(int(seed))
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    perm, pos = torch.randperm(n, generator=gen), 0
    losses: list[float] = []
    diverged = False
    for _ in range(steps):
        with torch.no_grad():
            full = float(loss_fn(model(x), y))
        losses.append(full)
        if not math.isfinite(full) or full > diverge_at * max(losses[0], 1e-30):
            diverged = True
            break
        if pos + batch_size > n:
            perm, pos = torch.randperm(n, generator=gen), 0
        idx = perm[pos : pos + batch_size].to(x.device)
        pos += batch_size
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x[idx]), y[idx]).backward()
        opt.step()
    return GDRun(losses=np.asarray(losses), diverged=diverged, steps=len(losses))
