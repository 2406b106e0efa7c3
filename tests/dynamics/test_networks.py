"""NTK-parametrised networks compute the stated formula; random DAGs have in-degree exactly k."""

from __future__ import annotations

import math

import pytest
import torch

from matnn.core.exceptions import ConfigError, UnknownNameError
from matnn.dynamics import NTKNetwork, RandomDAGNetwork


def test_two_layer_ntk_network_formula():
    net = NTKNetwork(4, 32, seed=0, output_activation="tanh")
    x = torch.randn(5, 4)
    W, v = net.hidden[0].detach(), net.readout.detach()
    expect = torch.tanh(torch.relu(x @ W.T / 2.0) @ v.T / math.sqrt(32))
    torch.testing.assert_close(net(x), expect)
    assert torch.equal(NTKNetwork(4, 32, seed=0).readout, NTKNetwork(4, 32, seed=0).readout)  # seeded


def test_ntk_network_output_variance_is_width_independent():
    x = torch.randn(256, 10)
    var = [float(NTKNetwork(10, m, seed=1)(x).detach().var()) for m in (64, 4096)]
    assert 0.3 < var[0] / var[1] < 3  # NTK parametrisation: O(1) outputs at any width


def test_dag_in_degree_and_parameters():
    net = RandomDAGNetwork(16, n_layers=3, width=8, in_degree=4, seed=0)
    assert sum(p.numel() for p in net.parameters()) == 3 * 8 * 4 + 4  # k weights per neuron + output
    n_prev = 16
    for layer in range(3):
        edges = getattr(net, f"edges_{layer}")
        assert edges.shape == (8, 4)
        assert all(len(set(row.tolist())) == 4 for row in edges)  # k distinct parents
        assert int(edges.max()) < n_prev  # only earlier nodes: acyclic
        n_prev += 8
    assert net.edges_out.min() >= 16  # the output reads hidden neurons
    assert net(torch.randn(3, 16)).shape == (3, 1)


def test_bad_network_arguments():
    with pytest.raises(ConfigError, match="width"):
        NTKNetwork(3, 0)
    with pytest.raises(UnknownNameError, match="relu"):
        NTKNetwork(3, 4, activation="rellu")
    with pytest.raises(ConfigError, match="in_degree"):
        RandomDAGNetwork(4, n_layers=2, width=4, in_degree=8)
