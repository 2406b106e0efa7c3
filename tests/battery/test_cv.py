"""``--model-option`` of the battery commands and ``matnn battery cv`` (k-fold CV on training cells)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from matnn.cli.main import main
from matnn.core.exceptions import ConfigError
from matnn.data.battery import load_npz, save_npz
from matnn.models.battery import check_model_options, make_model


def test_network_options_are_typed_and_checked():
    got = check_model_options("dqnet", {"epochs": "50", "learning_rate": 1, "ensemble": 1.0, "residual": "false"})
    assert got == {"epochs": 50, "learning_rate": 1.0, "ensemble": 1, "residual": False}
    assert isinstance(got["learning_rate"], float) and isinstance(got["epochs"], int)
    model = make_model("dqnet", seed=3, options={"epochs": 7, "weight-decay": 0})
    assert model.seed == 3 and model.config.epochs == 7 and model.config.weight_decay == 0.0
    assert model.config.ensemble == 5  # the rest is the registered recipe


@pytest.mark.parametrize(
    "name, options, words",
    [
        (
            "dqnet",
            {"epoch": 5},
            ["Unknown dqnet model option 'epoch'", "Did you mean 'epochs'", "Allowed:", "patience"],
        ),
        ("cnn", {"scalars": "curve"}, ["Unknown cnn model option 'scalars'"]),  # dqnet-only input setting
        ("dqnet", {"learning_rate": -1}, ["'learning_rate' of battery network 'dqnet' must be a float in (0, inf)"]),
        ("dqnet", {"epochs": 2.5}, ["'epochs'", "must be an int"]),
        ("dqnet", {"early_stopping": "maybe"}, ["'early_stopping'", "True or False"]),
        ("dqnet", {"ensemble": 3, "early_stopping": False}, ["needs early_stopping=True"]),
        ("variance", {"epochs": 5}, ["'variance' takes no model options"]),
    ],
)
def test_bad_options_are_one_line_config_errors(name, options, words):
    with pytest.raises(ConfigError) as exc:
        make_model(name, options=options)
    message = str(exc.value)
    assert "\n" not in message
    for w in words:
        assert w in message


def test_cv_reproduces_the_benchmark_rule_for_variance(shared_datasets):
    """Repeat s: folds from default_rng(s).permutation, model seed s (bench/battery/cv.py's rule)."""
    from matnn.models.battery.classical import ClassicalModel
    from matnn.workflows.battery.cv import cross_validate

    ds = load_npz(shared_datasets / "severson" / "train.npz", require_labels=True)
    m = cross_validate(ds, "variance", folds=5, repeats=2, seed=0, show_progress=False)
    scores = []
    for s in range(2):
        pred = np.zeros(ds.n_cells)
        for held in np.array_split(np.random.default_rng(s).permutation(ds.n_cells), 5):
            rest = np.setdiff1d(np.arange(ds.n_cells), held)
            pred[held] = ClassicalModel("variance", seed=s).fit(ds.subset(rest)).predict(ds.subset(held))
        scores.append(float(np.sqrt(np.mean((pred - ds.cycle_life) ** 2))))
    assert m["rmse_per_repeat"] == scores
    assert m["rmse"] == float(np.mean(scores)) and m["rmse_std"] == float(np.std(scores))
    assert m["rmse"] == pytest.approx(110.839, abs=1e-3)  # the benchmark's variance cv_rmse
    assert m["n_cells"] == 41 and m["folds"] == 5 and m["repeats"] == 2


def test_cv_command_writes_metrics_predictions_and_figure(tmp_path, curves):
    save_npz(curves, tmp_path / "train.npz")
    out = tmp_path / "cv"
    rc = main(["battery", "cv", "--data", str(tmp_path / "train.npz"), "--model", "pcr", "--folds", "3",
               "--repeats", "2", "--seed", "4", "--out", str(out), "--quiet"])  # fmt: skip
    assert rc == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["model"] == "pcr" and m["model_options"] == {} and m["folds"] == 3 and m["seed"] == 4
    assert m["n_cells"] == curves.n_cells and len(m["rmse_per_repeat"]) == 2 and m["rmse"] > 0
    assert m["rmse"] == pytest.approx(np.mean(m["rmse_per_repeat"])) and m["wall_s"] > 0
    lines = (out / "predictions.csv").read_text().splitlines()
    assert lines[0] == "cell,true,predicted_mean,predicted_std" and len(lines) == curves.n_cells + 1
    assert (out / "parity.png").stat().st_size > 1000


@pytest.mark.parametrize("action", ["train", "cv"])
def test_unknown_model_option_on_the_command_line_is_one_line_exit_2(tmp_path, curves, capsys, action):
    save_npz(curves, tmp_path / "train.npz")
    data = ["--train" if action == "train" else "--data", str(tmp_path / "train.npz")]
    rc = main(["battery", action, *data, "--model", "dqnet", "--model-option", "ensemble=1",
               "--model-option", "learnin_rate=0.01", "--out", str(tmp_path / "o"), "--quiet"])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1
    assert "Unknown dqnet model option 'learnin_rate'" in err and "Did you mean 'learning_rate'" in err
    assert "Allowed: asinh, batch_size" in err


def test_cv_with_too_many_folds_is_one_line(tmp_path, curves, capsys):
    save_npz(curves.subset(np.r_[0:6]), tmp_path / "train.npz")
    rc = main(["battery", "cv", "--data", str(tmp_path / "train.npz"), "--model", "variance", "--folds", "2",
               "--out", str(tmp_path / "o"), "--quiet"])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "at least 5 training cells" in err


def test_train_saves_its_model_options_and_predict_reproduces_them(tmp_path, curves):
    """A tiny dqnet (ensemble of 2, 2 epochs) set on the command line: recorded and reloaded as trained."""
    save_npz(curves.subset(np.r_[0:18]), tmp_path / "train.npz")
    save_npz(curves.subset(np.r_[18:24]), tmp_path / "test.npz")
    run, pred = tmp_path / "run", tmp_path / "pred"
    rc = main(["battery", "train", "--train", str(tmp_path / "train.npz"), "--test", str(tmp_path / "test.npz"),
               "--model", "dqnet", "--seeds", "1", "--model-option", "epochs=2", "patience=1",
               "--model-option", "ensemble=2", "--out", str(run), "--quiet", "--device", "cpu"])  # fmt: skip
    assert rc == 0
    options = {"epochs": 2, "patience": 1, "ensemble": 2}
    assert json.loads((run / "metrics.json").read_text())["model_options"] == options
    assert json.loads((run / "model_info.json").read_text())["model_options"] == options
    saved = json.loads((run / "models" / "seed0" / "model.json").read_text())
    assert saved["n_members"] == 2 and saved["config"]["epochs"] == 2 and saved["config"]["patience"] == 1
    rc = main(["battery", "predict", "--model", str(run), "--data", str(tmp_path / "test.npz"), "--out", str(pred),
               "--quiet", "--device", "cpu"])  # fmt: skip
    assert rc == 0
    assert json.loads((pred / "metrics.json").read_text())["model_options"] == options
    trained = [ln.split(",")[2] for ln in (run / "predictions.csv").read_text().splitlines()[1:]]
    predicted = [ln.split(",")[2] for ln in (pred / "predictions.csv").read_text().splitlines()[1:]]
    assert predicted == trained
