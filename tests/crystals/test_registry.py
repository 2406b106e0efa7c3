"""The crystal model registry: one list of names and recipes that the CLI, workflows and docs follow;
models saved before the package moved still load."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import matnn
from matnn.cli.main import build_parser, main
from matnn.models.crystals.registry import CRYSTAL_MODELS, crystal_model

ROOT = Path(__file__).resolve().parents[2]


def _action(command: str, dest: str):
    """The argparse action of ``--<dest>`` in ``matnn crystals <command>``."""
    parser = build_parser()
    areas = next(a for a in parser._actions if a.dest == "area")
    actions = next(a for a in areas.choices["crystals"]._actions if a.dest == "action")
    return next(a for a in actions.choices[command]._actions if a.dest == dest)


def test_registry_holds_both_families_with_their_recipes():
    assert CRYSTAL_MODELS.names("property") == ("cgcnn", "megnet")
    assert CRYSTAL_MODELS.names("potential") == ("schnet", "mace")
    for spec in CRYSTAL_MODELS:
        assert spec.summary and spec.source and spec.default("learning_rate") > 0, spec.name
        assert ("weight_decay" in spec.defaults) == (spec.family == "property"), spec.name
    assert crystal_model("CGCNN", "property").load().__name__ == "CGCNN"
    with pytest.raises(matnn.ConfigError, match="Did you mean 'cgcnn'"):
        crystal_model("cgcn", "property")
    with pytest.raises(matnn.ConfigError, match="Allowed: mace, schnet"):
        crystal_model("cgcnn", "potential")  # a name of the other family


@pytest.mark.parametrize("command, family", [("train", "property"), ("potential", "potential")])
def test_cli_model_choices_defaults_and_help_come_from_the_registry(command, family):
    model = _action(command, "model")
    assert tuple(model.choices) == CRYSTAL_MODELS.names(family)
    for spec in CRYSTAL_MODELS:
        if spec.family == family:
            assert spec.summary in model.help
            assert f"{spec.default('learning_rate'):g} for {spec.name}" in _action(command, "learning_rate").help


@pytest.mark.parametrize(
    "command, typo, match",
    [("train", "cgcn", "cgcnn"), ("potential", "schnett", "schnet")],
)
def test_cli_unknown_model_is_one_line_with_the_close_match(command, typo, match, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "crystals",
                command,
                "--data",
                str(tmp_path / "s.jsonl"),
                "--model",
                typo,
                "--out",
                str(tmp_path / "o"),
            ]
        )
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and len(err.strip().splitlines()) == 1
    assert f"Did you mean '{match}'" in err and typo in err


def test_docs_table_of_defaults_matches_the_registry():
    rows = re.findall(
        r"^\| `(\w+)` \| (\w+) \(`\w+`\) \| ([^|]+) \| ([^|]+) \|$",
        (ROOT / "docs" / "crystals.md").read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    assert [r[0] for r in rows] == list(CRYSTAL_MODELS.names())
    for name, family, lr, wd in rows:
        spec = CRYSTAL_MODELS.get(name)
        assert family == spec.family and float(lr) == spec.default("learning_rate"), name
        assert (
            (wd.strip() == "—") if spec.default("weight_decay") is None else float(wd) == spec.default("weight_decay")
        )


def test_a_model_saved_under_the_old_package_path_loads(tmp_path):
    from matnn.models.crystals import CGCNN
    from matnn.models.saving import current_module_paths

    assert current_module_paths(
        {
            "class_name": "matnn>CGCNN",
            "module": "matnn.models.graph.cgcnn",
            "config": {},
        }
    ) == {
        "class_name": "matnn>CGCNN",
        "module": "matnn.models.crystals.cgcnn",
        "config": {},
    }
    assert current_module_paths({"module": "matnn.models.graphs"}) == {"module": "matnn.models.graphs"}

    torch.manual_seed(0)
    model = CGCNN(atom_dim=8, n_conv=1, hidden_dim=8)
    model.save(tmp_path / "new.matnn")
    payload = torch.load(tmp_path / "new.matnn", weights_only=True)
    assert payload["architecture"]["module"] == "matnn.models.crystals.cgcnn"
    payload["architecture"]["module"] = "matnn.models.graph.cgcnn"
    torch.save(payload, tmp_path / "old.matnn")
    # A fresh process, where nothing has imported the model classes yet: loading must find them
    # under their new path (as for the models kept in bench/models, saved under the old one).
    code = (
        "import sys, matnn; m = matnn.load_model(sys.argv[1]); "
        "print(type(m).__module__, m.atom_dim, m.graph_spec.cutoff)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MATNN_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "old.matnn")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["matnn.models.crystals.cgcnn", "8", "8.0"]
    loaded = matnn.load_model(tmp_path / "old.matnn")
    for key, value in model.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value)
