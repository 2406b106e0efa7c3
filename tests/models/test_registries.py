"""Every area's model registry: names resolve, builders import, the CLI reads its choices and defaults from it."""

from __future__ import annotations

import argparse

import pytest

from matnn.cli.main import build_parser
from matnn.core.exceptions import UnknownNameError
from matnn.core.registry import ModelRegistry
from matnn.models.registry import AREA_REGISTRIES, all_registries, model_registry


def _subparser(parser: argparse.ArgumentParser, *path: str) -> argparse.ArgumentParser:
    for name in path:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[name]
    return parser


def _default(parser: argparse.ArgumentParser, dest: str):
    return next(a.default for a in parser._actions if a.dest == dest)


def test_every_area_has_a_registry_whose_builders_import():
    regs = all_registries()
    assert set(regs) == set(AREA_REGISTRIES)
    for area, reg in regs.items():
        assert isinstance(reg, ModelRegistry) and len(reg) > 0, area
        for spec in reg:
            assert callable(spec.load()), (area, spec.name)
            assert spec.summary, (area, spec.name)


def test_unknown_names_suggest_the_close_match():
    with pytest.raises(UnknownNameError, match="Did you mean 'lenet'"):
        model_registry("images").get("lenett")
    with pytest.raises(UnknownNameError, match="Unknown area"):
        model_registry("cristals")


def test_registry_refuses_a_name_registered_twice():
    reg = ModelRegistry("toy")
    reg.register("a", "math:sqrt", summary="square root", aliases=("b",))
    assert reg.get("B").name == "a" and reg.names() == ("a",)
    with pytest.raises(Exception, match="registered twice"):
        reg.register("b", "math:sqrt", summary="again")


def test_image_and_microstructure_cli_defaults_come_from_the_registry():
    parser = build_parser()
    images, micro = model_registry("images"), model_registry("microstructure")
    digits = _subparser(parser, "images", "digits")
    assert _default(digits, "epochs") == images.default("lenet", "epochs")
    assert _default(digits, "lecture_epochs") == images.default("lecture", "epochs")
    train = _subparser(parser, "microstructure", "train")
    for dest in ("epochs", "batch_size", "learning_rate", "width"):
        assert _default(train, dest) == micro.default("tortuosity-cnn", dest), dest
