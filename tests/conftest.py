"""Test-wide settings: single-threaded torch, headless plots, a fixture for the shared datasets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests run single-threaded: with two threads on a loaded 2-core machine torch runs 19-38x slower.
os.environ.setdefault("MATNN_NUM_THREADS", "1")
os.environ.setdefault("MATNN_PROGRESS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")

import matnn  # noqa: E402

matnn.set_num_threads(int(os.environ["MATNN_NUM_THREADS"]))

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATASETS = Path(os.environ.get("MATNN_SHARED_DATASETS", ROOT.parent / "shared" / "datasets"))


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """``../shared/datasets``; skipped when absent, unless MATNN_REQUIRE_SHARED=1 (CI) makes it a failure."""
    if not SHARED_DATASETS.is_dir():
        if os.environ.get("MATNN_REQUIRE_SHARED") == "1":
            pytest.fail(f"shared datasets not found at {SHARED_DATASETS}")
        pytest.skip(f"shared datasets not found at {SHARED_DATASETS}")
    return SHARED_DATASETS


@pytest.fixture(autouse=True)
def _seed_everything():
    matnn.set_seed(0)
    yield
