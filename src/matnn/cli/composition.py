"""``matnn composition ...`` commands (see the matching workflow package for the Python API).

* ``matnn composition train --train CSV --test CSV --model NAME --out DIR`` (names: ``COMPOSITION_MODELS``)
* ``matnn composition cv --data CSV --model NAME --folds 5 --out DIR``
* ``matnn composition depth-study --train CSV --test CSV --depths 1,2,3,5,7,10,13,17,20,24 --out DIR``
* ``matnn composition predict --model-dir RUN --data CSV --out DIR``
* ``matnn composition featurize --data CSV --features magpie --out DIR``
"""

from __future__ import annotations

import argparse
from dataclasses import fields
from typing import Any

from matnn.cli.common import (
    add_action,
    add_executor_args,
    add_nproc_arg,
    area_parser,
    fraction,
    non_negative_int,
    positive_float,
    positive_int,
)
from matnn.core.exceptions import MatnnError
from matnn.data.composition.featurizers import FEATURE_SETS
from matnn.models.composition.registry import COMPOSITION_MODELS
from matnn.models.composition.settings import FEATURE_CHOICES, ModelSettings

HELP = "formula → property: element fractions, Magpie features, ElemNet, random forest, Matbench-style CV"

# General knobs (not model recipes): their defaults are ModelSettings'.
_SETTING_DEFAULTS = {f.name: f.default for f in fields(ModelSettings)}


def _model_name(text: str) -> str:
    """argparse ``type=``: a registry name (checked once, by the registry, with a close-match hint)."""
    try:
        return COMPOSITION_MODELS.get(text).name
    except MatnnError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


_model_name.__name__ = "model name"


def _recipe(key: str, fmt: str = "g") -> str:
    """``"elemnet 1000, dense 500"``: each model's registry default for ``key``."""

    def show(v: Any) -> str:
        return format(v, fmt) if isinstance(v, float) else str(v)

    return ", ".join(f"{s.name} {show(s.defaults[key])}" for s in COMPOSITION_MODELS if key in s.defaults)


def _positive_fraction(text: str) -> float:
    value = fraction(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return value


_positive_fraction.__name__ = "fraction"


def _depths(text: str) -> list[int]:
    try:
        values = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers, got {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers, got {text!r}")
    return values


_depths.__name__ = "depth list"


def _add_data_policy_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data policies")
    g.add_argument("--formula-column", default="formula", help="name of the formula column (default 'formula')")
    g.add_argument("--target-column", default="target", help="name of the target column (default 'target')")
    g.add_argument(
        "--drop-invalid",
        action="store_true",
        help="drop unparsable formulas/unsupported elements/bad targets (counted) instead of failing",
    )
    g.add_argument(
        "--max-abs-target",
        type=positive_float,
        default=None,
        help="keep only rows with |target| <= this (5 = ElemNet's filter for formation enthalpies in eV/atom; default: keep all)",
    )
    g.add_argument(
        "--duplicates",
        choices=("mean", "first", "keep", "error"),
        default="mean",
        help="rows with the same normalised composition: merge to the mean target (default), keep the first, keep all, or fail",
    )
    g.add_argument(
        "--target-label", default="target", help="axis label for figures, e.g. 'formation enthalpy (eV/atom)'"
    )


def _add_model_args(p: argparse.ArgumentParser, *, model_default: str | None) -> None:
    g = p.add_argument_group("model")
    names = COMPOSITION_MODELS.names()
    about = f"which model: {COMPOSITION_MODELS.describe()}"
    if model_default is None:
        g.add_argument("--model", type=_model_name, choices=names, required=True, help=about)
    else:
        g.add_argument(
            "--model", type=_model_name, choices=names, default=model_default, help=f"{about} (default {model_default})"
        )
    g.add_argument(
        "--features",
        choices=FEATURE_CHOICES,
        default=None,
        help=f"feature set (default: the model's own: {_recipe('features')}; 'columns' = numeric CSV columns, no formulas)",
    )
    g.add_argument(
        "--epochs", type=positive_int, default=None, help=f"maximum epochs for networks (default: {_recipe('epochs')})"
    )
    g.add_argument(
        "--batch-size", type=positive_int, default=None, help=f"mini-batch size (default: {_recipe('batch_size')})"
    )
    g.add_argument(
        "--learning-rate",
        type=positive_float,
        default=None,
        help=f"learning rate of Adam, or of boosting (default: {_recipe('learning_rate')})",
    )
    g.add_argument(
        "--patience",
        type=positive_int,
        default=None,
        help=f"early-stopping patience in epochs (default: {_recipe('patience')})",
    )
    vf = _SETTING_DEFAULTS["validation_fraction"]
    g.add_argument(
        "--validation-fraction",
        type=_positive_fraction,
        default=vf,
        help=f"share of the training rows held out for early stopping/selection (default {vf})",
    )
    g.add_argument("--loss", default=None, help=f"training loss (default: {_recipe('loss')})")
    g.add_argument("--hidden", default=None, help=f"dense: hidden layer sizes (default {_recipe('hidden')})")
    g.add_argument(
        "--dropout",
        type=float,
        default=None,
        help=f"dense: dropout after each hidden layer (default {_recipe('dropout')})",
    )
    g.add_argument("--activation", default=None, help=f"dense: activation (default {_recipe('activation')})")
    g.add_argument("--batch-norm", action="store_true", help="dense: batch normalisation after each hidden layer")
    wd = _SETTING_DEFAULTS["weight_decay"]
    g.add_argument("--weight-decay", type=float, default=wd, help=f"networks: Adam weight decay (default {wd:g})")
    g.add_argument(
        "--architecture",
        default=None,
        help=f"elemnet: architecture in ElemNet notation (default {_recipe('architecture')})",
    )
    g.add_argument(
        "--mc-samples",
        type=non_negative_int,
        default=None,
        help=f"networks: keep dropout on at inference and average this many passes (Monte Carlo dropout; early stopping then watches one dropout-on validation pass, as ElemNet's reference code does); 0 = deterministic (default: {_recipe('mc_samples')})",
    )
    g.add_argument(
        "--init-from",
        default=None,
        metavar="DIR",
        help="networks: start from the weights saved in DIR (a previous run's OUT/model) and keep training with a fresh optimizer; --epochs then counts the new epochs",
    )
    g.add_argument(
        "--reduce-lr-patience",
        type=positive_int,
        default=None,
        help="networks: halve the learning rate after this many epochs without improvement",
    )
    g.add_argument(
        "--n-estimators",
        type=positive_int,
        default=None,
        help=f"trees of a forest, maximum boosting rounds of hgb (default: {_recipe('n_estimators')})",
    )
    g.add_argument(
        "--max-features",
        default=None,
        help=f"forests: features tried per split, a fraction or 'sqrt' (default: {_recipe('max_features', '.3g')})",
    )
    auto = COMPOSITION_MODELS.get("auto")
    g.add_argument(
        "--selection-folds",
        type=positive_int,
        default=None,
        help=f"auto: inner CV folds for the choice (default {auto.default('selection_folds')} up to {auto.default('kfold_max_rows'):,} rows, else one hold-out split; 1 = hold-out)",
    )
    g.add_argument(
        "--candidates",
        default=None,
        help=f"auto: comma-separated candidate models (default {auto.default('candidates')})",
    )


def _settings(args: argparse.Namespace) -> ModelSettings:
    mf = args.max_features
    if mf is not None:
        try:
            mf = float(mf)
        except ValueError:
            pass
    return ModelSettings(
        features=args.features,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        patience=args.patience,
        validation_fraction=args.validation_fraction,
        loss=args.loss,
        hidden=args.hidden,
        dropout=args.dropout,
        activation=args.activation,
        batch_norm=args.batch_norm,
        weight_decay=args.weight_decay,
        architecture=args.architecture,
        reduce_lr_patience=args.reduce_lr_patience,
        mc_samples=args.mc_samples,
        init_from=getattr(args, "init_from", None),
        n_estimators=args.n_estimators,
        max_features=mf,
        candidates=args.candidates,
        selection_folds=args.selection_folds or 0,
        verbose=0 if args.quiet else "auto",
    )


def _policies(args: argparse.Namespace) -> dict:
    return dict(
        drop_invalid=args.drop_invalid,
        max_abs_target=args.max_abs_target,
        duplicates=args.duplicates,
        formula_column=args.formula_column,
        target_column=args.target_column,
    )


def _print_summary(metrics: dict, keys: tuple[str, ...]) -> None:
    shown = ", ".join(
        f"{k}={metrics[k]:.5g}" if isinstance(metrics.get(k), float) else f"{k}={metrics.get(k)}"
        for k in keys
        if k in metrics
    )
    print(shown)


def _train(args: argparse.Namespace) -> dict:
    from matnn.workflows.composition.train import train_composition_model

    m = train_composition_model(
        args.train,
        args.test,
        model=args.model,
        out=args.out,
        settings=_settings(args),
        max_train=args.max_train,
        seed=args.seed,
        target_label=args.target_label,
        save_model=not args.no_save_model,
        **_policies(args),
    )
    _print_summary(m, ("model", "mae", "rmse", "r2", "n_train", "n_test", "wall_time_s"))
    return m


def _cv(args: argparse.Namespace) -> dict:
    from matnn.workflows.composition.cv import cross_validate_composition

    m = cross_validate_composition(
        args.data,
        model=args.model,
        folds=args.folds,
        out=args.out,
        settings=_settings(args),
        seed=args.seed,
        split_seed=args.split_seed,
        target_label=args.target_label,
        max_rows=args.max_rows,
        **_policies(args),
        workers=args.workers,
        scheduler=args.scheduler,
    )
    _print_summary(m, ("model", "mae", "mae_std", "rmse", "r2", "n_rows", "wall_time_s"))
    return m


def _depth(args: argparse.Namespace) -> dict:
    from matnn.workflows.composition.depth_study import depth_study

    pol = _policies(args)
    for k in ("formula_column", "target_column"):
        pol.pop(k)
    m = depth_study(
        args.train,
        args.test,
        out=args.out,
        depths=args.depths,
        settings=_settings(args),
        max_train=args.max_train,
        max_test=args.max_test,
        seed=args.seed,
        with_forest=not args.no_forest,
        **pol,
    )
    _print_summary(
        m,
        (
            "best_depth",
            "best_depth_val_mae",
            "best_depth_test_mae",
            "rf_magpie_mae",
            "n_train",
            "n_test",
            "wall_time_s",
        ),
    )
    return m


def _featurize(args: argparse.Namespace) -> dict:
    from matnn.workflows.composition.featurize import featurize_csv

    m = featurize_csv(args.data, args.out, features=args.features or "magpie", **_policies(args))
    _print_summary(m, ("n_rows", "n_features", "features", "time_s"))
    return m


def _predict(args: argparse.Namespace) -> dict:
    from matnn.workflows.composition.predict import predict_composition

    m = predict_composition(
        args.model_dir,
        args.data,
        args.out,
        drop_invalid=args.drop_invalid,
        formula_column=args.formula_column,
        target_column=args.target_column,
        target_label=args.target_label,
    )
    _print_summary(m, ("model", "n_rows", "mae", "rmse", "r2"))
    return m


def register(subparsers: argparse._SubParsersAction) -> None:
    actions = area_parser(subparsers, "composition", HELP)

    p = add_action(actions, "train", _train, "fit a model on --train and report MAE/RMSE/R² on --test")
    p.add_argument("--train", required=True, help="training CSV (formula,target)")
    p.add_argument("--test", required=True, help="test CSV (formula,target); only used to score the final model")
    p.add_argument(
        "--max-train", type=positive_int, default=None, help="random subset of this many training rows (quick runs)"
    )
    p.add_argument("--no-save-model", action="store_true", help="do not write DIR/model/ (large forests take space)")
    add_nproc_arg(p)
    _add_model_args(p, model_default=None)
    _add_data_policy_args(p)

    p = add_action(actions, "cv", _cv, "Matbench-style shuffled k-fold cross-validation (mean ± std over folds)")
    p.add_argument("--data", required=True, help="CSV (formula,target)")
    p.add_argument("--folds", type=positive_int, default=5, help="number of folds (default 5)")
    p.add_argument("--split-seed", type=int, default=18012019, help="KFold random_state (default 18012019, Matbench's)")
    p.add_argument("--max-rows", type=positive_int, default=None, help="random subset of this many rows (quick runs)")
    add_executor_args(p, "folds")
    _add_model_args(p, model_default=None)
    _add_data_policy_args(p)

    p = add_action(
        actions, "depth-study", _depth, "test MAE of ElemNet-style networks against depth, next to a random forest"
    )
    p.add_argument("--train", required=True, help="training CSV (formula,target)")
    p.add_argument("--test", required=True, help="test CSV (formula,target)")
    p.add_argument(
        "--depths",
        type=_depths,
        default=[1, 2, 3, 5, 7, 10, 13, 17, 20, 24],
        help="numbers of dense layers (default 1,2,3,5,7,10,13,17,20,24)",
    )
    p.add_argument("--max-train", type=positive_int, default=None, help="random subset of training rows")
    p.add_argument("--max-test", type=positive_int, default=None, help="random subset of test rows")
    p.add_argument("--no-forest", action="store_true", help="skip the random-forest reference")
    _add_model_args(p, model_default="elemnet")
    _add_data_policy_args(p)

    p = add_action(
        actions,
        "predict",
        _predict,
        "predict formulas with a model saved by 'train' (scores it when the CSV has targets)",
    )
    p.add_argument("--model-dir", required=True, help="the --out folder of a 'train' run (or its model/ subfolder)")
    p.add_argument("--data", required=True, help="CSV with a formula column (target column optional)")
    g = p.add_argument_group("data policies")
    g.add_argument("--formula-column", default="formula", help="name of the formula column (default 'formula')")
    g.add_argument("--target-column", default="target", help="name of the target column, if any (default 'target')")
    g.add_argument("--drop-invalid", action="store_true", help="skip unusable formulas (counted) instead of failing")
    g.add_argument("--target-label", default="target", help="axis label for the parity plot")

    p = add_action(
        actions, "featurize", _featurize, "write the feature table (Magpie / element fractions) of a formula CSV"
    )
    p.add_argument("--data", required=True, help="CSV with a formula column (target column optional)")
    p.add_argument("--features", choices=FEATURE_SETS, default="magpie", help="feature set (default magpie)")
    _add_data_policy_args(p)
