"""Linearity emerges from assembling many weak sub-models, none dominating (Liu, Zhu & Belkin, "Transition to linearity of wide neural networks is an emerging property of assembling weak models", arXiv 2203.05104).

An *assembly* of s sub-models is

    f(x) = Σ_i c_i v_i g_i(θ_i; x),        g_i(θ_i; x) = a_iᵀ tanh(B_i x / √d) / √h,

with s independent small tanh networks g_i (h hidden units, weights θ_i = (B_i, a_i) ~ N(0, 1)) and
trainable mixing weights v_i, initialised to random signs ±1 (bounded, so that the largest of the s
blocks below is not inflated by the Gaussian tail of one v_i).  In the **weak** assembly every c_i = 1/√s, so no sub-model
dominates; in the **dominated** assembly c_1 = 1 and the others 1/√s (one strong sub-model).

Measured at initialisation, for s in ``n_submodels``, on ``n_inputs`` inputs x ~ N(0, I_d):

* ‖H_f(x)‖ — spectral norm of the Hessian of f in all weights (v, θ), by Lanczos; mean over inputs
  and ``n_draws`` independent draws.  H_f is block-diagonal over the sub-models up to the v–θ_i
  cross blocks, each of size O(c_i), so the weak assembly's ‖H_f‖ falls like 1/√s (up to the slowly
  growing maximum over s random blocks);
* the largest sub-model share of the tangent kernel, max_i ‖∇_{(v_i, θ_i)} f(x)‖² / ‖∇f(x)‖² (how
  much one sub-model contributes; ~1/s, up to the maximum over s draws, when none dominates).

Signature: weak assembly — log-log slope of ‖H_f‖ against s in [-0.65, -0.3] and log-log slope of the
largest share against s ≤ -0.5; dominated assembly — slope of ‖H_f‖ > -0.15 (‖H_f‖ stays O(1):
linearity needs all sub-models to be weak) and its largest share ≥ 0.25 at the largest s.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import torch
from torch import nn

from matnn.config import resolve_device
from matnn.dynamics.hessian import model_hessian_norm
from matnn.dynamics.ntk import jacobian
from matnn.dynamics.reproductions._common import Timer, finish, loglog_slope
from matnn.utils.plotting import plt, save_figure
from matnn.utils.progress import progress

NAME = "weak-assembly"
TITLE = "Assembling many weak sub-models: ‖H_f‖ ∝ 1/√(#sub-models) unless one dominates"
SIGNATURE = (
    "weak assembly: log-log slopes against the number of sub-models s of mean ‖H_f‖ in [-0.65, -0.3] and of the "
    "largest sub-model share of ‖∇f‖² ≤ -0.5; dominated assembly (one sub-model with weight 1): slope of ‖H_f‖ > -0.15 "
    "and largest share ≥ 0.25 at the largest s"
)


class Assembly(nn.Module):
    """``f(x) = Σ_i c_i v_i a_iᵀ tanh(B_i x/√d)/√h`` for s sub-models; ``dominant=True`` sets c_1 = 1.

    Shape: input ``(n, d)``, output ``(n, 1)``.  Parameters ``B`` (s, h, d), ``a`` (s, h), ``v`` (s,).
    """

    def __init__(self, d: int, n_submodels: int, hidden: int, *, dominant: bool = False, seed: int = 0) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(int(seed))
        self.d, self.s, self.h = d, n_submodels, hidden
        self.B = nn.Parameter(torch.randn(n_submodels, hidden, d, generator=gen))
        self.a = nn.Parameter(torch.randn(n_submodels, hidden, generator=gen))
        self.v = nn.Parameter(torch.randint(0, 2, (n_submodels,), generator=gen).float() * 2.0 - 1.0)
        c = torch.full((n_submodels,), 1.0 / math.sqrt(n_submodels))
        if dominant:
            c[0] = 1.0
        self.register_buffer("c", c)

    def submodels(self, x: torch.Tensor) -> torch.Tensor:
        """g_i(x) for every sub-model, shape (n, s)."""
        hid = torch.tanh(torch.einsum("shd,nd->nsh", self.B, x) / math.sqrt(self.d))
        return (hid * self.a).sum(-1) / math.sqrt(self.h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.submodels(x) * (self.c * self.v)).sum(-1, keepdim=True)


def submodel_shares(model: Assembly, x: torch.Tensor) -> np.ndarray:
    """``‖∇_{(v_i, B_i, a_i)} f(x)‖² / ‖∇f(x)‖²`` per input and sub-model, shape (n, s)."""
    jac = jacobian(model, x, flat=False)
    per = sum(
        j.reshape(x.shape[0], model.s, -1).pow(2).sum(-1)
        for j in (jac["B"][:, 0], jac["a"][:, 0], jac["v"][:, 0].unsqueeze(-1))
    )
    return (per / per.sum(1, keepdim=True)).detach().cpu().numpy()


def run(
    out: str | os.PathLike,
    *,
    seed: int = 0,
    d: int = 10,
    hidden: int = 8,
    n_submodels: tuple[int, ...] = (4, 16, 64, 256, 1024),
    n_inputs: int = 4,
    n_draws: int = 2,
    show_progress: bool = True,
    device: str | torch.device | None = None,
) -> dict[str, Any]:
    """‖H_f‖ and the largest sub-model share for weak and dominated assemblies of each size."""
    timer = Timer()
    dev = resolve_device(device)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n_inputs, d, generator=gen).to(dev)
    norms: dict[str, dict[int, list[float]]] = {
        "weak": {s: [] for s in n_submodels},
        "dominated": {s: [] for s in n_submodels},
    }
    share: dict[str, dict[int, float]] = {"weak": {}, "dominated": {}}
    jobs = [(kind, s, g) for kind in norms for s in n_submodels for g in range(n_draws)]
    for kind, s, g in progress(jobs, desc="weak-assembly: kind x size x draw", enabled=show_progress):
        model = Assembly(d, s, hidden, dominant=kind == "dominated", seed=seed * 1000 + 7 * g + s).to(dev)
        norms[kind][s].extend(model_hessian_norm(model, x, method="lanczos", tol=1e-4).tolist())
        share[kind][s] = max(share[kind].get(s, 0.0), float(submodel_shares(model, x).max()))
    mean = {k: {s: float(np.mean(v)) for s, v in per.items()} for k, per in norms.items()}
    slopes = {k: loglog_slope(list(v), list(v.values())) for k, v in mean.items()}
    metrics: dict[str, Any] = {"input_dim": d, "hidden_per_submodel": hidden, "n_inputs": n_inputs, "n_draws": n_draws}
    for k in norms:
        metrics[f"{k}_slope"] = slopes[k]
        for s in n_submodels:
            metrics[f"{k}_s{s}_hessian_norm_mean"] = mean[k][s]
            metrics[f"{k}_s{s}_max_share"] = share[k][s]
    share_slope = loglog_slope(list(share["weak"]), list(share["weak"].values()))
    metrics["weak_max_share_slope"] = share_slope
    metrics["dominated_max_share_largest_s"] = share["dominated"][n_submodels[-1]]
    weak_ok = -0.65 <= slopes["weak"] <= -0.3 and share_slope <= -0.5
    reproduced = weak_ok and slopes["dominated"] > -0.15 and share["dominated"][n_submodels[-1]] >= 0.25
    _figure(out, mean, share, slopes)
    return finish(out, NAME, metrics, timer, signature=SIGNATURE, reproduced=reproduced)


def _figure(out, mean, share, slopes) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for k, v in mean.items():
        axes[0].loglog(list(v), list(v.values()), "o-", label=f"{k} assembly (slope {slopes[k]:.2f})")
    s = np.array(list(mean["weak"]))
    axes[0].loglog(s, mean["weak"][s[0]] * np.sqrt(s[0] / s), "k--", lw=1, label="∝ 1/√s")
    axes[0].set(xlabel="number of sub-models s", ylabel="mean ‖H_f(x)‖", title="Hessian norm of the assembled model")
    axes[0].legend(fontsize=8)
    for k, v in share.items():
        axes[1].loglog(list(v), list(v.values()), "o-", label=f"{k} assembly")
    axes[1].loglog(s, 1.0 / s, "k--", lw=1, label="1/s")
    axes[1].set(
        xlabel="number of sub-models s", ylabel="largest sub-model share of ‖∇f‖²", title="Does one sub-model dominate?"
    )
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, os.path.join(out, "weak_assembly.png"))
