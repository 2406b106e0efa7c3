"""Restricted Boltzmann machine trained by contrastive divergence on the binarised digits."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import torch

from matnn.cli.main import main
from matnn.core.exceptions import DataError
from matnn.fundamentals import rbm as rbm_mod
from matnn.fundamentals.rbm import RBM, binarized_digits, train_rbm


@pytest.fixture(scope="module")
def digits():
    return binarized_digits(seed=0)


def test_cd_update_is_minus_the_gradient_of_the_free_energy_difference():
    """ΔW, Δb, Δc of CD-k = −∇[F̄(v₀) − F̄(v_k)] with the negative samples v_k held fixed."""
    gen = torch.Generator().manual_seed(3)
    m = RBM(10, 6, generator=gen)
    m.W, m.b, m.c = (
        0.5 * torch.randn(10, 6, dtype=torch.float64, generator=gen),
        torch.randn(10, dtype=torch.float64, generator=gen),
        torch.randn(6, dtype=torch.float64, generator=gen),
    )
    v0 = (torch.rand(16, 10, generator=gen) < 0.5).double()
    dW, db, dc, vk = m.cd_gradients(v0, k=2)
    params = [t.clone().requires_grad_(True) for t in (m.W, m.b, m.c)]
    m.W, m.b, m.c = params
    (m.free_energy(v0).mean() - m.free_energy(vk).mean()).backward()
    for analytic, p in zip((dW, db, dc), params, strict=True):
        torch.testing.assert_close(analytic, -p.grad, atol=1e-12, rtol=1e-12)


def test_exact_partition_function_matches_brute_force():
    gen = torch.Generator().manual_seed(0)
    m = RBM(4, 3, generator=gen)
    m.W = torch.randn(4, 3, dtype=torch.float64, generator=gen)
    m.b, m.c = torch.randn(4, dtype=torch.float64, generator=gen), torch.randn(3, dtype=torch.float64, generator=gen)
    states = [torch.tensor(s, dtype=torch.float64) for s in itertools.product([0.0, 1.0], repeat=7)]
    energies = torch.stack([-(s[:4] @ m.b) - (s[4:] @ m.c) - s[:4] @ m.W @ s[4:] for s in states])
    assert m.log_partition_exact() == pytest.approx(float(torch.logsumexp(-energies, 0)), abs=1e-12)
    vs = torch.tensor(list(itertools.product([0.0, 1.0], repeat=4)), dtype=torch.float64)
    assert float(torch.logsumexp(-m.free_energy(vs), 0)) == pytest.approx(m.log_partition_exact(), abs=1e-12)


def test_training_lowers_free_energy_and_reconstruction_error(digits):
    x_tr, x_te, _, _ = digits
    v = torch.as_tensor(x_tr)
    untrained = RBM(64, 64, generator=torch.Generator().manual_seed(0))
    err0 = float(((untrained.reconstruct(v) - v) ** 2).mean())
    model, hist = train_rbm(x_tr, x_test=x_te, n_hidden=64, epochs=15, seed=0)
    assert err0 > 0.2
    assert hist.reconstruction_error[-1] < 0.05  # stated bound (0.036 measured; untrained 0.25)
    assert hist.reconstruction_error[-1] < 0.5 * hist.reconstruction_error[0]
    assert hist.free_energy_train[-1] < hist.free_energy_train[0] - 5.0  # data free energy falls (kT)
    assert abs(hist.free_energy_test[-1] - hist.free_energy_train[-1]) < 3.0  # held-out digits alike
    rec_te = float(((model.reconstruct(torch.as_tensor(x_te)) - torch.as_tensor(x_te)) ** 2).mean())
    assert rec_te < 0.06


def test_exact_log_likelihood_rises(digits):
    """With 12 hidden units ln Z is exact (4 096 terms): CD-1 raises the true log-likelihood."""
    x_tr, x_te, _, _ = digits
    v, vt = torch.as_tensor(x_tr), torch.as_tensor(x_te)
    start = RBM(64, 12, generator=torch.Generator().manual_seed(0))
    p = v.mean(0).clamp(0.01, 0.99)
    start.b = torch.log(p / (1 - p))  # the independent-pixel model training starts from
    model, _ = train_rbm(x_tr, n_hidden=12, epochs=10, seed=0)
    assert model.log_likelihood_exact(v) > start.log_likelihood_exact(v) + 4.0  # nats per digit (-24.6 → -19.3)
    assert model.log_likelihood_exact(vt) > start.log_likelihood_exact(vt) + 4.0


def test_same_seed_same_model_and_binary_data_required(digits):
    x_tr = digits[0][:200]
    a, _ = train_rbm(x_tr, n_hidden=8, epochs=2, seed=5)
    b, _ = train_rbm(x_tr, n_hidden=8, epochs=2, seed=5)
    assert torch.equal(a.W, b.W)
    with pytest.raises(DataError, match="binary"):
        train_rbm(np.full((4, 3), 0.5), epochs=1)


def test_cli_writes_metrics_and_figures(tmp_path, capsys):
    assert (
        main(["fundamentals", "rbm", "--epochs", "3", "--hidden", "16", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    )
    m = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert m["n_hidden"] == 16 and m["reconstruction_mse_per_pixel_train"] < m["reconstruction_mse_per_pixel_untrained"]
    for png in ("rbm.png", "rbm_free_energy.png"):
        assert (tmp_path / "r" / png).stat().st_size > 10_000
    assert main(["fundamentals", "hopfield", "--n-units", "80", "--out", str(tmp_path / "h"), "--quiet"]) == 0
    m = json.loads((tmp_path / "h" / "metrics.json").read_text())
    assert m["energy_max_increase_per_update"] <= 0 and "capacity_load_n80" in m
    assert (tmp_path / "h" / "hopfield.png").stat().st_size > 10_000
    with pytest.raises(SystemExit) as exc:
        main(["fundamentals", "rbm", "--cd-k", "0", "--out", str(tmp_path)])
    assert exc.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_module_exports():
    assert {"RBM", "train_rbm", "run_demo"} <= set(rbm_mod.__all__)
