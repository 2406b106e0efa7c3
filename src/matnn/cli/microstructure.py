"""``matnn microstructure ...`` commands: generate labelled images, image → tortuosity, inpainting, image → profile.

Thin wrappers over :mod:`matnn.workflows.microstructure` (imported lazily so ``matnn --help`` stays fast).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from matnn.cli.common import add_action, area_parser, fraction, positive_float, positive_int
from matnn.models.microstructure.registry import MICROSTRUCTURE_MODELS

HELP = (
    "microstructures: porespy generation + diffusion solver labels, CNN for tortuosity, inpainting, image -> profile, "
    "autoencoder"
)


def _print(args: argparse.Namespace, lines: list[str]) -> None:
    if not getattr(args, "quiet", False):
        print("\n".join(lines))


def _test_size(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a fraction in (0, 1) or a whole number of images, got {text!r}"
        ) from None
    if not (0 < value < 1 or (value >= 1 and value == int(value))):
        raise argparse.ArgumentTypeError(f"expected a fraction in (0, 1) or a whole number of images, got {text!r}")
    return value if value < 1 else int(value)


_test_size.__name__ = "test size"


def _generate(args: argparse.Namespace) -> dict[str, Any]:
    from matnn.workflows.microstructure.generate import run_generate

    m = run_generate(
        args.n,
        args.out,
        size=args.size,
        porosity=(args.porosity_min, args.porosity_max),
        blobiness=(args.blobiness_min, args.blobiness_max),
        seed=args.seed,
        checkpoint_every=args.checkpoint_every,
        progress=not args.quiet,
    )
    _print(
        args,
        [
            f"{m['n']} percolating images ({m['n_candidates']} tried) of {m['size_px']}x{m['size_px']} px, "
            f"tau {m['tau_min']:.2f}-{m['tau_max']:.2f}, {m['ms_per_image']:.1f} ms/image -> {m['file']} "
            f"(summary .json and figure .png beside it)"
        ],
    )
    return m


def _train(args: argparse.Namespace) -> dict[str, Any]:
    from matnn.workflows.microstructure.train import train_tortuosity

    m = train_tortuosity(
        args.data,
        args.out,
        test_size=args.test_size,
        val_fraction=args.val_fraction,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        width=args.width,
        augment=args.augment,
        connectivity=args.connectivity,
        seed=args.seed,
        device=args.device,
        verbose=0 if args.quiet else "auto",
    )
    _print(
        args,
        [
            f"ln tau on {m['n_test']} held-out images: CNN R2 = {m['r2']:.4f} (MAE {m['mae_log_tau']:.4f}); "
            f"porosity-only baseline R2 = {m['baseline_r2']:.4f}",
            f"model, figures and metrics.json in {args.out}",
        ],
    )
    return m


def _predict(args: argparse.Namespace) -> dict[str, Any]:
    from matnn.workflows.microstructure.predict import run_predict

    m = run_predict(args.model, args.images, args.out, invert=args.invert, flip_average=not args.no_flip_average)
    lines = [f"{m['n_images']} image(s), {m['n_percolating']} percolating; model input channels: {m['input_channels']}"]
    if "r2" in m:
        lines.append(f"against the solver's tau: R2 (ln tau) = {m['r2']:.4f}, MAE = {m['mae_log_tau']:.4f}")
    _print(args, lines + [f"predictions.csv and metrics.json in {args.out}"])
    return m


def _inpaint(args: argparse.Namespace) -> dict[str, Any]:
    from matnn.workflows.microstructure.inpaint import run_inpainting

    m = run_inpainting(
        args.out,
        n_train=args.n_train,
        n_test=args.n_test,
        epochs=args.epochs,
        lecture_epochs=args.lecture_epochs,
        noise_std=args.noise_std,
        seed=args.seed,
        device=args.device,
    )
    _print(
        args,
        [
            f"MSE on missing pixels of {m['n_test']} held-out maps: CNN {m['test_mse']:.3g}, neighbour-mean baseline "
            f"{m['baseline_mse']:.3g}, lecture setting {m['lecture_default_mse']:.3g}",
            f"figures and metrics.json in {args.out}",
        ],
    )
    return m


def _profile(args: argparse.Namespace) -> dict[str, Any]:
    from matnn.workflows.microstructure.profile import run_profile

    m = run_profile(
        args.out,
        data=args.data,
        n=args.n,
        size=args.size,
        test_size=args.test_size,
        epochs=args.epochs,
        seed=args.seed,
        device=args.device,
        verbose=0 if args.quiet else "auto",
        progress=not args.quiet,
    )
    _print(
        args,
        [
            f"profile RMSE on {m['n_test']} held-out images: {m['rmse']:.4f} (mean-profile baseline "
            f"{m['baseline_mean_rmse']:.4f}, straight line {m['baseline_linear_rmse']:.4f})",
            f"model, figures and metrics.json in {args.out}",
        ],
    )
    return m


def _autoencoder(args: argparse.Namespace) -> dict[str, Any]:
    from matnn.data.microstructure.generate import GenerationSpec
    from matnn.workflows.microstructure.autoencoder import run_autoencoder

    blobiness = None
    if args.blobiness_min is not None or args.blobiness_max is not None:
        low, high = GenerationSpec().blobiness
        blobiness = (args.blobiness_min or low, args.blobiness_max or high)
    m = run_autoencoder(
        args.out,
        data=args.data,
        n=args.n,
        size=args.size,
        blobiness=blobiness,
        test_size=args.test_size,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        latent=args.latent,
        width=args.width,
        seed=args.seed,
        device=args.device,
        verbose=0 if args.quiet else "auto",
        progress=not args.quiet,
    )
    _print(
        args,
        [
            f"{m['latent_size']} latent numbers per image; on {m['n_test']} held-out images: BCE "
            f"{m['bce_nats_per_px']:.4f} nats/px (mean-pixel baseline {m['baseline_bce_nats_per_px']:.4f}), "
            f"pixel errors {m['pixel_error_rate']:.4f} (baseline {m['baseline_pixel_error_rate']:.4f}), "
            f"porosity MAE {m['porosity_mae_soft']:.4f}",
            f"model, figures and metrics.json in {args.out}",
        ],
    )
    return m


def register(subparsers: argparse._SubParsersAction) -> None:
    actions = area_parser(subparsers, "microstructure", HELP)

    p = add_action(
        actions,
        "generate",
        _generate,
        "porespy two-phase images (porosity and blobiness varied), percolating ones kept, labelled with tortuosity, "
        "effective diffusivity and concentration profile by the finite-volume solver",
        common=False,
    )
    g = p.add_argument_group("run settings")
    g.add_argument(
        "--out",
        type=Path,
        required=True,
        help="output data file (.npz); a .json summary and a .png figure go beside it",
    )
    g.add_argument("--seed", type=int, default=0, help="seed: same seed and options give the same file (default 0)")
    g.add_argument("--threads", type=positive_int, default=None, help="CPU threads (default: $MATNN_NUM_THREADS or 1)")
    g.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--n", type=positive_int, required=True, help="number of percolating images to keep")
    p.add_argument("--size", type=positive_int, default=64, help="image side in pixels (default 64)")
    p.add_argument("--porosity-min", type=fraction, default=0.45, help="lowest target porosity (default 0.45)")
    p.add_argument("--porosity-max", type=fraction, default=0.9, help="highest target porosity (default 0.9)")
    p.add_argument("--blobiness-min", type=positive_float, default=0.5, help="lowest porespy blobiness (default 0.5)")
    p.add_argument("--blobiness-max", type=positive_float, default=3.0, help="highest porespy blobiness (default 3.0)")
    p.add_argument(
        "--checkpoint-every", type=positive_int, default=1000, help="images between checkpoints (default 1000)"
    )

    p = add_action(
        actions, "train", _train, "CNN predicting ln(tortuosity) from the image, against a porosity-only baseline"
    )
    p.add_argument("--data", type=Path, required=True, help="data file from 'matnn microstructure generate'")
    p.add_argument(
        "--test-size", type=_test_size, default=0.2, help="held-out fraction or number of images (default 0.2)"
    )
    p.add_argument("--val-fraction", type=fraction, default=0.1, help="validation share of the rest (default 0.1)")
    cnn = MICROSTRUCTURE_MODELS.get("tortuosity-cnn")
    p.add_argument(
        "--epochs", type=positive_int, default=cnn.default("epochs"), help=f"epochs (default {cnn.default('epochs')})"
    )
    p.add_argument(
        "--batch-size",
        type=positive_int,
        default=cnn.default("batch_size"),
        help=f"batch size (default {cnn.default('batch_size')})",
    )
    p.add_argument(
        "--learning-rate",
        type=positive_float,
        default=cnn.default("learning_rate"),
        help=f"initial Adam learning rate, cosine decay (default {cnn.default('learning_rate'):g})",
    )
    p.add_argument(
        "--width",
        type=positive_int,
        default=cnn.default("width"),
        help=f"channels of the first CNN stage (default {cnn.default('width')})",
    )
    p.add_argument("--no-augment", dest="augment", action="store_false", help="no random flips during training")
    p.add_argument(
        "--no-connectivity",
        dest="connectivity",
        action="store_false",
        help="train on the binary image alone (default: the percolating-cluster mask, computed from the "
        "image, is a second input channel)",
    )

    p = add_action(
        actions,
        "predict",
        _predict,
        "predict tau for your binary images with a model from 'train' (the mask channel is built for you)",
    )
    p.add_argument("--model", type=Path, required=True, help="model.matnn from 'train' (or its --out folder)")
    p.add_argument(
        "--images",
        type=Path,
        nargs="+",
        required=True,
        help=".npz from 'generate' (scored against its tau), .npy (H, W) or (n, H, W) of 0/1, or image files "
        "(Otsu-thresholded, bright = pore); transport runs top to bottom",
    )
    p.add_argument("--invert", action="store_true", help="dark pixels are pore in image files")
    p.add_argument(
        "--no-flip-average", action="store_true", help="one prediction per image instead of the mean over 4 flips"
    )

    p = add_action(
        actions,
        "inpaint",
        _inpaint,
        "the lecture's exercise: CNN fills 25%% missing pixels of smooth 50x50 maps; vs neighbour mean and the "
        "lecture's SGD setting",
    )
    p.add_argument("--n-train", type=positive_int, default=1000, help="training maps (default 1000)")
    p.add_argument("--n-test", type=positive_int, default=200, help="held-out maps (default 200)")
    p.add_argument("--epochs", type=positive_int, default=60, help="epochs for our CNN (default 60)")
    p.add_argument("--lecture-epochs", type=positive_int, default=5, help="epochs of the lecture setting (default 5)")
    p.add_argument(
        "--noise-std", type=positive_float, default=0.1, help="std of the noise before smoothing (default 0.1)"
    )

    p = add_action(
        actions,
        "profile",
        _profile,
        "encoder-decoder (2D conv encoder, 1D conv decoder): image -> through-plane concentration profile",
    )
    p.add_argument(
        "--data", type=Path, default=None, help="data file from 'generate' (default: generate --n images now)"
    )
    p.add_argument(
        "--n", type=positive_int, default=4000, help="images to generate when --data is not given (default 4000)"
    )
    p.add_argument("--size", type=positive_int, default=64, help="image side when generating (default 64)")
    p.add_argument(
        "--test-size", type=_test_size, default=0.2, help="held-out fraction or number of images (default 0.2)"
    )
    p.add_argument("--epochs", type=positive_int, default=30, help="epochs (default 30)")

    ae = MICROSTRUCTURE_MODELS.get("autoencoder")
    p = add_action(
        actions,
        "autoencoder",
        _autoencoder,
        "bottleneck autoencoder: conv encoder -> a few latent numbers -> decoder; reconstruction error on held-out "
        "images against the mean-pixel (porosity-only) baseline, latent space coloured by porosity and tortuosity",
    )
    p.add_argument(
        "--data", type=Path, default=None, help="data file from 'generate' (default: generate --n images now)"
    )
    p.add_argument(
        "--n", type=positive_int, default=1000, help="images to generate when --data is not given (default 1000)"
    )
    p.add_argument("--size", type=positive_int, default=64, help="image side when generating (default 64)")
    p.add_argument(
        "--blobiness-min", type=positive_float, default=None, help="lowest porespy blobiness when generating (0.5)"
    )
    p.add_argument(
        "--blobiness-max", type=positive_float, default=None, help="highest porespy blobiness when generating (3.0)"
    )
    p.add_argument(
        "--test-size", type=_test_size, default=0.2, help="held-out fraction or number of images (default 0.2)"
    )
    for flag, key, kind, what in (
        ("--epochs", "epochs", positive_int, "epochs"),
        ("--batch-size", "batch_size", positive_int, "batch size"),
        ("--learning-rate", "learning_rate", positive_float, "initial Adam learning rate, cosine decay"),
        ("--latent", "latent", positive_int, "numbers in the bottleneck"),
        ("--width", "width", positive_int, "channels of the first convolution"),
    ):
        p.add_argument(flag, type=kind, default=ae.default(key), help=f"{what} (default {ae.default(key):g})")
