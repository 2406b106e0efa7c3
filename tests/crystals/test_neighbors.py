"""Periodic neighbour lists against a brute-force image enumeration."""

from __future__ import annotations

import numpy as np
import pytest

from matnn.core.exceptions import ConfigError, UnknownNameError
from matnn.data.crystals import Crystal, brute_force_neighbor_list, build_graph, keep_nearest, neighbor_list


def _random_cell(rng, scale):
    cell = np.diag(rng.uniform(0.8, 1.2, 3) * scale) + rng.normal(0, 0.25 * scale, (3, 3))
    assert abs(np.linalg.det(cell)) > 0.1 * scale**3
    return cell


@pytest.mark.parametrize("backend", ["pymatgen", "ase", "numpy"])
@pytest.mark.parametrize("seed", range(4))
def test_matches_brute_force_in_skewed_cells_smaller_than_cutoff(backend, seed):
    rng = np.random.default_rng(seed)
    cell = _random_cell(rng, 2.6)  # every edge shorter than the 5 Å cutoff: atoms see their own images
    frac = rng.uniform(-0.6, 1.6, (3, 3))  # positions deliberately not wrapped into the cell
    pos = frac @ cell
    got = neighbor_list(pos, cell, 5.0, backend=backend)
    ref = brute_force_neighbor_list(pos, cell, 5.0)
    assert len(got[0]) == len(ref[0]) > 50
    for a, b in zip(got[:3], ref[:3], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(got[3], ref[3], atol=1e-12)
    # Self-images are present, the zero-shift self pair is not.
    i, j, s, _ = got
    assert np.any((i == j) & np.any(s != 0, axis=1))
    assert not np.any((i == j) & np.all(s == 0, axis=1))


def test_single_atom_fcc_primitive_cell_has_twelve_nearest_neighbours():
    a = 3.61
    cell = 0.5 * a * (np.ones((3, 3)) - np.eye(3))
    i, j, s, d = neighbor_list(np.zeros((1, 3)), cell, 3.0)
    assert len(d) == 12
    np.testing.assert_allclose(d, a / np.sqrt(2), rtol=1e-12)
    # Second shell (6 at a) appears with a larger cutoff, never the atom itself at distance 0.
    _, _, _, d2 = neighbor_list(np.zeros((1, 3)), cell, 3.7)
    assert len(d2) == 18 and d2.min() > 2.5


def test_edge_vectors_reproduce_distances():
    rng = np.random.default_rng(3)
    cell = _random_cell(rng, 4.0)
    crystal = Crystal([8, 26, 26, 8], rng.uniform(0, 1, (4, 3)) @ cell, cell)
    g = build_graph(crystal, cutoff=6.0, max_neighbors=None)
    np.testing.assert_allclose(np.linalg.norm(g.edge_vectors(), axis=1), g.distances, atol=1e-12)


def test_keep_nearest_keeps_all_ties():
    # Rock salt: 6 anions at d, then 12 cations at d·√2. Asking for 8 must keep the whole second shell.
    a = 5.64
    cell = a * np.eye(3)
    frac = np.array(
        [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5], [0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5], [0.5, 0.5, 0.5]]
    )
    crystal = Crystal([11] * 4 + [17] * 4, frac @ cell, cell)
    g = build_graph(crystal, cutoff=6.0, max_neighbors=8)
    counts = np.bincount(g.edge_index[0], minlength=8)
    assert np.all(counts == 18)
    g6 = build_graph(crystal, cutoff=6.0, max_neighbors=6)
    assert np.all(np.bincount(g6.edge_index[0]) == 6)
    assert np.all(crystal.numbers[g6.edge_index[1]] != crystal.numbers[g6.edge_index[0]])


def test_keep_nearest_on_sorted_input():
    centers = np.array([0, 0, 0, 1, 1])
    d = np.array([1.0, 2.0, 2.0005, 1.0, 3.0])
    np.testing.assert_array_equal(keep_nearest(centers, d, 3, 2), [True, True, True, True, True])
    np.testing.assert_array_equal(keep_nearest(centers, d, 3, 1), [True, False, False, True, False])


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ConfigError, match="cutoff"):
        neighbor_list(np.zeros((1, 3)), np.eye(3), -1.0)
    with pytest.raises(UnknownNameError, match="pymatgen"):
        neighbor_list(np.zeros((1, 3)), np.eye(3), 2.0, backend="pymatgn")
    with pytest.raises(ConfigError, match="max_neighbors"):
        build_graph(Crystal([1], [[0, 0, 0]], np.eye(3) * 3), cutoff=4.0, max_neighbors=0)


def test_numpy_backend_builds_the_same_graphs_as_pymatgen_on_real_structures(shared_datasets):
    import itertools

    from matnn.data.crystals import iter_jsonl

    src = shared_datasets / "structures" / "mp_formation_train.jsonl.gz"
    crystals = list(itertools.islice(iter_jsonl(src), 60))
    for c in crystals:  # the CGCNN graph: 8 Å, 12 nearest neighbours plus ties
        ref = build_graph(c, cutoff=8.0, max_neighbors=12, backend="pymatgen")
        got = build_graph(c, cutoff=8.0, max_neighbors=12, backend="numpy")
        np.testing.assert_array_equal(got.edge_index, ref.edge_index)
        np.testing.assert_array_equal(got.shifts, ref.shifts)
        np.testing.assert_array_equal(got.distances, ref.distances)


def test_numpy_backend_handles_an_isolated_atom_and_a_wide_cell():
    # one atom in a 20 Å box with a 5 Å cutoff: no neighbours at all, an empty but well-formed list
    i, j, s, d = neighbor_list(np.zeros((1, 3)), 20.0 * np.eye(3), 5.0, backend="numpy")
    assert len(i) == len(j) == len(d) == 0 and s.shape == (0, 3)
