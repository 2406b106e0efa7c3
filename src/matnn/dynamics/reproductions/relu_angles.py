"""ReLU separates similar inputs in gradient-feature space; a linear network does not (Liu & Hui, "ReLU soothes the NTK condition number and accelerates optimization for wide neural networks", arXiv 2305.08813).

The gradient feature of an input x is the row ∇_w f(w; x) of the Jacobian (its inner products form the
NTK).  For pairs (x, x') at a small angle θ on the sphere of radius √d we measure the angle φ between
their gradient features,

    φ = arccos( ⟨∇f(x), ∇f(x')⟩ / (‖∇f(x)‖ ‖∇f(x')‖) ),

in networks of width ``width`` (NTK parametrisation, no biases) with a linear and with a ReLU
activation, at depths 1 and ``deep``.  A linear network's NTK is, at large width, a multiple of
x·x', so φ ≈ θ; ReLU enlarges the angle (its kernel is not smooth at θ = 0: 1 − cos φ ∝ θ rather
than θ²), and more so with depth — which is why the ReLU NTK is better conditioned.

For the two-layer ReLU network the infinite-width value is known in closed form (arc-cosine kernels,
both layers trained): cos φ = [sin θ + 2(π − θ) cos θ] / (2π), so φ ≈ √(θ/π) for small θ.  At finite
width m only about m·θ/π hidden units change sign between x and x', so the comparison with the closed
form is made only at the angles where m·θ/π ≥ 15 (below that the kink of the kernel is not resolved).

Signature, from the mean of φ/θ over ``n_pairs`` random pairs at each θ: the linear networks have
φ/θ in [0.8, 1.25] at every θ; the ReLU networks have φ/θ ≥ 1.5 at every θ; the deeper ReLU network
separates more than the shallow one at every θ; the two-layer ReLU values are within 15 % of the
closed form at every θ with m·θ/π ≥ 15.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import torch

from matnn.config import resolve_device
from matnn.dynamics.networks import NTKNetwork
from matnn.dynamics.ntk import jacobian
from matnn.dynamics.reproductions._common import Timer, finish
from matnn.utils.plotting import plt, save_figure
from matnn.utils.progress import progress

NAME = "relu-angles"
TITLE = "ReLU enlarges the angle between gradient features of similar inputs; a linear network keeps it"
SIGNATURE = (
    "mean over pairs of φ/θ (φ: angle between the Jacobian rows of two inputs at angle θ), at every θ: "
    "linear networks (depth 1 and deep) in [0.8, 1.25]; ReLU networks ≥ 1.5; deep ReLU > depth-1 ReLU; "
    "depth-1 ReLU within 15 % of the infinite-width arc-cosine value where width·θ/π ≥ 15"
)


def angle_pairs(n_pairs: int, d: int, theta: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n_pairs`` pairs (x, x') of norm √d at exactly the angle ``theta`` (radians), each of shape (n_pairs, d)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n_pairs, d, generator=gen, dtype=torch.float64)
    z = torch.randn(n_pairs, d, generator=gen, dtype=torch.float64)
    x = x / x.norm(dim=1, keepdim=True)
    z = z - (z * x).sum(1, keepdim=True) * x
    z = z / z.norm(dim=1, keepdim=True)
    xp = math.cos(theta) * x + math.sin(theta) * z
    return (x * math.sqrt(d)).float(), (xp * math.sqrt(d)).float()


def relu_two_layer_angle(theta: float) -> float:
    """Infinite-width gradient-feature angle (radians) of the two-layer ReLU network for inputs at angle ``theta``."""
    cos = (math.sin(theta) + 2.0 * (math.pi - theta) * math.cos(theta)) / (2.0 * math.pi)
    return math.acos(min(1.0, cos))


def gradient_angles(model: torch.nn.Module, x: torch.Tensor, xp: torch.Tensor) -> np.ndarray:
    """Angle in radians between ∇_w f(x_i) and ∇_w f(x'_i) for every pair, shape (n_pairs,)."""
    J = jacobian(model, torch.cat([x, xp])).double()
    a, b = J[: x.shape[0]], J[x.shape[0] :]
    cos = (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1))
    return torch.arccos(cos.clamp(-1.0, 1.0)).cpu().numpy()


def run(
    out: str | os.PathLike,
    *,
    seed: int = 0,
    d: int = 50,
    width: int = 1024,
    deep: int = 3,
    angles_deg: tuple[float, ...] = (0.5, 1.0, 3.0, 10.0),
    n_pairs: int = 16,
    show_progress: bool = True,
    device: str | torch.device | None = None,
) -> dict[str, Any]:
    """Gradient-feature angles of linear and ReLU networks (depth 1 and ``deep``) for input pairs at ``angles_deg``."""
    timer = Timer()
    dev = resolve_device(device)
    nets = {
        f"{act}_depth{L}": NTKNetwork(
            d, width, depth=L, activation=act, seed=seed * 1000 + 10 * L + (act == "relu") + 1
        ).to(dev)
        for act in ("linear", "relu")
        for L in (1, deep)
    }
    ratio: dict[str, dict[float, float]] = {k: {} for k in nets}
    phi: dict[str, dict[float, float]] = {k: {} for k in nets}
    jobs = [(name, a) for name in nets for a in angles_deg]
    for name, a in progress(jobs, desc="relu-angles: network x angle", enabled=show_progress):
        theta = math.radians(a)
        x, xp = angle_pairs(n_pairs, d, theta, seed + int(a * 1000))
        ang = gradient_angles(nets[name], x.to(dev), xp.to(dev))
        phi[name][a] = float(np.degrees(ang.mean()))
        ratio[name][a] = float(np.mean(ang / theta))
    metrics: dict[str, Any] = {"input_dim": d, "width": width, "deep_depth": deep, "n_pairs": n_pairs}
    for name in nets:
        for a in angles_deg:
            key = f"{a:g}".replace(".", "p")
            metrics[f"{name}_theta{key}deg_phi_deg"] = phi[name][a]
            metrics[f"{name}_theta{key}deg_ratio"] = ratio[name][a]
        metrics[f"{name}_ratio_min"] = min(ratio[name].values())
        metrics[f"{name}_ratio_max"] = max(ratio[name].values())
    theory = {a: relu_two_layer_angle(math.radians(a)) / math.radians(a) for a in angles_deg}
    resolved = [a for a in angles_deg if width * math.radians(a) / math.pi >= 15]
    rel_err = max((abs(ratio["relu_depth1"][a] - theory[a]) / theory[a] for a in resolved), default=math.nan)
    metrics["n_angles_compared_with_infinite_width"] = len(resolved)
    for a in angles_deg:
        metrics[f"relu_depth1_theta{a:g}deg_ratio_infinite_width".replace(".", "p")] = theory[a]
    metrics["relu_depth1_max_rel_error_vs_infinite_width"] = rel_err
    lin_ok = all(0.8 <= ratio[f"linear_depth{L}"][a] <= 1.25 for L in (1, deep) for a in angles_deg)
    relu_ok = all(ratio[f"relu_depth{L}"][a] >= 1.5 for L in (1, deep) for a in angles_deg)
    deeper = all(ratio[f"relu_depth{deep}"][a] > ratio["relu_depth1"][a] for a in angles_deg)
    metrics["linear_keeps_angle"] = lin_ok
    metrics["relu_enlarges_angle"] = relu_ok
    metrics["deeper_relu_enlarges_more"] = deeper
    _figure(out, phi, angles_deg)
    return finish(
        out,
        NAME,
        metrics,
        timer,
        signature=SIGNATURE,
        reproduced=bool(lin_ok and relu_ok and deeper and resolved and rel_err <= 0.15),
    )


def _figure(out, phi, angles_deg) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for name, v in phi.items():
        ax.loglog(
            list(v), list(v.values()), ("s--" if name.startswith("linear") else "o-"), label=name.replace("_", ", ")
        )
    a = np.geomspace(min(angles_deg), max(angles_deg), 50)
    ax.loglog(a, a, "k:", lw=1, label="φ = θ")
    ax.loglog(
        a,
        [np.degrees(relu_two_layer_angle(np.radians(t))) for t in a],
        "C1:",
        lw=1,
        label="two-layer ReLU, infinite width",
    )
    ax.set(
        xlabel="input angle θ [deg]",
        ylabel="gradient-feature angle φ [deg] (mean over pairs)",
        title="Angle separation in gradient-feature space",
    )
    ax.legend(fontsize=8)
    save_figure(fig, os.path.join(out, "relu_angles.png"))
