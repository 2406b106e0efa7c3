"""``matnn run x.yaml`` takes the run settings after the file, and they win over the file's values."""

from __future__ import annotations

import json

from matnn.cli.main import main


def test_run_settings_after_the_experiment_file_override_it(tmp_path, capsys):
    exp = tmp_path / "exp.yaml"
    exp.write_text(f"command: fundamentals perceptron\nout: {tmp_path / 'from_file'}\nseed: 1\n")
    assert main(["run", str(exp), "--quiet", "--out", str(tmp_path / "override"), "--seed", "5"]) == 0
    assert capsys.readouterr().out == ""  # --quiet reached the command
    assert not (tmp_path / "from_file").exists()
    assert json.loads((tmp_path / "override" / "metrics.json").read_text())
    assert main(["run", str(exp), "--dry-run", "--seed", "7"]) == 0
    assert capsys.readouterr().out.strip().endswith("--seed 7")
