"""Convolution lab: the glass-box operations checked against torch, the lecture's examples as figures,
the classical filters (Gaussian, Sobel, Laplacian) on a real image, a hand-made vertical-line classifier,
and the lines toy showing why a CNN generalises across positions where a dense network cannot.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "check_against_torch",
    "lines_experiment",
    "edge_classifier_experiment",
    "conv_kernels",
    "run_conv_lab",
]


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


def _plot_filters(image: np.ndarray, name: str, path: Path, *, sigma: float, seed: int) -> dict[str, float]:
    from matnn.fundamentals.filters import apply_filters, filter_properties
    from matnn.utils.plotting import plt, save_figure

    maps = apply_filters(image, sigma=sigma)
    props = filter_properties(image, sigma=sigma, seed=seed)
    lap = maps["laplacian"]
    vmax = float(np.percentile(np.abs(lap), 99.5)) or 1.0
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.4))
    size = props["gaussian_size_px"]
    blur_title = (
        f"Gaussian σ = {sigma:g} px ({size}x{size})\n"
        f"white-noise variance ÷ {props['gaussian_noise_variance_reduction']:.1f}"
    )
    panels = (
        (image, f"original: {name}", {"cmap": "gray"}),
        (maps["blurred"], blur_title, {"cmap": "gray"}),
        (maps["grad_magnitude"], "|∇| from Sobel x and y", {"cmap": "magma"}),
        (lap, "Laplacian (4-neighbour)", {"cmap": "RdBu_r", "vmin": -vmax, "vmax": vmax}),
    )
    for ax, (arr, title, kw) in zip(axes, panels, strict=True):
        ax.imshow(arr, **kw)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    save_figure(fig, path)
    return {f"filters_{k}": v for k, v in props.items()}


def edge_classifier_experiment(n: int = 1000, *, noise: float = 0.2, seed: int = 0) -> dict[str, Any]:
    """Accuracy of the hand-made vertical-line classifier on ``n`` lines images (both quadrants).

    No training: the filter and the threshold are fixed (:mod:`matnn.fundamentals.filters`).
    Returns ``edge_classifier_accuracy``, the stage shapes and the data for plotting.
    """
    from matnn.data.images.lines import lines_dataset
    from matnn.fundamentals.filters import EDGE_THRESHOLD, edge_classifier_stages

    halves = [lines_dataset(n // 2 + n % 2, region="train", noise=noise, seed=seed)]
    halves.append(lines_dataset(n // 2, region="test", noise=noise, seed=seed + 1))
    x = np.concatenate([h[0] for h in halves])
    y = np.concatenate([h[1] for h in halves])
    stages = edge_classifier_stages(x)
    pred = (stages["score"] > EDGE_THRESHOLD).astype(np.int64)
    out: dict[str, Any] = {
        "edge_classifier_accuracy": float(np.mean(pred == y)),
        "edge_classifier_n_images": int(len(y)),
        "edge_classifier_noise_std": float(noise),
        "edge_classifier_threshold": float(EDGE_THRESHOLD),
        "edge_classifier_min_score_vertical": float(stages["score"][y == 1].min()),
        "edge_classifier_max_score_horizontal": float(stages["score"][y == 0].max()),
    }
    for key in ("padded", "conv", "relu", "pooled"):
        out[f"edge_classifier_{key}_shape"] = "x".join(str(d) for d in stages[key].shape[1:3])
    out["_data"], out["_stages"], out["_pred"] = (x, y), stages, pred
    return out


def _plot_edge_classifier(res: dict[str, Any], path: Path) -> None:
    from matnn.fundamentals.kernels import vertical_edge_kernel
    from matnn.utils.plotting import plt, save_figure

    x, y = res["_data"]
    st, pred = res["_stages"], res["_pred"]
    fig, axes = plt.subplots(2, 6, figsize=(16, 5.8))
    k = vertical_edge_kernel()
    for row, label in enumerate((1, 0)):
        i = int(np.flatnonzero(y == label)[0])
        panels = (
            (x[i, ..., 0], f"{'vertical' if label else 'horizontal'} line", "gray", None),
            (k, "vertical-line filter", "RdBu_r", 2.0),
            (st["padded"][i, ..., 0], f"zero-padded {res['edge_classifier_padded_shape']}", "gray", None),
            (st["conv"][i, ..., 0], f"correlation {res['edge_classifier_conv_shape']}", "RdBu_r", 6.0),
            (st["relu"][i, ..., 0], "ReLU", "magma", None),
            (st["pooled"][i, ..., 0], f"max-pool 2x2 → {res['edge_classifier_pooled_shape']}", "magma", None),
        )
        for ax, (arr, title, cmap, lim) in zip(axes[row], panels, strict=True):
            kw = {"vmin": -lim, "vmax": lim} if lim else {}
            ax.imshow(arr, cmap=cmap, **kw)
            ax.set_title(title, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 5].set_xlabel(f"max = {st['score'][i]:.2f} → {'vertical' if pred[i] else 'horizontal'}", fontsize=9)
    fig.suptitle(
        f"Hand-made classifier (no training): max > {res['edge_classifier_threshold']:g} means vertical; "
        f"accuracy {res['edge_classifier_accuracy']:.3f} on {res['edge_classifier_n_images']} images"
    )
    save_figure(fig, path)


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
    sigma: float = 1.5,
    device: Any = None,
) -> dict[str, Any]:
    """Run the whole lab; write ``metrics.json`` and six figures to ``out``.

    Figures: ``worked_example.png`` (= 31), ``quiz_kernels.png`` (blur / horizontal lines / edges on a real
    image: scikit-image's ``sample`` or the user's ``image`` file), ``filters.png`` (original, Gaussian blur
    of ``sigma`` px, Sobel gradient magnitude, Laplacian on the same image), ``edge_classifier.png`` (the
    hand-made vertical-line classifier's intermediate maps), ``padding_pooling.png``, ``lines_toy.png``
    (examples, accuracies, learned filters).

    Returns
    -------
    dict
        ``worked_example_value``, ``numpy_vs_torch_max_abs_diff`` (and per operation),
        ``lines_{dense,cnn}_{train,test}_accuracy[_std]`` (mean/std over ``seeds``), quiz response statistics,
        ``filters_*`` (properties of the Gaussian, Sobel and Laplacian filters) and ``edge_classifier_*``.
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
    metrics.update(_plot_filters(img, metrics["quiz_image"], out / "filters.png", sigma=sigma, seed=seed))
    edge = edge_classifier_experiment(seed=seed)
    _plot_edge_classifier(edge, out / "edge_classifier.png")
    metrics.update({k: v for k, v in edge.items() if not k.startswith("_")})
    _plot_padding_pooling(out / "padding_pooling.png", seed)
    res = lines_experiment(epochs=epochs, seeds=seeds, seed=seed, device=device)
    _plot_lines(res, out / "lines_toy.png")
    metrics.update({k: v for k, v in res.items() if not k.startswith("_")})
    metrics["lines_seeds"] = int(seeds)
    write_metrics(out, metrics)
    return metrics
