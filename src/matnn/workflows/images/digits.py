"""Handwritten digits: LeNet-style CNN and the lecture's dropout CNN, mean ± std over seeds.

Default data: scikit-learn's real 8 x 8 digits, a new stratified train/test split per seed. With
``mnist_dir`` the same models train on the user's MNIST IDX files (the official train/test split).
Nothing is tuned on the test images: training runs a fixed number of epochs with a cosine schedule.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import ConfigError

__all__ = ["train_digit_classifier", "run_digits", "plot_confusion", "plot_filters"]


def train_digit_classifier(
    x_train: np.ndarray,
    y_train: np.ndarray,
    *,
    model: str = "lenet",
    epochs: int | None = None,
    batch_size: int | None = None,
    learning_rate: float | None = None,
    dropout: float | None = None,
    augment: bool = True,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    seed: int = 0,
    device: Any = None,
    verbose: Any = 0,
):
    """Train ``'lenet'`` (shift augmentation, Adam with cosine decay) or ``'lecture'`` (the lecture's
    dropout CNN, Adam at a constant rate, no augmentation) on images (n, H, W, 1) with labels (n,).

    ``epochs``, ``batch_size`` and ``learning_rate`` default to the model's recipe in
    :data:`matnn.models.images.registry.IMAGE_MODELS`; ``dropout`` to the architecture's rate.
    ``validation_data`` ``(x_val, y_val)`` is scored after every epoch (``val_loss``, ``val_accuracy``
    in the history); it never trains the model.

    Returns
    -------
    model, history
    """
    import matnn
    from matnn.data.images.augment import shift_augment
    from matnn.models.images.registry import IMAGE_MODELS

    spec = IMAGE_MODELS.get(model)
    if spec.family != "digits":
        raise ConfigError(
            f"'model' of train_digit_classifier must be one of {IMAGE_MODELS.names('digits')}; got {model!r}"
        )
    epochs = spec.default("epochs") if epochs is None else epochs
    batch_size = spec.default("batch_size") if batch_size is None else batch_size
    learning_rate = spec.default("learning_rate") if learning_rate is None else learning_rate
    matnn.set_seed(seed)
    n_classes = int(max(10, int(np.max(y_train)) + 1))
    shape = tuple(int(s) for s in x_train.shape[1:])
    net = spec.build(shape, n_classes) if dropout is None else spec.build(shape, n_classes, dropout=dropout)
    if spec.default("augment") and augment:
        x, y = shift_augment(x_train, y_train)
    else:
        x, y = x_train, y_train
    if spec.default("schedule") == "cosine":
        steps = epochs * int(np.ceil(len(x) / batch_size))
        opt = matnn.optimizers.Adam(learning_rate=matnn.optimizers.schedules.CosineDecay(learning_rate, steps))
    else:
        opt = matnn.optimizers.Adam(learning_rate=learning_rate)
    net.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = net.fit(
        x, y, epochs=epochs, batch_size=batch_size, validation_data=validation_data, verbose=verbose, device=device
    )
    return net, history


def plot_confusion(cm: np.ndarray, path: str | os.PathLike, *, title: str = "Confusion matrix") -> Path:
    """Counts of (true, predicted) classes with the numbers written in the cells."""
    from matnn.utils.plotting import plt, save_figure

    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.imshow(np.log1p(cm), cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        if v:
            ax.text(j, i, str(int(v)), ha="center", va="center", fontsize=8, color="w" if i == j else "k")
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_xticks(range(cm.shape[1]))
    ax.set_yticks(range(cm.shape[0]))
    ax.set_title(title, fontsize=10)
    return save_figure(fig, path)


def plot_filters(model, x_example: np.ndarray, path: str | os.PathLike) -> Path:
    """The first convolution's learned 3 x 3 filters and their feature maps on one example image."""
    from matnn.layers import Conv2D
    from matnn.utils.plotting import plt, save_figure
    from matnn.workflows.images.conv_lab import conv_kernels

    w = conv_kernels(model, 0)[:, :, 0, :]  # (kh, kw, filters)
    first = next(layer for layer in model.layers if isinstance(layer, Conv2D))
    # the first layer is the first convolution (with its ReLU): its output holds one map per filter
    fmap = next(iter(model.layer_outputs(x_example[None]).values())).detach().cpu().numpy()[0]  # (H, W, filters)
    n = w.shape[-1]
    cols = 8
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(2 * rows, cols, figsize=(1.4 * cols, 2.9 * rows))
    lim = float(np.abs(w).max()) or 1.0
    for k in range(rows * cols):
        a_f, a_m = axes[2 * (k // cols), k % cols], axes[2 * (k // cols) + 1, k % cols]
        for ax in (a_f, a_m):
            ax.set_xticks([])
            ax.set_yticks([])
        if k >= n:
            a_f.axis("off")
            a_m.axis("off")
            continue
        a_f.imshow(w[:, :, k], cmap="RdBu_r", vmin=-lim, vmax=lim)
        a_f.set_title(f"filter {k}", fontsize=7)
        a_m.imshow(fmap[:, :, k], cmap="viridis")
    fig.suptitle(
        f"{first.filters} learned first-layer filters (red +, blue −) and their ReLU feature maps on one digit",
        fontsize=10,
    )
    return save_figure(fig, path)


def run_digits(
    out: str | os.PathLike,
    *,
    seeds: int = 5,
    epochs: int | None = None,
    lecture_epochs: int | None = None,
    learning_rate: float | None = None,
    batch_size: int | None = None,
    dropout: float | None = None,
    test_size: float = 0.2,
    validation_size: float = 0.0,
    augment: bool = True,
    lecture: bool = True,
    mnist_dir: str | os.PathLike | None = None,
    seed: int = 0,
    device: Any = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train LeNet (and the lecture's dropout CNN) over ``seeds`` seeds; write metrics and figures.

    ``epochs`` / ``lecture_epochs`` default to each model's recipe in the images registry;
    ``learning_rate``, ``batch_size`` and ``dropout`` change LeNet's recipe (the lecture CNN keeps its own).
    ``validation_size`` > 0 holds out that fraction of each seed's training images (stratified, same
    seed) as a validation set: LeNet trains on the rest, is scored on it after every epoch, and
    ``val_accuracy`` is reported beside the test accuracy (what ``matnn tune`` searches on).

    Returns
    -------
    dict
        ``accuracy`` / ``accuracy_std`` (LeNet test accuracy, mean/std over seeds),
        ``lecture_cnn_accuracy`` / ``lecture_cnn_accuracy_std``, ``accuracy_seed<k>``, ``n_train``,
        ``n_test``, ``seeds``, ``train_time_s``; with ``validation_size``: ``val_accuracy`` /
        ``val_accuracy_std`` and ``n_validation``; figures ``confusion_matrix.png`` (summed over seeds),
        ``filters.png``, ``learning_curves.png``; ``model.matnn`` (first seed's LeNet, read by
        :func:`~matnn.workflows.images.predict.predict_digits`).
    """
    from sklearn.metrics import confusion_matrix

    from matnn.core.validation import Interval, check
    from matnn.data.images.digits import digits_split, stratified_split
    from matnn.data.images.idx import load_mnist
    from matnn.utils.io import ensure_dir, write_metrics
    from matnn.utils.plotting import plot_learning_curves
    from matnn.utils.progress import progress as progress_bar

    check("run_digits", "validation_size", validation_size, Interval(float, 0.0, 1.0, closed="left"))
    out = ensure_dir(out)
    if mnist_dir is not None:
        (mnist_train, mnist_test) = load_mnist(mnist_dir)
    accs, val_accs, lecture_accs = [], [], []
    cm = np.zeros((10, 10), dtype=np.int64)
    first_model = first_history = None
    x_example = None
    t0 = time.perf_counter()
    for k in progress_bar(range(seeds), desc="digits seeds", enabled=progress):
        s = seed + k
        if mnist_dir is not None:
            (x_tr, y_tr), (x_te, y_te) = mnist_train, mnist_test
        else:
            (x_tr, y_tr), (x_te, y_te) = digits_split(test_size=test_size, seed=s)
        val = None
        if validation_size > 0:
            (x_tr, y_tr), val = stratified_split(x_tr, y_tr, size=validation_size, seed=s, part="validation")
        net, hist = train_digit_classifier(
            x_tr,
            y_tr,
            model="lenet",
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            dropout=dropout,
            augment=augment,
            validation_data=val,
            seed=s,
            device=device,
        )
        if val is not None:
            val_accs.append(float(np.mean(np.argmax(net.predict(val[0]), axis=1) == val[1])))
        pred = np.argmax(net.predict(x_te), axis=1)
        accs.append(float(np.mean(pred == y_te)))
        cm += confusion_matrix(y_te, pred, labels=range(10))
        if first_model is None:
            first_model, first_history, x_example = net, hist, x_te[0]
        if lecture:
            lec, _ = train_digit_classifier(x_tr, y_tr, model="lecture", epochs=lecture_epochs, seed=s, device=device)
            lecture_accs.append(float(np.mean(np.argmax(lec.predict(x_te), axis=1) == y_te)))
    metrics: dict[str, Any] = {
        "accuracy": float(np.mean(accs)),
        "accuracy_std": float(np.std(accs)),
        **{f"accuracy_seed{seed + k}": a for k, a in enumerate(accs)},
        "n_train": int(len(x_tr)),
        "n_test": int(len(x_te)),
        "seeds": int(seeds),
        "epochs": int(epochs),
        "dataset": "mnist" if mnist_dir is not None else "sklearn_digits_8x8",
        "train_time_s": float(time.perf_counter() - t0),
    }
    if val_accs:
        metrics.update(
            val_accuracy=float(np.mean(val_accs)),
            val_accuracy_std=float(np.std(val_accs)),
            n_validation=int(len(val[1])),
        )
    if lecture:
        metrics["lecture_cnn_accuracy"] = float(np.mean(lecture_accs))
        metrics["lecture_cnn_accuracy_std"] = float(np.std(lecture_accs))
    plot_confusion(
        cm,
        out / "confusion_matrix.png",
        title=f"LeNet, test images of {seeds} seed(s): accuracy {metrics['accuracy']:.4f} ± {metrics['accuracy_std']:.4f}",
    )
    plot_filters(first_model, x_example, out / "filters.png")
    plot_learning_curves(first_history, out / "learning_curves.png", title="LeNet training (first seed)")
    # what 'matnn images predict' reproduces for new images
    first_model.metadata = {
        **dict(getattr(first_model, "metadata", {}) or {}),
        "task": "digits",
        "input": "grey in [0, 1], 0 = background (8x8 digits: grey level / 16; MNIST: byte / 255)",
        "dataset": metrics["dataset"],
    }
    first_model.save(out / "model.matnn")
    write_metrics(out, metrics)
    return metrics
