"""The design area's registry: the CLI's surrogate choices and defaults come from it."""

from __future__ import annotations

import argparse

from matnn.cli.main import build_parser
from matnn.design.electrode.surrogate import BASELINES, EnsembleSurrogate
from matnn.design.registry import DESIGN_MODELS


def test_cli_choices_and_defaults_are_the_registrys():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices["design"]
    electrode = next(a for a in sub._actions if isinstance(a, argparse._SubParsersAction)).choices["electrode"]
    opts = {a.dest: a for a in electrode._actions}
    assert tuple(opts["baseline"].choices) == DESIGN_MODELS.names("baseline") == BASELINES
    assert opts["members"].default == DESIGN_MODELS.default("ensemble", "members")
    assert opts["epochs"].default == DESIGN_MODELS.default("ensemble", "epochs")
    assert EnsembleSurrogate().learning_rate == DESIGN_MODELS.default("ensemble", "learning_rate")
    for spec in DESIGN_MODELS:
        assert callable(spec.load())


def test_baselines_build_through_the_registry():
    import numpy as np

    x = np.random.default_rng(0).random((30, 4))
    y = np.c_[x.sum(1), x[:, 0] ** 2]
    for name in DESIGN_MODELS.names("baseline"):
        model = DESIGN_MODELS.build(name, x, y, seed=0)
        assert model.predict(x).shape == (30, 2)


def test_a_search_file_with_a_key_given_twice_is_one_line(tmp_path, capsys):
    from matnn.cli.main import main

    exp = tmp_path / "x.yaml"
    exp.write_text("command: composition train\nout: run\ntune:\n  trials: 2\ntune:\n  trials: 3\n")
    assert main(["tune", str(exp)]) == 2
    assert "the key 'tune' is given twice" in capsys.readouterr().err
