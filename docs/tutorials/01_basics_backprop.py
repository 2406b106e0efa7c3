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
# # 1. Neural-network basics and backpropagation
#
# A neural network is **architecture + loss + optimizer**:
#
# * the *architecture* is a parametrised function ŷ = f(x; w) — here a stack of `Dense` layers;
# * the *loss* is one number that says how wrong the predictions are — here the mean squared error;
# * the *optimizer* is the rule that changes the weights w to lower the loss — here Adam, a variant of
#   gradient descent.
#
# The first half of this tutorial trains such a network with matnn's Keras-style API
# (`matnn.Sequential`, `compile`, `fit`). The second half opens the box: the gradient that every
# optimizer step needs is computed by **backpropagation**, the chain rule applied layer by layer. We
# compute it by hand, term by term, with `matnn.fundamentals.backprop.GlassBoxMLP` (plain NumPy) and
# check it against PyTorch's automatic differentiation.
#
# Everything here is tiny so that the notebook runs in seconds on one CPU core; real runs use more
# data, more epochs and several seeds.

# %%
import matplotlib.pyplot as plt
import numpy as np

import matnn
from matnn.fundamentals.backprop import GlassBoxMLP, autograd_gradients, gradient_norms_by_depth
from matnn.fundamentals.datasets import noisy_sine
from matnn.layers import Dense

matnn.set_seed(0)  # same seed, same initial weights and batch order, same numbers

# %% [markdown]
# ## Data
#
# Forty noisy samples of y = sin(2πx) on [0, 1], and 200 fresh points from the same source to check
# the fit on data the network never saw (the *validation* set). The noise has standard deviation 0.2,
# so the best possible validation MSE is 0.2² = 0.04.

# %%
x_train, y_train = noisy_sine(40, noise=0.2, seed=0)
x_val, y_val = noisy_sine(200, noise=0.2, seed=1)
x_train, y_train = x_train[:, None].astype("float32"), y_train[:, None].astype("float32")
x_val, y_val = x_val[:, None].astype("float32"), y_val[:, None].astype("float32")
print(x_train.shape, y_train.shape)  # (n_samples, n_features), (n_samples, n_outputs)

# %% [markdown]
# ## Architecture + loss + optimizer
#
# Two hidden layers of 32 tanh units and one linear output. `input_shape` excludes the batch
# dimension. `summary()` lists each layer and its number of weights: a `Dense(32)` layer on 32 inputs
# has 32 × 32 weights plus 32 biases.

# %%
model = matnn.Sequential(
    [
        Dense(32, activation="tanh", input_shape=(1,)),  # 1. architecture
        Dense(32, activation="tanh"),
        Dense(1),
    ]
)
model.compile(optimizer=matnn.optimizers.Adam(learning_rate=1e-2), loss="mse", metrics=["mae"])  # 2. loss, 3. optimizer
print(model.summary(print_fn=None))

# %% [markdown]
# `fit` runs the optimizer: each **epoch** visits every training sample once, in mini-batches of 16;
# after each batch the weights take one Adam step along the negative gradient of the batch's loss.
# `history.history` holds the loss after each epoch, on the training and validation data.

# %%
history = model.fit(x_train, y_train, epochs=300, batch_size=16, validation_data=(x_val, y_val), verbose=0)
print({k: round(v[-1], 4) for k, v in history.history.items()})
print("validation:", {k: round(v, 4) for k, v in model.evaluate(x_val, y_val, return_dict=True).items()})

# %%
grid = np.linspace(0, 1, 200, dtype="float32")[:, None]
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9, 3.2))
ax0.plot(x_train, y_train, "o", ms=4, label="training data")
ax0.plot(grid, np.sin(2 * np.pi * grid), "k--", lw=1, label="sin(2πx)")
ax0.plot(grid, model.predict(grid), "C3", label="network")
ax0.set(xlabel="x", ylabel="y")
ax0.legend(fontsize=8)
ax1.semilogy(history.history["loss"], label="training")
ax1.semilogy(history.history["val_loss"], label="validation")
ax1.axhline(0.04, color="k", ls=":", lw=1, label="noise floor")
ax1.set(xlabel="epoch", ylabel="MSE")
ax1.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# ## Backpropagation, term by term
#
# Write layer l as z⁽ˡ⁾ = a⁽ˡ⁻¹⁾W⁽ˡ⁾ᵀ + b⁽ˡ⁾ and a⁽ˡ⁾ = σ(z⁽ˡ⁾), with a⁽⁰⁾ = x, and the cost
# C = mean over the batch of Σⱼ (aⱼ⁽ᴸ⁾ − yⱼ)². The chain rule, read from the cost back to one weight of
# the last layer, is a product of three factors:
#
# ∂C/∂wⱼₖ⁽ᴸ⁾ = mean over the batch of  aₖ⁽ᴸ⁻¹⁾ · σ′(zⱼ⁽ᴸ⁾) · 2(aⱼ⁽ᴸ⁾ − yⱼ)
#
# (∂z/∂w, ∂a/∂z and ∂C/∂a). For an earlier layer the last factor is replaced by how the cost changes
# with that neuron's activation, collected from every neuron it feeds:
# ∂C/∂aₖ⁽ˡ⁻¹⁾ = Σⱼ wⱼₖ⁽ˡ⁾ σ′(zⱼ⁽ˡ⁾) ∂C/∂aⱼ⁽ˡ⁾.
#
# `GlassBoxMLP` computes exactly these products in NumPy and keeps every factor. First we rebuild the
# last-layer gradient from the factors ourselves, then compare all gradients with PyTorch autograd.

# %%
net = GlassBoxMLP([1, 8, 8, 1], activation="tanh", seed=0)
X, Y = x_train.astype(np.float64), y_train.astype(np.float64)
cache = net.forward(X)  # keeps every z⁽ˡ⁾ and a⁽ˡ⁾
grads = net.backward(cache, Y)  # keeps ∂C/∂a⁽ˡ⁾ and σ′(z⁽ˡ⁾)
L = net.n_layers

# the three factors of the last layer, multiplied and averaged over the batch by hand
a_prev = cache.a[L - 1]  # aₖ⁽ᴸ⁻¹⁾, shape (n, 8)
sigma_prime = grads.sigma_prime[L]  # σ′(zⱼ⁽ᴸ⁾) = 1 for the linear output, shape (n, 1)
dC_da = 2 * (cache.a[L] - Y)  # 2(aⱼ⁽ᴸ⁾ − yⱼ), shape (n, 1)
dW_last_by_hand = np.einsum("nk,nj->jk", a_prev, sigma_prime * dC_da) / len(X)
print("last layer, by hand vs backward():", np.max(np.abs(dW_last_by_hand - grads.dW[L])))

dW_auto, db_auto = autograd_gradients(net, X, Y)  # the reference: torch autograd in float64
for l in range(1, L + 1):
    print(
        f"layer {l}: |dW - autograd| = {np.max(np.abs(grads.dW[l] - dW_auto[l - 1])):.1e}, "
        f"|db - autograd| = {np.max(np.abs(grads.db[l] - db_auto[l - 1])):.1e}"
    )
assert all(np.allclose(grads.dW[l], dW_auto[l - 1], atol=1e-10) for l in range(1, L + 1))

# %% [markdown]
# The hand-written gradients equal autograd's to rounding (~1e-16). Gradient descent with them trains
# the glass-box network just as `fit` trained the matnn one:

# %%
costs = net.train(X, Y, epochs=300, learning_rate=0.1, batch_size=16, seed=0)
print(f"cost: {costs[0]:.3f} after the first epoch -> {costs[-1]:.3f} after {len(costs)} epochs")

# %% [markdown]
# ## Why depth makes gradients vanish
#
# Each layer multiplies the backpropagated signal by σ′(z). For the sigmoid, σ′ ≤ 1/4, so in a deep
# sigmoid network the gradient of the first layer is far smaller than that of the last. tanh (σ′ ≤ 1,
# and = 1 at 0) and ReLU (σ′ ∈ {0, 1}) keep it near 1. `gradient_norms_by_depth` measures the gradient
# of every layer of a 6-hidden-layer network at initialisation.

# %%
fig, ax = plt.subplots(figsize=(4.5, 3))
for act in ("sigmoid", "tanh", "relu"):
    norms = gradient_norms_by_depth(act, depth=6)["grad_norm"]
    ax.semilogy(range(1, len(norms) + 1), norms, "o-", label=act)
    print(f"{act:8s} first/last layer gradient: {norms[0] / norms[-1]:.1e}")
ax.set(xlabel="layer l", ylabel="‖∂C/∂W⁽ˡ⁾‖")
ax.legend()
fig.tight_layout()

# %% [markdown]
# ## Exercise
#
# Replace the tanh activation of the glass-box network by `"relu"` (`GlassBoxMLP([1, 8, 8, 1],
# activation="relu")`). (a) Do the hand-written gradients still equal autograd's? (b) What is σ′(z) of
# a ReLU unit, and what fraction of the hidden units of the first layer have σ′ = 0 on this batch
# ("dead" for these samples)?

# %% [markdown]
# ## Solution

# %%
relu_net = GlassBoxMLP([1, 8, 8, 1], activation="relu", seed=0)
g = relu_net.gradients(X, Y)
dW_auto, _ = autograd_gradients(relu_net, X, Y)
worst = max(np.max(np.abs(g.dW[l] - dW_auto[l - 1])) for l in range(1, relu_net.n_layers + 1))
print(f"(a) largest difference to autograd: {worst:.1e}")  # rounding: backprop is exact for ReLU too
print("(b) σ′ values in layer 1:", np.unique(g.sigma_prime[1]))  # 0 for z < 0, 1 for z > 0
print(f"    fraction of (sample, unit) pairs with σ′ = 0 in layer 1: {np.mean(g.sigma_prime[1] == 0):.2f}")
assert worst < 1e-10
