"""Every hand-written derivative equals autograd's; softmax and its temperature behave."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from matnn.core.exceptions import ConfigError, UnknownNameError
from matnn.fundamentals import activations as act

GRID = np.concatenate([np.linspace(-6, 6, 241), [0.0, 1e-9, -1e-9, 30.0, -30.0]])


@pytest.mark.parametrize("name", [n for n in act.ACTIVATIONS if n != "step"])
def test_derivative_equals_autograd(name):
    _, df = act.get_activation(name)
    # 1e-12, not 0: torch's softplus returns x (gradient exactly 1) above z = 20, where σ(z) = 1 − 2e-9 … 1 − 1e-13.
    np.testing.assert_allclose(df(GRID), act.autograd_derivative(name, GRID), atol=1e-12, rtol=0)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "elu", "softplus"])
def test_smooth_derivative_equals_finite_differences(name):
    f, df = act.get_activation(name)
    z = np.linspace(-4, 4, 81) + 0.0123  # avoid the elu kink at 0
    h = 1e-6
    np.testing.assert_allclose(df(z), (f(z + h) - f(z - h)) / (2 * h), atol=1e-8)


def test_values_match_torch():
    t = torch.tensor(GRID, dtype=torch.float64)
    refs = {
        "sigmoid": torch.sigmoid(t),
        "tanh": torch.tanh(t),
        "relu": torch.relu(t),
        "leaky_relu": torch.nn.functional.leaky_relu(t, 0.01),
        "elu": torch.nn.functional.elu(t),
        "softplus": torch.nn.functional.softplus(t),
        "step": torch.heaviside(t, torch.tensor(1.0, dtype=torch.float64)),
    }
    for name, ref in refs.items():
        np.testing.assert_allclose(act.get_activation(name)[0](GRID), ref.numpy(), atol=1e-14, err_msg=name)


def test_step_has_zero_derivative_and_sigmoid_is_bounded():
    assert np.all(act.d_step(GRID) == 0)
    assert act.d_sigmoid(GRID).max() == pytest.approx(0.25)
    assert np.all(np.isfinite(act.sigmoid(np.array([-1e4, 1e4]))))


def test_parameterised_activations():
    f, df = act.get_activation("leaky-relu", alpha=0.2)
    assert f(np.array(-1.0)) == pytest.approx(-0.2) and df(np.array(-1.0)) == pytest.approx(0.2)
    with pytest.raises(ConfigError, match="alpha"):
        act.get_activation("tanh", alpha=0.2)
    with pytest.raises(UnknownNameError, match="Did you mean 'relu'"):
        act.get_activation("rleu")


def test_softmax_properties_and_temperature():
    from scipy.special import softmax as sp_softmax

    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, (5, 7))
    s = act.softmax(z)
    np.testing.assert_allclose(s.sum(axis=1), 1.0)
    np.testing.assert_allclose(s, sp_softmax(z, axis=1), atol=1e-15)
    np.testing.assert_allclose(act.softmax(z + 100.0), s, atol=1e-15)  # shift invariance
    np.testing.assert_allclose(act.softmax(z, temperature=3.0), sp_softmax(z / 3.0, axis=1), atol=1e-15)
    row = z[0]
    cold, hot = act.softmax(row, temperature=1e-3), act.softmax(row, temperature=1e3)
    assert cold[np.argmax(row)] == pytest.approx(1.0)  # T → 0: arg-max one-hot
    np.testing.assert_allclose(hot, 1 / len(row), atol=1e-2)  # T → ∞: uniform
    assert np.all(np.isfinite(act.softmax(np.array([1e5, 0.0]))))
    with pytest.raises(ConfigError, match="temperature"):
        act.softmax(row, temperature=0)


@pytest.mark.parametrize("temperature", [0.3, 1.0, 5.0])
def test_softmax_jacobian_equals_autograd(temperature):
    z = np.random.default_rng(1).normal(0, 1.5, 6)
    np.testing.assert_allclose(
        act.softmax_jacobian(z, temperature), act.autograd_softmax_jacobian(z, temperature), atol=1e-15
    )
