"""NTK change during training vs width (Liu, Zhu & Belkin, "On the linearity of large non-linear models", 2020).

Two-layer ReLU networks of growing width m are trained by full-batch GD (η = ½ · 2/λ₀, to a small
loss) on the same data.  With a linear output layer the relative change of the NTK,
‖K_T − K_0‖_F / ‖K_0‖_F, shrinks like 1/√m (the network trains like its linearisation); with a
nonlinear output layer f = tanh(g) it stays O(1), because K = φ'(g)² ∇g∇gᵀ and φ'(g) changes by O(1)
as g moves to fit the targets — wide is not enough, the output layer must be linear.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from matnn.config import resolve_device
from matnn.dynamics.networks import NTKNetwork
from matnn.dynamics.ntk import empirical_ntk
from matnn.dynamics.reproductions._common import Timer, finish, gd_train, half_mse, loglog_slope
from matnn.utils.plotting import plt, save_figure
from matnn.utils.progress import progress

NAME = "linearity-width"
TITLE = "Relative NTK change falls with width only for a linear output layer"
SIGNATURE = "every run trained to 1e-3 x its initial loss; log-log slope of ‖K_T−K_0‖_F/‖K_0‖_F against width ≤ -0.5 with a linear output layer and > -0.2 with a tanh output layer"

OUTPUTS = {"linear_output": None, "tanh_output": "tanh"}


def run(
    out: str | os.PathLike,
    *,
    seed: int = 0,
    n: int = 32,
    d: int = 10,
    widths: tuple[int, ...] = (64, 128, 256, 512, 1024, 2048, 4096),
    max_steps: int = 4000,
    tol: float = 1e-3,
    show_progress: bool = True,
    device: str | torch.device | None = None,
) -> dict[str, Any]:
    """Train to ``tol`` × initial loss (at most ``max_steps`` GD steps) and measure the NTK change."""
    timer = Timer()
    dev = resolve_device(device)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=gen).to(dev)
    y = 0.5 * torch.tanh(x[:, :1] * x[:, 1:2])  # inside tanh's range, so both models can fit it
    change: dict[str, dict[int, float]] = {k: {} for k in OUTPUTS}
    final: dict[str, dict[int, float]] = {k: {} for k in OUTPUTS}
    steps: dict[str, dict[int, int]] = {k: {} for k in OUTPUTS}
    jobs = [(k, m) for k in OUTPUTS for m in widths]
    for kind, m in progress(jobs, desc="linearity-width: output x width", enabled=show_progress):
        net = NTKNetwork(d, m, output_activation=OUTPUTS[kind], seed=seed + 1 + m).to(dev)
        K0 = empirical_ntk(net, x)
        lam0 = float(torch.linalg.eigvalsh(K0.double())[-1]) / n
        with torch.no_grad():
            target = tol * float(half_mse(net(x), y))
        res = gd_train(net, x, y, lr=0.5 * 2.0 / lam0, steps=max_steps, stop_below=target)
        KT = empirical_ntk(net, x)
        change[kind][m] = float(torch.linalg.norm(KT - K0) / torch.linalg.norm(K0))
        final[kind][m] = res.final / res.initial
        steps[kind][m] = res.steps
    slopes = {k: loglog_slope(list(v), list(v.values())) for k, v in change.items()}
    metrics: dict[str, Any] = {"n_train": n, "input_dim": d, "max_steps": max_steps}
    for kind in OUTPUTS:
        metrics[f"{kind}_slope"] = slopes[kind]
        for m in widths:
            metrics[f"{kind}_ntk_rel_change_m{m}"] = change[kind][m]
            metrics[f"{kind}_final_loss_ratio_m{m}"] = final[kind][m]
            metrics[f"{kind}_gd_steps_m{m}"] = steps[kind][m]
    trained = all(v <= tol for f in final.values() for v in f.values())
    metrics["all_trained_to_tol"] = trained
    reproduced = trained and slopes["linear_output"] <= -0.5 and slopes["tanh_output"] > -0.2
    _figure(out, change, slopes)
    return finish(out, NAME, metrics, timer, signature=SIGNATURE, reproduced=reproduced)


def _figure(out, change, slopes) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for kind, v in change.items():
        ax.loglog(list(v), list(v.values()), "o-", label=f"{kind.replace('_', ' ')} (slope {slopes[kind]:.2f})")
    ms = np.array(list(change["linear_output"]))
    ref = change["linear_output"][ms[0]]
    ax.loglog(ms, ref * np.sqrt(ms[0] / ms), "k--", lw=1, label="∝ 1/√m")
    ax.set(xlabel="width m", ylabel="‖K_T − K_0‖_F / ‖K_0‖_F", title="NTK change after training")
    ax.legend()
    save_figure(fig, os.path.join(out, "linearity_width.png"))
