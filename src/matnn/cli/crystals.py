"""``matnn crystals ...`` commands (Python API: :mod:`matnn.workflows.crystals`).

* ``matnn crystals train --data FILE [--test FILE] --target NAME --model NAME [--epochs N] [--max-train N] --out DIR``
* ``matnn crystals predict --model RUN_DIR --data FILE --out DIR`` (a trained model on new structures)
* ``matnn crystals ensemble RUN_DIR RUN_DIR [...] --out DIR`` (average runs made with the same ``--split-seed``)
* ``matnn crystals potential --system CuAu [--model NAME] [--data FILE] [--epochs N] [--md-steps N] --out DIR``
* ``matnn crystals graphs --data FILE [--cutoff 8] [--max-neighbors 12] --out DIR`` (build and cache graphs, report speed)

Model names, their summaries and default recipes come from
:data:`matnn.models.crystals.registry.CRYSTAL_MODELS` (``property`` models for ``train``,
``potential`` models for ``potential``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from matnn.cli.common import (
    add_action,
    add_model_option_arg,
    add_nproc_arg,
    area_parser,
    fraction,
    non_negative_float,
    positive_float,
    positive_int,
)
from matnn.core.exceptions import ConfigError
from matnn.models.crystals.registry import CRYSTAL_MODELS, crystal_model

HELP = "crystal graphs: CGCNN / MEGNet-style property models, a learned interatomic potential (energy + forces)"


def _print(metrics: dict, keys: tuple[str, ...]) -> None:
    print(
        ", ".join(
            f"{k}={metrics[k]:.5g}" if isinstance(metrics.get(k), float) else f"{k}={metrics.get(k)}"
            for k in keys
            if k in metrics
        )
    )


def _model_name(family: str):
    """An argparse ``type=`` for ``--model``: a ``family`` model of the registry, checked (with close
    matches) by :func:`~matnn.models.crystals.registry.crystal_model`."""

    def parse(text: str) -> str:
        try:
            return crystal_model(text, family).name
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc).rstrip(".")) from None

    parse.__name__ = f"{family} model"
    return parse


def _defaults_text(family: str, key: str) -> str:
    """``"<value> for <name>, ..."``: each ``family`` model's default ``key``, from the registry."""
    return ", ".join(
        f"{spec.default(key):g} for {spec.name}"
        for spec in CRYSTAL_MODELS
        if spec.family == family and spec.default(key) is not None
    )


def _check_options(args: argparse.Namespace) -> None:
    """The ``--model-option`` keys are constructor options of ``--model`` (one-line ConfigError otherwise)."""
    from matnn.models.crystals.registry import CRYSTAL_MODELS

    if args.model_option:
        CRYSTAL_MODELS.get(args.model).load().check_options(dict(args.model_option))


def _train(args: argparse.Namespace) -> dict:
    from matnn.workflows.crystals.train import train_property_model

    run = train_property_model(
        args.data,
        target=args.target,
        model=args.model,
        test=args.test,
        epochs=args.epochs,
        max_train=args.max_train,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        weight_decay=args.weight_decay,
        loss=args.loss,
        test_fraction=args.test_fraction,
        val_fraction=args.val_fraction,
        seed=args.seed,
        split_seed=args.split_seed,
        out=args.out,
        device=args.device,
        verbose=not args.quiet,
        cache_dir=False if args.no_cache else args.cache_dir,
        time_limit_s=None if args.time_limit is None else 60.0 * args.time_limit,
        swa_start=args.swa_start,
        jit_compile=args.jit_compile,
        model_kwargs=dict(args.model_option or []),
    )
    if run.metrics.get("status") == "interrupted":
        return run.metrics
    if not args.quiet:
        _print(run.metrics, ("model", "target", "mae", "rmse", "r2", "n_test", "n_train", "epoch_time_s"))
        print(f"wrote {Path(args.out) / 'metrics.json'}, parity.png, learning_curves.png, model.matnn")
    return run.metrics


def _predict(args: argparse.Namespace) -> dict:
    from matnn.workflows.crystals.predict import predict_property

    run = predict_property(
        args.model,
        args.data,
        out=args.out,
        batch_size=args.batch_size,
        device=args.device,
        cache_dir=False if args.no_cache else args.cache_dir,
        verbose=not args.quiet,
    )
    if not args.quiet:
        _print(run.metrics, ("model", "target", "n_structures", "n_scored", "mae", "rmse"))
        print(f"wrote {Path(args.out) / 'predictions.csv'}, metrics.json")
    return run.metrics


def _ensemble(args: argparse.Namespace) -> dict:
    from matnn.workflows.crystals.ensemble import evaluate_ensemble

    run = evaluate_ensemble(
        args.runs,
        data=args.data,
        test=args.test,
        target=args.target,
        val_fraction=args.val_fraction,
        test_fraction=args.test_fraction,
        recalibrate=not args.no_recalibrate,
        out=args.out,
        device=args.device,
        cache_dir=False if args.no_cache else args.cache_dir,
        verbose=not args.quiet,
    )
    if not args.quiet:
        _print(
            run.metrics,
            (
                "n_members",
                "val_mae",
                "best_member_val_mae",
                "ensemble_beats_members_on_val",
                "mae",
                "member_mae_mean",
                "member_mae_std",
                "n_test",
            ),
        )
        print(f"wrote {Path(args.out) / 'metrics.json'}, parity.png, predictions.csv")
    return run.metrics


def _potential(args: argparse.Namespace) -> dict:
    from matnn.workflows.crystals.potential import train_potential

    run = train_potential(
        args.system,
        data=args.data,
        n_structures=args.n_structures,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        force_weight=args.force_weight,
        stress_weight=args.stress_weight,
        md_steps=args.md_steps,
        md_timestep_fs=args.md_timestep_fs,
        md_temperature_K=args.md_temperature,
        model=args.model,
        seed=args.seed,
        out=args.out,
        device=args.device,
        verbose=not args.quiet,
    )
    if not args.quiet:
        _print(
            run.metrics,
            (
                "model",
                "system",
                "energy_mae_mev_atom",
                "force_mae_mev_A",
                "md_drift_mev_atom_ps",
                "md_drift_emt_mev_atom_ps",
                "n_test",
            ),
        )
        print(
            f"wrote {Path(args.out) / 'metrics.json'}, parity_energy.png, parity_forces.png, md_energy.png, model.matnn"
        )
    return run.metrics


def _graphs(args: argparse.Namespace) -> dict:
    from matnn.workflows.crystals.graphs import graph_statistics

    metrics = graph_statistics(
        args.data,
        cutoff=args.cutoff,
        max_neighbors=args.max_neighbors or None,
        out=args.out,
        cache_dir=False if args.no_cache else args.cache_dir,
        verbose=not args.quiet,
    )
    if not args.quiet:
        _print(metrics, ("n_graphs", "graphs_per_s", "mean_atoms", "mean_neighbors", "cache_load_s"))
    return metrics


def register(subparsers: argparse._SubParsersAction) -> None:
    actions = area_parser(subparsers, "crystals", HELP)

    p = add_action(
        actions,
        "train",
        _train,
        "train CGCNN or the MEGNet-style network on structures with a target",
        check=_check_options,
    )
    g = p.add_argument_group("data")
    g.add_argument(
        "--data",
        type=Path,
        required=True,
        help="structures with targets: .jsonl[.gz] (as in shared/datasets/structures), .json, CIF, POSCAR, .extxyz",
    )
    g.add_argument(
        "--test",
        type=Path,
        default=None,
        help="separate test file of the same format (default: a seeded hold-out of --data)",
    )
    g.add_argument(
        "--target",
        default="formation_energy_per_atom",
        help="key in each record's 'targets' (default formation_energy_per_atom)",
    )
    g.add_argument(
        "--test-fraction",
        type=fraction,
        default=0.2,
        help="hold-out share of --data when no --test is given (default 0.2)",
    )
    g.add_argument(
        "--val-fraction",
        type=fraction,
        default=0.1,
        help="share of the training structures used only to pick the best epoch (default 0.1)",
    )
    g.add_argument(
        "--max-train", type=positive_int, default=None, help="use at most N training structures (seeded subsample)"
    )
    g.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="graph cache folder (default ~/.cache/matnn/crystal_graphs or $MATNN_CACHE_DIR)",
    )
    g.add_argument("--no-cache", action="store_true", help="build graphs without reading or writing the cache")
    g = p.add_argument_group("model and training")
    g.add_argument(
        "--model",
        type=_model_name("property"),
        choices=CRYSTAL_MODELS.names("property"),
        default="cgcnn",
        help=f"architecture: {CRYSTAL_MODELS.describe('property')} (default cgcnn)",
    )
    g.add_argument("--epochs", type=positive_int, default=100, help="training epochs (default 100)")
    g.add_argument("--batch-size", type=positive_int, default=64, help="structures per batch (default 64)")
    g.add_argument(
        "--learning-rate",
        type=positive_float,
        default=None,
        help=f"peak AdamW learning rate of the cosine schedule (default {_defaults_text('property', 'learning_rate')})",
    )
    g.add_argument(
        "--weight-decay",
        type=non_negative_float,
        default=None,
        help="AdamW decoupled weight decay; each step shrinks weights by lr x this "
        f"(default {_defaults_text('property', 'weight_decay')})",
    )
    g.add_argument("--loss", choices=("mae", "mse", "huber"), default="mae", help="training loss (default mae)")
    g.add_argument(
        "--time-limit",
        type=positive_float,
        default=None,
        metavar="MIN",
        help="stop between epochs after MIN minutes, keeping the backup; the same command resumes (for job-length limits)",
    )
    g.add_argument(
        "--split-seed",
        type=int,
        default=None,
        help="seed of the test/validation split only (default: --seed); members of an ensemble share it and differ in --seed",
    )
    g.add_argument(
        "--swa-start",
        type=fraction,
        default=None,
        metavar="FRACTION",
        help="also average the weights over the epochs after FRACTION of them (SWA, e.g. 0.75); validation picks SWA or best epoch",
    )
    g.add_argument(
        "--jit-compile",
        action="store_true",
        help="run the network through torch.compile: faster steps after about a minute of compiling (long runs)",
    )
    add_model_option_arg(
        g,
        "architecture settings passed to the model, e.g. atom_dim=128 n_conv=4 hidden_dim=256 "
        "(CGCNN defaults: atom_dim=64 n_conv=3 hidden_dim=128 n_hidden=1 dropout=0); repeatable, a later value "
        "of a key wins",
    )
    add_nproc_arg(p)

    p = add_action(actions, "predict", _predict, "predict with a model trained by 'crystals train' on new structures")
    p.add_argument(
        "--model",
        type=Path,
        required=True,
        metavar="RUN_DIR",
        help="output folder of a finished 'matnn crystals train' run (model.matnn, metrics.json)",
    )
    p.add_argument(
        "--data",
        type=Path,
        required=True,
        help="structures: .jsonl[.gz], .json, CIF, POSCAR, .extxyz, or a folder of such files; "
        "records holding the run's target are scored",
    )
    p.add_argument("--batch-size", type=positive_int, default=256, help="structures per forward pass (default 256)")
    p.add_argument("--cache-dir", type=Path, default=None, help="graph cache folder")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the graph cache")

    p = add_action(
        actions,
        "ensemble",
        _ensemble,
        "average the predictions of 'crystals train' runs made on the same split; score members and ensemble",
    )
    p.add_argument(
        "runs", nargs="+", type=Path, metavar="RUN_DIR", help="output folders of finished 'matnn crystals train' runs"
    )
    g = p.add_argument_group("split (only for runs whose metrics.json predates these keys)")
    g.add_argument("--data", type=Path, default=None, help="the --data file the runs were trained on")
    g.add_argument("--test", type=Path, default=None, help="the --test file they were scored on, if any")
    g.add_argument("--target", default=None, help="the target they were trained on")
    g.add_argument("--val-fraction", type=fraction, default=None, help="their --val-fraction")
    g.add_argument("--test-fraction", type=fraction, default=None, help="their --test-fraction")
    g = p.add_argument_group("scoring")
    g.add_argument("--no-recalibrate", action="store_true", help="keep each member's saved BatchNorm statistics")
    g.add_argument("--cache-dir", type=Path, default=None, help="graph cache folder")
    g.add_argument("--no-cache", action="store_true", help="do not read or write the graph cache")

    p = add_action(
        actions, "potential", _potential, "fit an energy+forces potential on EMT data, test it, check MD energy drift"
    )
    g = p.add_argument_group("data")
    g.add_argument("--system", default="CuAu", help="EMT elements to alloy, from Al Cu Ag Au Ni Pd Pt (default CuAu)")
    g.add_argument(
        "--data",
        type=Path,
        default=None,
        help="use labelled structures from this file (.extxyz/.traj/.jsonl with energy and forces) instead of generating EMT data",
    )
    g.add_argument(
        "--n-structures", type=positive_int, default=360, help="EMT configurations to generate (default 360)"
    )
    g = p.add_argument_group("model and training")
    g.add_argument(
        "--model",
        type=_model_name("potential"),
        choices=CRYSTAL_MODELS.names("potential"),
        default="schnet",
        help=f"{CRYSTAL_MODELS.describe('potential')} (default schnet)",
    )
    g.add_argument("--epochs", type=positive_int, default=120, help="training epochs (default 120)")
    g.add_argument("--batch-size", type=positive_int, default=8, help="structures per batch (default 8)")
    g.add_argument(
        "--learning-rate",
        type=positive_float,
        default=None,
        help=f"peak Adam learning rate (default {_defaults_text('potential', 'learning_rate')})",
    )
    g.add_argument(
        "--force-weight",
        type=float,
        default=10.0,
        help="weight of the force MSE against the energy-per-atom MSE (default 10)",
    )
    g.add_argument(
        "--stress-weight",
        type=float,
        default=100.0,
        help="weight of the stress MSE in (eV/Å³)², used when the data have stress (default 100; 0 = energies and forces only)",
    )
    g = p.add_argument_group("MD energy-conservation check")
    g.add_argument("--md-steps", type=positive_int, default=500, help="velocity-Verlet steps (default 500)")
    g.add_argument("--md-timestep-fs", type=positive_float, default=2.0, help="time step in fs (default 2)")
    g.add_argument(
        "--md-temperature", type=positive_float, default=300.0, help="initial temperature in K (default 300)"
    )

    p = add_action(
        actions,
        "graphs",
        _graphs,
        "build (and cache) the periodic neighbour graphs of a structure file; report graphs/s",
    )
    p.add_argument("--data", type=Path, required=True, help="structure file")
    p.add_argument("--cutoff", type=positive_float, default=8.0, help="neighbour radius in Å (default 8)")
    p.add_argument(
        "--max-neighbors",
        type=int,
        default=12,
        help="nearest neighbours kept per atom, plus ties; 0 = all within the cutoff (default 12)",
    )
    p.add_argument("--cache-dir", type=Path, default=None, help="graph cache folder")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
