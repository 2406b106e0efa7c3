"""Command line, experiment files, run settings and atomic writes."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import matnn
from matnn import config
from matnn.cli.common import OnelineParser, add_action, area_parser, non_negative_float, non_negative_int, positive_int
from matnn.cli.experiment import experiment_to_argv, json_schema
from matnn.cli.main import main
from matnn.utils.io import atomic_write, write_metrics


def toy_parser() -> argparse.ArgumentParser:
    parser = OnelineParser(prog="matnn")
    sub = parser.add_subparsers(dest="area", required=True, parser_class=OnelineParser)
    actions = area_parser(sub, "toy", "toy area")
    p = add_action(actions, "train", lambda a: None, "train a toy")
    p.add_argument("data", type=Path)
    p.add_argument("--model", choices=["cnn", "mlp"], default="cnn")
    p.add_argument("--epochs", type=positive_int, default=5)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--decay", type=non_negative_float, default=0.0)
    p.add_argument("--samples", type=non_negative_int, default=0)
    p.add_argument("--ensemble", action="store_true")
    return parser


def test_experiment_maps_to_the_equivalent_command_line():
    argv = experiment_to_argv(
        {
            "command": "toy train",
            "data": "d.npz",
            "model": "mlp",
            "epochs": 3,
            "lr": 0.1,
            "ensemble": True,
            "out": "runs/x",
            "seed": 4,
        },
        toy_parser(),
    )
    args = toy_parser().parse_args(argv)
    assert (args.model, args.epochs, args.lr, args.ensemble, args.seed, str(args.out)) == (
        "mlp",
        3,
        0.1,
        True,
        4,
        "runs/x",
    )


@pytest.mark.parametrize(
    "spec,pattern",
    [
        (
            {"command": "toy train", "data": "d", "out": "o", "epoch": 3},
            r"unknown key 'epoch'.*Did you mean 'epochs'.*Allowed keys",
        ),
        ({"command": "toy train", "data": "d", "out": "o", "epochs": "ten"}, r"'epochs'.*must be an integer.*'ten'"),
        ({"command": "toy train", "data": "d", "out": "o", "epochs": 0}, r"'epochs'.*positive integer"),
        ({"command": "toy train", "data": "d", "out": "o", "decay": -0.1}, r"'decay'.*non-negative number"),
        ({"command": "toy train", "data": "d", "out": "o", "decay": "lots"}, r"'decay'.*must be a number"),
        ({"command": "toy train", "data": "d", "out": "o", "samples": 2.5}, r"'samples'.*must be an integer"),
        ({"command": "toy train", "data": "d", "out": "o", "model": "rnn"}, r"'model'.*one of 'cnn', 'mlp'.*'rnn'"),
        ({"command": "toy train", "data": "d", "out": "o", "ensemble": "yes"}, r"'ensemble'.*true or false"),
        ({"command": "toy train", "out": "o"}, r"needs the key\(s\) data"),
        ({"command": "toy trian", "data": "d", "out": "o"}, r"'command'.*Did you mean 'toy train'"),
        (["not", "a", "mapping"], r"mapping"),
    ],
)
def test_bad_experiments_name_the_key_and_the_allowed_values(spec, pattern):
    with pytest.raises(matnn.ConfigError, match=pattern):
        experiment_to_argv(spec, toy_parser())


def test_json_schema_is_generated_from_the_cli():
    schema = json_schema(toy_parser())
    (variant,) = schema["oneOf"]
    props = variant["properties"]
    assert props["command"] == {"const": "toy train"}
    assert props["model"]["enum"] == ["cnn", "mlp"]
    assert props["epochs"]["type"] == "integer" and props["epochs"]["minimum"] == 1
    assert (props["samples"]["type"], props["samples"]["minimum"]) == ("integer", 0)
    assert (props["decay"]["type"], props["decay"]["minimum"]) == ("number", 0)
    assert variant["additionalProperties"] is False and "data" in variant["required"]


def test_cli_user_error_is_one_line_and_exit_code_2(tmp_path, capsys):
    assert main(["run", str(tmp_path / "missing.yaml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not exist" in err[0]
    bad = tmp_path / "bad.yaml"
    bad.write_text("command: [unclosed\n")
    assert main(["run", str(bad)]) == 2
    assert "not valid YAML" in capsys.readouterr().err


def test_argparse_errors_are_one_line_exit_2():
    proc = subprocess.run([sys.executable, "-m", "matnn", "nosuch"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "invalid choice" in proc.stderr


def test_version_and_schema_from_the_console():
    proc = subprocess.run([sys.executable, "-m", "matnn", "run", "--schema"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "oneOf" in json.loads(proc.stdout)


def test_thread_setting_is_applied_and_validated(monkeypatch):
    # set_num_threads writes these variables; let monkeypatch record their values before the test, so
    # that its teardown restores those (not the 2 set below, which made later tests run 2 threads).
    for var in ("MATNN_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.setenv(var, os.environ.get(var, "1"))
    try:
        assert config.set_num_threads(2) == 2 and torch.get_num_threads() == 2
        assert os.environ["OMP_NUM_THREADS"] == "2"
        monkeypatch.setenv("MATNN_NUM_THREADS", "zero")
        with pytest.raises(matnn.ConfigError, match="MATNN_NUM_THREADS"):
            config.set_num_threads(None)
        with pytest.raises(matnn.ConfigError):
            config.set_num_threads(0)
    finally:
        config.set_num_threads(1)
    assert torch.get_num_threads() == 1


def test_denormals_are_flushed_by_default_and_can_be_kept(monkeypatch):
    if not torch.set_flush_denormal(True):
        pytest.skip("this CPU cannot flush denormals")
    smallest = torch.tensor([1], dtype=torch.int32).view(torch.float32)  # 1.4e-45, a float32 denormal by its bits
    try:
        monkeypatch.delenv("MATNN_FLUSH_DENORMAL", raising=False)
        assert config.set_flush_denormal(None) is True  # the default
        assert (smallest * 1.0).view(torch.int32).item() == 0
        monkeypatch.setenv("MATNN_FLUSH_DENORMAL", "0")
        assert config.set_flush_denormal(None) is False
        assert (smallest * 1.0).view(torch.int32).item() == 1
        monkeypatch.setenv("MATNN_FLUSH_DENORMAL", "maybe")
        with pytest.raises(matnn.ConfigError, match="MATNN_FLUSH_DENORMAL"):
            config.set_flush_denormal(None)
    finally:
        config.set_flush_denormal(True)


def test_device_resolution():
    assert config.resolve_device("cpu").type == "cpu"
    assert config.resolve_device("auto").type == (
        "cuda" if torch.cuda.is_available() else config.resolve_device("auto").type
    )
    with pytest.raises(matnn.ConfigError, match="Unknown device"):
        config.resolve_device("tpu9")


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "metrics.json"
    write_metrics(tmp_path, {"rmse": 1.0})
    with pytest.raises(RuntimeError):
        with atomic_write(target) as fh:
            fh.write('{"rmse": ')
            raise RuntimeError("killed mid-write")
    assert json.loads(target.read_text()) == {"rmse": 1.0}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_metrics_json_turns_nan_into_null(tmp_path):
    write_metrics(tmp_path, {"a": float("nan"), "b": torch.tensor(2.5), "n": 3})
    assert json.loads((tmp_path / "metrics.json").read_text()) == {"a": None, "b": 2.5, "n": 3}
