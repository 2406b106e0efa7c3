"""Reading structures, atom features, packing/caching graphs and batching them."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
import torch

from matnn.core.exceptions import DataError, UnknownNameError
from matnn.data.crystals import Crystal, build_graph, read_structures, to_ase, to_pymatgen, write_jsonl
from matnn.data.crystals.batch import batch_graphs, collate_graphs
from matnn.data.crystals.dataset import CrystalGraphDataset, GraphStore, build_store, graph_loader, load_graphs
from matnn.data.crystals.features import CGCNN_BLOCKS, atom_feature_table
from matnn.data.crystals.graph import GraphSpec


def _write_jsonl(path, records):
    with gzip.open(path, "wt") as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")


NACL = {
    "id": "nacl",
    "lattice": [[0, 2.82, 2.82], [2.82, 0, 2.82], [2.82, 2.82, 0]],
    "species": ["Na", "Cl"],
    "frac_coords": [[0, 0, 0], [0.5, 0.5, 0.5]],
    "targets": {"formation_energy_per_atom": -2.1, "band_gap": None},
}


def test_read_jsonl_like_the_shared_dataset(tmp_path):
    _write_jsonl(tmp_path / "s.jsonl.gz", [NACL, {**NACL, "id": "b"}])
    crystals = read_structures(tmp_path / "s.jsonl.gz")
    assert [c.id for c in crystals] == ["nacl", "b"]
    c = crystals[0]
    assert c.numbers.tolist() == [11, 17] and c.targets["formation_energy_per_atom"] == -2.1
    assert np.isnan(c.targets["band_gap"])  # null = missing, kept as NaN
    np.testing.assert_allclose(c.positions[1], [2.82, 2.82, 2.82])


def test_readers_for_cif_poscar_pymatgen_json_and_extxyz_agree(tmp_path):
    from ase.calculators.emt import EMT
    from ase.io import write as ase_write

    c = read_structures(_jsonl(tmp_path))[0]
    s = to_pymatgen(c)
    s.to(filename=str(tmp_path / "x.cif"))
    s.to(filename=str(tmp_path / "POSCAR"), fmt="poscar")
    (tmp_path / "x.json").write_text(json.dumps(s.as_dict()))
    atoms = to_ase(Crystal([29, 29], [[0, 0, 0], [1.8, 1.8, 0.1]], np.eye(3) * 3.6))
    atoms.calc = EMT()
    atoms.get_forces()
    ase_write(str(tmp_path / "x.extxyz"), atoms)
    for name in ("x.cif", "POSCAR", "x.json"):
        got = read_structures(tmp_path / name)[0]
        assert sorted(got.numbers.tolist()) == [11, 17], name
        np.testing.assert_allclose(got.volume, c.volume, rtol=1e-5)
    frame = read_structures(tmp_path / "x.extxyz")[0]
    assert frame.energy == pytest.approx(atoms.get_potential_energy()) and frame.forces.shape == (2, 3)


def _jsonl(tmp_path):
    _write_jsonl(tmp_path / "one.jsonl.gz", [NACL])
    return tmp_path / "one.jsonl.gz"


@pytest.mark.parametrize(
    "record, match",
    [
        ({**NACL, "species": ["Na", "Xx"]}, "line 1: unknown element symbol 'Xx'"),
        ({k: v for k, v in NACL.items() if k != "lattice"}, "missing field 'lattice'"),
        ({**NACL, "frac_coords": [[0, 0, 0]]}, "'frac_coords' must have shape \\(2, 3\\)"),
        ({**NACL, "lattice": [[1, 0, 0], [2, 0, 0], [0, 0, 1]]}, "singular"),
    ],
)
def test_bad_records_name_file_line_and_field(tmp_path, record, match):
    _write_jsonl(tmp_path / "bad.jsonl.gz", [NACL, record])
    with pytest.raises(DataError, match=match.replace("line 1", "line 2")):
        read_structures(tmp_path / "bad.jsonl.gz")


def test_a_folder_reads_every_file_in_name_order(tmp_path):
    c = read_structures(_jsonl(tmp_path))[0]
    folder = tmp_path / "many"
    folder.mkdir()
    to_pymatgen(c).to(filename=str(folder / "b.cif"))
    to_pymatgen(c).to(filename=str(folder / "POSCAR"), fmt="poscar")
    (folder / ".hidden").write_text("ignored")
    got = read_structures(folder)
    assert [g.id for g in got] == ["POSCAR", "b"]
    for g in got:
        np.testing.assert_allclose(g.volume, c.volume, rtol=1e-5)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no structure files"):
        read_structures(tmp_path / "empty")


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_structures(tmp_path / "nope.cif")
    (tmp_path / "junk.xyz2").write_text("not a structure")
    with pytest.raises(DataError, match="junk.xyz2"):
        read_structures(tmp_path / "junk.xyz2")


def test_write_jsonl_round_trip(tmp_path, crystals):
    write_jsonl(tmp_path / "w.jsonl.gz", crystals)
    back = read_structures(tmp_path / "w.jsonl.gz")
    for a, b in zip(crystals, back, strict=True):
        np.testing.assert_allclose(a.positions, b.positions, atol=1e-10)
        assert a.targets == pytest.approx(b.targets)


def test_cgcnn_atom_features_are_documented_one_hot_blocks():
    table = atom_feature_table("cgcnn")
    assert table.shape == (101, sum(n for _, n in CGCNN_BLOCKS)) == (101, 96)
    assert not table[0].any()
    # Each block of each element is exactly one-hot.
    start = 0
    for _, n in CGCNN_BLOCKS:
        np.testing.assert_array_equal(table[1:, start : start + n].sum(1), 1.0)
        start += n

    def block(z, name):
        k = [b for b, _ in CGCNN_BLOCKS].index(name)
        s = sum(n for _, n in CGCNN_BLOCKS[:k])
        return int(np.argmax(table[z, s : s + CGCNN_BLOCKS[k][1]]))

    assert block(8, "group") == 15 and block(8, "period") == 1 and block(8, "block") == 1  # O: group 16, period 2, p
    assert block(26, "valence_electrons") == 7  # Fe: 3d6 4s2 → 8
    assert block(2, "electronegativity") == 10  # He: unknown slot
    assert len({row.tobytes() for row in table[1:]}) >= 95  # elements are distinguishable
    with pytest.raises(UnknownNameError):
        atom_feature_table("magpie2")


def test_store_packs_graphs_losslessly_and_caches(tmp_path, crystals):
    spec = GraphSpec(cutoff=5.0, max_neighbors=6)
    write_jsonl(tmp_path / "c.jsonl", crystals)
    store = load_graphs(tmp_path / "c.jsonl", spec, cache_dir=tmp_path / "cache", verbose=False)
    assert store.build_seconds is not None
    cached = list((tmp_path / "cache").glob("*.npz"))
    assert len(cached) == 1
    again = load_graphs(tmp_path / "c.jsonl", spec, cache_dir=tmp_path / "cache", verbose=False)
    assert again.build_seconds is None  # came from the cache
    for k, c in enumerate(crystals):
        ref = build_graph(c, spec)
        g = again.graph(k)
        np.testing.assert_array_equal(g.edge_index, ref.edge_index)
        np.testing.assert_array_equal(g.shifts, ref.shifts)
        np.testing.assert_allclose(g.distances, ref.distances, rtol=1e-6)
        np.testing.assert_allclose(g.positions, c.positions, atol=1e-8)
    # Another spec is another cache entry.
    load_graphs(
        tmp_path / "c.jsonl", GraphSpec(cutoff=4.0, max_neighbors=None), cache_dir=tmp_path / "cache", verbose=False
    )
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2


def test_batch_offsets_and_edge_vectors(crystals):
    spec = GraphSpec(cutoff=5.0, max_neighbors=None)
    graphs = [build_graph(c, spec) for c in crystals]
    x = batch_graphs(graphs, dtype=torch.float64)
    assert x.n_graphs == len(graphs) and int(x.n_atoms.sum()) == sum(g.n_atoms for g in graphs)
    np.testing.assert_allclose(x.edge_vectors().norm(dim=1).numpy(), x.distances.numpy(), atol=1e-10)
    # Every edge stays inside its own graph.
    np.testing.assert_array_equal(x.batch[x.edge_index[0]], x.batch[x.edge_index[1]])
    assert x.to("cpu").numbers.dtype == torch.long


def test_dataset_drops_missing_targets_and_loader_batches(tmp_path):
    recs = [NACL, {**NACL, "id": "no-y", "targets": {"formation_energy_per_atom": None}}, {**NACL, "id": "c"}]
    _write_jsonl(tmp_path / "m.jsonl.gz", recs)
    store = load_graphs(tmp_path / "m.jsonl.gz", GraphSpec(cutoff=5.0), cache_dir=False, verbose=False)
    ds = CrystalGraphDataset(store, "formation_energy_per_atom")
    assert len(ds) == 2 and ds.n_dropped == 1
    x, y = next(iter(graph_loader(ds, batch_size=2)))
    assert y.shape == (2, 1) and x.n_graphs == 2
    with pytest.raises(UnknownNameError, match="formation_energy_per_atom"):
        CrystalGraphDataset(store, "formation_energy")


def test_potential_targets_collate_forces_per_atom():
    from matnn.data.crystals.emt import generate_emt_dataset

    data = generate_emt_dataset("Cu", n_rattled=3, n_strained=0, n_vacancy=1, n_md_runs=0, supercell=1, verbose=False)
    store = build_store(data, GraphSpec(cutoff=4.0, max_neighbors=None), verbose=False)
    ds = CrystalGraphDataset(store, potential=True)
    x, y = collate_graphs([ds[k] for k in range(len(ds))])
    assert (
        y["energy"].shape == (4,) and y["forces"].shape == (int(x.n_atoms.sum()), 3) and y["stress"].shape == (4, 3, 3)
    )
    assert isinstance(store, GraphStore) and store.forces.shape == (int(store.n_atoms.sum()), 3)
