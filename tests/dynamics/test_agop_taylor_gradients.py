"""AGOP of known functions, the quadratic model as a second-order expansion, per-subset gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from matnn.core.exceptions import ConfigError, DataError, ShapeError
from matnn.dynamics import (
    LinearizedModel,
    NTKNetwork,
    QuadraticModel,
    agop,
    agop_alignment,
    function_agop,
    gradient_decomposition,
)


def test_agop_of_a_linear_map_is_AtA():
    torch.manual_seed(0)
    lin = torch.nn.Linear(5, 3).double()  # f(x) = A x + b, ∇ₓf = A everywhere
    M = agop(lin, torch.randn(7, 5, dtype=torch.float64))
    A = lin.weight.detach()
    torch.testing.assert_close(M, A.T @ A)


def test_agop_of_x1x2_approaches_the_true_agop():
    x = torch.randn(20000, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    M = function_agop(lambda t: (t[:, 0] * t[:, 1]).unsqueeze(1), x)
    expect = np.diag([1.0, 1.0, 0.0, 0.0])  # E[(x₂, x₁)(x₂, x₁)ᵀ] for standard-normal x
    np.testing.assert_allclose(M.numpy(), expect, atol=0.05)
    assert agop_alignment(M, expect) > 0.999


def test_agop_alignment_properties():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    M = a @ a.T
    assert agop_alignment(M, 3.0 * M) == pytest.approx(1.0)
    assert agop_alignment(np.diag([1.0, 0, 0]), np.diag([0, 1.0, 0])) == pytest.approx(0.0)
    with pytest.raises(ShapeError):
        agop_alignment(np.eye(2), np.eye(3))
    with pytest.raises(ShapeError, match="zero"):
        agop_alignment(np.zeros((2, 2)), np.eye(2))


def _set_delta(model, direction, eps):
    with torch.no_grad():
        for (_, d), v in zip(model.delta.items(), direction, strict=True):
            d.copy_(eps * v)


def test_quadratic_model_is_second_order_accurate():
    """‖f(w₀+εΔ) − f_quad‖ = O(ε³) and ‖f(w₀+εΔ) − f_lin‖ = O(ε²): halving ε divides them by 8 and 4."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2)).double()
    x = torch.randn(6, 3, dtype=torch.float64)
    quad, lin = QuadraticModel(net), LinearizedModel(net)
    direction = [torch.randn_like(d) for d in quad.delta.values()]
    errors = {"quad": [], "lin": []}
    for eps in (1e-2, 5e-3):
        _set_delta(quad, direction, eps)
        _set_delta(lin, direction, eps)
        exact = quad.network()(x)
        errors["quad"].append(float((exact - quad(x)).detach().abs().max()))
        errors["lin"].append(float((exact - lin(x)).detach().abs().max()))
    assert errors["quad"][0] / errors["quad"][1] == pytest.approx(8.0, rel=0.05)
    assert errors["lin"][0] / errors["lin"][1] == pytest.approx(4.0, rel=0.05)
    assert errors["quad"][0] < 0.1 * errors["lin"][0]


def test_taylor_models_train_only_the_displacement():
    net = NTKNetwork(4, 32, seed=0)
    before = [p.detach().clone() for p in net.parameters()]
    quad = QuadraticModel(net)
    x, y = torch.randn(8, 4), torch.randn(8, 1)
    torch.testing.assert_close(quad(x), net(x))  # Δ = 0: same function
    assert [n for n, _ in quad.named_parameters()] == ["delta.hidden__0", "delta.readout"]
    opt = torch.optim.SGD(quad.parameters(), lr=0.1)
    with torch.no_grad():
        loss0 = float(((quad(x) - y) ** 2).mean())
    for _ in range(5):
        opt.zero_grad()
        ((quad(x) - y) ** 2).mean().backward()
        opt.step()
    with torch.no_grad():
        assert float(((quad(x) - y) ** 2).mean()) < loss0
    assert quad.delta_norm() > 0
    for p, b in zip(net.parameters(), before, strict=True):
        torch.testing.assert_close(p, b)  # the original network is untouched
    quad64 = QuadraticModel(net).double()  # moves the frozen copy and w₀ as well
    torch.testing.assert_close(quad64(x.double()), net.double()(x.double()))
    with pytest.raises(ConfigError, match="order"):
        from matnn.dynamics import TaylorModel

        TaylorModel(net, order=3)


def test_gradient_decomposition_adds_up_and_opposes_flipped_labels():
    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 1, bias=False).double()
    x = torch.randn(40, 3, dtype=torch.float64)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]], dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, -2.0, 0.5]]))  # fits the clean labels exactly
    flipped = np.zeros(40, dtype=bool)
    flipped[:10] = True
    y_noisy = torch.where(torch.as_tensor(flipped).unsqueeze(1), -y, y)
    with torch.no_grad():
        lin.weight.mul_(0.5)  # halfway: both subsets pull
    dec = gradient_decomposition(lin, x, y_noisy, {"clean": ~flipped, "noisy": flipped})
    a, b, c = dec.norms["clean"], dec.norms["noisy"], dec.cosines[("clean", "noisy")]
    assert dec.total_norm**2 == pytest.approx(a * a + b * b + 2 * a * b * c, rel=1e-10)
    assert c < 0  # noisy labels pull the weights the other way
    assert dec.sizes == {"clean": 30, "noisy": 10}
    assert dec.ratio("clean", "noisy") > 1
    flat = dec.as_dict()
    assert set(flat) == {"grad_norm_clean", "grad_norm_noisy", "grad_cos_clean_noisy", "grad_norm_total"}
    means = gradient_decomposition(lin, x, y_noisy, {"noisy": np.arange(10)}, normalize="subset")
    assert means.norms["noisy"] == pytest.approx(b * 40 / 10, rel=1e-10)


def test_gradient_decomposition_rejects_bad_masks():
    lin = torch.nn.Linear(2, 1)
    x, y = torch.randn(5, 2), torch.randn(5, 1)
    with pytest.raises(ShapeError, match="shape"):
        gradient_decomposition(lin, x, y, {"a": np.ones(4, dtype=bool)})
    with pytest.raises(DataError, match="outside"):
        gradient_decomposition(lin, x, y, {"a": np.array([0, 7])})


def test_forward_mode_tools_do_not_emit_torchs_jit_deprecation_warnings():
    # torch registers its forward-AD decompositions with the deprecated torch.jit.script on the first
    # jvp of a process; the dynamics tools silence exactly that (a fresh process, so it is the first jvp).
    import subprocess
    import sys

    code = (
        "import torch; from matnn.dynamics import NTKNetwork, QuadraticModel, model_hessian_eigenvalues;"
        "net = NTKNetwork(3, 8, seed=0); QuadraticModel(net)(torch.randn(2, 3));"
        "model_hessian_eigenvalues(net, torch.randn(1, 3))"
    )
    proc = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", code], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
