"""SGD with batch size 1 needs about as many iterations as GD when the model interpolates (Liu, Drusvyatskiy, Belkin, Davis & Ma, "Aiming towards the minimizers", 2023).

Each run trains a wide two-layer ReLU network (NTK parametrisation) on y = x₁x₂ until the full
training loss falls below 1e-2 × its initial value, once with full-batch GD at η = 1/λmax(K/n) and once
with single-sample SGD at η = 1/maxᵢ K(xᵢ, xᵢ) (one over each method's smoothness constant).  A GD step
touches n samples, an SGD step one, yet for an over-parametrised model that can fit every point the SGD
iteration count is only a roughly constant multiple of GD's: the ratio grows far slower than n.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from matnn.config import resolve_device
from matnn.dynamics.networks import NTKNetwork
from matnn.dynamics.ntk import empirical_ntk
from matnn.dynamics.reproductions._common import Timer, finish, half_mse, loglog_slope, product_data
from matnn.utils.plotting import plt, save_figure
from matnn.utils.progress import progress

NAME = "sgd-interpolation"
TITLE = "Iterations SGD(batch 1) / GD grow far slower than n"
SIGNATURE = "log-log slope of mean(iterations SGD batch 1 / iterations GD) against n ≤ 0.5 (n grows 16-fold), every run reaching the threshold"


def _iterations_gd(net, x, y, lr: float, target: float, max_steps: int) -> int | None:
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    for t in range(max_steps):
        loss = half_mse(net(x), y)
        if float(loss.detach()) < target:
            return t
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return None


def _iterations_sgd(net, x, y, lr: float, target: float, max_steps: int, seed: int, check_every: int) -> int | None:
    n = x.shape[0]
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    idx_all = torch.randint(n, (max_steps,), generator=gen).to(x.device)
    for t in range(max_steps):
        if t % check_every == 0:
            with torch.no_grad():
                if float(half_mse(net(x), y)) < target:
                    return t
        i = idx_all[t : t + 1]
        opt.zero_grad(set_to_none=True)
        half_mse(net(x[i]), y[i]).backward()
        opt.step()
    return None


def run(
    out: str | os.PathLike,
    *,
    seed: int = 0,
    d: int = 20,
    width: int = 2048,
    sizes: tuple[int, ...] = (64, 256, 1024),
    threshold: float = 1e-2,
    n_seeds: int = 3,
    check_every: int = 8,
    show_progress: bool = True,
    device: str | torch.device | None = None,
) -> dict[str, Any]:
    """Iterations to reach ``threshold`` × initial loss for GD and batch-1 SGD, for each training-set size."""
    timer = Timer()
    dev = resolve_device(device)
    rec: dict[int, dict[str, list]] = {n: {"gd": [], "sgd": [], "ratio": []} for n in sizes}
    jobs = [(n, s) for n in sizes for s in range(n_seeds)]
    for n, s in progress(jobs, desc="sgd-interpolation: n x seed", enabled=show_progress):
        x, y = product_data(n, d, 1000 * seed + 10 * s + n, device=dev)
        init_seed = 1000 * seed + s + 1
        net = NTKNetwork(d, width, seed=init_seed).to(dev)
        K = empirical_ntk(net, x)
        lam = float(torch.linalg.eigvalsh(K.double())[-1]) / n
        k_max = float(K.diagonal().max())
        with torch.no_grad():
            target = threshold * float(half_mse(net(x), y))
        it_gd = _iterations_gd(net, x, y, 1.0 / lam, target, max_steps=20000)
        it_sgd = _iterations_sgd(
            NTKNetwork(d, width, seed=init_seed).to(dev),
            x,
            y,
            1.0 / k_max,
            target,
            max_steps=400000,
            seed=init_seed + 99,
            check_every=check_every,
        )
        rec[n]["gd"].append(it_gd)
        rec[n]["sgd"].append(it_sgd)
        rec[n]["ratio"].append(it_sgd / it_gd if it_gd and it_sgd else float("nan"))
    all_reached = all(v is not None for r in rec.values() for k in ("gd", "sgd") for v in r[k])
    metrics: dict[str, Any] = {
        "input_dim": d,
        "width": width,
        "loss_threshold_rel": threshold,
        "n_seeds": n_seeds,
        "sgd_check_every": check_every,
    }
    mean_ratio = {}
    for n in sizes:
        gd = [v for v in rec[n]["gd"] if v is not None]
        sgd = [v for v in rec[n]["sgd"] if v is not None]
        mean_ratio[n] = float(np.nanmean(rec[n]["ratio"]))
        metrics[f"n{n}_gd_iterations_mean"] = float(np.mean(gd)) if gd else None
        metrics[f"n{n}_sgd_iterations_mean"] = float(np.mean(sgd)) if sgd else None
        metrics[f"n{n}_ratio_mean"] = mean_ratio[n]
        metrics[f"n{n}_ratio_std"] = float(np.nanstd(rec[n]["ratio"]))
    slope = loglog_slope(list(mean_ratio), list(mean_ratio.values())) if all_reached else float("nan")
    metrics["ratio_slope_loglog"] = slope
    metrics["all_runs_reached_threshold"] = all_reached
    reproduced = bool(all_reached and slope <= 0.5)
    _figure(out, rec, mean_ratio, sizes)
    return finish(out, NAME, metrics, timer, signature=SIGNATURE, reproduced=reproduced)


def _figure(out, rec, mean_ratio, sizes) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for key, label in (("gd", "GD (n samples / step)"), ("sgd", "SGD batch 1 (1 sample / step)")):
        vals = [np.mean([v for v in rec[n][key] if v is not None] or [np.nan]) for n in sizes]
        axes[0].loglog(sizes, vals, "o-", label=label)
    axes[0].set(
        xlabel="training-set size n", ylabel="iterations to 1e-2 × initial loss", title="iterations to the threshold"
    )
    axes[0].legend()
    ns = np.array(sizes, dtype=float)
    axes[1].loglog(ns, list(mean_ratio.values()), "o-", label="SGD / GD iterations")
    axes[1].loglog(ns, mean_ratio[sizes[0]] * ns / ns[0], "k--", lw=1, label="∝ n")
    axes[1].set(xlabel="training-set size n", ylabel="iteration ratio", title="SGD(1)/GD iteration ratio")
    axes[1].legend()
    fig.tight_layout()
    save_figure(fig, os.path.join(out, "sgd_interpolation.png"))
