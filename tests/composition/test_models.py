"""ElemNet as published, the architecture notation, the dense network and the estimators."""

from __future__ import annotations

import numpy as np
import pytest

import matnn
from matnn.core.exceptions import ConfigError, NotFittedError
from matnn.data.splits import validation_split
from matnn.models.composition import ModelSettings, make_estimator
from matnn.models.composition.dense_network import build_dense_network, parse_hidden
from matnn.models.composition.elemnet import (
    ELEMNET_ARCHITECTURE,
    build_elemnet,
    elemnet_architecture_for_depth,
    parse_architecture,
)


def _kinds(model):
    return [type(layer).__name__ for layer in model.layers]


def test_elemnet_layers_widths_and_dropout_placement():
    model = build_elemnet()
    kinds = _kinds(model)
    dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    assert len(dense) == 17  # 16 hidden + output
    assert [d.units for d in dense] == [1024] * 4 + [512] * 3 + [256] * 3 + [128] * 3 + [64] * 2 + [32] + [1]
    # Dropout right after the last layer of the 1024, 512, 256 and 128 blocks, nowhere else.
    dropout_positions = [i for i, k in enumerate(kinds) if k == "Dropout"]
    dense_before = [kinds[:i].count("Dense") for i in dropout_positions]
    assert dense_before == [4, 7, 10, 13]
    rates = [layer.rate for layer in model.layers if type(layer).__name__ == "Dropout"]
    assert rates == pytest.approx([0.2, 0.1, 0.3, 0.2])  # drop rates = 1 - keep-prob (0.8, 0.9, 0.7, 0.8)
    assert [d.get_config()["activation"] for d in dense] == ["relu"] * 16 + [None]  # linear output
    assert dense[0].get_config()["kernel_initializer"] == "glorot_uniform"  # Xavier, as TF-slim's default
    assert sum(p.numel() for p in model.parameters()) == 4_631_361
    out = model.predict(np.random.default_rng(0).random((5, 86)).astype(np.float32))
    assert out.shape == (5, 1)


def test_elemnet_output_is_linear_and_hidden_relu():
    model = build_elemnet(architecture="8x1-1")
    torch = pytest.importorskip("torch")
    x = torch.randn(64, 86)
    model.eval()
    hidden = model.layers[0](x)
    assert (hidden >= 0).all()  # ReLU
    y = model(x)
    assert (y < 0).any() or (y > 0).all()  # the output layer has no ReLU clamp: negative values possible
    model2 = build_elemnet(architecture="8x1-1")
    with torch.no_grad():
        for p in model2.parameters():
            p.fill_(0.0)
        model2.layers[-1].bias.fill_(-1.0)
    assert float(model2(x)[0, 0].detach()) == pytest.approx(-1.0)


def test_architecture_notation_and_depth_family():
    blocks, n_out = parse_architecture(ELEMNET_ARCHITECTURE)
    assert n_out == 1 and [(b.units, b.n_layers, b.dropout) for b in blocks][:2] == [(1024, 4, True), (512, 3, True)]
    assert elemnet_architecture_for_depth(17) == ELEMNET_ARCHITECTURE
    assert elemnet_architecture_for_depth(1) == "1"
    assert elemnet_architecture_for_depth(3) == "1024x2D-1"
    assert elemnet_architecture_for_depth(6) == "1024x4D-512x1D-1"
    assert elemnet_architecture_for_depth(20) == "1024x4D-512x3D-256x3D-128x3D-64x2-32x4-1"
    for depth in (1, 2, 5, 17, 24):
        dense = [k for k in _kinds(build_elemnet(architecture=elemnet_architecture_for_depth(depth))) if k == "Dense"]
        assert len(dense) == depth
    for bad in ("1024x4D", "1024x0-1", "1024y4-1", "1024x4-x"):
        with pytest.raises(ConfigError):
            parse_architecture(bad)
    with pytest.raises(ConfigError, match="dropout rates must be in"):
        build_elemnet(dropout_rates=(0.8, 1.2))


def test_dense_network_is_configurable():
    model = build_dense_network(10, "32,16", dropout=0.25, activation="tanh")
    assert _kinds(model) == ["Dense", "Dropout", "Dense", "Dropout", "Dense"]
    assert build_dense_network(10, "").predict(np.zeros((3, 10), np.float32)).shape == (3, 1)
    assert parse_hidden("256, 128") == (256, 128)
    with pytest.raises(ConfigError, match="comma-separated positive integers"):
        parse_hidden("256,abc")


def test_validation_split_is_deterministic_and_disjoint():
    a = validation_split(100, 0.2, 3)
    b = validation_split(100, 0.2, 3)
    np.testing.assert_array_equal(a[0], b[0])
    assert len(a[1]) == 20 and not set(a[0]) & set(a[1]) and len(a[0]) + len(a[1]) == 100
    assert not np.array_equal(validation_split(100, 0.2, 4)[1], a[1])


def test_estimators_learn_a_linear_table_and_refuse_use_before_fit():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + 0.05 * rng.normal(size=300)
    est = make_estimator("dense", ModelSettings(features="columns", hidden="32", dropout=0.0, epochs=200, patience=20))
    with pytest.raises(NotFittedError, match="not fitted"):
        est.predict(X)
    est.fit(X[:240], y[:240], seed=0)
    mae = np.mean(np.abs(est.predict(X[240:]) - y[240:]))
    assert mae < 0.15 * np.mean(np.abs(y[240:] - y[:240].mean()))
    with pytest.raises(KeyError, match="Unknown composition model 'elemnett'"):
        make_estimator("elemnett")


def test_same_seed_same_numbers():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(120, 4)), rng.normal(size=120)
    settings = ModelSettings(features="columns", hidden="16", epochs=5)
    p1 = make_estimator("dense", settings).fit(X, y, seed=7).predict(X)
    p2 = make_estimator("dense", settings).fit(X, y, seed=7).predict(X)
    np.testing.assert_array_equal(p1, p2)
    assert matnn.config.get_num_threads() == 1


def test_rf_median_is_the_mae_optimal_forest_on_a_zero_inflated_target():
    # Like band gaps: 70 % of the targets are exactly 0 (metals), the rest spread, unrelated to X.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    y = np.where(rng.random(600) < 0.7, 0.0, rng.uniform(1, 5, 600))
    s = ModelSettings(features="columns", n_estimators=60)  # fully grown trees
    mean_forest = make_estimator("rf-magpie", s).fit(X[:400], y[:400], seed=0)
    median_forest = mean_forest.twin("rf-median")
    mae_mean = np.mean(np.abs(mean_forest.predict(X[400:]) - y[400:]))
    mae_median = np.mean(np.abs(median_forest.predict(X[400:]) - y[400:]))
    # The conditional median (0) beats the conditional mean (~0.9) under absolute error.
    assert mae_median < 0.9 * mae_mean, (mae_median, mae_mean)  # 0.78-0.86 over data seeds 0-2
    trees = np.stack([t.predict(X[400:].astype(np.float32)) for t in mean_forest.model_.estimators_])
    np.testing.assert_allclose(median_forest.predict(X[400:]), np.median(trees, axis=0))


def test_monte_carlo_dropout_stays_on_at_inference_and_averages_reproducibly(tmp_path):
    import torch

    from matnn.models import predict_monte_carlo

    x = np.random.default_rng(0).uniform(size=(64, 86)).astype(np.float32)
    plain = build_elemnet(architecture="32x2D-1", dropout_rates=(0.5,))
    mc = build_elemnet(architecture="32x2D-1", dropout_rates=(0.5,), monte_carlo_dropout=True)
    mc.set_weights(plain.get_weights())
    # the usual network is deterministic at inference; the Monte Carlo one is not
    np.testing.assert_array_equal(plain.predict(x), plain.predict(x))
    assert not np.allclose(mc.predict(x), mc.predict(x))
    # with a seed the average of passes is reproducible and leaves the global RNG alone
    state = torch.random.get_rng_state()
    m1, s1 = predict_monte_carlo(mc, x, 50, seed=3)
    assert torch.equal(state, torch.random.get_rng_state())
    m2, _ = predict_monte_carlo(mc, x, 50, seed=3)
    np.testing.assert_array_equal(m1, m2)
    assert m1.shape == (64, 1) and np.all(s1 > 0)
    # one pass is a sample around the mean: the spread of single passes shrinks like 1/sqrt(n) in the mean
    m_big, _ = predict_monte_carlo(mc, x, 400, seed=4)
    err_50 = np.abs(m1 - m_big).mean()
    err_1 = np.abs(predict_monte_carlo(mc, x, 1, seed=5)[0] - m_big).mean()
    assert err_50 < err_1 / 3
    # the flag survives saving
    mc.save(tmp_path / "m.matnn")
    back = matnn.load_model(tmp_path / "m.matnn")
    assert [getattr(layer, "monte_carlo", None) for layer in back.layers if type(layer).__name__ == "Dropout"] == [True]
    np.testing.assert_allclose(predict_monte_carlo(back, x, 50, seed=3)[0], m1, rtol=1e-6, atol=1e-7)
    with pytest.raises(ConfigError, match="n_samples"):
        predict_monte_carlo(mc, x, 0)


def test_estimator_with_mc_samples_predicts_the_same_after_saving(tmp_path):
    from matnn.models.composition import load_estimator

    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 4))
    y = X @ np.array([1.0, -1.0, 0.5, 2.0])
    settings = ModelSettings(features="columns", hidden="32", dropout=0.2, epochs=30, mc_samples=8)
    est = make_estimator("dense", settings).fit(X, y, seed=0)
    assert est.info_["mc_samples"] == 8
    p = est.predict(X)
    np.testing.assert_array_equal(p, est.predict(X))  # seeded passes: same numbers every call
    est.save(tmp_path / "model")
    np.testing.assert_allclose(load_estimator(tmp_path / "model").predict(X), p, rtol=1e-6, atol=1e-6)
    assert make_estimator("elemnet").mc_samples == 10 and make_estimator("dense").mc_samples == 0
    with pytest.raises(ConfigError, match="mc_samples"):
        make_estimator("dense", ModelSettings(mc_samples=-1))


def test_init_from_continues_from_saved_weights_and_scaling(tmp_path):
    from matnn.core.exceptions import DataError

    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 4))
    y = 10.0 + X @ np.array([1.0, -1.0, 0.5, 2.0])
    first = make_estimator("dense", ModelSettings(features="columns", hidden="32", dropout=0.0, epochs=60)).fit(
        X[:200], y[:200], seed=0
    )
    first.save(tmp_path / "first")
    # Other rows (other scaling statistics), a learning rate too small to move anything: the
    # warm-started network must predict what the saved one did, which a fresh one does not.
    frozen = ModelSettings(features="columns", hidden="32", dropout=0.0, epochs=1, learning_rate=1e-12)
    warm = make_estimator("dense", frozen.replace(init_from=str(tmp_path / "first"))).fit(X[200:], y[200:], seed=1)
    cold = make_estimator("dense", frozen).fit(X[200:], y[200:], seed=1)
    np.testing.assert_allclose(warm.predict(X), first.predict(X), rtol=1e-5, atol=1e-5)
    assert warm.info_["init_from"] == str(tmp_path / "first")
    assert np.mean(np.abs(cold.predict(X) - y)) > 5 * np.mean(np.abs(warm.predict(X) - y))
    with pytest.raises(DataError, match="do not fit the architecture|has shape"):
        make_estimator("dense", frozen.replace(hidden="16", init_from=str(tmp_path / "first"))).fit(X, y)
    with pytest.raises(DataError, match="not a saved network folder"):
        make_estimator("dense", frozen.replace(init_from=str(tmp_path / "nothing"))).fit(X, y)
    with pytest.raises(ConfigError, match="trained on 4 features; this data has 3"):
        make_estimator("dense", frozen.replace(init_from=str(tmp_path / "first"))).fit(X[:, :3], y)
