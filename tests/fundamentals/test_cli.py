"""The ``matnn fundamentals`` commands run end to end and write a figure and metrics.json."""

from __future__ import annotations

import json

import pytest

from matnn.cli.main import main
from matnn.fundamentals.approximation import TARGETS
from matnn.fundamentals.demos import CHECKS, DEMOS, evaluate_checks, run_all


@pytest.mark.parametrize(
    "argv,figure",
    [
        (["linear-regression", "--n-samples", "60"], "linear_regression.png"),
        (["logistic-regression"], "logistic_regression.png"),
        (["perceptron", "--max-epochs", "30"], "perceptron.png"),
        (["activations"], "activations.png"),
        (["backprop", "--activation", "relu", "--hidden", "8,8,8", "--epochs", "300"], "backprop.png"),
        (["capacity", "--no-networks", "--max-degree", "12"], "capacity.png"),
    ],
)
def test_demo_writes_figure_and_metrics(tmp_path, argv, figure):
    out = tmp_path / argv[0]
    assert main(["fundamentals", *argv, "--out", str(out), "--quiet"]) == 0
    assert (out / figure).stat().st_size > 10_000
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics
    checks = evaluate_checks(argv[0], metrics)
    if argv[0] != "backprop":  # 300 epochs is too short for its "tenfold lower cost" check
        assert all(checks.values()), checks


def test_same_seed_same_numbers(tmp_path):
    for d in ("a", "b"):
        assert (
            main(["fundamentals", "backprop", "--epochs", "50", "--seed", "3", "--out", str(tmp_path / d), "--quiet"])
            == 0
        )
    a, b = (json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("a", "b"))
    assert a == b


def test_user_errors_exit_2_with_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["fundamentals", "backprop", "--hidden", "0,4", "--out", str(tmp_path)])
    assert exc.value.code == 2
    assert (
        main(["fundamentals", "capacity", "--no-networks", "--max-degree", "25", "--out", str(tmp_path), "--quiet"])
        == 2
    )
    err = capsys.readouterr().err
    assert "must be in [1, 19]" in err and "Traceback" not in err


def test_run_all_subset_writes_summary(tmp_path):
    summary = run_all(tmp_path, demos=["perceptron", "activations"], show_progress=False)
    assert summary["all_checks_passed"] is True
    assert summary["perceptron_separable_converged"] is True
    text = (tmp_path / "summary.md").read_text()
    assert "PASS: reports non-convergence on XOR" in text and "FAIL" not in text
    assert (tmp_path / "activations" / "activations.png").exists()
    assert json.loads((tmp_path / "metrics.json").read_text())["all_checks_passed"] is True


def test_checks_can_fail():
    assert (
        evaluate_checks("linear-regression", {"abs_diff_slope": 1e-3, "abs_diff_intercept": 0.0})[
            "closed form = gradient descent (|Δ| < 1e-6)"
        ]
        is False
    )
    assert not all(evaluate_checks("perceptron", {}).values())  # missing metrics fail


def test_registry_and_cli_stay_in_sync():
    from matnn.cli import fundamentals as cli

    assert set(cli._TARGETS) == set(TARGETS)
    assert set(CHECKS) == set(DEMOS)


def test_experiment_file(tmp_path):
    from matnn.cli.experiment import load_experiment

    spec = tmp_path / "exp.yaml"
    spec.write_text(f"command: fundamentals backprop\nactivation: relu\nhidden: '8,8'\nout: {tmp_path / 'o'}\n")
    argv = load_experiment(spec)
    assert argv[:2] == ["fundamentals", "backprop"] and "--hidden" in argv
    spec.write_text("command: fundamentals backprop\nactivation: swish\nout: o\n")
    from matnn.core.exceptions import ConfigError

    with pytest.raises(ConfigError, match="activation"):
        load_experiment(spec)
