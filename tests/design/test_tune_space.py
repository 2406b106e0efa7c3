"""The tune: block: space parsing and its one-line errors."""

import pytest

from matnn.core.exceptions import ConfigError
from matnn.design.tune.space import parse_space, parse_tune_block, to_distributions

OPTIONS = {"learning_rate", "hidden", "dropout", "epochs"}


def test_space_kinds_and_distributions():
    space = parse_space(
        {
            "learning-rate": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
            "epochs": {"type": "int", "low": 5, "high": 50, "step": 5},
            "hidden": {"type": "categorical", "choices": ["64,32", "128,64"]},
            "model_option.atom_dim": {
                "type": "int",
                "low": 16,
                "high": 128,
                "log": True,
            },
        },
        allowed=OPTIONS,
    )
    assert list(space) == ["learning_rate", "epochs", "hidden", "model_option.atom_dim"]
    d = to_distributions(space)
    assert d["learning_rate"].log and d["learning_rate"].low == 1e-4
    assert d["epochs"].step == 5
    assert d["hidden"].choices == ("64,32", "128,64")


@pytest.mark.parametrize(
    "raw, words",
    [
        ({}, ["empty"]),
        (None, ["empty"]),
        (
            {"learnin_rate": {"type": "float", "low": 0.1, "high": 1.0}},
            ["learnin_rate", "learning_rate"],
        ),
        ({"dropout": {"type": "float", "low": 0.3, "high": 0.1}}, ["dropout", "high"]),
        (
            {"dropout": {"type": "float", "low": 0.0, "high": 0.1, "log": True}},
            ["dropout", "low"],
        ),
        ({"dropout": {"type": "floot", "low": 0.0, "high": 0.1}}, ["dropout", "type"]),
        (
            {"dropout": {"type": "float", "low": 0.0, "high": 0.1, "choices": [1]}},
            ["dropout", "choices"],
        ),
        ({"hidden": {"type": "categorical", "choices": []}}, ["hidden", "choices"]),
        ({"epochs": {"type": "int", "low": 1.5, "high": 3}}, ["epochs", "low"]),
        ({"epochs": {"type": "int", "low": 1}}, ["epochs", "high"]),
    ],
)
def test_space_errors_name_the_key(raw, words):
    with pytest.raises(ConfigError) as err:
        parse_space(raw, allowed=OPTIONS)
    msg = str(err.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg


def test_model_option_needs_the_command_option():
    with pytest.raises(ConfigError, match="model_option.width"):
        parse_space(
            {"model_option.width": {"type": "int", "low": 1, "high": 4}},
            allowed=OPTIONS,
            model_options=False,
        )


def test_tune_block_keys_and_defaults():
    s = parse_tune_block(
        {"space": {"dropout": {"type": "float", "low": 0, "high": 0.5}}},
        allowed=OPTIONS,
    )
    assert (s.trials, s.sampler, s.pruner, s.metric, s.direction) == (
        20,
        "tpe",
        "median",
        None,
        None,
    )
    with pytest.raises(ConfigError, match="tune.trails"):
        parse_tune_block(
            {
                "trails": 3,
                "space": {"dropout": {"type": "float", "low": 0, "high": 0.5}},
            }
        )
    with pytest.raises(ConfigError, match="sampler"):
        parse_tune_block(
            {
                "sampler": "bayes",
                "space": {"dropout": {"type": "float", "low": 0, "high": 0.5}},
            }
        )
    with pytest.raises(ConfigError, match="direction"):
        parse_tune_block(
            {
                "direction": "down",
                "space": {"dropout": {"type": "float", "low": 0, "high": 0.5}},
            }
        )


def test_warmup_epochs_reaches_the_pruner():
    from matnn.design.tune.samplers import make_pruner

    space = {"x": {"type": "float", "low": 0.0, "high": 1.0}}
    s = parse_tune_block({"space": space, "warmup_epochs": 7})
    assert s.warmup_epochs == 7 and parse_tune_block({"space": space}).warmup_epochs == 2
    for bad in (-1, 1.5, True):
        with pytest.raises(ConfigError, match="tune.warmup_epochs"):
            parse_tune_block({"space": space, "warmup_epochs": bad})
    pruner = make_pruner("median", n_warmup_steps=s.warmup_epochs)
    # Optuna's median pruner never stops a trial before its warm-up steps are reported
    import optuna

    study = optuna.create_study(pruner=pruner)
    for _ in range(3):  # finished trials that reported 0 at every epoch
        t = study.ask()
        for step in range(8):
            t.report(0.0, step)
        study.tell(t, 0.0)
    t = study.ask()
    for step in range(7):
        t.report(100.0, step)
        assert not t.should_prune()
    t.report(100.0, 7)
    assert t.should_prune()
