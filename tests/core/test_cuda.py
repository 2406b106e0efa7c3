"""CUDA agrees with the CPU: the same weights give the same outputs, gradients, forces and training.

Skipped where no GPU is present (CI has none); run on a GPU machine with
``python -m pytest tests/core/test_cuda.py``.  Graphs are built with the ``numpy`` neighbour
backend and one-hot atom features, so these tests need neither pymatgen nor ASE.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import matnn
from matnn.config import resolve_device
from matnn.data.crystals import Crystal
from matnn.data.crystals.batch import batch_graphs
from matnn.data.crystals.graph import CrystalGraph, build_graph
from matnn.layers import Dense

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _graph(c: Crystal, cutoff: float, max_neighbors: int | None) -> CrystalGraph:
    return build_graph(c, cutoff=cutoff, max_neighbors=max_neighbors, backend="numpy")


def _crystals(n: int = 6) -> list[Crystal]:
    rng = np.random.default_rng(7)
    out = []
    for _ in range(n):
        k = int(rng.integers(2, 6))
        cell = np.diag(rng.uniform(3.6, 4.4, 3)) + rng.normal(0, 0.3, (3, 3))
        out.append(
            Crystal(
                rng.choice([8, 14, 26, 29], k),
                rng.uniform(0, 1, (k, 3)) @ cell,
                cell,
                targets={"y": float(rng.normal())},
            )
        )
    return out


def test_auto_device_is_the_gpu():
    assert resolve_device("auto").type == "cuda"


def test_fit_on_cuda_follows_the_cpu_trajectory():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.3).astype("float32")
    losses = {}
    for device in ("cpu", "cuda"):
        matnn.set_seed(0)
        model = matnn.Sequential([Dense(32, activation="relu", input_shape=(4,)), Dense(1)])
        model.compile(optimizer=matnn.optimizers.Adam(learning_rate=0.01), loss="mse")
        losses[device] = model.fit(x, y, epochs=10, batch_size=32, verbose=0, device=device).history["loss"]
        assert next(model.parameters()).device.type == device
    assert losses["cuda"][-1] < 0.05 * losses["cuda"][0]
    np.testing.assert_allclose(losses["cuda"], losses["cpu"], rtol=1e-3)


@pytest.mark.parametrize("name", ["cgcnn", "megnet"])
def test_graph_networks_give_the_same_outputs_and_gradients_on_cuda(name):
    from matnn.models.crystals import CGCNN, MEGNet

    matnn.set_seed(0)
    model = (
        CGCNN(atom_features="onehot", atom_dim=16, n_conv=2, hidden_dim=16, cutoff=5.0, max_neighbors=8, n_gaussians=20)
        if name == "cgcnn"
        else MEGNet(embed_dim=8, dim=16, hidden=16, n_blocks=2, cutoff=5.0, max_neighbors=8, n_gaussians=20)
    )
    x = batch_graphs([_graph(c, 5.0, 8) for c in _crystals()])
    out, grads = {}, {}
    for device in ("cpu", "cuda"):
        m = copy.deepcopy(model).to(device).train()
        y = m(x.to(device))
        y.square().sum().backward()
        out[device] = y.detach().cpu().numpy()
        grads[device] = [p.grad.detach().cpu().numpy() for p in m.parameters() if p.grad is not None]
    assert np.abs(out["cpu"]).max() > 1e-3
    np.testing.assert_allclose(out["cuda"], out["cpu"], rtol=1e-4, atol=1e-5)
    assert len(grads["cuda"]) == len(grads["cpu"]) > 0
    for g_gpu, g_cpu in zip(grads["cuda"], grads["cpu"], strict=True):
        np.testing.assert_allclose(g_gpu, g_cpu, rtol=1e-3, atol=1e-5)


def test_potential_energy_forces_and_stress_agree_on_cuda_in_float64():
    from matnn.models.crystals import GraphPotential

    matnn.set_seed(0)
    model = GraphPotential(dim=16, n_interactions=2, cutoff=4.0, n_rbf=12).to(torch.float64)
    x = batch_graphs([_graph(c, 4.0, None) for c in _crystals(3)], dtype=torch.float64)
    res = {}
    for device in ("cpu", "cuda"):
        m = copy.deepcopy(model).to(device).eval()
        res[device] = {k: v.detach().cpu().numpy() for k, v in m.energy_forces(x.to(device), stress=True).items()}
    assert np.abs(res["cpu"]["forces"]).max() > 1e-4
    for key in ("energy", "forces", "stress"):
        np.testing.assert_allclose(res["cuda"][key], res["cpu"][key], rtol=1e-9, atol=1e-11)


def test_battery_cnn_predicts_the_same_on_cuda():
    from matnn.models.battery.architectures import build_tutorial_cnn

    matnn.set_seed(0)
    rng = np.random.default_rng(0)
    image = rng.normal(0, 0.01, (8, 100, 9, 1)).astype("float32")
    model = build_tutorial_cnn(image, rng.uniform(2.5, 3.2, 8)).eval()
    x = torch.from_numpy(image)
    with torch.no_grad():
        cpu = model(x).numpy()
        gpu = copy.deepcopy(model).to("cuda")(x.to("cuda")).cpu().numpy()
    assert np.isfinite(cpu).all()
    np.testing.assert_allclose(gpu, cpu, rtol=1e-4, atol=1e-5)
