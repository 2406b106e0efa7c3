"""The battery model registry: one entry per model, its recipe read by the models, the CLI and the demo."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from matnn.core.exceptions import ConfigError, UnknownNameError
from matnn.models.battery import BATTERY_MODELS, DEFAULT_MODEL, make_model

SRC = Path(__file__).resolve().parents[2] / "src" / "matnn"


def test_every_model_is_registered_once_with_source_and_recipe():
    assert BATTERY_MODELS.names("classical") == ("variance", "discharge", "elastic_net", "ridge", "plsr", "pcr")
    assert BATTERY_MODELS.names("network") == ("cnn", "dqnet", "fullcnn")
    assert len(BATTERY_MODELS) == 9 and DEFAULT_MODEL in BATTERY_MODELS
    for spec in BATTERY_MODELS:
        assert spec.summary and spec.source and spec.defaults
    for name in BATTERY_MODELS.names("network"):
        for key in ("learning_rate", "epochs", "batch_size", "inputs", "architecture"):
            assert key in BATTERY_MODELS.get(name).defaults, (name, key)


def test_registered_recipes_are_the_published_and_cv_chosen_ones():
    """The numbers behind the recorded benchmarks (bench/RESULTS.md); changing one changes the results."""
    from matnn.models.battery.networks import NeuralConfig, default_config

    assert default_config("cnn") == NeuralConfig(
        epochs=600, batch_size=8, learning_rate=1e-3, patience=60, val_fraction=0.2, ensemble=1
    )
    assert default_config("dqnet") == NeuralConfig(
        epochs=600, batch_size=8, learning_rate=1e-3, weight_decay=1e-2, patience=60, ensemble=5, residual=True
    )
    assert default_config("fullcnn") == NeuralConfig(
        epochs=20000, batch_size=1 << 20, learning_rate=1e-4, l2=1e-3, early_stopping=False, sample_weights=False
    )
    enet = BATTERY_MODELS.get("elastic_net").defaults
    assert enet["l1_ratios"] == (0.1, 0.5, 0.9, 1.0) and enet["n_alphas"] == 30 and enet["cv_folds"] == 5


def test_make_model_and_family_checks():
    from matnn.models.battery.classical import ClassicalModel
    from matnn.models.battery.networks import NeuralModel

    assert isinstance(make_model("PCR", seed=3), ClassicalModel) and make_model("pcr", seed=3).seed == 3
    assert isinstance(make_model("dqnet"), NeuralModel) and make_model("dqnet").config.ensemble == 5
    with pytest.raises(UnknownNameError, match="Did you mean 'dqnet'"):
        make_model("dqnte")
    with pytest.raises(ConfigError, match="not a classical model"):
        ClassicalModel("cnn")
    with pytest.raises(ConfigError, match="not a network"):
        NeuralModel("ridge")


def test_demo_trains_every_model_but_the_slow_fullcnn():
    from matnn.workflows.battery.demo import demo_models

    assert demo_models() == (*BATTERY_MODELS.names("classical"), "cnn", "dqnet")


@pytest.mark.slow  # a fresh interpreter: several seconds for importing matnn
def test_reading_the_registry_imports_no_estimator_library():
    code = "import sys, matnn.models.battery as b; b.BATTERY_MODELS.describe(); print('sklearn' in sys.modules, 'scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


@pytest.mark.parametrize("package", ["models/battery", "data/battery"])
def test_battery_models_and_data_import_downward_only(package):
    """models may import data and core, data only core: never workflows or cli (nor models, for data)."""
    banned = ("matnn.workflows", "matnn.cli") + (("matnn.models",) if package.startswith("data") else ())
    for path in (SRC / package).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            for name in names:
                assert not name.startswith(banned), f"{path.name} imports {name}"
