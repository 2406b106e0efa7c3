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
# # 6. Training dynamics: the NTK, the Hessian and a catapult
#
# Why does a learning rate of 0.01 train a network and 0.1 blow it up? Two matrices answer that:
#
# * the **neural tangent kernel** K(x, x′) = ∇_w f(x) · ∇_w f(x′): to first order, one gradient-descent
#   step on the squared error changes the training residual r = f − y as r ← (I − η K/n) r. Its
#   eigenvalues are the rates at which the directions of the residual are fitted;
# * the **Hessian** of the loss, ∂²L/∂w²: its top eigenvalue, the *sharpness*, is the curvature along
#   the steepest direction of the loss surface. Gradient descent is stable near a minimum only while
#   sharpness < 2/η.
#
# For the mean squared error the two agree near a fit (the Hessian's Gauss–Newton part is built from
# the NTK), which gives a critical learning rate η_crit = 2/sharpness. Below it, the loss falls
# smoothly; somewhat above it, classical theory predicts divergence, yet a network often survives:
# the loss spikes, the network moves to a flatter region where sharpness < 2/η, and training resumes.
# Lewkowycz et al. (2020) named this the **catapult**. `matnn.dynamics` measures all of these for any
# matnn or torch model.
#
# The network and data are small so that everything runs in seconds on one core; `matnn dynamics
# catapult` runs the published experiment.

# %%
import matplotlib.pyplot as plt
import numpy as np

import matnn
from matnn.dynamics import (
    DynamicsMonitor,
    critical_learning_rate,
    empirical_ntk,
    loss_hessian_eigenvalues,
    ntk_spectrum,
)
from matnn.layers import Dense

# %% [markdown]
# ## A network and its NTK
#
# 64 points in 10 dimensions; the target is the product of the first two inputs. One hidden layer of
# 256 ReLU units. `empirical_ntk` returns the n × n kernel (one output), computed with `torch.func`.


# %%
def make_model(seed: int = 0) -> matnn.Sequential:
    matnn.set_seed(seed)  # same initial weights every time we call it
    model = matnn.Sequential([Dense(256, activation="relu", input_shape=(10,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


rng = np.random.default_rng(0)
x = rng.standard_normal((64, 10)).astype("float32")
y = x[:, :1] * x[:, 1:2]

model = make_model()
K = empirical_ntk(model, x)  # (64, 64), symmetric positive semi-definite
spectrum = ntk_spectrum(model, x)  # eigenvalues of K/n
print("K:", tuple(K.shape), "| symmetric:", bool(np.allclose(K, K.T, atol=1e-4)))
print(
    f"λmax(K/n) = {spectrum.lambda_max:.3f}, λmin(K/n) = {spectrum.lambda_min:.2e}, "
    f"condition number {spectrum.condition_number:.1e}"
)

fig, ax = plt.subplots(figsize=(4.5, 3))
ax.semilogy(np.linalg.eigvalsh(K.numpy() / len(x))[::-1], ".")
ax.set(xlabel="index", ylabel="eigenvalue of K/n", title="NTK spectrum at initialisation")
fig.tight_layout()

# %% [markdown]
# The spectrum spans orders of magnitude: gradient descent fits the top directions in a few steps and
# the bottom ones very slowly. The largest eigenvalue limits the step size.
#
# ## Sharpness and the critical learning rate
#
# matnn's (Keras's) `"mse"` averages (f − y)² over the n samples, so its Gauss–Newton Hessian is
# (2/n) JᵀJ, whose top eigenvalue equals 2 λmax(K/n). `critical_learning_rate(..., loss="mse")` returns
# 2 / that. The exact top eigenvalue of the loss Hessian (by Lanczos, from Hessian–vector products)
# adds a term from the residual, so the two differ a little at initialisation.

# %%
eta_crit = critical_learning_rate(model, x, loss="mse")
sharpness = loss_hessian_eigenvalues(model, x, y, loss="mse", k=1).top
print(f"η_crit from the NTK: {eta_crit:.4f}; 2 / sharpness of the loss Hessian: {2 / sharpness:.4f}")

# %% [markdown]
# ## Below, above and far above η_crit
#
# Full-batch gradient descent (one batch = all 64 points, plain SGD) for 100 epochs at 0.5, 1.5 and 3
# times 2/sharpness. `DynamicsMonitor` watches the middle run: it measures the sharpness every 5 epochs
# and reports when it crosses 2/η, when the loss spikes and when the spike completes — a catapult.

# %%
losses, monitors = {}, {}
for factor in (0.5, 1.5, 3.0):
    net = make_model()
    net.compile(optimizer=matnn.optimizers.SGD(learning_rate=factor * 2 / sharpness), loss="mse")
    callbacks = []
    if factor == 1.5:
        monitors[factor] = DynamicsMonitor(x, y, every=5, verbose=True)
        callbacks.append(monitors[factor])
    try:
        hist = net.fit(x, y, epochs=100, batch_size=len(x), shuffle=False, verbose=0, callbacks=callbacks)
        losses[factor] = hist.history["loss"]
    except matnn.DivergenceError as err:  # a NaN/inf loss stops training with this error
        print(f"η = {factor} × 2/sharpness diverged: {str(err)[:90]}...")
        losses[factor] = None

# %%
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9, 3.2))
for factor, curve in losses.items():
    if curve is not None:
        ax0.semilogy(curve, label=f"η = {factor} × 2/sharpness")
ax0.set(xlabel="epoch (= one GD step)", ylabel="training MSE")
ax0.legend(fontsize=8)
mon = monitors[1.5]
ax1.plot(mon.history["epoch"], mon.history["lambda_max"], "o-", label="sharpness")
ax1.plot(mon.history["epoch"], mon.history["threshold"], "k--", label="2/η")
ax1.set(xlabel="epoch", ylabel="top Hessian eigenvalue", title="η = 1.5 × 2/sharpness")
ax1.legend(fontsize=8)
fig.tight_layout()
print("events of the 1.5× run:", mon.events)

# %% [markdown]
# At 0.5× the loss falls monotonically. At 1.5× it first rises — the step overshoots along the
# sharpest direction — then the sharpness drops below 2/η and the loss falls again: a catapult. Later
# in that run the sharpness creeps back up to 2/η and hovers there (the monitor reports it crossing
# back and forth): gradient descent keeps the curvature at the edge of what its step size tolerates
# ("edge of stability", Cohen et al., 2021). At 3× no flatter region is reached in time and the loss
# blows up (matnn stops with a `DivergenceError` and restores the last finite weights). The exact
# epochs and heights depend on the seed; `matnn dynamics catapult` checks the signature over several
# learning rates with the NTK parametrisation of the papers.

# %% [markdown]
# ## Exercise
#
# The catapult's signature is that training *ends* in a flatter region. Train the 1.5× network again
# (same initial weights, 100 epochs) and measure the sharpness of the loss at the end. How does it
# compare with 2/η and with the sharpness at initialisation? Do the same for the 0.5× run.

# %% [markdown]
# ## Solution

# %%
final = {}
for factor in (0.5, 1.5):
    net = make_model()
    eta = factor * 2 / sharpness
    net.compile(optimizer=matnn.optimizers.SGD(learning_rate=eta), loss="mse")
    net.fit(x, y, epochs=100, batch_size=len(x), shuffle=False, verbose=0)
    final[factor] = loss_hessian_eigenvalues(net, x, y, loss="mse", k=1).top
    print(
        f"η = {factor} × 2/sharpness: final sharpness {final[factor]:.2f} (2/η = {2 / eta:.2f}; "
        f"at initialisation {sharpness:.2f})"
    )
# The 1.5x run ends with a sharpness at about 2/η, far below where it started: the spike threw the
# network into a flatter region, and later training sharpened it only up to the stability edge 2/η.
# The 0.5x run needed no such move: its sharpness grows during training ("progressive sharpening") but
# stays below its own, much higher, 2/η.
assert final[1.5] < sharpness and final[0.5] < 2 / (0.5 * 2 / sharpness)
