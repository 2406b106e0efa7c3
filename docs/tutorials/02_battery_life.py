# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2. Battery cycle life from early cycles
#
# How many cycles will a lithium-ion cell last, judged from its first 100? Severson et al. (Nature
# Energy 4, 383, 2019) cycled 124 LFP/graphite cells to 80 % of their capacity and found that one
# number computed from cycles 10 and 100 predicts the lifetime remarkably well: the variance over
# voltage of ΔQ₁₀₀₋₁₀(V) = Q₁₀₀(V) − Q₁₀(V), the change of the discharge capacity curve between
# cycle 10 and cycle 100.
#
# This tutorial
#
# 1. loads the Severson cells (or, when that data set is not on this machine, makes a small synthetic
#    fleet right here),
# 2. computes the ΔQ feature and fits Severson's *variance model* by hand,
# 3. runs the same model through matnn's battery registry and `train_and_evaluate`,
# 4. trains a small convolutional network on the ΔQ curves.
#
# Everything is kept small so that it runs in seconds on one core: the network trains for a few dozen
# epochs and one seed. Real runs (`matnn battery train --model dqnet --seeds 10`) train longer and
# report the mean and spread over ten seeds.

# %%
import os
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import matnn
from matnn.data.battery import BatteryDataset, load_npz
from matnn.models.battery import BATTERY_MODELS, NeuralModel, default_config, make_model
from matnn.workflows.battery import train_and_evaluate

matnn.set_seed(0)

# %% [markdown]
# ## Data
#
# A `BatteryDataset` holds `qdlin`, the discharge capacity Q in Ah of each cell on a voltage grid
# (3.6 → 2.0 V, 200 points) for cycles 2 to 100, shape `(n_cells, n_voltages, n_cycles)`, and
# `cycle_life`, the number of cycles until the capacity first fell below 80 % of nominal.
#
# The real data are looked up in `../shared/datasets/severson` beside the repository (or in
# `$MATNN_SHARED_DATASETS`); `load_npz` repairs the few glitched cycles of real cycler data and lists
# each repair in `qc_report`. Without that folder we generate a synthetic fleet instead: each cell gets
# a fade rate, its Q(V) curve shrinks a little more each cycle, most where the LFP plateau is, and its
# lifetime falls as a power of the fade rate — the relation the variance model exploits. (matnn's
# physics-based fleet, `matnn.data.battery.simulate_fleet`, simulates cells with PyBaMM instead; it
# takes minutes, too long for this notebook.)


# %%
def shared_datasets() -> Path | None:
    """The shared data sets folder, if this machine has it."""
    for candidate in (os.environ.get("MATNN_SHARED_DATASETS"), "../../../shared/datasets"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def synthetic_fleet(n_cells: int, seed: int) -> BatteryDataset:
    """Toy Q(V) curves whose fade between cycles 10 and 100 sets the cycle life (no PyBaMM needed)."""
    rng = np.random.default_rng(seed)
    voltage = np.linspace(3.6, 2.0, 200)
    cycles = np.arange(2, 101)
    # Fraction of the capacity delivered above each voltage: most of it on the plateau near 3.25 V.
    shape = 1.0 / (1.0 + np.exp((voltage - 3.25) / 0.03)) * 0.9 + 0.1 * (3.6 - voltage) / 1.6
    fade = 10 ** rng.uniform(-5.3, -4.3, n_cells)  # capacity lost per cycle, as a fraction
    q_max = 1.07 + 0.01 * rng.standard_normal(n_cells)  # Ah
    # Loss concentrated on the plateau: Q_k(V) = q_max · shape(V) · (1 − fade · k · (1 + plateau weight))
    plateau = np.exp(-(((voltage - 3.22) / 0.08) ** 2))
    loss = fade[:, None, None] * cycles[None, None, :] * (0.3 + plateau[None, :, None])
    qdlin = q_max[:, None, None] * shape[None, :, None] * (1.0 - loss)
    qdlin += 1e-4 * rng.standard_normal(qdlin.shape)  # 0.1 mAh measurement noise
    life = 10 ** (3.0 - 0.75 * (np.log10(fade) + 4.8) + 0.04 * rng.standard_normal(n_cells))
    return BatteryDataset(qdlin, life, voltage=voltage, cycles=cycles, source="synthetic fleet")


root = shared_datasets()
if root is not None and (root / "severson" / "train.npz").is_file():
    train = load_npz(root / "severson" / "train.npz")
    test = load_npz(root / "severson" / "test1.npz")
    print("Severson cells:", *train.qc_report[:3], sep="\n  ")
else:
    fleet = synthetic_fleet(80, seed=0)
    train, test = fleet.subset(np.arange(40)), fleet.subset(np.arange(40, 80))
    print("shared data not found: using a synthetic fleet")
print(f"train: {train.n_cells} cells, test: {test.n_cells} cells, qdlin shape {train.qdlin.shape}")
print(f"cycle life in the training cells: {train.cycle_life.min():.0f} to {train.cycle_life.max():.0f} cycles")

# %% [markdown]
# ## The ΔQ₁₀₀₋₁₀(V) feature
#
# `delta_q(100, 10)` gives Q₁₀₀(V) − Q₁₀(V) for every cell, shape `(n_cells, n_voltages)`. Cells that
# will die early already lose more capacity between cycles 10 and 100, and the curves show it.

# %%
dq = train.delta_q(100, 10)
fig, ax = plt.subplots(figsize=(5, 3.2))
colors = plt.cm.viridis((np.log10(train.cycle_life) - 2.0) / 1.4)
for c in range(train.n_cells):
    ax.plot(dq[c] * 1000, train.voltage, color=colors[c], lw=0.8)
ax.set(xlabel="ΔQ₁₀₀₋₁₀ (mAh)", ylabel="voltage (V)", title="colour: log10 cycle life")
fig.tight_layout()

# %% [markdown]
# ## The variance model, by hand
#
# Severson's model is a straight line: log10(cycle life) = a · log10 var_V(ΔQ₁₀₀₋₁₀) + b, fitted by
# least squares on the training cells. Errors are reported in cycles, as the root-mean-square error
# (RMSE) on the test cells, which play no part in the fit.

# %%
x_train = np.log10(np.var(train.delta_q(100, 10), axis=1))
x_test = np.log10(np.var(test.delta_q(100, 10), axis=1))
a, b = np.polyfit(x_train, np.log10(train.cycle_life), 1)
pred_by_hand = 10 ** (a * x_test + b)
rmse_by_hand = np.sqrt(np.mean((pred_by_hand - test.cycle_life) ** 2))
print(f"slope {a:.3f}, intercept {b:.3f}; test RMSE {rmse_by_hand:.0f} cycles")

# %% [markdown]
# ## The same model from matnn's registry
#
# Every battery model has one entry in `BATTERY_MODELS`: its name, its source and its default recipe.
# `make_model(name)` builds a fresh one; `train_and_evaluate` fits it once per seed and scores it on the
# test cells (the same function `matnn battery train` runs). The variance model is deterministic, so one
# seed suffices, and it must agree with our line.

# %%
for spec in BATTERY_MODELS:
    print(f"{spec.name:12s} {spec.family:10s} {spec.summary}")
variance = make_model("variance").fit(train)
print("registry model vs by hand:", np.max(np.abs(variance.predict(test) - pred_by_hand)), "cycles")
metrics = train_and_evaluate(train, test, model="variance", seeds=1, show_progress=False, figures=False)
print({k: metrics[k] for k in ("rmse", "mape", "n_train", "n_test")})

# %% [markdown]
# ## A small network on the ΔQ curves
#
# The tutorial CNN (`cnn` in the registry) reads ΔQₖ(V) = Qₖ(V) − Q₁₀(V) for k = 20, 30, …, 100 as a
# 200 × 9 image and regresses log10 cycle life, with early stopping on a fifth of the training cells.
# Its registered recipe allows up to 600 epochs; here we cap it at 60 to stay fast, so expect a worse
# score than the bench figures (`bench/RESULTS.md`). With ~40 training cells a network has little to
# learn from, and one seed says little: real comparisons use ten.

# %%
config = replace(default_config("cnn"), epochs=60, patience=20)
cnn = NeuralModel("cnn", seed=0, config=config).fit(train)
pred_cnn = cnn.predict(test)
rmse_cnn = np.sqrt(np.mean((pred_cnn - test.cycle_life) ** 2))
print(f"cnn (60 epochs, one seed): test RMSE {rmse_cnn:.0f} cycles; variance model: {metrics['rmse']:.0f}")

fig, ax = plt.subplots(figsize=(4, 4))
lim = [test.cycle_life.min() * 0.8, test.cycle_life.max() * 1.2]
ax.plot(lim, lim, "k--", lw=1)
ax.plot(test.cycle_life, variance.predict(test), "o", label=f"variance ({metrics['rmse']:.0f})")
ax.plot(test.cycle_life, pred_cnn, "s", mfc="none", label=f"cnn ({rmse_cnn:.0f})")
ax.set(xlabel="true cycle life", ylabel="predicted", xscale="log", yscale="log")
ax.legend(title="test RMSE (cycles)", fontsize=8)
fig.tight_layout()

# %% [markdown]
# ## Exercise
#
# Severson's feature uses cycles 100 and 10. How early can we predict? Repeat the hand-made variance
# model with ΔQ₅₀₋₁₀ (cycle 50 instead of 100) and with ΔQ₃₀₋₁₀, and compare the test RMSE with
# ΔQ₁₀₀₋₁₀. Fit on the training cells only.

# %% [markdown]
# ## Solution


# %%
def variance_model_rmse(late: int) -> float:
    """Test RMSE (cycles) of the variance model built on ΔQ_late−10."""
    xtr = np.log10(np.var(train.delta_q(late, 10), axis=1))
    xte = np.log10(np.var(test.delta_q(late, 10), axis=1))
    slope, intercept = np.polyfit(xtr, np.log10(train.cycle_life), 1)
    return float(np.sqrt(np.mean((10 ** (slope * xte + intercept) - test.cycle_life) ** 2)))


for late in (30, 50, 100):
    print(f"ΔQ_{late}-10: test RMSE {variance_model_rmse(late):.0f} cycles")
# Earlier cycles leave less time for the curves to separate, so the feature is noisier and the error
# usually grows: the lifetime signal builds up with the cycles.
