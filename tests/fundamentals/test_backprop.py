"""Hand-written backpropagation = PyTorch autograd (float64, to 1e-8), term by term."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from matnn.core.exceptions import ConfigError, ShapeError
from matnn.fundamentals.backprop import GlassBoxMLP, autograd_gradients, gradient_norms_by_depth

TORCH_ACT = {
    "sigmoid": torch.nn.Sigmoid,
    "tanh": torch.nn.Tanh,
    "relu": torch.nn.ReLU,
    "leaky_relu": lambda: torch.nn.LeakyReLU(0.01),
    "elu": torch.nn.ELU,
    "softplus": torch.nn.Softplus,
    "linear": torch.nn.Identity,
}


def torch_reference(net: GlassBoxMLP, X: np.ndarray, Y: np.ndarray):
    """An independent torch.nn network with the same weights; gradients of the same cost."""
    layers = []
    for l, (W, b) in enumerate(zip(net.weights, net.biases, strict=True), start=1):
        lin = torch.nn.Linear(W.shape[1], W.shape[0]).double()
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
        layers += [lin, TORCH_ACT[net.output_activation if l == net.n_layers else net.activation]()]
    model = torch.nn.Sequential(*layers)
    out = model(torch.from_numpy(X))
    cost = ((out - torch.from_numpy(Y)) ** 2).sum(dim=1).mean()
    cost.backward()
    lins = [m for m in model if isinstance(m, torch.nn.Linear)]
    return float(cost.detach()), [m.weight.grad.numpy() for m in lins], [m.bias.grad.numpy() for m in lins]


def _data(n, n_in, n_out, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n_in)), rng.standard_normal((n, n_out))


@pytest.mark.parametrize(
    "activation,output_activation,sizes",
    [
        ("sigmoid", "sigmoid", [3, 8, 6, 2]),
        ("tanh", "linear", [2, 16, 16, 1]),
        ("relu", "linear", [4, 10, 7, 5, 3]),
        ("leaky_relu", "sigmoid", [3, 5, 5, 1]),
        ("elu", "linear", [2, 6, 6, 2]),
        ("softplus", "tanh", [2, 6, 6, 2]),
    ],
)
def test_gradients_equal_autograd(activation, output_activation, sizes):
    X, Y = _data(32, sizes[0], sizes[-1], seed=len(sizes))
    net = GlassBoxMLP(sizes, activation=activation, output_activation=output_activation, seed=3)
    # Non-zero biases so every term is exercised.
    for b in net.biases:
        b[:] = np.random.default_rng(1).normal(0, 0.3, b.shape)
    cost_ref, dW_ref, db_ref = torch_reference(net, X, Y)
    g = net.gradients(X, Y)
    assert net.cost(X, Y) == pytest.approx(cost_ref, abs=1e-12)
    for l in range(1, net.n_layers + 1):
        assert g.dW[l].shape == net.weights[l - 1].shape
        np.testing.assert_allclose(g.dW[l], dW_ref[l - 1], atol=1e-8, rtol=0)
        np.testing.assert_allclose(g.db[l], db_ref[l - 1], atol=1e-8, rtol=0)
        assert np.max(np.abs(g.dW[l] - dW_ref[l - 1])) < 1e-13  # in fact to round-off
    # The module's own reference agrees as well.
    dW2, db2 = autograd_gradients(net, X, Y)
    for l in range(1, net.n_layers + 1):
        np.testing.assert_allclose(g.dW[l], dW2[l - 1], atol=1e-13, rtol=0)


def test_last_layer_weight_is_the_lecture_formula():
    """∂C/∂w_jk⁽ᴸ⁾ = mean over the batch of a_k⁽ᴸ⁻¹⁾ · σ′(z_j⁽ᴸ⁾) · 2(a_j⁽ᴸ⁾ − y_j), written as a loop."""
    X, Y = _data(10, 2, 2, seed=5)
    net = GlassBoxMLP([2, 4, 3, 2], activation="tanh", output_activation="sigmoid", seed=0)
    cache = net.forward(X)
    g = net.backward(cache, Y)
    L = net.n_layers
    for j in range(2):
        for k in range(3):
            terms = []
            for i in range(10):
                a_prev = cache.a[L - 1][i, k]
                s = 1 / (1 + np.exp(-cache.z[L][i, j]))
                terms.append(a_prev * s * (1 - s) * 2 * (cache.a[L][i, j] - Y[i, j]))
            assert g.dW[L][j, k] == pytest.approx(np.mean(terms), abs=1e-15)


def test_gradients_equal_finite_differences():
    X, Y = _data(8, 2, 1, seed=2)
    net = GlassBoxMLP([2, 5, 4, 1], activation="tanh", seed=1)
    g = net.gradients(X, Y)
    h = 1e-6
    for l in (1, 2, 3):
        W = net.weights[l - 1]
        for idx in [(0, 0), (W.shape[0] - 1, W.shape[1] - 1)]:
            old = W[idx]
            W[idx] = old + h
            up = net.cost(X, Y)
            W[idx] = old - h
            down = net.cost(X, Y)
            W[idx] = old
            assert g.dW[l][idx] == pytest.approx((up - down) / (2 * h), abs=1e-8)


def test_training_fits_a_sine():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (64, 1))
    Y = np.sin(2 * np.pi * X)
    net = GlassBoxMLP([1, 16, 16, 1], activation="tanh", seed=0)
    start = net.cost(X, Y)
    hist = net.train(X, Y, epochs=1500, learning_rate=0.05, batch_size=16)
    assert hist[-1] < 0.05 * start
    assert hist[-1] < 0.03


def test_sigmoid_gradients_vanish_with_depth_relu_ones_do_not():
    sig = gradient_norms_by_depth("sigmoid", depth=6)
    relu = gradient_norms_by_depth("relu", depth=6)
    assert sig["grad_norm"][0] < 1e-2 * sig["grad_norm"][-1]
    assert relu["grad_norm"][0] > 0.1 * relu["grad_norm"][-1]
    assert np.all(sig["mean_sigma_prime"][:-1] <= 0.25)  # hidden layers; the output layer is linear


def test_bad_configuration_and_shapes():
    with pytest.raises(ConfigError, match="at least one hidden layer"):
        GlassBoxMLP([3, 1])
    with pytest.raises(ConfigError, match="derivative is 0"):
        GlassBoxMLP([3, 4, 1], activation="step")
    net = GlassBoxMLP([3, 4, 4, 2])
    with pytest.raises(ShapeError, match="expects 3 input features; X has 2"):
        net.forward(np.zeros((5, 2)))
    with pytest.raises(ShapeError, match="2 outputs; y has 1"):
        net.gradients(np.zeros((5, 3)), np.zeros(5))
