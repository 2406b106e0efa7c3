"""Weight penalties: L1/L2 on kernels and biases enter the training loss exactly as written."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import matnn
from matnn.layers import Conv1D, Dense, Flatten
from matnn.regularizers import L1, L2, l1_l2


def _loss_with_and_without(model: matnn.Model, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    xt, yt = torch.as_tensor(x), torch.as_tensor(y)
    with torch.no_grad():
        pred = model(xt)
        total = float(model.compute_loss(xt, yt, pred))
        data_only = float(model.loss(yt, pred, None))
    return total, data_only


@pytest.mark.parametrize("use_conv", [False, True])
def test_penalty_equals_its_formula(use_conv):
    rng = np.random.default_rng(0)
    if use_conv:
        x = rng.normal(size=(8, 6, 2)).astype(np.float32)
        layers = [
            Conv1D(
                3, 3, kernel_regularizer=L2(0.1), bias_regularizer=L1(0.5), bias_initializer="ones", input_shape=(6, 2)
            ),
            Flatten(),
            Dense(1, kernel_regularizer=l1_l2(0.01, 0.02)),
        ]
    else:
        x = rng.normal(size=(8, 4)).astype(np.float32)
        layers = [
            Dense(3, kernel_regularizer=L2(0.1), bias_regularizer=L1(0.5), bias_initializer="ones", input_shape=(4,)),
            Dense(1, kernel_regularizer=l1_l2(0.01, 0.02)),
        ]
    y = rng.normal(size=(8, 1)).astype(np.float32)
    model = matnn.Sequential(layers)
    model.compile(optimizer="sgd", loss="mse")
    total, data_only = _loss_with_and_without(model, x, y)
    first, last = model.layers[0], model.layers[-1]
    with torch.no_grad():
        expected = (
            0.1 * float((first.weight**2).sum())
            + 0.5 * float(first.bias.abs().sum())
            + 0.01 * float(last.weight.abs().sum())
            + 0.02 * float((last.weight**2).sum())
        )
    assert expected > 0.1
    assert total - data_only == pytest.approx(expected, rel=1e-5)


def test_l2_penalty_shrinks_the_weights_of_a_fit():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 5)).astype(np.float32)
    y = (x @ np.array([3.0, -2.0, 1.0, 0.5, 4.0], np.float32))[:, None]
    norms = []
    for reg in (None, L2(1.0)):
        matnn.config.set_seed(0)
        model = matnn.Sequential([Dense(1, kernel_regularizer=reg, input_shape=(5,))])
        model.compile(optimizer=matnn.optimizers.Adam(0.05), loss="mse")
        model.fit(x, y, epochs=200, batch_size=200, verbose=0)
        norms.append(float(model.layers[0].weight.detach().norm()))
    # unpenalised recovers |w| = 5.5; a strong ridge penalty pulls it well below
    assert norms[0] == pytest.approx(np.linalg.norm([3, -2, 1, 0.5, 4]), rel=0.02)
    assert norms[1] < 0.8 * norms[0]
