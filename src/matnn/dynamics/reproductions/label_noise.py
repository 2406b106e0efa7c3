"""Clean-priority learning under label noise (Liu, Abedsoltan & Belkin, "On emergence of clean-priority learning in early stopped neural networks", 2023).

Binary classification of handwritten digits (scikit-learn's bundled 8×8 digits, even vs. odd, 64
standardised pixels; no download) with 30 % of the training labels flipped.  A two-layer ReLU network
(NTK parametrisation, width 512) is trained by full-batch GD on ½-MSE with ±1 labels.  The gradient
splits into the clean and the noisy samples' parts, g = g_clean + g_noisy.  At first the clean part
dominates (‖g_clean‖/‖g_noisy‖ ≈ (1−p)/p or more) and the two point in opposite directions, so the
network learns the clean rule and the error on *clean* test labels falls; as training proceeds the
ratio decays to ≈ 1, the noisy labels get memorised and the clean test error rises again — a U shape,
whose bottom is where early stopping should stop.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import torch

from matnn.config import resolve_device
from matnn.dynamics.gradients import gradient_decomposition
from matnn.dynamics.networks import NTKNetwork
from matnn.dynamics.ntk import ntk_spectrum
from matnn.dynamics.reproductions._common import Timer, finish, half_mse
from matnn.utils.plotting import plt, save_figure
from matnn.utils.progress import progress

NAME = "label-noise"
TITLE = "30% label noise: U-shaped clean test error, ‖g_clean‖/‖g_noisy‖ decays to ~1"
SIGNATURE = (
    "mean over seeds: clean test error falls by ≥ 0.1 from its initial value, then rises by ≥ 0.05 from its minimum "
    "to the end of training while ≥ 95% of the flipped training labels get fitted; ‖g_clean‖/‖g_noisy‖ ≥ 1.5 at the "
    "start and in [0.8, 1.25] at the end"
)


def digits_even_odd(
    seed: int, train_fraction: float = 0.6
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """scikit-learn digits, label +1 for even and −1 for odd; standardised and scaled to norm √64."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = data.data.astype(np.float32)
    y = np.where(data.target % 2 == 0, 1.0, -1.0).astype(np.float32)
    perm = np.random.default_rng(seed).permutation(len(x))
    x, y = x[perm], y[perm]
    n_train = int(train_fraction * len(x))
    mean, std = x[:n_train].mean(0), x[:n_train].std(0) + 1e-6  # training statistics only
    x = (x - mean) / std
    x = x / np.linalg.norm(x, axis=1, keepdims=True) * math.sqrt(x.shape[1])
    xt, yt = torch.tensor(x), torch.tensor(y).unsqueeze(1)
    return xt[:n_train], yt[:n_train], xt[n_train:], yt[n_train:]


def _log_steps(steps: int, n_points: int = 40) -> list[int]:
    return sorted({0, *np.unique(np.geomspace(1, steps, n_points).astype(int)).tolist()})


def run(
    out: str | os.PathLike,
    *,
    seed: int = 0,
    noise: float = 0.3,
    width: int = 512,
    steps: int = 3000,
    lr_ratio: float = 0.5,
    n_seeds: int = 3,
    show_progress: bool = True,
    device: str | torch.device | None = None,
) -> dict[str, Any]:
    """GD with ``noise`` of the training labels flipped; logs clean test error and the gradient split."""
    timer = Timer()
    dev = resolve_device(device)
    at = _log_steps(steps)
    curves = {k: np.zeros((n_seeds, len(at))) for k in ("test_error", "noisy_fitted", "ratio", "cosine", "loss")}
    for s in progress(range(n_seeds), desc="label-noise: seeds", enabled=show_progress):
        run_seed = 1000 * seed + s
        x, y_clean, xt, yt = (t.to(dev) for t in digits_even_odd(run_seed))
        gen = torch.Generator().manual_seed(run_seed + 1)
        flipped = (torch.rand(x.shape[0], generator=gen) < noise).to(dev)
        y = torch.where(flipped.unsqueeze(1), -y_clean, y_clean)
        mask = flipped.cpu().numpy()
        net = NTKNetwork(x.shape[1], width, seed=run_seed + 2).to(dev)
        lr = lr_ratio * 2.0 / ntk_spectrum(net, x).lambda_max
        opt = torch.optim.SGD(net.parameters(), lr=lr)
        j = 0
        for t in range(steps + 1):
            if t == at[j]:
                with torch.no_grad():
                    pred = net(x)
                    curves["test_error"][s, j] = float((torch.sign(net(xt)) != yt).float().mean())
                    curves["noisy_fitted"][s, j] = float((torch.sign(pred[flipped]) == y[flipped]).float().mean())
                    curves["loss"][s, j] = float(half_mse(pred, y))
                dec = gradient_decomposition(net, x, y, {"clean": ~mask, "noisy": mask}, loss="half_mse")
                curves["ratio"][s, j] = dec.ratio("clean", "noisy")
                curves["cosine"][s, j] = dec.cosines[("clean", "noisy")]
                j += 1
                if j == len(at):
                    break
            opt.zero_grad(set_to_none=True)
            half_mse(net(x), y).backward()
            opt.step()
    mean = {k: v.mean(0) for k, v in curves.items()}
    i_min = int(np.argmin(mean["test_error"]))
    metrics: dict[str, Any] = {
        "dataset": "sklearn digits, even vs odd",
        "n_train": int(x.shape[0]),
        "n_test": int(xt.shape[0]),
        "label_noise": noise,
        "width": width,
        "steps": steps,
        "lr_over_eta_crit": lr_ratio,
        "n_seeds": n_seeds,
        "test_error_initial": float(mean["test_error"][0]),
        "test_error_min": float(mean["test_error"][i_min]),
        "test_error_min_std": float(curves["test_error"][:, i_min].std()),
        "step_of_min_test_error": at[i_min],
        "test_error_final": float(mean["test_error"][-1]),
        "test_error_final_std": float(curves["test_error"][:, -1].std()),
        "noisy_fitted_at_min": float(mean["noisy_fitted"][i_min]),
        "noisy_fitted_final": float(mean["noisy_fitted"][-1]),
        "grad_ratio_initial": float(mean["ratio"][0]),
        "grad_ratio_at_min": float(mean["ratio"][i_min]),
        "grad_ratio_final": float(mean["ratio"][-1]),
        "grad_cosine_at_min": float(mean["cosine"][i_min]),
        "train_loss_final": float(mean["loss"][-1]),
    }
    reproduced = (
        metrics["test_error_min"] <= metrics["test_error_initial"] - 0.1
        and metrics["test_error_final"] - metrics["test_error_min"] >= 0.05
        and metrics["noisy_fitted_final"] >= 0.95
        and metrics["grad_ratio_initial"] >= 1.5
        and 0.8 <= metrics["grad_ratio_final"] <= 1.25
    )
    _figure(out, at, curves, mean, i_min)
    return finish(out, NAME, metrics, timer, signature=SIGNATURE, reproduced=bool(reproduced))


def _figure(out, at, curves, mean, i_min) -> None:
    steps = np.asarray(at) + 1
    fig, axes = plt.subplots(1, 3, figsize=(16, 4))
    for key, label in (("test_error", "clean test error"), ("noisy_fitted", "fraction of flipped labels fitted")):
        axes[0].plot(steps, mean[key], label=label)
        axes[0].fill_between(steps, curves[key].min(0), curves[key].max(0), alpha=0.2)
    axes[0].axvline(steps[i_min], color="k", ls=":", lw=1, label="min test error")
    axes[0].set(xscale="log", xlabel="GD step + 1", ylabel="fraction", title="clean-priority learning")
    axes[0].legend(fontsize=8)
    axes[1].plot(steps, mean["ratio"])
    axes[1].axhline(1.0, color="k", ls="--", lw=1)
    axes[1].axvline(steps[i_min], color="k", ls=":", lw=1)
    axes[1].set(xscale="log", xlabel="GD step + 1", ylabel="‖g_clean‖ / ‖g_noisy‖", title="gradient ratio")
    axes[2].plot(steps, mean["cosine"])
    axes[2].set(xscale="log", xlabel="GD step + 1", ylabel="cos(g_clean, g_noisy)", title="gradient alignment")
    fig.tight_layout()
    save_figure(fig, os.path.join(out, "label_noise.png"))
