"""``matnn battery ...`` end to end on small files, and its one-line errors."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from matnn.cli.main import main
from matnn.data.battery import resample_voltage, save_npz


def test_train_writes_metrics_predictions_and_figures(tmp_path, curves, capsys):
    save_npz(curves.subset(np.r_[0:16]), tmp_path / "train.npz")
    save_npz(curves.subset(np.r_[16:24]), tmp_path / "test.npz")
    rc = main(
        [
            "battery",
            "train",
            "--train",
            str(tmp_path / "train.npz"),
            "--test",
            str(tmp_path / "test.npz"),
            "--model",
            "pcr",
            "--seeds",
            "2",
            "--out",
            str(tmp_path / "run"),
            "--quiet",
        ]
    )
    assert rc == 0
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    for key in ("rmse", "rmse_std", "mape", "n_test", "model"):
        assert key in m
    assert m["n_test"] == 8 and m["model"] == "pcr" and m["rmse"] > 0
    lines = (tmp_path / "run" / "predictions.csv").read_text().splitlines()
    assert lines[0] == "cell,true,predicted_mean,predicted_std,feature_max_abs_z" and len(lines) == 9
    assert (tmp_path / "run" / "parity.png").stat().st_size > 1000
    assert (tmp_path / "run" / "learning_curves.png").stat().st_size > 1000


def test_train_warns_about_test_cells_beyond_the_training_range(tmp_path, curves, capsys):
    """A test cell that fades 30× faster than any training cell is reported as an extrapolation."""
    train = curves.subset(np.r_[0:16])
    test = curves.subset(np.r_[16:20])
    worst = int(np.argmax(np.abs(train.delta_q(100, 10)).max(axis=1)))
    fast = train.subset([worst])
    fast.qdlin[:] = fast.q(2)[:, :, None] + 30 * (fast.qdlin - fast.q(2)[:, :, None])
    fast.cell_ids[:] = ["fast-fader"]
    save_npz(train, tmp_path / "train.npz")
    save_npz(type(test).concatenate([test, fast]), tmp_path / "test.npz")
    rc = main(
        [
            "battery",
            "train",
            "--train",
            str(tmp_path / "train.npz"),
            "--test",
            str(tmp_path / "test.npz"),
            "--model",
            "variance",
            "--seeds",
            "1",
            "--out",
            str(tmp_path / "run"),
            "--quiet",
        ]
    )
    assert rc == 0
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["cells_beyond_training"] == ["fast-fader"] and m["n_test_beyond_training"] == 1
    assert m["max_feature_z"] > 4
    assert "1 test cell(s) lie beyond the training cells" in capsys.readouterr().err


def test_missing_key_is_one_line_exit_2(tmp_path, capsys):
    np.savez(tmp_path / "bad.npz", Q=np.zeros((2, 3, 4)))
    rc = main(["battery", "train", "--train", str(tmp_path / "bad.npz"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1
    assert "bad.npz has no key 'qdlin'" in err


def test_mismatched_voltage_grid_is_one_line_exit_2(tmp_path, curves, capsys):
    save_npz(curves, tmp_path / "train.npz")
    save_npz(resample_voltage(curves, np.linspace(3.6, 2.0, 120)), tmp_path / "test.npz")
    rc = main(
        [
            "battery",
            "train",
            "--train",
            str(tmp_path / "train.npz"),
            "--test",
            str(tmp_path / "test.npz"),
            "--model",
            "variance",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1
    assert "different voltage grid: 120 points" in err and "test.npz" in err


def test_unlabelled_training_file_and_unknown_model(tmp_path, curves, capsys):
    np.savez(tmp_path / "nolabel.npz", qdlin=curves.qdlin)
    rc = main(["battery", "train", "--train", str(tmp_path / "nolabel.npz"), "--out", str(tmp_path / "o")])
    assert rc == 2 and "no key 'cycle_life'" in capsys.readouterr().err


def _subparser(parser, *path):
    for name in path:
        parser = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[name]
    return parser


def test_model_choices_default_and_help_come_from_the_registry():
    from matnn.cli.main import build_parser
    from matnn.models.battery import BATTERY_MODELS, DEFAULT_MODEL

    train = _subparser(build_parser(), "battery", "train")
    action = next(a for a in train._actions if "--model" in a.option_strings)
    assert tuple(action.choices) == BATTERY_MODELS.names()
    assert action.default == DEFAULT_MODEL == "dqnet"
    for spec in BATTERY_MODELS:
        assert spec.summary in action.help


def test_unknown_model_is_one_line_with_the_close_match(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["battery", "train", "--train", "x.npz", "--model", "dqent", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1
    assert "Unknown battery model 'dqent'. Did you mean 'dqnet'?" in err
    with pytest.raises(SystemExit) as exc:
        main(["battery", "train", "--train", "x.npz", "--model", "lstm", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "Unknown battery model 'lstm'" in err


def test_model_name_is_case_insensitive(tmp_path, curves):
    save_npz(curves.subset(np.r_[0:16]), tmp_path / "train.npz")
    rc = main(
        [
            "battery",
            "train",
            "--train",
            str(tmp_path / "train.npz"),
            "--model",
            "Variance",
            "--seeds",
            "1",
            "--out",
            str(tmp_path / "run"),
            "--quiet",
        ]
    )
    assert rc == 0 and json.loads((tmp_path / "run" / "metrics.json").read_text())["model"] == "variance"


def test_simulate_writes_metrics_json(tmp_path):
    """A one-cell fleet stopped at cycle 101: DIR/metrics.json with flat keys beside DIR/fleet_summary.json."""
    pytest.importorskip("pybamm")
    out = tmp_path / "sim"
    rc = main(
        [
            "battery",
            "simulate",
            "--cells",
            "1",
            "--max-cycles",
            "101",
            "--workers",
            "1",
            "--seed",
            "2",
            "--cache",
            str(tmp_path / "cache"),
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert rc == 0
    m = json.loads((out / "metrics.json").read_text())
    assert json.loads((out / "fleet_summary.json").read_text()) == m
    assert m["n_cells"] == 1 and m["n_failed"] == 0 and m["n_cells_requested"] == 1
    assert m["cycle_life_min"] == m["cycle_life_median"] == m["cycle_life_max"] == 101  # censored at --max-cycles
    assert m["n_censored"] == 1 and m["wall_s"] > 0 and m["sim_cpu_s_per_cell"] > 0
    assert all(not isinstance(v, (dict, list)) for v in m.values())
    assert (out / "fleet.npz").is_file()


def test_battdat_default_file_through_info_convert_and_train(tmp_path, curves, capsys):
    """A file written by battdat's plain ``to_hdf(path)`` (tables at the root) reads in every command."""
    battdat = pytest.importorskip("battdat.data")
    import pandas as pd
    from battdat.schemas import BatteryMetadata

    rows, t0 = [], 0.0
    for k in range(1, 102):  # a linear 4C discharge per cycle, V = 3.2 − 1.2 Q, fading 1 mAh per cycle
        q = np.linspace(0, 1.0 - 1e-3 * k, 60)
        t = t0 + q / 4.0 * 3600
        rows.append(
            pd.DataFrame({"cycle_number": k, "test_time": t, "voltage": 3.2 - 1.2 * q / q[-1], "current": -4.0})
        )
        t0 = t[-1] + 60
    data = battdat.BatteryDataset.make_cell_dataset(metadata=BatteryMetadata(name="one"), raw_data=pd.concat(rows))
    h5 = tmp_path / "cell9.h5"
    data.to_hdf(h5)
    assert main(["battery", "info", str(h5)]) == 0
    assert "n_cells: 1" in capsys.readouterr().out
    assert main(["battery", "convert", "--input", str(h5), "--out", str(tmp_path / "c.npz"), "--quiet"]) == 0
    from matnn.data.battery import load_npz

    assert load_npz(tmp_path / "c.npz").cell_ids == ["cell9"]
    save_npz(curves.subset(np.r_[0:16]), tmp_path / "train.npz")
    rc = main(
        [
            "battery",
            "train",
            "--train",
            str(tmp_path / "train.npz"),
            "--test",
            str(h5),
            "--model",
            "variance",
            "--seeds",
            "1",
            "--out",
            str(tmp_path / "run"),
            "--quiet",
        ]
    )
    assert rc == 0
    assert (tmp_path / "run" / "predictions.csv").read_text().splitlines()[1].startswith("cell9,")


def test_info_and_convert(tmp_path, curves, capsys):
    save_npz(curves, tmp_path / "c.npz")
    assert main(["battery", "info", str(tmp_path / "c.npz")]) == 0
    assert "n_cells: 24" in capsys.readouterr().out


def test_convert_csv_to_npz(tmp_path, capsys):
    import pandas as pd

    rows = []
    for k in range(1, 102):  # a linear 4C discharge per cycle: V = 3.2 - 1.2 Q
        q = np.linspace(0, 1.0, 60)
        rows.append(pd.DataFrame({"cycle": k, "voltage": 3.2 - 1.2 * q, "current": -4.0, "discharge_capacity": q}))
    pd.concat(rows).to_csv(tmp_path / "cell7.csv", index=False)
    assert (
        main(
            ["battery", "convert", "--input", str(tmp_path / "cell7.csv"), "--out", str(tmp_path / "c.npz"), "--quiet"]
        )
        == 0
    )
    from matnn.data.battery import load_npz

    ds = load_npz(tmp_path / "c.npz")
    assert ds.cell_ids == ["cell7"] and ds.qdlin.shape == (1, 200, 99)
