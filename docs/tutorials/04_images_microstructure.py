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
# # 4. Images: convolution, digits and microstructures
#
# A dense layer connects every pixel to every unit, so it has to learn the same pattern again at every
# position. A **convolution** slides one small kernel over the whole image: the same few weights
# detect a feature wherever it occurs. This tutorial
#
# 1. computes convolutions by hand (`matnn.fundamentals.convolution`, plain NumPy) and checks them
#    against PyTorch,
# 2. trains a LeNet-style network (`matnn.models.images`) on scikit-learn's 8 × 8 handwritten digits,
# 3. generates a porous microstructure, solves diffusion through it and reads off its tortuosity — the
#    label a network learns to predict from the image in `matnn microstructure train`.
#
# To stay within seconds the network trains for 3 epochs on the digits (the registered recipe uses 30
# epochs with shift augmentation, and several seeds) and we generate a handful of small images.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

import matnn
from matnn.data.images.digits import digits_split
from matnn.data.microstructure import GenerationSpec, generate_dataset, solve_diffusion
from matnn.fundamentals.convolution import conv2d, max_pool2d
from matnn.fundamentals.kernels import QUIZ_KERNELS, worked_example
from matnn.models.images.registry import IMAGE_MODELS

matnn.set_seed(0)

# %% [markdown]
# ## One output pixel by hand
#
# A convolution layer (in deep learning: a cross-correlation, the kernel is not flipped) multiplies the
# kernel element-wise with the window of the image under it and sums. The kernel
# `[[1,2,3],[4,5,6],[7,8,9]]` on the binary patch `[[0,1,0],[0,1,0],[1,1,1]]` keeps the kernel entries
# where the patch is 1: 2 + 5 + 7 + 8 + 9 = 31.

# %%
ex = worked_example()
print("window:\n", ex.image[ex.row : ex.row + 3, ex.col : ex.col + 3])
print("products:\n", ex.products)
print("sum =", ex.value, "; the same number in the full 'valid' output:\n", ex.output)

# %% [markdown]
# ## Kernels as feature detectors
#
# `conv2d` works on channels-last batches, `(n, height, width, channels)`, with kernels of shape
# `(kh, kw, c_in, c_out)` — the layout of matnn's `Conv2D`. We apply the three quiz kernels to a digit
# and check the result against `torch.nn.functional.conv2d`, which wants channels first.

# %%
(x_train, y_train), (x_test, y_test) = digits_split(test_size=0.2, seed=0)
print("digits:", x_train.shape, x_test.shape)  # (n, 8, 8, 1), grey levels in [0, 1]

kernels = np.stack(list(QUIZ_KERNELS.values()), axis=-1)[:, :, None, :]  # (3, 3, 1, 3)
maps = conv2d(x_test[:1], kernels, padding="same")  # (1, 8, 8, 3)
reference = torch.nn.functional.conv2d(
    torch.tensor(x_test[:1]).permute(0, 3, 1, 2).double(),  # (n, c, h, w)
    torch.tensor(kernels).permute(3, 2, 0, 1),  # (c_out, c_in, kh, kw)
    padding="same",
)
print("NumPy vs torch:", np.max(np.abs(maps - reference.permute(0, 2, 3, 1).numpy())))
print("after 2 x 2 max pooling:", max_pool2d(maps, 2).shape)

fig, axes = plt.subplots(1, 4, figsize=(9, 2.4))
axes[0].imshow(x_test[0, :, :, 0], cmap="gray_r")
axes[0].set_title(f"digit {y_test[0]}")
for ax, (name, k) in zip(axes[1:], enumerate(QUIZ_KERNELS), strict=True):
    ax.imshow(maps[0, :, :, name], cmap="RdBu_r")
    ax.set_title(k)
for ax in axes:
    ax.axis("off")
fig.tight_layout()

# %% [markdown]
# ## LeNet on the digits
#
# `IMAGE_MODELS` names the image networks with their recipes; `build` returns a fresh
# `matnn.Sequential`. LeNet stacks convolution, convolution, pooling, convolution, pooling, then dense
# layers and a softmax over the ten classes. Labels are integers, so the loss is the *sparse*
# categorical cross-entropy.

# %%
for spec in IMAGE_MODELS:
    print(f"{spec.name:12s} {spec.summary}")
net = IMAGE_MODELS.build("lenet", input_shape=(8, 8, 1), n_classes=10)
lr = IMAGE_MODELS.default("lenet", "learning_rate")
net.compile(
    optimizer=matnn.optimizers.Adam(learning_rate=lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
)
history = net.fit(x_train, y_train, epochs=3, batch_size=64, validation_split=0.1, verbose=0)
scores = net.evaluate(x_test, y_test, return_dict=True)
print(f"test accuracy after 3 epochs: {scores['accuracy']:.3f}")  # the full recipe reaches ~0.99

# %%
probabilities = net.predict(x_test[:8])  # (8, 10), each row sums to 1
fig, axes = plt.subplots(1, 8, figsize=(9, 1.6))
for ax, img, p, true in zip(axes, x_test[:8], probabilities, y_test[:8], strict=True):
    ax.imshow(img[:, :, 0], cmap="gray_r")
    ax.set_title(f"{p.argmax()} ({true})", fontsize=9, color="k" if p.argmax() == true else "r")
    ax.axis("off")
fig.suptitle("predicted (true)", fontsize=9)
fig.tight_layout()

# %% [markdown]
# ## A microstructure and its tortuosity
#
# How easily does a species diffuse through the pores of an electrode or a membrane? Solve steady
# diffusion in the pore phase with c = 1 on the top face and c = 0 on the bottom face. The effective
# diffusivity D_eff/D₀ is the flux relative to an open box, and the **tortuosity factor**
# τ = ε · D₀ / D_eff (ε the porosity) says how much the pore geometry slows transport beyond simply
# having less pore space: τ = 1 for straight channels, larger for winding paths.
#
# `generate_dataset` draws porespy "blobs" images, keeps those whose pores connect top to bottom and
# labels each with the solver. Here: six 48 × 48 images.

# %%
data = generate_dataset(6, spec=GenerationSpec(size=48, porosity=(0.5, 0.8)), seed=0, progress=False)
for i in range(len(data.tau)):
    print(f"image {i}: porosity {data.porosity[i]:.2f}, tau {data.tau[i]:.2f}, D_eff/D0 {data.d_eff[i]:.3f}")

result = solve_diffusion(data.images[0])  # the same solver, on one image, keeping the field
fig, (ax0, ax1, ax2) = plt.subplots(1, 3, figsize=(9, 3))
ax0.imshow(data.images[0], cmap="gray")
ax0.set_title("pore (white)")
im = ax1.imshow(result.concentration, cmap="viridis")
ax1.set_title(f"concentration, τ = {result.tau:.2f}")
fig.colorbar(im, ax=ax1, fraction=0.046)
ax2.plot(data.porosity, data.tau, "o")
ax2.set(xlabel="porosity ε", ylabel="tortuosity τ")
for ax in (ax0, ax1):
    ax.axis("off")
fig.tight_layout()

# %% [markdown]
# Porosity alone does not fix τ: two images with similar ε can differ in how the pores connect. That is
# why `matnn microstructure train` compares its CNN against the best porosity-only baseline.

# %% [markdown]
# ## Exercise
#
# Test the solver on images whose answer you know. (a) Vertical straight channels, every other column
# pore: what are τ and D_eff/D₀ along axis 0 (top to bottom)? (b) Turn the same image 90° (horizontal
# stripes): what happens along axis 0? (c) Is the tortuosity of microstructure image 0 the same from
# left to right (`axis=1`) as from top to bottom?

# %% [markdown]
# ## Solution

# %%
channels = np.zeros((32, 32), dtype=bool)
channels[:, ::2] = True  # vertical pore columns
straight = solve_diffusion(channels)
print(f"(a) tau {straight.tau:.6f} (straight paths), D_eff/D0 {straight.d_eff:.6f} (= porosity)")
blocked = solve_diffusion(channels.T)
print(f"(b) horizontal stripes: tau {blocked.tau}, D_eff/D0 {blocked.d_eff} (no path from top to bottom)")
sideways = solve_diffusion(data.images[0], axis=1)
print(f"(c) image 0: tau {result.tau:.2f} top-bottom, {sideways.tau:.2f} left-right (random media are anisotropic)")
assert abs(straight.tau - 1) < 1e-9 and np.isinf(blocked.tau)
