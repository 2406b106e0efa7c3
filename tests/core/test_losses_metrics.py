"""Losses against their formulas and finite differences; metrics against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn import metrics as skm

import matnn
from matnn import losses, metrics

rng = np.random.default_rng(0)


def _probs(n: int, k: int) -> torch.Tensor:
    return torch.softmax(torch.tensor(rng.normal(size=(n, k))), -1)


def test_mse_mae_huber_formulas():
    y = torch.tensor([1.0, 2.0, 3.0])
    p = torch.tensor([[1.5], [2.0], [0.0]])
    assert losses.get("mse")(y, p).item() == pytest.approx((0.25 + 0 + 9) / 3)
    assert losses.get("mae")(y, p).item() == pytest.approx((0.5 + 0 + 3) / 3)
    assert losses.Huber(delta=1.0)(y, p).item() == pytest.approx((0.125 + 0 + (3 - 0.5)) / 3)


def test_binary_crossentropy_probabilities_equal_logits():
    z = torch.tensor(rng.normal(size=(8, 1)))
    y = torch.tensor(rng.integers(0, 2, size=(8, 1)), dtype=torch.float64)
    a = losses.BinaryCrossentropy()(y, torch.sigmoid(z))
    b = losses.BinaryCrossentropy(from_logits=True)(y, z)
    assert a.item() == pytest.approx(b.item(), rel=1e-6)
    assert a.item() == pytest.approx(skm.log_loss(y.numpy().ravel(), torch.sigmoid(z).numpy().ravel()), rel=1e-6)


def test_categorical_crossentropy_probabilities_logits_sparse_agree():
    z = torch.tensor(rng.normal(size=(10, 4)))
    labels = torch.tensor(rng.integers(0, 4, size=10))
    onehot = torch.nn.functional.one_hot(labels, 4).double()
    a = losses.CategoricalCrossentropy()(onehot, torch.softmax(z, -1))
    b = losses.CategoricalCrossentropy(from_logits=True)(onehot, z)
    c = losses.SparseCategoricalCrossentropy(from_logits=True)(labels, z)
    ref = skm.log_loss(labels.numpy(), torch.softmax(z, -1).numpy(), labels=[0, 1, 2, 3])
    for v in (a, b, c):
        assert v.item() == pytest.approx(ref, rel=1e-6)


def test_kl_divergence_zero_for_equal_distributions_and_positive_otherwise():
    p, q = _probs(5, 3), _probs(5, 3)
    assert losses.get("kld")(p, p).item() == pytest.approx(0.0, abs=1e-7)
    assert losses.get("kld")(p, q).item() > 0


def test_jaccard_loss_perfect_and_disjoint_masks():
    m = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    assert losses.get("jaccard")(m, m).item() == pytest.approx(0.0, abs=1e-6)
    assert losses.get("jaccard")(m, 1 - m).item() == pytest.approx(1.0, abs=1e-6)
    assert losses.get("jaccard")(m, torch.tensor([[1.0, 0.0, 0.0, 0.0]])).item() == pytest.approx(0.5, abs=1e-6)


LOSS_CASES = [
    ("mse", lambda: torch.randn(4, 3, dtype=torch.float64), lambda: torch.randn(4, 3, dtype=torch.float64)),
    ("mae", lambda: torch.randn(4, 3, dtype=torch.float64), lambda: torch.randn(4, 3, dtype=torch.float64)),
    ("huber", lambda: torch.randn(4, 3, dtype=torch.float64) * 3, lambda: torch.randn(4, 3, dtype=torch.float64)),
    (
        "binary_crossentropy",
        lambda: torch.randint(0, 2, (4, 1)).double(),
        lambda: torch.rand(4, 1, dtype=torch.float64) * 0.8 + 0.1,
    ),
    (
        "categorical_crossentropy",
        lambda: torch.nn.functional.one_hot(torch.randint(0, 3, (4,)), 3).double(),
        lambda: _probs(4, 3),
    ),
    ("kl_divergence", lambda: _probs(4, 3), lambda: _probs(4, 3)),
    ("jaccard", lambda: torch.rand(4, 5, dtype=torch.float64), lambda: torch.rand(4, 5, dtype=torch.float64)),
]


@pytest.mark.parametrize("name,make_true,make_pred", LOSS_CASES)
def test_loss_gradient_matches_finite_differences(name, make_true, make_pred):
    torch.manual_seed(0)
    y, p = make_true(), make_pred().detach().requires_grad_(True)
    w = torch.rand(4, dtype=torch.float64) + 0.5
    fn = losses.get(name)
    assert torch.autograd.gradcheck(lambda q: fn(y, q, w), (p,), eps=1e-6, atol=1e-6)


def test_sample_weights_weight_the_mean():
    y = torch.tensor([0.0, 0.0])
    p = torch.tensor([1.0, 3.0])
    w = torch.tensor([1.0, 0.0])
    assert losses.get("mse")(y, p, w).item() == pytest.approx(0.5)  # Keras: sum(w*l)/n


def test_loss_shape_mismatch_names_loss_and_shapes():
    with pytest.raises(matnn.ShapeError, match=r"mean_squared_error.*\(4, 2\).*\(4, 3\)"):
        losses.get("mse")(torch.zeros(4, 2), torch.zeros(4, 3))


def test_unknown_loss_lists_allowed():
    with pytest.raises(matnn.ConfigError, match="mse"):
        losses.get("msee")


def test_epoch_metrics_equal_sklearn_over_batches():
    y = rng.normal(size=(100, 2))
    p = y + rng.normal(scale=0.5, size=(100, 2))
    ms = [metrics.get(n) for n in ("mae", "rmse", "r2", "mse")]
    for start in range(0, 100, 7):  # accumulate over uneven batches
        for m in ms:
            m.update(torch.tensor(y[start : start + 7]), torch.tensor(p[start : start + 7]))
    mae, rmse, r2, mse = (m.result().item() for m in ms)
    assert mae == pytest.approx(skm.mean_absolute_error(y, p), rel=1e-6)
    assert mse == pytest.approx(skm.mean_squared_error(y, p), rel=1e-6)
    assert rmse == pytest.approx(np.sqrt(skm.mean_squared_error(y, p)), rel=1e-6)
    assert r2 == pytest.approx(skm.r2_score(y, p), rel=1e-5)


def test_accuracy_detects_binary_categorical_sparse():
    acc = metrics.get("accuracy")
    acc.update(torch.tensor([[1.0], [0.0], [1.0]]), torch.tensor([[0.9], [0.2], [0.3]]))
    assert acc.result().item() == pytest.approx(2 / 3)
    acc.reset()
    acc.update(torch.tensor([0, 2]), torch.tensor([[0.8, 0.1, 0.1], [0.6, 0.3, 0.1]]))
    assert acc.result().item() == pytest.approx(0.5)
    acc.reset()
    acc.update(torch.tensor([[0.0, 1.0], [1.0, 0.0]]), torch.tensor([[0.2, 0.8], [0.1, 0.9]]))
    assert acc.result().item() == pytest.approx(0.5)


def test_regression_metrics_of_finished_predictions_match_scikit_learn():
    from sklearn.metrics import max_error, mean_absolute_error, mean_squared_error, r2_score

    from matnn.core.metrics import regression_metrics

    rng = np.random.default_rng(3)
    y = rng.normal(size=(40, 5))
    p = y + rng.normal(scale=0.3, size=y.shape)
    got = regression_metrics(y, p)  # element by element over any shape
    yf, pf = y.ravel(), p.ravel()
    assert got["mae"] == pytest.approx(mean_absolute_error(yf, pf))
    assert got["rmse"] == pytest.approx(np.sqrt(mean_squared_error(yf, pf)))
    assert got["r2"] == pytest.approx(r2_score(yf, pf))
    assert got["max_abs_error"] == pytest.approx(max_error(yf, pf))
    assert np.isnan(regression_metrics(np.ones(4), np.arange(4.0))["r2"])  # R² undefined for a constant target
