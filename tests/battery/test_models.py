"""Classical baselines (including the Severson reproduction) and the two networks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from matnn.core.exceptions import NotFittedError, UnknownNameError
from matnn.data.battery import load_npz
from matnn.models.battery import BATTERY_MODELS
from matnn.models.battery.classical import ClassicalModel
from matnn.models.battery.networks import (
    NeuralConfig,
    NeuralModel,
    default_config,
    inverse_frequency_weights,
    network_inputs,
)
from matnn.workflows.battery.train import rmse


def test_variance_model_reproduces_severson(shared_datasets):
    """Severson et al. 2019, Table 1: variance model RMSE 103.6 (train) and 138 (primary test) cycles."""
    train = load_npz(shared_datasets / "severson" / "train.npz")
    test = load_npz(shared_datasets / "severson" / "test1.npz")
    m = ClassicalModel("variance").fit(train)
    assert rmse(train.cycle_life, m.predict(train)) == pytest.approx(103.6, abs=3)
    assert rmse(test.cycle_life, m.predict(test)) == pytest.approx(138, abs=3)


@pytest.mark.parametrize("name", BATTERY_MODELS.names("classical"))
def test_classical_models_learn_a_power_law(curves, name):
    """On curves where life is a power of the fade rate every baseline beats the mean predictor."""
    train, test = curves.subset(np.r_[0:16]), curves.subset(np.r_[16:24])
    m = ClassicalModel(name).fit(train)
    baseline = rmse(test.cycle_life, np.full(test.n_cells, np.mean(train.cycle_life)))
    assert rmse(test.cycle_life, m.predict(test)) < 0.6 * baseline


def test_unknown_and_unfitted():
    with pytest.raises(UnknownNameError, match="Did you mean 'ridge'"):
        ClassicalModel("ridg")
    with pytest.raises(NotFittedError):
        ClassicalModel("pcr").predict_log(None)


def test_inverse_frequency_weights():
    y = np.array([2.0, 2.01, 2.02, 2.03, 3.0])  # four short-lived cells and one long-lived one
    w = inverse_frequency_weights(y, n_bins=2)
    assert w.mean() == pytest.approx(1.0)
    assert w[4] == pytest.approx(4 * w[0])  # the lone cell counts as much as the four together


def test_tutorial_cnn_uses_both_convolutions(curves):
    """The published notebook fed the input to the second Conv2D; here the first block feeds it."""
    from matnn.layers import Conv2D
    from matnn.models.battery.architectures import build_tutorial_cnn

    x = network_inputs("cnn", curves)
    assert x.shape == (curves.n_cells, 200, 9, 1)
    model = build_tutorial_cnn(x, np.log10(curves.cycle_life))
    before = model.predict(x)
    first = next(layer for layer in model.layers if isinstance(layer, Conv2D))
    with torch.no_grad():
        for p in first.parameters():
            p.add_(0.5)
    assert not np.allclose(model.predict(x), before)  # the first convolution is alive


def test_networks_train_and_predict(curves):
    cfg = NeuralConfig(epochs=30, patience=10, ensemble=2)
    for name in ("cnn", "dqnet"):
        m = NeuralModel(name, seed=0, config=cfg if name == "dqnet" else NeuralConfig(epochs=30, patience=10))
        m.fit(curves)
        p = m.predict(curves)
        assert p.shape == (curves.n_cells,) and np.all(np.isfinite(p)) and np.all(p > 0)
        assert len(m.members_) == (2 if name == "dqnet" else 1)
        assert "val_loss" in m.histories_[0]
    # same seed, same numbers (CPU)
    a = NeuralModel("dqnet", seed=1, config=cfg).fit(curves).predict(curves)
    b = NeuralModel("dqnet", seed=1, config=cfg).fit(curves).predict(curves)
    np.testing.assert_allclose(a, b)


def test_dqnet_member_saves_and_loads(tmp_path, curves):
    import matnn

    m = NeuralModel("dqnet", seed=0, config=NeuralConfig(epochs=3, ensemble=2)).fit(curves)
    x = network_inputs("dqnet", curves)
    m.members_[0].save(tmp_path / "dq.matnn")
    again = matnn.load_model(tmp_path / "dq.matnn")
    np.testing.assert_allclose(again.predict(x), m.members_[0].predict(x), rtol=1e-6)


def test_residual_dqnet_starts_from_its_base(curves):
    """A zero-initialised correction: with a vanishing learning rate the network is its base model."""
    cfg = NeuralConfig(
        epochs=2, patience=1, ensemble=2, residual=True, learning_rate=1e-12, base_candidates=("variance", "pcr")
    )
    m = NeuralModel("dqnet", seed=0, config=cfg).fit(curves)
    assert m.base_name_ in ("variance", "pcr")
    base = ClassicalModel(m.base_name_, seed=0).fit(curves).predict_log(curves)
    np.testing.assert_allclose(m.predict_log(curves), base, atol=1e-6)


def test_fullcnn_is_attias_lenet_on_the_whole_delta_q_image(curves):
    from matnn.models.battery.architectures import build_full_delta_q_cnn

    x = network_inputs("fullcnn", curves)
    assert x.shape[0] == curves.n_cells and x.shape[2:] == (99, 1)  # cycles 2..100 as image columns
    assert 90 <= x.shape[1] <= 110  # about 100 voltage points, as in the reference
    assert np.all(x[:, :, curves.cycle_index(10), 0] == 0)  # ΔQ against cycle 10
    rng = np.random.default_rng(0)
    net = build_full_delta_q_cnn(rng.normal(size=(4, 100, 99)), np.log10([500.0, 800, 1200, 2000]))
    # The reference network (nn_models/cnn_base.py) on a 100 × 99 image: conv 6@3×3 (60), conv 16@3×3 (880),
    # 16·23·23 = 8464 → 120 (1,015,800), 120 → 84 (10,164), 84 → 1 (85) parameters.
    assert sum(p.numel() for p in net.parameters()) == 60 + 880 + 1_015_800 + 10_164 + 85
    with pytest.raises(Exception, match="too small"):
        build_full_delta_q_cnn(np.zeros((2, 8, 99)), np.ones(2))


def test_l2_penalty_is_adams_coupled_weight_decay():
    """NeuralConfig.l2 = λ is applied as Adam weight decay 2λ: the same steps as adding λ·Σ‖w‖² to the loss."""
    import matnn

    torch.manual_seed(0)
    x, y, lam = torch.randn(16, 3), torch.randn(16, 1), 0.05
    a, b = torch.nn.Linear(3, 1), torch.nn.Linear(3, 1)
    b.load_state_dict(a.state_dict())
    opt_a = matnn.optimizers.Adam(learning_rate=1e-2, weight_decay=2 * lam)
    opt_a.build(list(a.parameters()))
    opt_b = torch.optim.Adam(b.parameters(), lr=1e-2)
    for _ in range(5):
        loss_a = torch.mean((a(x) - y) ** 2)
        opt_a.zero_grad()
        loss_a.backward()
        opt_a.step()
        loss_b = torch.mean((b(x) - y) ** 2) + lam * sum(p.pow(2).sum() for p in b.parameters())
        opt_b.zero_grad()
        loss_b.backward()
        opt_b.step()
    for pa, pb in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(pa, pb, rtol=1e-5, atol=1e-6)


def test_fullcnn_trains_full_batch_without_validation_and_checks_cycles(curves):
    from dataclasses import replace

    from matnn.core.exceptions import ConfigError, DataError

    cfg = replace(default_config("fullcnn"), epochs=80, learning_rate=1e-3)
    m = NeuralModel("fullcnn", seed=0, config=cfg).fit(curves)
    h = m.histories_[0]
    assert len(h["loss"]) == 80 and "val_loss" not in h  # fixed steps, all cells, no early stopping
    assert h["loss"][-1] < 0.5 * h["loss"][0]
    p = m.predict(curves)
    assert p.shape == (curves.n_cells,) and np.all(np.isfinite(p))
    from matnn.data.battery import BatteryDataset

    fewer = BatteryDataset(
        curves.qdlin[:, :, :-1], curves.cycle_life, curves.voltage, curves.cycles[:-1]
    )  # no cycle 100
    with pytest.raises(DataError, match="Cycle 100"):
        m.predict(fewer)
    with pytest.raises(ConfigError, match="early_stopping"):
        NeuralConfig(early_stopping=False, ensemble=3)
