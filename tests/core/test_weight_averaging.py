"""``StochasticWeightAveraging``: the mean it tracks, that it leaves training alone, and why it helps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import matnn
from matnn.callbacks import LambdaCallback, StochasticWeightAveraging
from matnn.layers import Dense

rng = np.random.default_rng(3)
X = rng.normal(size=(256, 4)).astype("float32")
Y = (X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.3 + rng.normal(0, 1.0, size=256)).astype("float32")


def _model(seed: int, hidden: bool = True) -> matnn.Sequential:
    matnn.set_seed(seed)
    layers = [Dense(8, activation="tanh", input_shape=(4,)), Dense(1)] if hidden else [Dense(1, input_shape=(4,))]
    return matnn.Sequential(layers)


def test_the_average_is_the_mean_of_the_end_of_epoch_weights_from_start_on():
    model = _model(0)
    model.compile(optimizer=matnn.optimizers.Adam(0.02), loss="mse")
    seen: list[dict[str, torch.Tensor]] = []
    snap = LambdaCallback(
        on_epoch_end=lambda e, logs: seen.append({k: p.detach().clone() for k, p in model.named_parameters()})
    )
    swa = StochasticWeightAveraging(start=0.6)  # 6 epochs: epochs 4, 5, 6 (zero-based 3..5) are averaged
    model.fit(X, Y, epochs=6, batch_size=32, callbacks=[snap, swa], verbose=0)
    assert swa.start_epoch() == 4 and swa.n_averaged == 2
    swa_int = StochasticWeightAveraging(start=3)
    model2 = _model(0)
    model2.compile(optimizer=matnn.optimizers.Adam(0.02), loss="mse")
    seen.clear()
    snap2 = LambdaCallback(
        on_epoch_end=lambda e, logs: seen.append({k: p.detach().clone() for k, p in model2.named_parameters()})
    )
    model2.fit(X, Y, epochs=6, batch_size=32, callbacks=[snap2, swa_int], verbose=0)
    assert swa_int.n_averaged == 3
    averaged = swa_int.averaged_parameters()
    for name, value in averaged.items():
        expected = torch.stack([s[name] for s in seen[3:]]).mean(0)
        torch.testing.assert_close(value, expected, rtol=1e-6, atol=1e-7)
        # observing only: the model keeps its last weights, not the mean
        assert torch.equal(dict(model2.named_parameters())[name].detach(), seen[-1][name])


def test_tracking_does_not_change_training_and_swap_at_end_loads_the_mean():
    def train(callbacks):
        model = _model(1)
        model.compile(optimizer=matnn.optimizers.Adam(0.02), loss="mse")
        hist = model.fit(X, Y, epochs=4, batch_size=32, callbacks=callbacks, verbose=0)
        return model, hist.history["loss"]

    plain, loss_plain = train([])
    swa = StochasticWeightAveraging(start=1, swap_at_end=True)
    swapped, loss_swa = train([swa])
    assert loss_plain == loss_swa
    for name, p in swapped.named_parameters():
        torch.testing.assert_close(p.detach(), swa.averaged_parameters()[name])
    assert not all(torch.equal(p, q) for p, q in zip(plain.parameters(), swapped.parameters(), strict=True))


def test_averaging_noisy_sgd_lands_nearer_the_least_squares_solution():
    # Constant-step SGD on least squares bounces around the optimum; the mean of its iterates does not
    # (Polyak-Ruppert averaging), so the averaged weights must be much nearer the closed-form solution.
    xa = np.c_[X, np.ones(len(X), dtype="float32")]
    w_star = np.linalg.lstsq(xa, Y, rcond=None)[0]
    ratios = []
    for seed in (0, 1, 2):
        model = _model(seed, hidden=False)
        model.compile(optimizer=matnn.optimizers.SGD(0.05), loss="mse")
        swa = StochasticWeightAveraging(start=10)
        model.fit(X, Y, epochs=40, batch_size=8, callbacks=[swa], verbose=0)
        names = [k for k, _ in model.named_parameters()]  # the weight (1, 4), then the bias (1,)
        last = np.concatenate([p.detach().numpy().ravel() for _, p in model.named_parameters()])
        avg = swa.averaged_parameters()
        mean = np.concatenate([avg[k].numpy().ravel() for k in names])
        ratios.append(np.linalg.norm(mean - w_star) / np.linalg.norm(last - w_star))
    assert max(ratios) < 0.6, ratios


def test_bad_settings_are_clear_errors():
    for bad in (0.0, 1.0, -1, 1.5, True, "late"):
        with pytest.raises(matnn.ConfigError, match="start"):
            StochasticWeightAveraging(start=bad)
    swa = StochasticWeightAveraging(start=10)
    model = _model(0)
    model.compile("adam", "mse")
    model.fit(X, Y, epochs=2, callbacks=[swa], verbose=0)
    with pytest.raises(matnn.ConfigError, match="averaged"):
        swa.apply_to(model)
