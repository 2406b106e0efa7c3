"""Command-line wiring: --nproc re-runs a command under torchrun; --workers/--scheduler reach the Executor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from matnn.cli.main import build_parser
from matnn.core.distributed import shard_bounds, strip_nproc, torchrun_command

ROOT = Path(__file__).resolve().parents[2]


def test_torchrun_command_reruns_the_same_arguments_without_nproc():
    argv = ["images", "digits", "--nproc", "2", "--out", "x", "--nproc=3"]
    assert strip_nproc(argv) == ["images", "digits", "--out", "x"]
    cmd = torchrun_command(2, strip_nproc(argv))
    assert cmd[:3] == [sys.executable, "-m", "torch.distributed.run"]
    assert "--nproc-per-node=2" in cmd and cmd[-6:] == ["-m", "matnn", "images", "digits", "--out", "x"]


@pytest.mark.parametrize("command", [["composition", "train"], ["crystals", "train"], ["images", "digits"]])
def test_training_commands_take_nproc_default_one(command):
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[command[0]]._subparsers._group_actions[0].choices[command[1]]
    action = next(a for a in sub._actions if a.dest == "nproc")
    assert action.default == 1


@pytest.mark.parametrize("command", [["battery", "train"], ["composition", "cv"], ["dynamics", "all"]])
def test_fan_out_commands_take_workers_and_scheduler(command):
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[command[0]]._subparsers._group_actions[0].choices[command[1]]
    dests = {a.dest: a.default for a in sub._actions}
    assert dests["workers"] == 1 and dests["scheduler"] is None


def test_shard_bounds_cover_every_sample_once():
    for n in (1, 5, 16, 17):
        for parts in (1, 2, 3):
            cuts = [shard_bounds(n, parts, r) for r in range(parts)]
            assert cuts[0][0] == 0 and cuts[-1][1] == n
            assert all(a[1] == b[0] for a, b in zip(cuts, cuts[1:], strict=False))
            assert max(b - a for a, b in cuts) - min(b - a for a, b in cuts) <= 1


@pytest.mark.slow
def test_images_digits_on_two_processes_writes_once(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), MATNN_NUM_THREADS="1", TMPDIR=str(tmp_path))
    out = tmp_path / "run"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "matnn",
            "images",
            "digits",
            "--seeds",
            "1",
            "--epochs",
            "1",
            "--no-lecture",
            "--no-augment",
            "--device",
            "cpu",
            "--out",
            str(out),
            "--nproc",
            "2",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((out / "metrics.json").read_text())["accuracy"] > 0.3
    assert r.stdout.count("LeNet test accuracy") == 1  # rank 1 is quiet
    assert not list(tmp_path.glob("matnn-rank*"))  # rank 1's scratch folder is removed


def test_nproc_without_a_command_line_is_refused_not_run_on_one_process(monkeypatch):
    from matnn.cli.main import run_args
    from matnn.core.exceptions import ConfigError

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    args = build_parser().parse_args(["images", "digits", "--out", "x", "--nproc", "2"])
    with pytest.raises(ConfigError, match="torchrun"):
        run_args(args)
