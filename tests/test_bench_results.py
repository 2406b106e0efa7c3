"""bench/RESULTS.md is generated from the raw results in bench/out: the two must not drift apart."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _results_module():
    spec = importlib.util.spec_from_file_location("bench_results", ROOT / "bench" / "results.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_results_md_matches_raw_files() -> None:
    results = _results_module()
    expected = results.render()
    actual = (ROOT / "bench" / "RESULTS.md").read_text(encoding="utf-8")
    assert actual == expected, "bench/RESULTS.md drifted from bench/out: run `python bench/results.py`"


def test_every_raw_file_has_date_hardware_command() -> None:
    results = _results_module()
    for rel in sorted(results.referenced_files()):
        meta = json.loads((ROOT / "bench" / "out" / rel).read_text(encoding="utf-8"))["_meta"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta["date"]), rel
        assert meta["hardware"] and meta["command"], rel


def test_every_table_number_comes_from_a_raw_file(tmp_path, monkeypatch) -> None:
    """Changing a figure in a raw file changes RESULTS.md (the table is generated, not typed)."""
    results = _results_module()
    src = ROOT / "bench" / "out" / "crystals" / "cgcnn.json"
    data = json.loads(src.read_text(encoding="utf-8"))
    data["mae"] = 0.0123
    out = tmp_path / "out"
    for f in (ROOT / "bench" / "out").rglob("*.json"):
        target = out / f.relative_to(ROOT / "bench" / "out")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.read_bytes())
    (out / "crystals" / "cgcnn.json").write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(results, "OUT", out)
    assert "**0.0123**" in results.render()


def test_missing_key_is_reported(tmp_path, monkeypatch) -> None:
    results = _results_module()
    (tmp_path / "x.json").write_text(json.dumps({"_meta": {"date": "2026-01-01", "hardware": "h", "command": "c"}}))
    monkeypatch.setattr(results, "OUT", tmp_path)
    with pytest.raises(KeyError, match="mae"):
        results.render_bench(results.Bench("t", "x.json", "r", ["a"], [["{mae}"]]))
