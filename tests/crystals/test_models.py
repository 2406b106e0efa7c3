"""CGCNN, MEGNet and GraphPotential: symmetry, physics, fitting, saving."""

from __future__ import annotations

import copy
import functools

import numpy as np
import pytest
import torch

import matnn
from matnn.data.crystals import Crystal, build_graph
from matnn.data.crystals.batch import batch_graphs, collate_graphs
from matnn.data.crystals.dataset import CrystalGraphDataset, build_store
from matnn.models.crystals import CGCNN, GraphPotential, MACEPotential, MEGNet
from matnn.models.crystals.mace import mace_available


@functools.cache
def _small_mace() -> MACEPotential:
    # Building MACE's e3nn code takes ~6 s; tests get copies of one instance (weights random anyway).
    return MACEPotential([3, 8, 14, 26, 29, 79], channels=8, correlation=2, cutoff=4.0, n_bessel=6)


SMALL = {
    "cgcnn": lambda: CGCNN(atom_dim=16, n_conv=2, hidden_dim=16, cutoff=5.0, max_neighbors=8, n_gaussians=20),
    "megnet": lambda: MEGNet(embed_dim=8, dim=16, hidden=16, n_blocks=2, cutoff=5.0, max_neighbors=8, n_gaussians=20),
    "potential": lambda: GraphPotential(dim=16, n_interactions=2, cutoff=4.0, n_rbf=12),
    "mace": lambda: copy.deepcopy(_small_mace()),
}
# The potentials: matnn's SchNet-style network, and MACE (mace-torch) where it is installed.
needs_mace = pytest.mark.skipif(not mace_available(), reason="mace-torch is not installed")
POTENTIALS = ["potential", pytest.param("mace", marks=needs_mace)]


def _predict(model, crystals):
    graphs = [build_graph(c, model.graph_spec) for c in crystals]
    x = batch_graphs(graphs)
    model.eval()
    with torch.enable_grad() if model.inference_requires_grad else torch.no_grad():
        return model(x).detach().numpy().reshape(-1)


def _transformed(c: Crystal, rot=None, shift=None, perm=None, reps=None) -> Crystal:
    pos, cell, numbers = c.positions.copy(), c.cell.copy(), c.numbers.copy()
    if reps is not None:
        images = np.array([[a, b, k] for a in range(reps[0]) for b in range(reps[1]) for k in range(reps[2])])
        pos = (pos[None, :, :] + (images @ cell)[:, None, :]).reshape(-1, 3)
        numbers = np.tile(numbers, len(images))
        cell = np.diag(reps) @ cell
    if perm is not None:
        pos, numbers = pos[perm], numbers[perm]
    if rot is not None:
        pos, cell = pos @ rot.T, cell @ rot.T
    if shift is not None:
        pos = pos + shift
    return Crystal(numbers, pos, cell)


@pytest.mark.parametrize("name", ["cgcnn", "megnet", *POTENTIALS])
def test_invariant_to_rotation_translation_permutation(name, rng, make_crystal, random_rotation):
    torch.manual_seed(0)
    model = SMALL[name]()
    crystals = [make_crystal(rng, n_atoms=5) for _ in range(3)]
    base = _predict(model, crystals)
    worst = 0.0
    for c_idx, c in enumerate(crystals):
        perm = rng.permutation(c.n_atoms)
        moved = _transformed(c, rot=random_rotation(rng), shift=rng.normal(0, 3.0, 3), perm=perm)
        got = _predict(model, [moved])
        np.testing.assert_allclose(got, base[c_idx], rtol=1e-4, atol=1e-5)
        worst = max(worst, float(np.abs(got - base[c_idx]).max()))
    # Changes that are not symmetries must change the prediction far more (so the test can fail).
    c = crystals[0]
    squeezed = Crystal(c.numbers, c.positions * 0.9, c.cell * 0.9)
    swapped = Crystal(np.where(c.numbers == c.numbers[0], 3, c.numbers), c.positions, c.cell)
    for other in (squeezed, swapped):
        assert abs(_predict(model, [other])[0] - base[0]) > max(100 * worst, 1e-6)


@pytest.mark.parametrize("name", ["cgcnn", "megnet"])
def test_property_models_are_intensive(name, rng, make_crystal):
    """The same crystal described by a 2×1×1 supercell gets the same per-crystal prediction."""
    torch.manual_seed(0)
    model = SMALL[name]()
    c = make_crystal(rng, n_atoms=3)
    a, b = _predict(model, [c, _transformed(c, reps=(2, 1, 1))])
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", POTENTIALS)
def test_potential_energy_is_extensive(name, rng, make_crystal):
    torch.manual_seed(0)
    model = SMALL[name]()
    c = make_crystal(rng, n_atoms=3)
    e1, e2 = _predict(model, [c, _transformed(c, reps=(1, 2, 2))])
    np.testing.assert_allclose(e2, 4 * e1, rtol=1e-4)


def _double_potential(name, rng, make_crystal):
    torch.manual_seed(1)
    model = SMALL[name]().double()
    model.adapt([np.array([29, 79])], [-3.0])
    model.energy_scale_.fill_(1.0)  # untrained weights give tiny atomic energies; make forces O(0.1 eV/Å)
    c = make_crystal(rng, n_atoms=4, elements=(29, 79), a=3.6)
    return model, c


def _energy(model, c: Crystal) -> float:
    x = batch_graphs([build_graph(c, model.graph_spec)], dtype=torch.float64)
    return float(model.energy_forces(x)["energy"][0])


@pytest.mark.parametrize("name", POTENTIALS)
def test_forces_are_minus_the_finite_difference_gradient(name, rng, make_crystal):
    model, c = _double_potential(name, rng, make_crystal)
    x = batch_graphs([build_graph(c, model.graph_spec)], dtype=torch.float64)
    forces = model.energy_forces(x)["forces"].numpy()
    assert np.abs(forces).max() > 1e-3  # not trivially zero
    np.testing.assert_allclose(forces.sum(0), 0.0, atol=1e-10)  # Newton's third law (periodic cell)
    h = 1e-5
    for atom, axis in [(0, 0), (1, 2), (3, 1)]:
        plus, minus = c.copy(), c.copy()
        plus.positions[atom, axis] += h
        minus.positions[atom, axis] -= h
        fd = -(_energy(model, plus) - _energy(model, minus)) / (2 * h)
        np.testing.assert_allclose(forces[atom, axis], fd, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("name", POTENTIALS)
def test_stress_is_the_strain_derivative_over_volume(name, rng, make_crystal):
    model, c = _double_potential(name, rng, make_crystal)
    x = batch_graphs([build_graph(c, model.graph_spec)], dtype=torch.float64)
    stress = model.energy_forces(x, stress=True)["stress"][0].numpy()
    h = 1e-6
    for a, b in [(0, 0), (1, 2), (2, 2)]:
        eps = np.zeros((3, 3))
        eps[a, b] = eps[b, a] = h / 2 if a != b else h
        plus = Crystal(c.numbers, c.positions @ (np.eye(3) + eps), c.cell @ (np.eye(3) + eps))
        minus = Crystal(c.numbers, c.positions @ (np.eye(3) - eps), c.cell @ (np.eye(3) - eps))
        fd = (_energy(model, plus) - _energy(model, minus)) / (2 * h) / c.volume
        np.testing.assert_allclose(stress[a, b], fd, rtol=1e-5, atol=1e-9)


def test_energy_is_smooth_when_an_atom_crosses_the_cutoff():
    """Two atoms in a large cell: energy and force go to the isolated values continuously at the cutoff."""
    torch.manual_seed(0)
    model = SMALL["potential"]().double()
    cell = np.eye(3) * 12.0
    energies = []
    for r in (3.999, 4.0 - 1e-7, 4.001):
        c = Crystal([29, 79], [[0, 0, 0], [r, 0, 0]], cell)
        energies.append(_energy(model, c))
    assert abs(energies[1] - energies[2]) < 1e-9
    assert abs(energies[0] - energies[2]) < 1e-5


def test_tiny_cgcnn_overfits_a_handful_of_structures(crystals):
    matnn.set_seed(0)
    store = build_store(crystals, SMALL["cgcnn"]().graph_spec, verbose=False)
    ds = CrystalGraphDataset(store, "y")
    model = SMALL["cgcnn"]()
    model.adapt(ds.y)
    model.compile(optimizer=matnn.optimizers.Adam(learning_rate=1e-2), loss="mae", metrics=["mae"])
    start = model.evaluate(ds, collate_fn=collate_graphs, return_dict=True)["mae"]
    model.fit(ds, batch_size=8, epochs=300, collate_fn=collate_graphs, verbose=0)
    end = model.evaluate(ds, collate_fn=collate_graphs, return_dict=True)["mae"]
    assert end < 0.05 * start and end < 0.05, (start, end)


@pytest.mark.parametrize("name", POTENTIALS)
def test_tiny_potential_fits_energies_and_forces(name):
    from matnn.data.crystals.emt import generate_emt_dataset
    from matnn.workflows.crystals.potential import evaluate_potential

    matnn.set_seed(0)
    data = generate_emt_dataset("CuAu", n_rattled=4, n_strained=0, n_vacancy=0, n_md_runs=0, supercell=1, verbose=False)
    if name == "mace":
        model = MACEPotential(["Cu", "Au"], channels=8, correlation=2, cutoff=4.0, n_bessel=6, force_weight=1.0)
    else:
        model = GraphPotential(dim=16, n_interactions=2, cutoff=4.0, n_rbf=12, force_weight=1.0)
    store = build_store(data, model.graph_spec, verbose=False)
    ds = CrystalGraphDataset(store, potential=True)
    model.adapt(
        [store.graph(k).numbers for k in range(len(store))],
        store.energy,
        forces=[store.graph(k).forces for k in range(len(store))],
    )
    before = evaluate_potential(model, ds)
    model.compile(optimizer=matnn.optimizers.Adam(learning_rate=5e-3))
    hist = model.fit(ds, batch_size=4, epochs=150, collate_fn=collate_graphs, verbose=0)
    after = evaluate_potential(model, ds)
    f_before = np.abs(before["f_pred"] - before["f_true"]).mean()
    f_after = np.abs(after["f_pred"] - after["f_true"]).mean()
    e_before = np.abs(before["e_pred"] - before["e_true"]).mean()
    e_after = np.abs(after["e_pred"] - after["e_true"]).mean()
    assert hist.history["loss"][-1] < 0.05 * hist.history["loss"][0]
    assert f_after < 0.2 * f_before and e_after < 0.25 * e_before, (f_before, f_after, e_before, e_after)


@pytest.mark.parametrize("name", ["cgcnn", "megnet", *POTENTIALS])
def test_save_and_load_round_trip(name, tmp_path, crystals):
    torch.manual_seed(0)
    model = SMALL[name]()
    if name in ("cgcnn", "megnet"):
        model.adapt(np.array([[1.0], [3.0]]))
    assert type(model).from_config(model.get_config()).get_config() == model.get_config()
    before = _predict(model, crystals)
    model.save(tmp_path / "m.matnn")
    loaded = matnn.load_model(tmp_path / "m.matnn")
    np.testing.assert_allclose(_predict(loaded, crystals), before, rtol=1e-6, atol=1e-6)


def test_bad_model_settings_are_named():
    with pytest.raises(matnn.ConfigError, match="atom_dim"):
        CGCNN(atom_dim=0)
    with pytest.raises(matnn.core.exceptions.UnknownNameError, match="onehot"):
        CGCNN(atom_features="onehott")
    with pytest.raises(matnn.ConfigError, match="cutoff"):
        GraphPotential(cutoff=-1.0)
    with pytest.raises(matnn.DataError, match="n_targets"):
        CGCNN().adapt(np.zeros((4, 2)))


def test_cgcnn_trains_on_a_batch_of_one_single_atom_crystal():
    # 22,337 structures in batches of 64 leave a last batch of one; a shuffle can put a one-atom cell there
    # (a GPU run crashed on it: BatchNorm has no statistics of one row).
    from matnn.models.crystals.layers import GraphBatchNorm

    model = SMALL["cgcnn"]()
    cu = Crystal([29], [[0, 0, 0]], 1.805 * (np.ones((3, 3)) - np.eye(3)), targets={"y": 0.3})
    x = batch_graphs([build_graph(cu, model.graph_spec)])
    assert x.numbers.shape[0] == 1
    bns = [m for name, m in model.named_modules() if name.endswith("bn_atom")]  # one row each; edges: 12
    assert bns and all(isinstance(m, GraphBatchNorm) for m in bns)
    before = [(m.running_mean.clone(), m.running_var.clone()) for m in bns]
    model.train()
    y = model(x)
    y.sum().backward()
    assert torch.isfinite(y).all()
    for m, (mean, var) in zip(bns, before, strict=True):  # one row leaves the running statistics alone
        assert torch.equal(m.running_mean, mean) and torch.equal(m.running_var, var)
    rows = torch.randn(5, 16)  # more rows: exactly nn.BatchNorm1d
    safe, plain = GraphBatchNorm(16).train(), torch.nn.BatchNorm1d(16).train()
    torch.testing.assert_close(safe(rows), plain(rows))
    torch.testing.assert_close(safe.running_mean, plain.running_mean)


def test_batchnorm_recalibration_matches_the_statistics_of_the_training_set(crystals):
    """With one batch covering the data, recalibrated eval-mode outputs equal train-mode outputs.

    In train mode BatchNorm normalises with the statistics of the batch itself; after recalibration
    with that same single batch the running statistics are exactly those (up to the unbiased vs
    biased variance, a relative 1/n_edges), whatever stale statistics the model held before.
    """
    from matnn.workflows.crystals._common import recalibrate_batchnorm

    matnn.set_seed(0)
    model = SMALL["cgcnn"]()
    store = build_store(crystals, model.graph_spec, verbose=False)
    ds = CrystalGraphDataset(store, "y")
    x, _ = collate_graphs([ds[k] for k in range(len(ds))])
    for m in model.modules():  # stale statistics, far from the data's
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.fill_(3.0)
            m.running_var.fill_(0.01)
    model.train()
    with torch.no_grad():
        batch_stats = model(x).numpy().reshape(-1)
    model.eval()
    with torch.no_grad():
        stale = model(x).numpy().reshape(-1)
    assert recalibrate_batchnorm(model, ds, batch_size=len(ds)) is True
    assert not model.training
    with torch.no_grad():
        recalibrated = model(x).numpy().reshape(-1)
    assert np.abs(stale - batch_stats).max() > 0.2  # the stale statistics do matter
    np.testing.assert_allclose(recalibrated, batch_stats, rtol=0.0, atol=2e-2 * np.abs(batch_stats).max())
    assert recalibrate_batchnorm(SMALL["megnet"](), ds) is False  # no BatchNorm: nothing to do


@needs_mace
def test_mace_names_elements_it_was_not_built_for(make_crystal, rng):
    model = SMALL["mace"]()
    c = make_crystal(rng, n_atoms=3, elements=(47,))  # Ag: not among the model's elements
    with pytest.raises(matnn.ConfigError, match=r"\[47\]"):
        _predict(model, [c])
    with pytest.raises(matnn.ConfigError, match="unknown element"):
        MACEPotential(["Cu", "Xx"])


@needs_mace
def test_building_mace_leaves_safe_loading_on():
    import os

    SMALL["mace"]()
    assert "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD" not in os.environ  # mace sets it on import; we restore it


@pytest.mark.parametrize("cls", [CGCNN, MEGNet])
def test_graph_networks_trace_as_one_graph_for_jit_compile(cls, crystals):
    """``jit_compile`` gains most when dynamo captures the whole forward pass: no graph breaks
    (``torch.bincount`` in the mean pooling used to split it, its output length depending on the data)."""
    import torch._dynamo as dynamo

    from matnn.models.model import _call_module

    model = cls(n_targets=1)
    x = batch_graphs([build_graph(c, model.graph_spec) for c in crystals])
    model.train()
    dynamo.reset()
    explained = dynamo.explain(_call_module)(model, x)
    assert explained.graph_break_count == 0, [b.reason for b in explained.break_reasons]


def test_segment_count_and_scatter_mean_match_a_loop():
    from matnn.models.crystals.scatter import scatter_mean, segment_count

    index = torch.tensor([2, 0, 2, 2, 4])
    src = torch.arange(10, dtype=torch.float32).reshape(5, 2)
    assert segment_count(index, 6).tolist() == [1, 0, 3, 0, 1, 0]
    expected = torch.stack([src[index == n].mean(0) if (index == n).any() else torch.zeros(2) for n in range(6)])
    torch.testing.assert_close(scatter_mean(src, index, 6), expected)
