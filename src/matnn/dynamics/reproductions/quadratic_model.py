"""Quadratic models capture the catapult; linear models cannot (Zhu, Liu, Radhakrishnan & Belkin 2022).

The same two-layer ReLU network as ``catapult`` is trained by GD with η = 1.5 · 2/λ₀, between 2/λ₀
and 4/λ₀, alongside its linearisation f₀ + J₀Δ and its quadratic (NQM) expansion
f₀ + J₀Δ + ½ ΔᵀH₀Δ around the same initial weights.  The linear model has a constant NTK, so GD on it
diverges geometrically for any η > 2/λ₀; the quadratic model's NTK can shrink, and it catapults like
the network, with a peak of similar height.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import torch

from matnn.config import resolve_device
from matnn.dynamics.networks import NTKNetwork
from matnn.dynamics.ntk import ntk_spectrum
from matnn.dynamics.reproductions._common import Timer, finish, gd_train, product_data
from matnn.dynamics.taylor import LinearizedModel, QuadraticModel
from matnn.utils.plotting import plt, save_figure
from matnn.utils.progress import progress

NAME = "quadratic-model"
TITLE = "Quadratic model catapults like the network; linear model diverges"
SIGNATURE = (
    "at η = 1.5·2/λ₀: the linear model diverges (loss > 1e6·L₀); the quadratic model and the network both "
    "peak above 2·L₀ and end below 1e-3·L₀, with peak losses within a factor 3 of each other"
)


def run(
    out: str | os.PathLike,
    *,
    seed: int = 0,
    n: int = 128,
    d: int = 20,
    width: int = 2048,
    steps: int = 1000,
    lr_ratio: float = 1.5,
    show_progress: bool = True,
    device: str | torch.device | None = None,
) -> dict[str, Any]:
    """Train network, linear and quadratic models with GD at ``lr_ratio`` × 2/λ₀; see the module docstring."""
    timer = Timer()
    dev = resolve_device(device)
    x, y = product_data(n, d, seed, device=dev)
    net = NTKNetwork(d, width, seed=seed + 1).to(dev)
    lam0 = ntk_spectrum(net, x).lambda_max
    lr = lr_ratio * 2.0 / lam0
    models = {"network": net, "quadratic": QuadraticModel(net), "linear": LinearizedModel(net)}
    runs = {}
    for name in progress(list(models), desc="quadratic-model: models", enabled=show_progress):
        runs[name] = gd_train(models[name], x, y, lr=lr, steps=steps, diverge_at=1e6)
    L0 = runs["network"].initial
    metrics: dict[str, Any] = {
        "n_train": n,
        "input_dim": d,
        "width": width,
        "lambda0": lam0,
        "eta_crit": 2.0 / lam0,
        "lr": lr,
        "lr_over_eta_crit": lr_ratio,
        "initial_loss": L0,
    }
    for name, res in runs.items():
        metrics[f"{name}_peak_loss"] = res.peak if math.isfinite(res.peak) else None
        metrics[f"{name}_final_loss"] = res.final if math.isfinite(res.final) else None
        metrics[f"{name}_diverged"] = res.diverged
        metrics[f"{name}_steps_run"] = res.steps
    net_ok = not runs["network"].diverged and runs["network"].peak > 2 * L0 and runs["network"].final < 1e-3 * L0
    quad_ok = not runs["quadratic"].diverged and runs["quadratic"].peak > 2 * L0 and runs["quadratic"].final < 1e-3 * L0
    ratio = runs["quadratic"].peak / runs["network"].peak
    metrics["peak_ratio_quadratic_over_network"] = ratio
    reproduced = bool(runs["linear"].diverged and net_ok and quad_ok and 1 / 3 <= ratio <= 3)
    _figure(out, runs, lr_ratio)
    return finish(out, NAME, metrics, timer, signature=SIGNATURE, reproduced=reproduced)


def _figure(out, runs, lr_ratio) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    styles = {"network": "-", "quadratic": "--", "linear": ":"}
    for name, res in runs.items():
        losses = np.where(np.isfinite(res.losses), res.losses, np.nan)
        ax.plot(
            np.arange(res.steps) + 1, losses, styles[name], lw=2, label=name + (" (diverged)" if res.diverged else "")
        )
    ax.set(xscale="log", yscale="log", xlabel="GD step", ylabel="training loss (½ MSE)")
    ax.set_title(f"η = {lr_ratio:g} · 2/λ₀: network vs quadratic vs linear model")
    ax.legend()
    save_figure(fig, os.path.join(out, "quadratic_model.png"))
