"""Model Hessian norm at initialisation vs width (Liu, Zhu & Belkin, "On the linearity of large non-linear models", 2020).

For a network with a linear output layer in the NTK parametrisation the spectral norm of the
model-output Hessian ‖H_f(x)‖ = ‖∂²f/∂w²‖ scales as 1/√m with the width m, which is why wide
networks become linear in their weights.  For the two-layer ReLU network f = vᵀ relu(Wx/√d)/√m the
scaling is exact: H_f has only the v–W cross block, whose singular values are all ‖x‖/√(d m), so the
spectrum is ±‖x‖/√(d m) (symmetric — the case where Rayleigh-quotient power iteration fails).  With a
nonlinear output layer f = tanh(g) the term φ''(g) ∇g ∇gᵀ is O(1), so ‖H_f‖ does not shrink.

Each point is the mean over ``n_inits`` independent initialisations of max over the inputs of
‖H_f(x)‖: with a tanh output the norm depends on the random pre-activation g(x) at initialisation, so a
single draw per width is too noisy to read a slope from.

The spectral norms are computed by Lanczos on Hessian-vector products (without storing the Krylov
basis for the widest deep network, 4.2 M weights), and the two-layer ReLU values are compared with the
exact formula.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import torch

from matnn.config import resolve_device
from matnn.dynamics.hessian import model_hessian_norm
from matnn.dynamics.networks import NTKNetwork
from matnn.dynamics.reproductions._common import Timer, finish, loglog_slope
from matnn.utils.plotting import plt, save_figure
from matnn.utils.progress import progress

NAME = "hessian-scaling"
TITLE = "‖H_f‖ ∝ 1/√m with a linear output layer, not with a nonlinear one"
SIGNATURE = (
    "log-log slope of the mean over initialisations of max_x ‖H_f(x)‖ against width in [-0.6, -0.4] for the two-layer ReLU and the 3-layer tanh networks "
    "(linear output), two-layer ReLU within 1e-3 of the exact ‖x‖/√(d m); slope > -0.1 with a tanh output layer"
)

MODELS = {
    "relu_2layer": dict(depth=1, activation="relu", output_activation=None),
    "tanh_3layer": dict(depth=2, activation="tanh", output_activation=None),
    "relu_2layer_tanh_output": dict(depth=1, activation="relu", output_activation="tanh"),
}


def run(
    out: str | os.PathLike,
    *,
    seed: int = 0,
    d: int = 20,
    n_inputs: int = 8,
    widths: tuple[int, ...] = (64, 256, 1024, 4096, 16384),
    deep_widths: tuple[int, ...] = (64, 256, 1024, 2048),
    n_inits: int = 3,
    show_progress: bool = True,
    device: str | torch.device | None = None,
) -> dict[str, Any]:
    """Measure max over ``n_inputs`` inputs of ‖H_f(x)‖ at initialisation (mean over ``n_inits`` draws of the
    weights) for each width and model."""
    timer = Timer()
    dev = resolve_device(device)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n_inputs, d, generator=gen).to(dev)
    draws: dict[str, dict[int, list[float]]] = {k: {} for k in MODELS}
    jobs = [
        (name, m, i)
        for name in MODELS
        for m in (deep_widths if name == "tanh_3layer" else widths)
        for i in range(n_inits)
    ]
    for name, m, i in progress(jobs, desc="hessian-scaling: model x width x init", enabled=show_progress):
        net = NTKNetwork(d, m, seed=seed + 1 + m + 100_000 * i, **MODELS[name]).to(dev)
        value = float(model_hessian_norm(net, x, method="lanczos", tol=1e-3, n_iter=60).max())
        draws[name].setdefault(m, []).append(value)
    norms = {name: {m: float(np.mean(v)) for m, v in per.items()} for name, per in draws.items()}
    exact = {m: float(x.norm(dim=1).max()) / math.sqrt(d * m) for m in widths}
    rel_err = max(abs(v - exact[m]) / exact[m] for m, vals in draws["relu_2layer"].items() for v in vals)
    slopes = {name: loglog_slope(list(v), list(v.values())) for name, v in norms.items()}
    metrics: dict[str, Any] = {"input_dim": d, "n_inputs": n_inputs, "n_inits": n_inits}
    for name, v in norms.items():
        metrics[f"{name}_slope"] = slopes[name]
        for m, val in v.items():
            metrics[f"{name}_hessian_norm_m{m}"] = val
            metrics[f"{name}_hessian_norm_m{m}_std"] = float(np.std(draws[name][m]))
    metrics["relu_2layer_max_rel_error_vs_exact"] = rel_err
    reproduced = (
        -0.6 <= slopes["relu_2layer"] <= -0.4
        and -0.6 <= slopes["tanh_3layer"] <= -0.4
        and rel_err < 1e-3
        and slopes["relu_2layer_tanh_output"] > -0.1
    )
    _figure(out, norms, exact, slopes)
    return finish(out, NAME, metrics, timer, signature=SIGNATURE, reproduced=reproduced)


def _figure(out, norms, exact, slopes) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for name, v in norms.items():
        ax.loglog(list(v), list(v.values()), "o-", label=f"{name} (slope {slopes[name]:.2f})")
    ax.loglog(list(exact), list(exact.values()), "k--", lw=1, label="exact two-layer ReLU: max‖x‖/√(d m)")
    ax.set(
        xlabel="width m",
        ylabel="max over inputs of ‖H_f(x)‖ (mean of inits)",
        title="Model Hessian norm at initialisation",
    )
    ax.legend(fontsize=8)
    save_figure(fig, os.path.join(out, "hessian_scaling.png"))
