"""Fixtures of the tune tests: a tiny numeric regression task and its experiment."""

import copy

import numpy as np
import pytest

BASE = {
    "command": "composition train",
    "train": "train.csv",
    "test": "test.csv",
    "model": "dense",
    "features": "columns",
    "epochs": 6,
    "batch_size": 16,
    "hidden": "8",
    "patience": 50,
    "tune": {
        "trials": 3,
        "sampler": "random",
        "pruner": "median",
        "space": {
            "learning_rate": {
                "type": "float",
                "low": 1.0e-3,
                "high": 1.0e-1,
                "log": True,
            },
            "dropout": {"type": "float", "low": 0.0, "high": 0.3},
            "hidden": {"type": "categorical", "choices": ["8", "16"]},
        },
    },
}


def _csv(path, n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = 2 * x[:, 0] - x[:, 1] + 0.1 * rng.normal(size=n)
    rows = [
        "a,b,c,target",
        *(",".join(f"{v:.5f}" for v in (*xi, yi)) for xi, yi in zip(x, y, strict=True)),
    ]
    path.write_text("\n".join(rows) + "\n")


@pytest.fixture
def tune_base():
    """The tiny task's experiment mapping (composition train, dense network on 3 numeric columns)."""
    return copy.deepcopy(BASE)


@pytest.fixture
def tune_task(tmp_path, monkeypatch):
    """A folder with train.csv (60 rows) and test.csv (20 rows), made the working folder."""
    monkeypatch.chdir(tmp_path)
    _csv(tmp_path / "train.csv", 60, 0)
    _csv(tmp_path / "test.csv", 20, 1)
    return tmp_path
