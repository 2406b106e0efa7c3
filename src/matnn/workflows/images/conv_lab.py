"""Convolution lab: the glass-box operations checked against torch, the lecture's examples as figures,
and the lines toy showing why a CNN generalises across positions where a dense network cannot.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["check_against_torch", "lines_experiment", "conv_kernels", "run_conv_lab"]


def check_against_torch(seed: int = 0) -> dict[str, float]:
    """Largest absolute difference between the NumPy operations and ``torch.nn.functional`` on random inputs."""
    import torch
    import torch.nn.functional as F

    from matnn.fundamentals.convolution import average_pool2d, conv2d, max_pool2d, pad2d

    rng = np.random.default_rng(seed)

    def nchw(a):
        return torch.as_tensor(a, dtype=torch.float64).permute(0, 3, 1, 2)

    def back(t):
        return t.permute(0, 2, 3, 1).numpy()

    diffs = {"conv2d": 0.0, "pad2d": 0.0, "max_pool2d": 0.0, "average_pool2d": 0.0}
    for strides, padding, dilation in ((1, 0, 1), (2, 1, 1), (1, 2, 2), ((2, 1), (1, 2), 1)):
        x = rng.normal(size=(3, 13, 11, 4))
        k = rng.normal(size=(3, 3, 4, 5))
        b = rng.normal(size=5)
        ours = conv2d(x, k, b, strides=strides, padding=padding, dilation=dilation)
        ref = F.conv2d(
            nchw(x),
            torch.as_tensor(k).permute(3, 2, 0, 1),
            torch.as_tensor(b),
            stride=strides,
            padding=padding,
            dilation=dilation,
        )
        diffs["conv2d"] = max(diffs["conv2d"], float(np.abs(ours - back(ref)).max()))
        diffs["pad2d"] = max(
            diffs["pad2d"],
            float(np.abs(pad2d(x, 2, mode="reflect") - back(F.pad(nchw(x), (2, 2, 2, 2), mode="reflect"))).max()),
        )
    for pool, stride in ((2, 2), (3, 1), (3, 2)):
        x = rng.normal(size=(2, 12, 10, 3))
        diffs["max_pool2d"] = max(
            diffs["max_pool2d"],
            float(np.abs(max_pool2d(x, pool, strides=stride) - back(F.max_pool2d(nchw(x), pool, stride))).max()),
        )
        diffs["average_pool2d"] = max(
            diffs["average_pool2d"],
            float(np.abs(average_pool2d(x, pool, strides=stride) - back(F.avg_pool2d(nchw(x), pool, stride))).max()),
        )
    return diffs


def lines_experiment(
    *, n_train: int = 1000, n_test: int = 1000, epochs: int = 40, seeds: int = 5, seed: int = 0, device: Any = None
) -> dict[str, Any]:
    """Train a dense network and a small CNN on lines in one quadrant; test on lines in the opposite one.

    Returns mean and std (over ``seeds`` training seeds) of the train and test accuracies, and the last
    models and data for plotting.
    """
    import matnn
    from matnn.data.images.lines import lines_dataset
    from matnn.models.images.lenet import lines_cnn, lines_dense

    x_tr, y_tr = lines_dataset(n_train, region="train", noise=0.2, seed=seed)
    x_te, y_te = lines_dataset(n_test, region="test", noise=0.2, seed=seed + 1)
    acc: dict[str, list[float]] = {k: [] for k in ("dense_train", "dense_test", "cnn_train", "cnn_test")}
    models = {}
    for s in range(seeds):
        for name, build in (("dense", lines_dense), ("cnn", lambda shape: lines_cnn(shape, filters=8))):
            matnn.set_seed(seed + s)
            model = build(x_tr.shape[1:])
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            model.fit(x_tr, y_tr, epochs=epochs, batch_size=32, verbose=0, device=device)
            acc[f"{name}_train"].append(model.evaluate(x_tr, y_tr, return_dict=True)["accuracy"])
            acc[f"{name}_test"].append(model.evaluate(x_te, y_te, return_dict=True)["accuracy"])
            models[name] = model
    out: dict[str, Any] = {}
    for key, vals in acc.items():
        out[f"lines_{key}_accuracy"] = float(np.mean(vals))
        out[f"lines_{key}_accuracy_std"] = float(np.std(vals))
    out["_models"], out["_data"] = models, (x_tr, y_tr, x_te, y_te)
    return out


def _plot_worked_example(path: Path) -> float:
    from matnn.fundamentals.kernels import worked_example
    from matnn.utils.plotting import plt, save_figure

    ex = worked_example()
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
    panels = (
        (ex.image, "binary image (window in red)"),
        (ex.kernel, "3x3 kernel"),
        (ex.products, "element-wise products"),
        (ex.output, "'valid' output"),
    )
    for ax, (arr, title) in zip(axes, panels, strict=True):
        ax.imshow(arr, cmap="Greys" if arr is ex.image else "viridis")
        for (i, j), v in np.ndenumerate(arr):
            ax.text(j, i, f"{v:g}", ha="center", va="center", color="red" if arr is ex.image else "white", fontsize=9)
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].add_patch(plt.Rectangle((ex.col - 0.5, ex.row - 0.5), 3, 3, fill=False, ec="red", lw=2))
    axes[3].add_patch(plt.Rectangle((ex.col - 0.5, ex.row - 0.5), 1, 1, fill=False, ec="red", lw=2))
    fig.suptitle(f"sum of products = {' + '.join(f'{v:g}' for v in ex.products.ravel() if v)} = {ex.value:g}")
    save_figure(fig, path)
    return ex.value


def _plot_quiz(image: np.ndarray, name: str, path: Path) -> dict[str, float]:
    from matnn.fundamentals.convolution import correlate2d
    from matnn.fundamentals.kernels import QUIZ_ANSWERS, QUIZ_KERNELS
    from matnn.utils.plotting import plt, save_figure

    fig, axes = plt.subplots(1, 4, figsize=(16, 4.4))
    axes[0].imshow(image, cmap="gray")
    axes[0].set_title(f"input: {name}")
    stats = {}
    for ax, (kname, k) in zip(axes[1:], QUIZ_KERNELS.items(), strict=True):
        out = correlate2d(image, k, padding="same")
        vmax = float(np.percentile(np.abs(out), 99.5)) or 1.0
        if kname == "blur":
            ax.imshow(out, cmap="gray")
        else:
            ax.imshow(out, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_title(f"{kname}\n" + textwrap.fill(QUIZ_ANSWERS[kname], 45), fontsize=8)
        stats[f"quiz_{kname}_mean_abs_response"] = float(np.mean(np.abs(out)))
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    save_figure(fig, path)
    return stats


def _plot_padding_pooling(path: Path, seed: int) -> None:
    from matnn.fundamentals.convolution import average_pool2d, max_pool2d, pad2d
    from matnn.utils.plotting import plt, save_figure

    x = np.random.default_rng(seed).integers(0, 10, size=(4, 4)).astype(float)
    panels = (
        (x, "input 4x4"),
        (pad2d(x, 1), "zero padding 1"),
        (max_pool2d(x[None, ..., None], 2)[0, ..., 0], "max pool 2x2"),
        (average_pool2d(x[None, ..., None], 2)[0, ..., 0], "average pool 2x2"),
    )
    fig, axes = plt.subplots(1, 4, figsize=(12, 3.2))
    for ax, (arr, title) in zip(axes, panels, strict=True):
        ax.imshow(arr, cmap="viridis", vmin=0, vmax=9)
        for (i, j), v in np.ndenumerate(arr):
            ax.text(j, i, f"{v:g}", ha="center", va="center", color="w", fontsize=9)
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
    save_figure(fig, path)


def _plot_lines(res: dict[str, Any], path: Path) -> None:
    from matnn.utils.plotting import plt, save_figure

    x_tr, y_tr, x_te, y_te = res["_data"]
    fig, axes = plt.subplots(2, 5, figsize=(12, 5))
    for k in range(4):
        ax = axes[0, k]
        src, lab, title = (x_tr, y_tr, "train") if k < 2 else (x_te, y_te, "test")
        i = int(np.flatnonzero(lab == k % 2)[0])
        ax.imshow(src[i, ..., 0], cmap="gray")
        ax.set_title(f"{title}: {'vertical' if lab[i] else 'horizontal'}", fontsize=9)
    ax = axes[0, 4]
    names = ["dense\ntrain", "dense\ntest", "CNN\ntrain", "CNN\ntest"]
    vals = [
        res["lines_dense_train_accuracy"],
        res["lines_dense_test_accuracy"],
        res["lines_cnn_train_accuracy"],
        res["lines_cnn_test_accuracy"],
    ]
    errs = [
        res["lines_dense_train_accuracy_std"],
        res["lines_dense_test_accuracy_std"],
        res["lines_cnn_train_accuracy_std"],
        res["lines_cnn_test_accuracy_std"],
    ]
    ax.bar(names, vals, yerr=errs, color=["C0", "C0", "C1", "C1"])
    ax.axhline(0.5, color="k", ls="--", lw=0.8)
    ax.set_ylim(0, 1.05)
    ax.set_title("accuracy (mean ± std)", fontsize=9)
    w = conv_kernels(res["_models"]["cnn"])
    for k in range(5):
        ax = axes[1, k]
        if k < w.shape[-1]:
            lim = float(np.abs(w[:, :, 0, k]).max()) or 1.0
            ax.imshow(w[:, :, 0, k], cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_title(f"CNN filter {k}", fontsize=9)
    for ax in axes.ravel():
        if ax is not axes[0, 4]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 4].tick_params(labelsize=7)
    fig.suptitle("Lines seen top-left in training, bottom-right in testing")
    save_figure(fig, path)


def conv_kernels(model, index: int = 0) -> np.ndarray:
    """Kernel of the ``index``-th Conv2D layer of ``model`` as (kh, kw, c_in, c_out), Keras layout."""
    from matnn.layers import Conv2D

    convs = [layer for layer in model.layers if isinstance(layer, Conv2D)]
    w = convs[index].weight.detach().cpu().numpy()  # torch layout (out, in, kh, kw)
    return np.transpose(w, (2, 3, 1, 0))


def run_conv_lab(
    out: str | os.PathLike,
    *,
    image: str | os.PathLike | None = None,
    sample: str = "coins",
    seeds: int = 5,
    epochs: int = 40,
    seed: int = 0,
    device: Any = None,
) -> dict[str, Any]:
    """Run the whole lab; write ``metrics.json`` and five figures to ``out``.

    Figures: ``worked_example.png`` (= 31), ``quiz_kernels.png`` (blur / horizontal lines / edges on a real
    image: scikit-image's ``sample`` or the user's ``image`` file), ``padding_pooling.png``, ``lines_toy.png``
    (examples, accuracies, learned filters).

    Returns
    -------
    dict
        ``worked_example_value``, ``numpy_vs_torch_max_abs_diff`` (and per operation),
        ``lines_{dense,cnn}_{train,test}_accuracy[_std]`` (mean/std over ``seeds``), quiz response statistics.
    """
    from matnn.data.images.readers import read_image, sample_image
    from matnn.utils.io import ensure_dir, write_metrics

    img = read_image(image) if image is not None else sample_image(sample)  # fail fast on a bad file
    out = ensure_dir(out)
    metrics: dict[str, Any] = {}
    diffs = check_against_torch(seed)
    metrics["numpy_vs_torch_max_abs_diff"] = max(diffs.values())
    metrics.update({f"numpy_vs_torch_{k}_max_abs_diff": v for k, v in diffs.items()})
    metrics["worked_example_value"] = _plot_worked_example(out / "worked_example.png")
    metrics["quiz_image"] = str(image) if image is not None else f"skimage.data.{sample}"
    metrics.update(_plot_quiz(img, metrics["quiz_image"], out / "quiz_kernels.png"))
    _plot_padding_pooling(out / "padding_pooling.png", seed)
    res = lines_experiment(epochs=epochs, seeds=seeds, seed=seed, device=device)
    _plot_lines(res, out / "lines_toy.png")
    metrics.update({k: v for k, v in res.items() if not k.startswith("_")})
    metrics["lines_seeds"] = int(seeds)
    write_metrics(out, metrics)
    return metrics
