"""The composition model registry: the one list of names and recipes the CLI and the estimators read."""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from matnn.cli.main import build_parser, main
from matnn.core.exceptions import ConfigError
from matnn.models.composition import (
    COMPOSITION_MODELS,
    ModelSettings,
    load_estimator,
    make_estimator,
)

SAVED = Path(__file__).parent / "data" / "saved_models"


def _action_parser(parser: argparse.ArgumentParser, *path: str) -> argparse.ArgumentParser:
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return parser


def _option(parser: argparse.ArgumentParser, flag: str) -> argparse.Action:
    return next(a for a in parser._actions if flag in a.option_strings)


def test_registry_lists_every_model_with_summary_source_and_recipe():
    assert COMPOSITION_MODELS.names() == (
        "elemnet",
        "rf-magpie",
        "rf-median",
        "dense",
        "hgb",
        "auto",
    )
    for spec in COMPOSITION_MODELS:
        assert spec.summary and spec.source, spec.name
        assert isinstance(spec.load(), type)  # the estimator class the name builds
        est = make_estimator(spec.name)
        assert est.name == spec.name
        if spec.family != "selection":
            assert est.features == spec.default("features")
    elemnet = COMPOSITION_MODELS.get("elemnet")
    # ElemNet's published recipe (Jha et al. 2018), read by the estimator from the registry.
    est = make_estimator("elemnet")
    assert (est.learning_rate, est.batch_size, est.loss, est.mc_samples) == (
        1e-4,
        32,
        "mae",
        10,
    )
    assert (est.epochs, est.patience, est.standardize) == (
        elemnet.default("epochs"),
        elemnet.default("patience"),
        False,
    )
    forest = make_estimator("rf-median")
    assert (forest.n_estimators, forest.aggregate, forest.features) == (
        500,
        "median",
        "magpie",
    )
    # A setting overrides the recipe; None falls back to it.
    assert make_estimator("dense", ModelSettings(epochs=7)).epochs == 7
    assert make_estimator("dense").epochs == COMPOSITION_MODELS.default("dense", "epochs")


def test_cli_model_choices_are_the_registry_names():
    parser = build_parser()
    for action in ("train", "cv", "depth-study"):
        model = _option(_action_parser(parser, "composition", action), "--model")
        assert tuple(model.choices) == COMPOSITION_MODELS.names()
    train = _action_parser(parser, "composition", "train")
    assert "elemnet 1000" in _option(train, "--epochs").help and "hgb 0.05" in _option(train, "--learning-rate").help


def test_cli_unknown_model_is_one_line_with_a_close_match(tmp_path, capsys):
    argv = [
        "composition",
        "train",
        "--train",
        "a.csv",
        "--test",
        "b.csv",
        "--model",
        "rf-magpei",
        "--out",
        str(tmp_path),
    ]
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err.strip()
    assert info.value.code == 2
    assert len(err.splitlines()) == 1 and "Did you mean 'rf-magpie'" in err and "Traceback" not in err


def test_candidates_and_settings_are_checked_where_they_enter():
    with pytest.raises(KeyError, match="Did you mean 'hgb'"):
        make_estimator("auto", ModelSettings(candidates="rf-magpie,hbg"))
    with pytest.raises(KeyError, match="Unknown candidate model 'auto'"):
        make_estimator("auto", ModelSettings(candidates="auto,dense"))
    assert make_estimator("auto", ModelSettings(candidates="rf-median, dense")).candidates == ["rf-median", "dense"]
    with pytest.raises(ConfigError, match="'epochs' of ModelSettings"):
        ModelSettings(epochs=0)
    with pytest.raises(KeyError, match="Did you mean 'magpie'"):
        ModelSettings(features="magpi")


def test_forest_twin_shares_trees_only_with_a_forest_of_the_same_recipe():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    forest = make_estimator("rf-magpie", ModelSettings(features="columns", n_estimators=5)).fit(X, y, seed=0)
    twin = forest.twin("rf-median")
    assert twin.model_ is forest.model_ and twin.name == "rf-median"
    with pytest.raises(ConfigError, match="not a forest"):
        forest.twin("hgb")


def test_numeric_table_predictions_name_their_rows_not_formulas(tmp_path):
    from matnn.workflows.composition import (
        cross_validate_composition,
        train_composition_model,
    )

    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 3))
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "target": X @ [1.0, -1.0, 0.5]})
    frame.iloc[:45].to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[45:].to_csv(tmp_path / "test.csv", index=False)
    settings = ModelSettings(features="columns", n_estimators=5)
    train_composition_model(
        tmp_path / "train.csv",
        tmp_path / "test.csv",
        model="rf-magpie",
        settings=settings,
        out=tmp_path / "t",
    )
    preds = pd.read_csv(tmp_path / "t" / "predictions.csv")
    assert list(preds.columns) == ["row", "target", "prediction"]
    assert preds.row.tolist() == list(range(15))
    np.testing.assert_allclose(preds.target, frame.target.iloc[45:], rtol=1e-9)
    cross_validate_composition(
        tmp_path / "train.csv",
        model="rf-magpie",
        folds=3,
        settings=settings,
        out=tmp_path / "cv",
    )
    preds = pd.read_csv(tmp_path / "cv" / "predictions.csv")
    assert list(preds.columns) == [
        "row",
        "target",
        "prediction",
        "fold",
    ] and preds.row.tolist() == list(range(45))


@pytest.mark.parametrize("model", ["dense", "rf-median"])
def test_models_saved_by_the_earlier_module_layout_still_load(model):
    query = np.loadtxt(SAVED / "query.csv", delimiter=",")
    expected = json.loads((SAVED / "expected.json").read_text())[model]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = load_estimator(SAVED / model)
    if any(type(w.message).__name__ == "InconsistentVersionWarning" for w in caught):
        pytest.skip("the forest was pickled by another scikit-learn version")
    assert (est.name, est.features) == (model, "columns")
    np.testing.assert_allclose(est.predict(query), expected, rtol=1e-6, atol=1e-7)
