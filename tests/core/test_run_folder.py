"""A run folder holds one set of settings, and one process at a time."""

from __future__ import annotations

import fcntl
import json
import os

from matnn.cli.main import main
from matnn.cli.run_folder import LOCK, RECORD


def _perceptron(out, *extra):
    return main(["fundamentals", "perceptron", "--out", str(out), "--quiet", *extra])


def test_same_settings_may_rerun_other_settings_are_refused_until_overwrite(tmp_path, capsys):
    out = tmp_path / "run"
    assert _perceptron(out) == 0
    assert json.loads((out / RECORD).read_text())["seed"] == 0
    assert _perceptron(out, "--threads", "1") == 0  # run settings may differ (resume on another machine)
    assert _perceptron(out, "--seed", "3") == 2
    err = capsys.readouterr().err
    assert "'seed' was 0 there and is 3 now" in err and "--overwrite" in err and err.count("\n") == 1
    assert _perceptron(out, "--seed", "3", "--overwrite") == 0
    assert json.loads((out / RECORD).read_text())["seed"] == 3


def test_a_changed_input_file_is_a_different_run(tmp_path, capsys):
    data = tmp_path / "x.csv"
    data.write_text("formula,target\nFe2O3,1.0\nNaCl,2.0\n")
    out = tmp_path / "run"
    cmd = ["composition", "featurize", "--data", str(data), "--features", "fractions", "--out", str(out), "--quiet"]
    assert main(cmd) == 0
    assert json.loads((out / RECORD).read_text())["data"]["sha256"]
    assert main(cmd) == 0
    data.write_text("formula,target\nFe2O3,1.0\nNaCl,3.0\n")
    assert main(cmd) == 2
    assert "the file given as 'data' has other contents" in capsys.readouterr().err


def test_run_overrides_claim_the_inner_command_folder(tmp_path):
    exp = tmp_path / "x.yaml"
    exp.write_text(f"command: fundamentals perceptron\nout: {tmp_path / 'a'}\n")
    assert main(["run", str(exp), "--out", str(tmp_path / "b"), "--quiet"]) == 0
    assert json.loads((tmp_path / "b" / RECORD).read_text())["command"] == "fundamentals perceptron"


def test_a_busy_folder_is_refused_with_one_line(tmp_path, capsys):
    out = tmp_path / "busy"
    out.mkdir()
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        assert _perceptron(out) == 2
        assert "in use by another matnn process" in capsys.readouterr().err
    finally:
        os.close(fd)
    assert _perceptron(out) == 0


def test_out_that_is_a_file_is_one_line(tmp_path, capsys):
    f = tmp_path / "afile"
    f.write_text("x")
    assert _perceptron(f) == 2
    assert "Not a folder" in capsys.readouterr().err


def test_a_killed_runs_half_written_files_are_removed_when_the_folder_is_claimed(tmp_path):
    out = tmp_path / "run"
    assert _perceptron(out) == 0
    (out / "work").mkdir()
    stale = out / "work" / ".history.csv.a1b2c3d4.tmp"
    stale.write_text("half")
    keep = out / "work" / "notes.tmp"
    keep.write_text("mine")
    assert _perceptron(out) == 0
    assert not stale.exists() and keep.exists()


def test_overwrite_never_empties_a_folder_another_process_holds(tmp_path, capsys):
    out = tmp_path / "run"
    assert _perceptron(out) == 0
    fd = os.open(out / LOCK, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        assert _perceptron(out, "--seed", "3", "--overwrite") == 2
        assert "in use by another matnn process" in capsys.readouterr().err
        assert (out / "metrics.json").exists() and json.loads((out / RECORD).read_text())["seed"] == 0
    finally:
        os.close(fd)
