"""Structure readers refuse what they cannot use faithfully; graph building refuses what would not fit in memory."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from matnn.cli.main import main
from matnn.core.exceptions import ConfigError, DataError
from matnn.data.crystals import Crystal, build_graph, read_structures
from matnn.data.crystals.dataset import build_store, count_records, load_graphs
from matnn.data.crystals.graph import GraphSpec

NACL = {
    "id": "nacl",
    "lattice": [[0, 2.82, 2.82], [2.82, 0, 2.82], [2.82, 2.82, 0]],
    "species": ["Na", "Cl"],
    "frac_coords": [[0, 0, 0], [0.5, 0.5, 0.5]],
    "targets": {"formation_energy_per_atom": -2.1},
}


def _jsonl(path, records, gz=False):
    text = "".join(json.dumps(r) + "\n" for r in records)
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def test_text_target_is_refused_with_id_and_line(tmp_path):
    bad = {**NACL, "id": "mp-7", "targets": {"formation_energy_per_atom": "abc"}}
    path = _jsonl(tmp_path / "s.jsonl", [NACL, bad])
    with pytest.raises(
        DataError, match=r"s\.jsonl, line 2: target 'formation_energy_per_atom' of structure 'mp-7' is 'abc'"
    ):
        read_structures(path)


@pytest.mark.parametrize(
    "frac, match",
    [
        ([[0, 0, 0], [0.01, 0, 0]], r"atoms 0 and 1 are 0\.0\d+ Å apart"),
        ([[0.3, 0.3, 0.3], [0.3, 0.3, 0.3]], r"atoms 0 and 1 are 0 Å apart"),
        ([[0, 0, 0], [0.999, 0.0, 0.0]], r"atoms 0 and 1 are 0\.0\d+ Å apart"),  # across the periodic boundary
    ],
)
def test_atoms_on_the_same_site_are_refused(tmp_path, frac, match):
    path = _jsonl(tmp_path / "s.jsonl", [{**NACL, "frac_coords": frac}])
    with pytest.raises(DataError, match=r"line 1: " + match):
        read_structures(path)


def test_all_atoms_on_one_site_and_tiny_lattice_are_refused():
    with pytest.raises(DataError, match="same site"):
        Crystal([8, 8, 8], np.zeros((3, 3)), 4 * np.eye(3)).validate("three atoms")
    with pytest.raises(DataError, match="own periodic image"):
        Crystal([8], np.zeros((1, 3)), np.diag([0.3, 5, 5])).validate("thin cell")
    Crystal([8, 8], [[0, 0, 0], [0.8, 0, 0]], 5 * np.eye(3)).validate()  # 0.8 Å is fine


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_jsonl_says_what_is_wrong(tmp_path, content):
    path = tmp_path / "e.jsonl"
    path.write_bytes(content)
    with pytest.raises(DataError, match="holds no records"):
        read_structures(path)
    with pytest.raises(DataError, match="holds no records"):
        load_graphs(path, cache_dir=False, verbose=False)


def test_truncated_and_fake_gzip_are_one_line(tmp_path):
    good = _jsonl(tmp_path / "g.jsonl.gz", [NACL] * 200, gz=True).read_bytes()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(good[: len(good) // 2])
    for fn in (read_structures, count_records):
        with pytest.raises(DataError, match=r"cut\.jsonl\.gz: the gzip data is truncated") as info:
            fn(cut)
        assert "\n" not in str(info.value)
    fake = tmp_path / "fake.jsonl.gz"
    fake.write_text(json.dumps(NACL) + "\n")
    with pytest.raises(DataError, match=r"fake\.jsonl\.gz is not gzip-compressed"):
        read_structures(fake)
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(b"\xff\xfe\x00" * 30)
    with pytest.raises(DataError, match="not UTF-8"):
        read_structures(binary)


def test_huge_cutoff_is_refused_before_allocating_with_an_estimate():
    nacl = read_structures_from_dict(NACL)
    with pytest.raises(ConfigError, match=r"cutoff 1e\+06 Å .* about [\d.e+]+ neighbours per atom, [\d.e+]+ [KMGTP]iB"):
        build_graph(nacl, cutoff=1e6, max_neighbors=None)


def test_store_memory_guard_uses_the_budget(monkeypatch):
    nacl = read_structures_from_dict(NACL)
    monkeypatch.setenv("MATNN_MEMORY_FRACTION", "1e-9")  # a few bytes of budget
    with pytest.raises(ConfigError, match="would not fit in memory"):
        build_store([nacl] * 3, GraphSpec(cutoff=4.0, max_neighbors=None), verbose=False)
    monkeypatch.setenv("MATNN_MEMORY_FRACTION", "2")
    with pytest.raises(ConfigError, match="MATNN_MEMORY_FRACTION"):
        build_store([nacl], GraphSpec(cutoff=4.0), verbose=False)


def test_cli_graphs_with_huge_cutoff_is_one_line(tmp_path, capsys):
    path = _jsonl(tmp_path / "s.jsonl", [NACL])
    code = main(
        ["crystals", "graphs", "--data", str(path), "--cutoff", "1000000", "--out", str(tmp_path / "o"), "--quiet"]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "neighbours per atom" in err and "budget" in err


def read_structures_from_dict(rec):
    from matnn.data.crystals.structures import _record_to_crystal

    return _record_to_crystal(rec, "test record")
