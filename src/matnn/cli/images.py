"""``matnn images ...`` commands: the convolution lab, digit classification and predicting new digits.

Thin wrappers over :mod:`matnn.workflows.images` (imported lazily so ``matnn --help`` stays fast).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from matnn.cli.common import add_action, add_nproc_arg, area_parser, fraction, positive_float, positive_int
from matnn.models.images.registry import IMAGE_MODELS

HELP = "images: convolution lab (NumPy = torch, kernels, lines toy) and handwritten digits (LeNet)"

_SAMPLES = ("coins", "camera", "moon", "text", "page", "brick", "grass", "gravel")  # = readers.SAMPLE_IMAGES (tested)


def _print(args: argparse.Namespace, lines: list[str]) -> None:
    if not args.quiet:
        print("\n".join(lines))


def _conv_lab(args: argparse.Namespace) -> dict[str, Any]:
    from matnn.workflows.images.conv_lab import run_conv_lab

    m = run_conv_lab(
        args.out,
        image=args.image,
        sample=args.sample,
        seeds=args.seeds,
        epochs=args.epochs,
        seed=args.seed,
        device=args.device,
    )
    _print(
        args,
        [
            f"worked example: sum of products = {m['worked_example_value']:g}",
            f"NumPy vs torch (conv, padding, pooling): max |difference| = {m['numpy_vs_torch_max_abs_diff']:.1e}",
            f"lines toy, test accuracy on unseen positions ({args.seeds} seeds): dense {m['lines_dense_test_accuracy']:.3f} ± "
            f"{m['lines_dense_test_accuracy_std']:.3f}, CNN {m['lines_cnn_test_accuracy']:.3f} ± {m['lines_cnn_test_accuracy_std']:.3f}",
            f"figures and metrics.json in {args.out}",
        ],
    )
    return m


def _digits(args: argparse.Namespace) -> dict[str, Any]:
    from matnn.workflows.images.digits import run_digits

    m = run_digits(
        args.out,
        seeds=args.seeds,
        epochs=args.epochs,
        lecture_epochs=args.lecture_epochs,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        dropout=args.dropout,
        test_size=args.test_size,
        validation_size=args.validation_size,
        augment=args.augment,
        lecture=args.lecture,
        mnist_dir=args.mnist,
        seed=args.seed,
        device=args.device,
        progress=not args.quiet,
    )
    lines = [f"LeNet test accuracy over {args.seeds} seed(s): {m['accuracy']:.4f} ± {m['accuracy_std']:.4f}"]
    if "val_accuracy" in m:
        lines.append(f"LeNet validation accuracy: {m['val_accuracy']:.4f} ± {m['val_accuracy_std']:.4f}")
    if args.lecture:
        lines.append(f"lecture dropout CNN: {m['lecture_cnn_accuracy']:.4f} ± {m['lecture_cnn_accuracy_std']:.4f}")
    lines.append(f"confusion matrix, filters and metrics.json in {args.out}")
    _print(args, lines)
    return m


def _predict(args: argparse.Namespace) -> dict[str, Any]:
    from matnn.workflows.images.predict import predict_digits

    invert = {"auto": None, "yes": True, "no": False}[args.invert]
    m = predict_digits(args.model, args.images, args.out, invert=invert, device=args.device)
    lines = [f"{Path(p).name}: {d} (p = {pr:.3f})" for p, d, pr in zip(args.images, m["digit_pred"], m["probability"])]
    _print(args, [*lines[:20], *(["..."] if len(lines) > 20 else []), f"predictions.csv in {args.out}"])
    return {k: v for k, v in m.items() if k not in ("digit_pred", "probability")}


def register(subparsers: argparse._SubParsersAction) -> None:
    actions = area_parser(subparsers, "images", HELP)

    p = add_action(
        actions,
        "conv-lab",
        _conv_lab,
        "NumPy convolution/padding/pooling checked against torch, the worked example (= 31), quiz kernels on "
        "a real image, and the lines toy (dense vs CNN on unseen positions)",
    )
    p.add_argument(
        "--image", type=Path, default=None, help="your own image file for the kernel quiz (PNG/JPEG/TIFF/.npy)"
    )
    p.add_argument(
        "--sample", choices=_SAMPLES, default="coins", help="scikit-image sample image when --image is not given"
    )
    p.add_argument("--seeds", type=positive_int, default=5, help="training seeds for the lines toy (default 5)")
    lines_epochs = IMAGE_MODELS.default("lines-cnn", "epochs")
    p.add_argument(
        "--epochs", type=positive_int, default=lines_epochs, help=f"epochs for the lines toy (default {lines_epochs})"
    )

    p = add_action(
        actions,
        "digits",
        _digits,
        "LeNet-style CNN (and the lecture's dropout CNN) on scikit-learn's 8x8 digits, mean ± std over seeds",
    )
    p.add_argument(
        "--seeds", type=positive_int, default=5, help="seeds (new stratified split and weights each; default 5)"
    )
    for flag, name in (("--epochs", "lenet"), ("--lecture-epochs", "lecture")):
        spec = IMAGE_MODELS.get(name)
        p.add_argument(
            flag,
            type=positive_int,
            default=spec.default("epochs"),
            help=f"epochs for {name} ({spec.summary}; default {spec.default('epochs')})",
        )
    lenet = IMAGE_MODELS.get("lenet")
    p.add_argument(
        "--learning-rate",
        type=positive_float,
        default=None,
        help=f"LeNet's peak learning rate (cosine decay; default {lenet.default('learning_rate')})",
    )
    p.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help=f"LeNet's batch size (default {lenet.default('batch_size')})",
    )
    p.add_argument(
        "--dropout", type=fraction, default=None, help="LeNet's dropout rate before the output (default 0.4)"
    )
    p.add_argument("--test-size", type=fraction, default=0.2, help="held-out fraction of the digits (default 0.2)")
    p.add_argument(
        "--validation-size",
        type=fraction,
        default=0.0,
        help="fraction of each seed's training images held out to score LeNet after every epoch "
        "(val_accuracy in metrics.json; what 'matnn tune' searches on); default 0: train on all of them",
    )
    p.add_argument("--no-augment", dest="augment", action="store_false", help="train LeNet without shifted copies")
    p.add_argument("--no-lecture", dest="lecture", action="store_false", help="skip the lecture's dropout CNN")
    p.add_argument(
        "--mnist",
        type=Path,
        default=None,
        help="folder with your MNIST IDX files (train-images-idx3-ubyte[.gz], ...) instead of the 8x8 digits",
    )
    add_nproc_arg(p)

    p = add_action(
        actions,
        "predict",
        _predict,
        "classify your digit images with the LeNet of a 'digits' run (grey, resized to the model's size, [0, 1])",
    )
    p.add_argument(
        "--model",
        type=Path,
        required=True,
        metavar="RUN_DIR",
        help="--out folder of 'matnn images digits' (its model.matnn) or a model.matnn file",
    )
    p.add_argument(
        "--images",
        type=Path,
        nargs="+",
        required=True,
        help="image files, one digit each: PNG, JPEG, TIFF, BMP or 2D .npy (grey or colour; any size)",
    )
    p.add_argument(
        "--invert",
        choices=("auto", "yes", "no"),
        default="auto",
        help="training digits are bright ink on black: 'auto' (default) inverts an image whose border is bright",
    )
