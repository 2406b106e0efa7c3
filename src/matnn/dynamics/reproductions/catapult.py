"""Catapult phase of gradient descent (Lewkowycz et al. 2020; Zhu, Liu, Radhakrishnan & Belkin 2023).

A wide two-layer ReLU network in the NTK parametrisation, f(x) = vᵀ relu(W x / √d) / √m, is trained
by full-batch GD on ½-MSE for y = x₁ x₂.  With λ₀ = λmax(K₀/n) of the initial NTK:

* η < 2/λ₀ — the loss decreases monotonically ("lazy" phase);
* 2/λ₀ < η < ~4/λ₀ — the loss first grows by orders of magnitude, the NTK's top eigenvalue falls
  until it is below 2/η, and the loss comes back down and converges (the catapult);
* larger η — the loss diverges.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from matnn.config import resolve_device
from matnn.dynamics.networks import NTKNetwork
from matnn.dynamics.ntk import ntk_spectrum
from matnn.dynamics.reproductions._common import Timer, finish, gd_train, product_data
from matnn.dynamics.spikes import find_spikes
from matnn.utils.plotting import plt, save_figure
from matnn.utils.progress import progress

NAME = "catapult"
TITLE = "GD catapult: spike then converge for 2/λ₀ < η < 4/λ₀"
SIGNATURE = (
    "η < 2/λ₀: loss never increases (by more than 1e-6·L₀) and ends below 1e-3·L₀; "
    "2/λ₀ < η < 4/λ₀: loss peaks above 2·L₀, ends below 1e-3·L₀ and λmax(K/n) ends below 2/η; "
    "η = 6/λ₀: loss diverges"
)


def _key(r: float) -> str:
    return f"eta{r:g}x".replace(".", "p")


def run(
    out: str | os.PathLike,
    *,
    seed: int = 0,
    n: int = 128,
    d: int = 20,
    width: int = 2048,
    steps: int = 1000,
    lr_ratios: tuple[float, ...] = (0.5, 0.9, 1.2, 1.5, 1.8, 3.0),
    show_progress: bool = True,
    device: str | torch.device | None = None,
) -> dict[str, Any]:
    """Run the catapult reproduction; learning rates are ``lr_ratios`` × η_crit = 2/λ₀.

    Returns the metrics written to ``out/metrics.json`` (keys ``eta<r>x_*`` per learning rate, with
    ``r`` in units of η_crit and ``p`` for the decimal point).
    """
    timer = Timer()
    dev = resolve_device(device)
    x, y = product_data(n, d, seed, device=dev)
    lam0 = ntk_spectrum(NTKNetwork(d, width, seed=seed + 1).to(dev), x).lambda_max
    eta_crit = 2.0 / lam0
    metrics: dict[str, Any] = {
        "n_train": n,
        "input_dim": d,
        "width": width,
        "steps": steps,
        "lambda0": lam0,
        "eta_crit": eta_crit,
    }
    runs = {}
    lam_traces: dict[float, tuple[list[int], list[float]]] = {}
    checks = []
    for r in progress(lr_ratios, desc="catapult: learning rates", enabled=show_progress):
        net = NTKNetwork(d, width, seed=seed + 1).to(dev)
        trace: tuple[list[int], list[float]] = ([], [])
        track = 1.0 < r < 2.0

        def every(t: int, model: torch.nn.Module, loss: float, trace=trace, track=track) -> None:
            if track and (t < 40 or t % 50 == 0):
                trace[0].append(t)
                trace[1].append(ntk_spectrum(model, x).lambda_max)

        res = gd_train(net, x, y, lr=r * eta_crit, steps=steps, every=every)
        runs[r] = res
        k = _key(r)
        L0 = res.initial
        metrics[f"{k}_lr"] = r * eta_crit
        metrics[f"{k}_peak_loss"] = res.peak
        metrics[f"{k}_final_loss"] = res.final
        metrics[f"{k}_diverged"] = res.diverged
        metrics[f"{k}_n_spikes"] = len(find_spikes(res.losses).spikes)
        if not res.diverged:
            lam_final = ntk_spectrum(net, x).lambda_max
            metrics[f"{k}_lambda_final"] = lam_final
            if track:
                trace[0].append(res.steps)
                trace[1].append(lam_final)
                lam_traces[r] = trace
        if r < 1.0:
            monotone = bool(np.all(np.diff(res.losses) <= 1e-6 * L0))
            metrics[f"{k}_monotone"] = monotone
            checks.append(monotone and not res.diverged and res.final < 1e-3 * L0)
        elif r < 2.0:
            checks.append(
                (not res.diverged)
                and res.peak > 2 * L0
                and res.final < 1e-3 * L0
                and metrics[f"{k}_lambda_final"] < 2.0 / (r * eta_crit)
            )
        else:
            checks.append(res.diverged)
    reproduced = all(checks)
    _figure(out, runs, lam_traces, eta_crit, lam0)
    return finish(out, NAME, metrics, timer, signature=SIGNATURE, reproduced=reproduced)


def _figure(out, runs, lam_traces, eta_crit, lam0) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for r, res in runs.items():
        steps = np.arange(res.steps)
        axes[0].plot(steps + 1, res.losses, label=f"η = {r:g}·2/λ₀" + (" (diverged)" if res.diverged else ""))
    axes[0].set(xscale="log", yscale="log", xlabel="GD step", ylabel="training loss (½ MSE)", title="loss")
    axes[0].legend(fontsize=8)
    for r, (t, lam) in lam_traces.items():
        (line,) = axes[1].plot(np.asarray(t) + 1, lam, "o-", ms=3, label=f"λmax(K/n), η = {r:g}·2/λ₀")
        axes[1].axhline(
            2.0 / (r * eta_crit), color=line.get_color(), ls="--", lw=1, label=f"2/η = {2.0 / (r * eta_crit):.3f}"
        )
    axes[1].set(xscale="log", xlabel="GD step", ylabel="λmax(K/n)", title="NTK top eigenvalue (catapult runs)")
    axes[1].legend(fontsize=7)
    ratios = np.array(list(runs))
    peaks = np.array([min(runs[r].peak / runs[r].initial, 1e9) for r in runs])
    axes[2].semilogy(ratios, peaks, "o-")
    axes[2].axvline(1.0, color="k", ls=":", lw=1)
    axes[2].axvline(2.0, color="k", ls=":", lw=1)
    axes[2].set(
        xlabel="η / (2/λ₀)", ylabel="peak loss / initial loss (capped 1e9)", title="spike height vs learning rate"
    )
    fig.suptitle(f"Catapult: two-layer ReLU, NTK parametrisation, λ₀ = {lam0:.3f}")
    fig.tight_layout()
    save_figure(fig, os.path.join(out, "catapult.png"))
