"""Transition to linearity on random DAG networks (Zhu, Liu & Belkin 2022, arXiv 2205.11786; Liu, Zhu & Belkin 2022, arXiv 2203.05104).

Networks whose neurons sit on a random directed acyclic graph — each neuron (and the output) takes k
inputs drawn at random from all earlier nodes, skipping layers freely — become linear in their weights
as the in-degree k grows: ‖H_f‖ = Õ(1/√k), whatever the wiring.  The output is an "assembly" of many
weak sub-models, each contributing O(1/√k).  We measure the mean over inputs of ‖H_f(x)‖ (Lanczos) at
initialisation for growing k, over several random graphs, and check that ‖H_f‖·√k stays roughly constant.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import torch

from matnn.config import resolve_device
from matnn.dynamics.hessian import model_hessian_norm
from matnn.dynamics.networks import RandomDAGNetwork
from matnn.dynamics.reproductions._common import Timer, finish, loglog_slope
from matnn.utils.plotting import plt, save_figure
from matnn.utils.progress import progress

NAME = "dag-linearity"
TITLE = "Random-DAG networks: ‖H_f‖·√k roughly constant in the in-degree k"
SIGNATURE = (
    "max/min over k of mean ‖H_f‖·√k ≤ 2 while k grows 64-fold, and log-log slope of ‖H_f‖ against k in [-0.7, -0.3]"
)


def run(
    out: str | os.PathLike,
    *,
    seed: int = 0,
    in_degrees: tuple[int, ...] = (4, 16, 64, 256),
    d: int = 256,
    n_layers: int = 3,
    width: int = 256,
    n_graphs: int = 3,
    n_inputs: int = 4,
    activation: str = "tanh",
    show_progress: bool = True,
    device: str | torch.device | None = None,
) -> dict[str, Any]:
    """Hessian norm of ``n_graphs`` random DAG networks per in-degree, ``n_inputs`` inputs each."""
    timer = Timer()
    dev = resolve_device(device)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n_inputs, d, generator=gen).to(dev)
    values: dict[int, list[float]] = {k: [] for k in in_degrees}
    jobs = [(k, g) for k in in_degrees for g in range(n_graphs)]
    for k, g in progress(jobs, desc="dag-linearity: in-degree x graph", enabled=show_progress):
        net = RandomDAGNetwork(
            d, n_layers=n_layers, width=width, in_degree=k, activation=activation, seed=seed * 1000 + 17 * g + k
        ).to(dev)
        values[k].extend(model_hessian_norm(net, x, method="lanczos", tol=1e-4).tolist())
    mean = {k: float(np.mean(v)) for k, v in values.items()}
    scaled = {k: mean[k] * math.sqrt(k) for k in in_degrees}
    spread = max(scaled.values()) / min(scaled.values())
    slope = loglog_slope(list(mean), list(mean.values()))
    metrics: dict[str, Any] = {
        "input_dim": d,
        "n_layers": n_layers,
        "width": width,
        "n_graphs": n_graphs,
        "n_inputs": n_inputs,
        "activation": activation,
    }
    for k in in_degrees:
        metrics[f"k{k}_hessian_norm_mean"] = mean[k]
        metrics[f"k{k}_hessian_norm_std"] = float(np.std(values[k]))
        metrics[f"k{k}_hessian_norm_times_sqrt_k"] = scaled[k]
    metrics["scaled_norm_max_over_min"] = spread
    metrics["slope_loglog"] = slope
    reproduced = spread <= 2.0 and -0.7 <= slope <= -0.3
    _figure(out, values, mean, scaled, slope)
    return finish(out, NAME, metrics, timer, signature=SIGNATURE, reproduced=reproduced)


def _figure(out, values, mean, scaled, slope) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ks = np.array(list(mean))
    for k, v in values.items():
        axes[0].scatter(np.full(len(v), k), v, s=10, alpha=0.4, color="C0")
    axes[0].loglog(ks, list(mean.values()), "o-", color="C0", label=f"mean (slope {slope:.2f})")
    axes[0].loglog(ks, mean[ks[0]] * np.sqrt(ks[0] / ks), "k--", lw=1, label="∝ 1/√k")
    axes[0].set(xlabel="in-degree k", ylabel="‖H_f(x)‖", title="model Hessian norm, random DAG networks")
    axes[0].legend()
    axes[1].semilogx(ks, list(scaled.values()), "o-")
    axes[1].set(xlabel="in-degree k", ylabel="mean ‖H_f‖ · √k", title="‖H_f‖·√k (roughly constant)")
    axes[1].set_ylim(0, 1.3 * max(scaled.values()))
    fig.tight_layout()
    save_figure(fig, os.path.join(out, "dag_linearity.png"))
