"""Transition to linearity is not necessary for GD to succeed (Liu, Zhu & Belkin, "On the linearity of large non-linear models: when and why the tangent kernel is constant", arXiv 2010.01092).

A two-layer ReLU network with a **nonlinear output layer**, f = tanh(g), g = vᵀ relu(Wx/√d)/√m (NTK
parametrisation), is trained by full-batch GD on ½-MSE for the labels y = ±0.5 (sign of x₁x₂).  Its
NTK K = tanh'(g)² ∇g∇gᵀ changes by O(1) during training however wide the network is — tanh'(g) must
move from its values at initialisation, where g ≈ N(0, 1), to tanh'(atanh 0.5) = 0.75 at every input —
so the network never becomes linear in its weights.  Yet GD drives the training loss to ~0: what GD
needs is that K stays well conditioned along the path (the PL* condition, λmin(K/n) > 0), not that
it stays constant.  A network with a linear output layer, trained the same way, is the contrast (its
NTK barely moves at large width).

Measured for each width m in ``widths``: the relative NTK change ‖K_T − K_0‖_F / ‖K_0‖_F between the
first and the last step, the training loss after GD relative to its initial value, and the smallest
eigenvalue of K_t/n along the path, every ``check_every`` steps and at the end (relative to
λmin(K_0/n)).

Signature: with the tanh output layer, at every width the loss falls below 1e-3·L₀, the relative NTK
change is ≥ 0.2 and λmin(K_t/n) stays above 0.05·λmin(K_0/n) along the path; at the largest width the
tanh-output NTK changes ≥ 5× more than the linear-output NTK.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from matnn.config import resolve_device
from matnn.dynamics.networks import NTKNetwork
from matnn.dynamics.ntk import empirical_ntk
from matnn.dynamics.reproductions._common import Timer, finish, gd_train, half_mse
from matnn.utils.plotting import plt, save_figure
from matnn.utils.progress import progress

NAME = "nonlinear-output"
TITLE = "A tanh output layer keeps the NTK moving (no transition to linearity), yet GD fits the data"
SIGNATURE = (
    "tanh output layer, every width: training loss < 1e-3·L₀, ‖K_T−K_0‖_F/‖K_0‖_F ≥ 0.2 and min along the path of "
    "λmin(K_t/n) ≥ 0.05·λmin(K_0/n); at the largest width its NTK change ≥ 5× the linear-output network's"
)

OUTPUTS = {"tanh_output": "tanh", "linear_output": None}


def run(
    out: str | os.PathLike,
    *,
    seed: int = 0,
    n: int = 32,
    d: int = 10,
    widths: tuple[int, ...] = (256, 1024, 4096),
    max_steps: int = 3000,
    tol: float = 1e-3,
    check_every: int = 10,
    lr_ratio: float = 0.5,
    show_progress: bool = True,
    device: str | torch.device | None = None,
) -> dict[str, Any]:
    """GD at η = ``lr_ratio`` × 2/λmax(K_0/n) (below the critical rate) until the loss is below ``tol`` × its initial value (or ``max_steps``)."""
    timer = Timer()
    dev = resolve_device(device)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=gen).to(dev)
    y = 0.5 * torch.sign(x[:, :1] * x[:, 1:2])
    metrics: dict[str, Any] = {"n_train": n, "input_dim": d, "max_steps": max_steps, "tol": tol}
    change: dict[str, dict[int, float]] = {k: {} for k in OUTPUTS}
    loss_ratio: dict[str, dict[int, float]] = {k: {} for k in OUTPUTS}
    lam_min_ratio: dict[str, dict[int, float]] = {k: {} for k in OUTPUTS}
    curves: dict[str, np.ndarray] = {}
    jobs = [(k, m) for k in OUTPUTS for m in widths]
    for kind, m in progress(jobs, desc="nonlinear-output: output x width", enabled=show_progress):
        net = NTKNetwork(d, m, output_activation=OUTPUTS[kind], seed=seed + 1 + m).to(dev)
        K0 = empirical_ntk(net, x)
        ev0 = torch.linalg.eigvalsh(K0.double()) / n
        lam_min = [float(ev0[0])]
        with torch.no_grad():
            target = tol * float(half_mse(net(x), y))

        def every(t: int, model: torch.nn.Module, loss: float, lam_min=lam_min) -> None:
            if t > 0 and t % check_every == 0:
                lam_min.append(float(torch.linalg.eigvalsh(empirical_ntk(model, x).double())[0]) / n)

        res = gd_train(net, x, y, lr=lr_ratio * 2.0 / float(ev0[-1]), steps=max_steps, stop_below=target, every=every)
        KT = empirical_ntk(net, x)
        lam_min.append(float(torch.linalg.eigvalsh(KT.double())[0]) / n)
        change[kind][m] = float(torch.linalg.norm(KT - K0) / torch.linalg.norm(K0))
        loss_ratio[kind][m] = res.final / res.initial
        lam_min_ratio[kind][m] = min(lam_min) / lam_min[0]
        if m == widths[-1]:
            curves[kind] = res.losses
        metrics[f"{kind}_m{m}_ntk_rel_change"] = change[kind][m]
        metrics[f"{kind}_m{m}_final_loss_ratio"] = loss_ratio[kind][m]
        metrics[f"{kind}_m{m}_lambda_min_path_ratio"] = lam_min_ratio[kind][m]
        metrics[f"{kind}_m{m}_gd_steps"] = res.steps
    big = widths[-1]
    metrics["tanh_output_ntk_rel_change_min"] = min(change["tanh_output"].values())
    metrics["tanh_output_final_loss_ratio_max"] = max(loss_ratio["tanh_output"].values())
    metrics["tanh_output_lambda_min_path_ratio_min"] = min(lam_min_ratio["tanh_output"].values())
    metrics["linear_output_ntk_rel_change_largest_width"] = change["linear_output"][big]
    metrics["tanh_over_linear_change_largest_width"] = change["tanh_output"][big] / change["linear_output"][big]
    reproduced = (
        all(loss_ratio["tanh_output"][m] < tol for m in widths)
        and all(change["tanh_output"][m] >= 0.2 for m in widths)
        and all(lam_min_ratio["tanh_output"][m] >= 0.05 for m in widths)
        and metrics["tanh_over_linear_change_largest_width"] >= 5.0
    )
    _figure(out, change, curves, big)
    return finish(out, NAME, metrics, timer, signature=SIGNATURE, reproduced=reproduced)


def _figure(out, change, curves, big) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for kind, v in change.items():
        axes[0].loglog(list(v), list(v.values()), "o-", label=kind.replace("_", " "))
    axes[0].set(xlabel="width m", ylabel="‖K_T − K_0‖_F / ‖K_0‖_F", title="NTK change during training")
    axes[0].legend()
    for kind, losses in curves.items():
        axes[1].semilogy(np.arange(len(losses)), losses / losses[0], label=kind.replace("_", " "))
    axes[1].set(xlabel="GD step", ylabel="training loss / initial loss", title=f"GD training loss, width {big}")
    axes[1].legend()
    fig.tight_layout()
    save_figure(fig, os.path.join(out, "nonlinear_output.png"))
