"""The empirical NTK equals J Jᵀ built by hand, and the critical learning rate separates stable from unstable GD."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from matnn.core.exceptions import ConfigError, ShapeError
from matnn.dynamics import critical_learning_rate, empirical_ntk, jacobian, ntk_spectrum, ntk_vector_product


def explicit_jacobian(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Rows ∂f_a(x_i)/∂w by one autograd.grad call per (sample, output) — no torch.func involved."""
    params = [p for p in model.parameters() if p.requires_grad]
    rows = []
    for i in range(x.shape[0]):
        out = model(x[i : i + 1]).reshape(-1)
        for a in range(out.numel()):
            g = torch.autograd.grad(out[a], params, retain_graph=True)
            rows.append(torch.cat([t.reshape(-1) for t in g]))
    return torch.stack(rows)


@pytest.fixture
def mlp():
    torch.manual_seed(1)
    return torch.nn.Sequential(torch.nn.Linear(3, 12), torch.nn.Tanh(), torch.nn.Linear(12, 2)).double()


@pytest.mark.parametrize("method", ["jacobian", "ntk-vp"])
@pytest.mark.parametrize("chunk_size", [None, 2])
def test_ntk_equals_explicit_jjt(mlp, method, chunk_size):
    x = torch.randn(5, 3, dtype=torch.float64)
    J = explicit_jacobian(mlp, x)
    K = empirical_ntk(mlp, x, method=method, chunk_size=chunk_size)
    assert K.shape == (10, 10)
    torch.testing.assert_close(K, J @ J.T, rtol=1e-10, atol=1e-10)


def test_cross_kernel_trace_and_memory_budget(mlp):
    x1, x2 = torch.randn(4, 3, dtype=torch.float64), torch.randn(3, 3, dtype=torch.float64)
    J1, J2 = explicit_jacobian(mlp, x1), explicit_jacobian(mlp, x2)
    full = J1 @ J2.T
    torch.testing.assert_close(empirical_ntk(mlp, x1, x2), full)
    torch.testing.assert_close(empirical_ntk(mlp, x1, x2, method="ntk-vp"), full)
    # A tiny budget forces one-sample chunks and recomputation: same numbers.
    torch.testing.assert_close(empirical_ntk(mlp, x1, x2, max_memory_mb=1e-4), full)
    traced = full.reshape(4, 2, 3, 2).diagonal(dim1=1, dim2=3).sum(-1)
    torch.testing.assert_close(empirical_ntk(mlp, x1, x2, trace_outputs=True), traced)
    torch.testing.assert_close(jacobian(mlp, x1), J1)


def test_ntk_vector_product_and_lanczos_spectrum(mlp):
    x = torch.randn(6, 3, dtype=torch.float64)
    K = explicit_jacobian(mlp, x) @ explicit_jacobian(mlp, x).T
    v = torch.randn(6, 2, dtype=torch.float64)
    torch.testing.assert_close(ntk_vector_product(mlp, x, v).reshape(-1), K @ v.reshape(-1))
    ev = np.linalg.eigvalsh(K.numpy()) / 6
    spec = ntk_spectrum(mlp, x)
    assert spec.lambda_max == pytest.approx(ev[-1], rel=1e-10)
    assert spec.condition_number == pytest.approx(ev[-1] / ev[0], rel=1e-6)
    assert ntk_spectrum(mlp, x, method="lanczos").lambda_max == pytest.approx(ev[-1], rel=1e-6)


def test_singular_ntk_has_infinite_condition_number():
    lin = torch.nn.Linear(2, 1, bias=False)  # 2 parameters, 5 samples: rank-2 NTK
    assert math.isinf(ntk_spectrum(lin, torch.randn(5, 2)).condition_number)


def test_critical_learning_rate_of_a_linear_model_is_exact():
    """For f = wᵀx the NTK is X Xᵀ; GD on ½-MSE is stable iff η < 2n/λmax(XXᵀ)."""
    torch.manual_seed(0)
    n, d = 20, 5
    x = torch.randn(n, d, dtype=torch.float64)
    y = torch.randn(n, 1, dtype=torch.float64)
    lin = torch.nn.Linear(d, 1, bias=False).double()
    eta = critical_learning_rate(lin, x)
    assert eta == pytest.approx(2 * n / torch.linalg.eigvalsh(x @ x.T)[-1].item(), rel=1e-10)
    # matnn/Keras "mse" (no ½) halves it for one output.
    assert critical_learning_rate(lin, x, loss="mse") == pytest.approx(eta / 2, rel=1e-10)

    def final_loss(lr: float) -> float:
        w = torch.zeros(d, 1, dtype=torch.float64)
        for _ in range(400):
            w -= lr * x.T @ (x @ w - y) / n
        return float(0.5 * ((x @ w - y) ** 2).mean())

    start = float(0.5 * (y**2).mean())
    assert final_loss(0.95 * eta) < start
    assert final_loss(1.05 * eta) > 1e3 * start


def test_works_on_matnn_models():
    import matnn
    from matnn.layers import Dense

    model = matnn.Sequential([Dense(8, activation="tanh", input_shape=(3,)), Dense(1)])
    x = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
    K = empirical_ntk(model, x)
    assert K.shape == (4, 4)
    assert torch.all(torch.linalg.eigvalsh(K.double()) > -1e-5)


def test_bad_inputs_raise_clear_errors(mlp):
    with pytest.raises(ConfigError, match="method"):
        empirical_ntk(mlp, torch.randn(2, 3, dtype=torch.float64), method="fast")
    with pytest.raises(ShapeError, match="NaN"):
        empirical_ntk(mlp, torch.tensor([[0.0, float("nan"), 1.0]], dtype=torch.float64))
    with pytest.raises(ShapeError, match="per-sample shape"):
        empirical_ntk(mlp, torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64))
