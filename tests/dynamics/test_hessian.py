"""Hessian eigenvalues agree with dense eigvalsh, including ±λ spectra; the two-layer ReLU norm is exactly ‖x‖/√(dm)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from matnn.core.exceptions import ConfigError
from matnn.dynamics import (
    NTKNetwork,
    hutchinson_trace,
    lanczos,
    loss_hessian_eigenvalues,
    loss_hessian_trace,
    model_hessian_eigenvalues,
    model_hessian_norm,
    power_iteration,
)


def dense_loss_hessian(model, x, y) -> np.ndarray:
    """torch.autograd.functional.hessian of the ½-MSE over the flat parameter vector (independent path)."""
    params = list(model.parameters())
    shapes = [p.shape for p in params]
    flat0 = torch.cat([p.detach().reshape(-1) for p in params])

    def loss(flat):
        out, i = x, 0
        ws = []
        for s in shapes:
            n = math.prod(s)
            ws.append(flat[i : i + n].reshape(s))
            i += n
        out = torch.func.functional_call(
            model, {name: w for (name, _), w in zip(model.named_parameters(), ws, strict=True)}, (x,)
        )
        return 0.5 * ((out - y) ** 2).sum(1).mean()

    return torch.autograd.functional.hessian(loss, flat0).numpy()


@pytest.fixture
def tanh_net():
    torch.manual_seed(3)
    return torch.nn.Sequential(torch.nn.Linear(4, 10), torch.nn.Tanh(), torch.nn.Linear(10, 1)).double()


def test_loss_hessian_top_eigenvalues_match_dense(tanh_net):
    x, y = torch.randn(15, 4, dtype=torch.float64), torch.randn(15, 1, dtype=torch.float64)
    ev = np.linalg.eigvalsh(dense_loss_hessian(tanh_net, x, y))
    est = loss_hessian_eigenvalues(tanh_net, x, y, k=3, tol=1e-10)
    np.testing.assert_allclose(est.values, ev[::-1][:3], rtol=1e-7)
    assert loss_hessian_eigenvalues(tanh_net, x, y, which="SA", tol=1e-10).top == pytest.approx(ev[0], rel=1e-6)
    assert loss_hessian_eigenvalues(
        tanh_net, x, y, method="power", tol=1e-12, n_iter=5000
    ).spectral_norm == pytest.approx(np.abs(ev).max(), rel=1e-5)
    # Chunked evaluation is the same full-batch operator.
    assert loss_hessian_eigenvalues(tanh_net, x, y, batch_size=4, tol=1e-10).top == pytest.approx(ev[-1], rel=1e-7)


def test_hutchinson_trace(tanh_net):
    x, y = torch.randn(15, 4, dtype=torch.float64), torch.randn(15, 1, dtype=torch.float64)
    H = dense_loss_hessian(tanh_net, x, y)
    est, se = loss_hessian_trace(tanh_net, x, y, n_samples=300)
    assert abs(est - np.trace(H)) < 4 * se
    # Rademacher vectors give a diagonal operator's trace exactly.
    diag = torch.arange(1.0, 11.0, dtype=torch.float64)
    t, _ = hutchinson_trace(lambda v: diag * v, 10, n_samples=5, dtype=torch.float64)
    assert t == pytest.approx(55.0)


def test_symmetric_spectrum_lanczos_and_power_on_norm():
    """Two-layer ReLU output Hessian: eigenvalues ±λ. Lanczos returns both; power iteration on ‖Hv‖ gets |λ|."""
    d, m = 5, 64
    net = NTKNetwork(d, m, seed=0).double()
    x = torch.randn(1, d, dtype=torch.float64)
    lam = float(x.norm()) / math.sqrt(d * m)
    lz = model_hessian_eigenvalues(net, x, k=2, tol=1e-10)
    np.testing.assert_allclose(np.sort(lz.values), [-lam, lam], rtol=1e-8)
    pw = model_hessian_eigenvalues(net, x, method="power")
    assert pw.spectral_norm == pytest.approx(lam, rel=1e-8)
    assert sorted(np.sign(pw.values)) == [-1.0, 1.0]  # both signs detected


def test_power_iteration_reads_norm_not_rayleigh_quotient():
    """On diag(+3, −3, 1) the Rayleigh quotient of the iterate stays near 0; ‖Av‖ gives 3."""
    A = torch.diag(torch.tensor([3.0, -3.0, 1.0], dtype=torch.float64))
    est = power_iteration(lambda v: A @ v, 3, dtype=torch.float64, seed=4)
    assert est.spectral_norm == pytest.approx(3.0, rel=1e-6)
    assert sorted(est.values) == pytest.approx([-3.0, 3.0], rel=1e-6)
    v = torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64) / math.sqrt(2)
    assert float(v @ A @ v) == pytest.approx(0.0)  # what vᵀHv-based power iteration would report
    one_sided = power_iteration(
        lambda v: torch.diag(torch.tensor([3.0, -1.0, 0.5], dtype=torch.float64)) @ v, 3, dtype=torch.float64
    )
    assert list(one_sided.values) == pytest.approx([3.0], rel=1e-5)


@pytest.mark.parametrize("which", ["LM", "LA", "SA"])
def test_lanczos_matches_eigvalsh_on_random_matrix(which):
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((60, 60)))
    ev = np.concatenate([[-9.0, 8.0, 7.5], rng.uniform(-2, 2, 57)])
    A = torch.as_tensor(Q @ np.diag(ev) @ Q.T)
    est = lanczos(lambda v: A @ v, 60, k=2, which=which, dtype=torch.float64, tol=1e-10, n_iter=60)
    expect = {"LM": [-9.0, 8.0], "LA": [8.0, 7.5], "SA": [-9.0, ev[3:].min()]}[which]
    np.testing.assert_allclose(est.values, expect, rtol=1e-8)


def test_two_layer_relu_hessian_norm_is_exactly_inverse_sqrt_width():
    d = 6
    x = torch.randn(3, d, dtype=torch.float64)
    norms = {}
    for m in (16, 64, 256, 1024):
        net = NTKNetwork(d, m, seed=m).double()
        got = model_hessian_norm(net, x, tol=1e-10)
        np.testing.assert_allclose(got, x.norm(dim=1).numpy() / math.sqrt(d * m), rtol=1e-8)
        norms[m] = got
    np.testing.assert_allclose(norms[16] / norms[1024], 8.0, rtol=1e-8)


def test_hessian_bad_arguments(tanh_net):
    x, y = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 1, dtype=torch.float64)
    with pytest.raises(ConfigError, match="method"):
        loss_hessian_eigenvalues(tanh_net, x, y, method="arnoldi")
    with pytest.raises(ConfigError, match="k=1"):
        loss_hessian_eigenvalues(tanh_net, x, y, method="power", k=2)
    with pytest.raises(ConfigError, match="which"):
        lanczos(lambda v: v, 3, which="BE")
