"""Catapults happen in the top eigenspace of the NTK (Zhu, Liu, Radhakrishnan & Belkin, "Catapults in SGD", arXiv 2306.04815).

The two-layer ReLU network of ``catapult`` is trained by full-batch GD on ½-MSE with η = 1.5 · 2/λ₀.
At every step t of the first ``track_steps`` steps we form the current NTK K_t on the training inputs,
take its eigenvectors u₁, u₂, … (eigenvalues of K_t/n in decreasing order) and split the training loss
of the residual r = f − y,

    L = ‖r‖²/(2n) = Σ_i ⟨r, u_i⟩²/(2n) = L_top + L_rest,

into its part ``L_top`` in the top-k eigen-directions and the rest ``L_rest``.  k is the number of
eigenvalues of K₀/n above 2/η (the directions in which GD is unstable at the start; at least 1).

Measured: at the step where the loss peaks, the fraction L_top/L; and the growth from step 0 to the
peak of L_top and of L_rest.  A control run at η = 0.5 · 2/λ₀ (no catapult) is recorded (its loss
split every 5th tracked step).

Signature: the loss peaks above 2·L₀; at the peak the top-k fraction is ≥ 0.9 while at step 0 it is
< 0.5; and L_top grows at least 100 times more than L_rest from step 0 to the peak.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from matnn.config import resolve_device
from matnn.dynamics.networks import NTKNetwork
from matnn.dynamics.ntk import empirical_ntk, ntk_spectrum
from matnn.dynamics.reproductions._common import Timer, finish, gd_train, product_data
from matnn.utils.plotting import plt, save_figure
from matnn.utils.progress import progress

NAME = "catapult-subspace"
TITLE = "The catapult's loss spike lives in the top eigenspace of the NTK"
SIGNATURE = (
    "at η = 1.5·2/λ₀ (k = #eigenvalues of K₀/n above 2/η): the loss peaks above 2·L₀; at the peak step the "
    "fraction of the loss in the top-k eigen-directions of the current NTK is ≥ 0.9 (it is < 0.5 at step 0), "
    "and from step 0 to the peak that part grows ≥ 100 times more than the rest"
)


def _split(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, k: int) -> tuple[float, float, float]:
    """(L_top, L_rest, λ₁(K/n)) of the current residual in the top-k eigenvectors of the current NTK."""
    n = x.shape[0]
    K = empirical_ntk(model, x).double()
    ev, U = torch.linalg.eigh(0.5 * (K + K.T))  # ascending
    with torch.no_grad():
        r = (model(x) - y).reshape(-1).double()
    coef = U.T @ r
    top = float((coef[-k:] ** 2).sum()) / (2 * n)
    rest = float((coef[:-k] ** 2).sum()) / (2 * n)
    return top, rest, float(ev[-1]) / n


def run(
    out: str | os.PathLike,
    *,
    seed: int = 0,
    n: int = 128,
    d: int = 20,
    width: int = 2048,
    steps: int = 200,
    track_steps: int = 40,
    lr_ratio: float = 1.5,
    control_ratio: float = 0.5,
    show_progress: bool = True,
    device: str | torch.device | None = None,
) -> dict[str, Any]:
    """Train at ``lr_ratio`` and ``control_ratio`` × 2/λ₀ and split the loss in the NTK eigenbasis for
    the first ``track_steps`` steps (the catapult happens there); ``steps`` GD steps in all."""
    timer = Timer()
    dev = resolve_device(device)
    x, y = product_data(n, d, seed, device=dev)
    spec0 = ntk_spectrum(NTKNetwork(d, width, seed=seed + 1).to(dev), x)
    lam0 = spec0.lambda_max
    eta_crit = 2.0 / lam0
    metrics: dict[str, Any] = {
        "n_train": n,
        "input_dim": d,
        "width": width,
        "steps": steps,
        "lambda0": lam0,
        "eta_crit": eta_crit,
    }
    traces: dict[str, dict[str, list[float]]] = {}
    runs = {}
    k = 1
    for label, r in progress(
        (("catapult", lr_ratio), ("control", control_ratio)), desc="catapult-subspace: runs", enabled=show_progress
    ):
        lr = r * eta_crit
        if label == "catapult":
            k = max(1, int(np.sum(spec0.eigenvalues > 2.0 / lr)))
        trace: dict[str, list[float]] = {"step": [], "top": [], "rest": [], "lam": []}

        stride = 1 if label == "catapult" else 5

        def every(t: int, model: torch.nn.Module, loss: float, trace=trace, stride=stride) -> None:
            if t < track_steps and t % stride == 0:
                top, rest, lam = _split(model, x, y, k)
                trace["step"].append(t)
                trace["top"].append(top)
                trace["rest"].append(rest)
                trace["lam"].append(lam)

        net = NTKNetwork(d, width, seed=seed + 1).to(dev)
        runs[label] = gd_train(net, x, y, lr=lr, steps=steps, every=every)
        traces[label] = trace
    cat, tr = runs["catapult"], traces["catapult"]
    L0 = cat.initial
    peak_step = int(np.argmax(cat.losses))
    tracked = peak_step < len(tr["step"])
    top = np.asarray(tr["top"])
    rest = np.asarray(tr["rest"])
    j = peak_step if tracked else int(np.argmax(top + rest))
    frac_peak = float(top[j] / (top[j] + rest[j]))
    frac_init = float(top[0] / (top[0] + rest[0]))
    top_growth = float(top[j] / top[0])
    rest_growth = float(rest[j] / rest[0])
    metrics.update(
        {
            "k_top": k,
            "lr": lr_ratio * eta_crit,
            "lr_over_eta_crit": lr_ratio,
            "initial_loss": L0,
            "peak_loss": cat.peak,
            "final_loss": cat.final,
            "diverged": cat.diverged,
            "peak_step": peak_step,
            "peak_tracked": tracked,
            "top_fraction_at_init": frac_init,
            "top_fraction_at_peak": frac_peak,
            "top_loss_growth_to_peak": top_growth,
            "rest_loss_growth_to_peak": rest_growth,
            "top_over_rest_growth": top_growth / rest_growth,
            "control_peak_over_initial": runs["control"].peak / runs["control"].initial,
            "control_top_fraction_max": float(
                np.max(
                    np.asarray(traces["control"]["top"])
                    / (np.asarray(traces["control"]["top"]) + np.asarray(traces["control"]["rest"]))
                )
            ),
        }
    )
    reproduced = bool(
        not cat.diverged
        and tracked
        and cat.peak > 2 * L0
        and frac_peak >= 0.9
        and frac_init < 0.5
        and top_growth >= 100 * rest_growth
    )
    _figure(out, traces, k, lr_ratio, control_ratio)
    return finish(out, NAME, metrics, timer, signature=SIGNATURE, reproduced=reproduced)


def _figure(out, traces, k, lr_ratio, control_ratio) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    for ax, (label, ratio) in zip(axes, (("catapult", lr_ratio), ("control", control_ratio))):
        tr = traces[label]
        steps = np.asarray(tr["step"])
        top, rest = np.asarray(tr["top"]), np.asarray(tr["rest"])
        ax.semilogy(steps, top + rest, "k-", lw=2, label="training loss")
        ax.semilogy(steps, top, "C3--", label=f"part in top-{k} NTK eigen-directions")
        ax.semilogy(steps, rest, "C0:", lw=2, label="part in the other directions")
        ax.set(xlabel="GD step", ylabel="loss (½ MSE)", title=f"η = {ratio:g}·2/λ₀ ({label})")
        ax.legend(fontsize=8)
    fig.suptitle("Loss split along the eigenvectors of the current NTK")
    fig.tight_layout()
    save_figure(fig, os.path.join(out, "catapult_subspace.png"))
