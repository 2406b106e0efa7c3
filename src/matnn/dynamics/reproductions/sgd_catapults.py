"""Smaller SGD batches → more catapults → better features (Zhu, Liu, Radhakrishnan & Belkin, "Catapults in SGD", 2023).

A two-layer ReLU network (NTK parametrisation) learns y = x₁ x₂ from n = 256 points with SGD at one
learning rate, η = 0.7 · 2/λmax(K/n), which is stable for full-batch GD.  A mini-batch sees the kernel
of its own b samples, whose top eigenvalue λmax(K_b/b) grows as b shrinks, so small batches repeatedly
exceed their own critical learning rate: the full training loss spikes and recovers (catapults).  Each
catapult pushes the network along the top NTK directions, which aligns its AGOP with the true
AGOP M* = diag(1, 1, 0, …) of x₁x₂ — better features, lower test error.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from matnn.config import resolve_device
from matnn.dynamics.agop import agop, agop_alignment
from matnn.dynamics.networks import NTKNetwork
from matnn.dynamics.ntk import ntk_spectrum
from matnn.dynamics.reproductions._common import Timer, finish, product_data, sgd_train
from matnn.dynamics.spikes import find_spikes
from matnn.utils.plotting import plt, save_figure
from matnn.utils.progress import progress

NAME = "sgd-catapults"
TITLE = "Smaller batches: more catapults, higher AGOP alignment, lower test error"
SIGNATURE = (
    "means over seeds: catapult count never decreases as the batch shrinks, and the smallest batch has more catapults, "
    "higher AGOP alignment with M* and lower test MSE than full-batch GD"
)


def run(
    out: str | os.PathLike,
    *,
    seed: int = 0,
    n: int = 256,
    d: int = 20,
    width: int = 1024,
    n_test: int = 2000,
    batch_sizes: tuple[int, ...] = (256, 64, 16, 4),
    steps: int = 3000,
    lr_ratio: float = 0.7,
    n_seeds: int = 3,
    show_progress: bool = True,
    device: str | torch.device | None = None,
) -> dict[str, Any]:
    """SGD at ``lr_ratio`` × 2/λ₀ for each batch size and seed; counts catapults of the full training loss."""
    timer = Timer()
    dev = resolve_device(device)
    M_star = torch.zeros(d, d)
    M_star[0, 0] = M_star[1, 1] = 1.0
    rec: dict[int, dict[str, list[float]]] = {
        b: {"catapults": [], "alignment": [], "test_mse": [], "final_loss": []} for b in batch_sizes
    }
    curves: dict[int, np.ndarray] = {}
    jobs = [(s, b) for s in range(n_seeds) for b in batch_sizes]
    lrs = []
    cache: dict[int, tuple] = {}
    for s, b in progress(jobs, desc="sgd-catapults: seed x batch", enabled=show_progress):
        if s not in cache:
            x, y = product_data(n, d, 1000 * seed + s, device=dev)
            xt, yt = product_data(n_test, d, 1000 * seed + s + 500, device=dev)
            lam0 = ntk_spectrum(NTKNetwork(d, width, seed=1000 * seed + s + 1).to(dev), x).lambda_max
            cache[s] = (x, y, xt, yt, lr_ratio * 2.0 / lam0)
            lrs.append(lr_ratio * 2.0 / lam0)
        x, y, xt, yt, lr = cache[s]
        net = NTKNetwork(d, width, seed=1000 * seed + s + 1).to(dev)
        res = sgd_train(net, x, y, lr=lr, batch_size=b, steps=steps, seed=1000 * seed + s + 7)
        det = find_spikes(res.losses, rise=2.0, floor=1e-3 * res.initial)
        with torch.no_grad():
            test = float((net(xt) - yt).pow(2).mean()) if not res.diverged else float("nan")
        rec[b]["catapults"].append(det.n_catapults)
        rec[b]["alignment"].append(agop_alignment(agop(net, xt), M_star) if not res.diverged else float("nan"))
        rec[b]["test_mse"].append(test)
        rec[b]["final_loss"].append(res.final)
        if s == 0:
            curves[b] = res.losses
    mean = {b: {k: float(np.mean(v)) for k, v in r.items()} for b, r in rec.items()}
    metrics: dict[str, Any] = {
        "n_train": n,
        "input_dim": d,
        "width": width,
        "steps": steps,
        "lr_over_eta_crit": lr_ratio,
        "lr_mean": float(np.mean(lrs)),
        "n_seeds": n_seeds,
    }
    for b in batch_sizes:
        for k in ("catapults", "alignment", "test_mse", "final_loss"):
            metrics[f"batch{b}_{k}_mean"] = mean[b][k]
            metrics[f"batch{b}_{k}_std"] = float(np.std(rec[b][k]))
    order = sorted(batch_sizes, reverse=True)
    counts = [mean[b]["catapults"] for b in order]
    big, small = order[0], order[-1]
    reproduced = (
        all(np.diff(counts) >= 0)
        and mean[small]["catapults"] > mean[big]["catapults"]
        and mean[small]["alignment"] > mean[big]["alignment"]
        and mean[small]["test_mse"] < mean[big]["test_mse"]
    )
    _figure(out, curves, mean, rec, order)
    return finish(out, NAME, metrics, timer, signature=SIGNATURE, reproduced=bool(reproduced))


def _figure(out, curves, mean, rec, order) -> None:
    fig, axes = plt.subplots(1, 4, figsize=(18, 4))
    for b in order:
        axes[0].semilogy(np.arange(len(curves[b])) + 1, curves[b], lw=0.8, label=f"batch {b}")
    axes[0].set(xlabel="SGD step", ylabel="full training loss", title="training loss (seed 0)")
    axes[0].legend()
    for ax, key, label in zip(
        axes[1:],
        ("catapults", "alignment", "test_mse"),
        ("catapults", "AGOP alignment with M*", "test MSE"),
        strict=True,
    ):
        means = [mean[b][key] for b in order]
        stds = [np.std(rec[b][key]) for b in order]
        ax.errorbar(range(len(order)), means, yerr=stds, fmt="o-", capsize=3)
        ax.set_xticks(range(len(order)), [str(b) for b in order])
        ax.set(xlabel="batch size", ylabel=label, title=f"{label} (mean ± std over seeds)")
    fig.tight_layout()
    save_figure(fig, os.path.join(out, "sgd_catapults.png"))
