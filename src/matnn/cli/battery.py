"""``matnn battery ...`` commands (see :mod:`matnn.workflows.battery` for the Python API).

* ``demo``     — simulate the default fleet (cached), train baselines and CNNs, write a report;
* ``simulate`` — a PyBaMM fleet written in the Severson npz format;
* ``train``    — fit a model on one file, evaluate it on another (saves every seed's model);
* ``cv``       — k-fold cross-validation RMSE on training cells only (no test file);
* ``predict``  — the cycle life of new cells with the models of a ``train`` run;
* ``convert``  — a cycler CSV or battdat HDF5 file → npz (Q(V) on the 3.6–2.0 V grid);
* ``info``     — what a battery file holds, and the glitches a loader repaired.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from matnn.cli.common import add_action, add_executor_args, add_model_option_arg, area_parser, positive_int
from matnn.models.battery.registry import BATTERY_MODELS, DEFAULT_MODEL

HELP = "battery cycle life from early cycles (Severson data, PyBaMM fleet, CNNs)"


def _model_name(text: str) -> str:
    """``--model``'s ``type=``: the registered name (case-insensitive), else one line with the close matches."""
    from matnn.core.exceptions import UnknownNameError

    try:
        return BATTERY_MODELS.get(text).name
    except UnknownNameError as exc:
        raise argparse.ArgumentTypeError(str(exc).rstrip(".")) from None


_model_name.__name__ = "battery model"


def _demo(args: argparse.Namespace) -> dict[str, Any]:
    from matnn.workflows.battery.demo import run_demo

    metrics = run_demo(
        args.out,
        cells=args.cells,
        seeds=args.seeds,
        seed=args.seed,
        cache=args.cache,
        use_cache=not args.no_cache,
        workers=args.workers,
        show_progress=not args.quiet,
        max_cycles=args.max_cycles,
    )
    if not args.quiet:
        print(f"report: {Path(args.out) / 'report.md'}  (total {metrics['total_wall_s']:.0f} s)")
        for m in ("variance", "discharge", "cnn", "dqnet"):
            if f"{m}_rmse" in metrics:
                print(f"  {m:>10s}: test RMSE {metrics[f'{m}_rmse']:.0f} ± {metrics[f'{m}_rmse_std']:.0f} cycles")
    return metrics


def _simulate(args: argparse.Namespace) -> dict[str, Any]:
    import time

    import numpy as np

    from matnn.data.battery.npz import save_npz
    from matnn.data.battery.synthetic import FleetConfig, simulate_fleet
    from matnn.utils.io import write_json, write_metrics

    out = Path(args.out)
    if out.suffix.lower() != ".npz":
        out = out / "fleet.npz" if (out.is_dir() or not out.suffix) else out.with_suffix(".npz")
    cfg = FleetConfig(
        n_cells=args.cells, seed=args.seed, max_cycles=args.max_cycles, noise_ah=args.noise, model=args.pybamm_model
    )
    t0 = time.perf_counter()
    ds = simulate_fleet(
        cfg,
        cache_dir=args.cache,
        use_cache=not args.no_cache,
        workers=args.workers,
        show_progress=not args.quiet,
        scheduler=args.scheduler,
    )
    wall_s = time.perf_counter() - t0
    save_npz(ds, out)
    life = ds.cycle_life
    # Flat keys; cycle lives in cycles, times in s. A cell whose simulation failed is left out of the
    # fleet (its error is in the file's qc notes), so n_failed = cells asked for − cells kept.
    metrics = {
        "n_cells": ds.n_cells,
        "n_cells_requested": cfg.n_cells,
        "n_failed": cfg.n_cells - ds.n_cells,
        "cycle_life_min": float(life.min()),
        "cycle_life_median": float(np.median(life)),
        "cycle_life_max": float(life.max()),
        "n_censored": int(np.sum(life >= args.max_cycles)),
        "max_cycles": cfg.max_cycles,
        "seed": cfg.seed,
        "pybamm_model": cfg.model,
        "sim_cpu_s_per_cell": float(np.mean(ds.metadata["sim_wall_s"])),
        "wall_s": wall_s,
        "file": str(out),
    }
    write_json(out.with_name(out.stem + "_summary.json"), metrics)
    write_metrics(out.parent, metrics)
    if not args.quiet:
        print(
            f"wrote {out}: {ds.n_cells} cells, cycle life {life.min():.0f}-{life.max():.0f} (median {np.median(life):.0f})"
        )
    return metrics


def _load(path: Path, *, labels: bool, what: str) -> Any:
    from matnn.core.exceptions import DataError
    from matnn.data.battery import load_dataset

    if not path.exists():
        raise DataError(f"The {what} file {path} does not exist.")
    return load_dataset(path, require_labels=labels)


def _train(args: argparse.Namespace) -> dict[str, Any]:
    from matnn.data.battery.features import EXTRAPOLATION_Z
    from matnn.workflows.battery.train import train_and_evaluate

    train = _load(args.train, labels=True, what="--train")
    test = _load(args.test, labels=False, what="--test") if args.test is not None else None
    metrics = train_and_evaluate(
        train,
        test,
        model=args.model,
        seeds=args.seeds,
        seed=args.seed,
        out=args.out,
        device=args.device,
        show_progress=not args.quiet,
        workers=args.workers,
        scheduler=args.scheduler,
        model_options=_options(args),
    )
    if not args.quiet and metrics.get("rmse") is not None:
        print(
            f"{args.model}: test RMSE {metrics['rmse']:.1f} ± {metrics['rmse_std']:.1f} cycles, "
            f"MAPE {metrics['mape']:.1f} % over {args.seeds} seeds ({metrics['n_test']} test cells); wrote {args.out}"
        )
    if metrics.get("n_test_beyond_training"):
        cells = metrics["cells_beyond_training"]
        print(
            f"warning: {len(cells)} test cell(s) lie beyond the training cells (a discharge feature more than "
            f"{EXTRAPOLATION_Z:g} training standard deviations from the training mean; largest {metrics['max_feature_z']:.1f}): "
            f"{', '.join(cells[:5])}{' ...' if len(cells) > 5 else ''}. Their predictions are extrapolations.",
            file=sys.stderr,
        )
    return metrics


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """``--model-option KEY=VALUE ...`` as a mapping (a later value of a key wins); checked by the workflow."""
    return dict(args.model_option or [])


def _check_options(args: argparse.Namespace) -> None:
    """The ``--model-option`` keys and values are ones ``--model`` has (one-line ConfigError otherwise)."""
    from matnn.models.battery import check_model_options

    check_model_options(args.model, _options(args))


def _cv(args: argparse.Namespace) -> dict[str, Any]:
    from matnn.workflows.battery.cv import cross_validate

    data = _load(args.data, labels=True, what="--data")
    metrics = cross_validate(
        data,
        args.model,
        folds=args.folds,
        repeats=args.repeats,
        seed=args.seed,
        model_options=_options(args),
        out=args.out,
        device=args.device,
        workers=args.workers,
        scheduler=args.scheduler,
        show_progress=not args.quiet,
    )
    if not args.quiet:
        print(
            f"{metrics['model']}: {args.folds}-fold CV RMSE {metrics['rmse']:.1f} ± {metrics['rmse_std']:.1f} cycles, "
            f"MAPE {metrics['mape']:.1f} % over {args.repeats} repeat(s) ({metrics['n_cells']} cells); wrote {args.out}"
        )
    return metrics


def _predict(args: argparse.Namespace) -> dict[str, Any]:
    from matnn.workflows.battery.predict import predict_cycle_life

    metrics = predict_cycle_life(args.model, args.data, args.out, device=args.device)
    if not args.quiet:
        score = f", RMSE {metrics['rmse']:.1f} cycles, MAPE {metrics['mape']:.1f} %" if "rmse" in metrics else ""
        print(
            f"{metrics['model']}: predicted {metrics['n_cells']} cells (mean ± std over {metrics['seeds']} seeds)"
            f"{score}; wrote {Path(args.out) / 'predictions.csv'}"
        )
    return metrics


def _convert(args: argparse.Namespace) -> dict[str, Any]:
    from matnn.data.battery import load_dataset, save_npz

    ds = load_dataset(args.input)
    out = Path(args.out)
    if out.suffix.lower() != ".npz":
        out = out / (Path(args.input).stem + ".npz")
    save_npz(ds, out)
    if not args.quiet:
        print(f"wrote {out}: {ds}")
        for note in ds.qc_report:
            print(f"  note: {note}")
    return ds.summary()


def _info(args: argparse.Namespace) -> dict[str, Any]:
    from matnn.data.battery import load_dataset

    ds = load_dataset(args.path)
    summary = ds.summary()
    print(repr(ds))
    for k, v in summary.items():
        print(f"  {k}: {v}")
    for note in ds.qc_report:
        print(f"  note: {note}")
    return summary


def register(subparsers: argparse._SubParsersAction) -> None:
    actions = area_parser(subparsers, "battery", HELP)

    p = add_action(actions, "demo", _demo, "simulate the default fleet, train baselines and CNNs, write report.md")
    p.add_argument("--cells", type=positive_int, default=48, help="cells to simulate (default 48)")
    p.add_argument("--seeds", type=positive_int, default=5, help="training seeds per model (default 5)")
    _fleet_args(p)

    p = add_action(
        actions,
        "simulate",
        _simulate,
        "simulate a PyBaMM fleet; --out DIR (DIR/fleet.npz, Severson npz format, and DIR/metrics.json)",
    )
    p.add_argument("--cells", type=positive_int, default=48, help="cells to simulate (default 48)")
    p.add_argument("--noise", type=float, default=1e-4, help="Gaussian noise on Q (Ah, default 1e-4)")
    p.add_argument("--pybamm-model", choices=("SPM", "SPMe"), default="SPM", help="PyBaMM model (default SPM)")
    _fleet_args(p)
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="simulate on the Dask cluster at ADDRESS (tcp://host:8786) instead of local workers",
    )

    p = add_action(
        actions, "train", _train, "train a cycle-life model and evaluate it on a test file", check=_check_options
    )
    p.add_argument(
        "--train",
        type=Path,
        required=True,
        help="training cells: .npz (Severson format), .csv (cycler) or .h5 (battdat)",
    )
    p.add_argument(
        "--test", type=Path, default=None, help="cells to evaluate/predict (same formats, same voltage grid)"
    )
    _model_arg(p)
    p.add_argument(
        "--seeds", type=positive_int, default=10, help="independent fits; metrics are mean ± std (default 10)"
    )
    _model_option_arg(p)
    add_executor_args(p, "seeds")

    p = add_action(
        actions,
        "cv",
        _cv,
        "k-fold cross-validation RMSE of a model on training cells only (no test file)",
        check=_check_options,
    )
    p.add_argument(
        "--data",
        type=Path,
        required=True,
        help="training cells with cycle lives: .npz (Severson format), .csv (cycler) or .h5 (battdat)",
    )
    _model_arg(p)
    p.add_argument("--folds", type=positive_int, default=5, help="folds per repeat, at least 2 (default 5)")
    p.add_argument(
        "--repeats",
        type=positive_int,
        default=2,
        help="repeats; repeat r permutes the cells and seeds every model with --seed + r (default 2)",
    )
    _model_option_arg(p)
    add_executor_args(p, "folds")

    p = add_action(actions, "predict", _predict, "predict the cycle life of new cells with a model from 'train'")
    p.add_argument(
        "--model",
        type=Path,
        required=True,
        metavar="RUN_DIR",
        help="--out folder of a finished 'matnn battery train' run (model_info.json, models/seed<k>/)",
    )
    p.add_argument(
        "--data",
        type=Path,
        required=True,
        help="cells to predict: .npz (Severson format), .csv (cycler) or .h5 (battdat), on the training voltage grid; "
        "scored when it holds cycle lives",
    )

    p = add_action(actions, "convert", _convert, "convert a cycler CSV or battdat HDF5 file to the npz format")
    p.add_argument("--input", type=Path, required=True, help=".csv or .h5/.hdf5 file")

    p = add_action(actions, "info", _info, "describe a battery file and the glitches its loader repaired", common=False)
    p.add_argument("path", type=Path, help=".npz, .csv or .h5 file")


def _fleet_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--cache", type=Path, default=None, help="fleet cache folder (default $MATNN_CACHE_DIR or ~/.cache/matnn)"
    )
    p.add_argument("--no-cache", action="store_true", help="simulate again even if the cache has the cells")
    p.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="simulation processes, a local Dask cluster (default: all cores)",
    )
    p.add_argument("--max-cycles", type=positive_int, default=3000, help="stop ageing a cell here (default 3000)")


def _model_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        type=_model_name,
        choices=BATTERY_MODELS.names(),
        default=DEFAULT_MODEL,
        help=f"model (default {DEFAULT_MODEL}): {BATTERY_MODELS.describe()}",
    )


def _model_option_arg(p: argparse.ArgumentParser) -> None:
    add_model_option_arg(
        p,
        "change the model's training recipe, e.g. epochs=200 learning_rate=3e-4 ensemble=1 (repeatable); "
        "a network's keys are its recipe's fields (epochs, batch_size, learning_rate, weight_decay, l2, "
        "early_stopping, sample_weights, patience, val_fraction, ensemble; dqnet also scalars, asinh, residual); "
        "classical models take none",
    )
