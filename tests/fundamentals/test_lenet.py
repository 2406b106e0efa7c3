"""LeNet-1 and LeNet-5 as published: parameter and connection counts, shapes, training, saving."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import matnn
from matnn.core.exceptions import ConfigError, ShapeError
from matnn.fundamentals.lenet import (
    LENET1_H3_TABLE,
    LENET5_C3_TABLE,
    PartialConv2D,
    count_connections,
    lenet1,
    lenet5,
)


def test_lenet5_has_the_published_counts():
    model = lenet5()
    assert model.count_params() == 60_000  # 156 + 12 + 1 516 + 32 + 48 120 + 10 164
    assert [layer.count_params() for layer in model.layers if layer.count_params()] == [156, 12, 1516, 32, 48120, 10164]
    assert count_connections(model) == 340_908  # LeCun et al. 1998, including the 840 RBF connections
    assert model.layers[-1].codes.shape == (10, 84) and set(model.layers[-1].codes.unique().tolist()) == {-1.0, 1.0}
    assert sorted(len(row) for row in LENET5_C3_TABLE) == [3] * 6 + [4] * 9 + [6]
    assert model(torch.zeros(3, 32, 32, 1)).shape == (3, 10)


def test_lenet1_has_the_published_counts():
    model = lenet1()
    assert model.count_params() == 2_578
    assert count_connections(model) == 98_442  # LeCun et al. 1989
    assert sum(len(row) for row in LENET1_H3_TABLE) == 20
    shapes = [layer.output_shape for layer in model.layers if layer.count_params()]
    assert shapes == [(24, 24, 4), (12, 12, 4), (8, 8, 12), (4, 4, 12), (10,)]
    assert model(torch.zeros(2, 28, 28, 1)).shape == (2, 10)


def test_partial_conv_uses_only_its_table():
    layer = PartialConv2D([(0,), (1, 2)], kernel_size=3)
    x = torch.randn(2, 6, 6, 3)
    y = layer(x)
    x2 = x.clone()
    x2[..., 1:] += 5.0  # map 0 of the output must not see input maps 1 and 2
    assert torch.equal(layer(x2)[..., 0], y[..., 0]) and not torch.equal(layer(x2)[..., 1], y[..., 1])
    with pytest.raises(ShapeError, match="input map 4"):
        PartialConv2D([(4,)])(x)
    with pytest.raises(ConfigError, match="table"):
        PartialConv2D([()])


def _digits_32() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = np.pad(np.kron(d.images / 16.0, np.ones((3, 3))), ((0, 0), (4, 4), (4, 4)))[..., None]
    return x.astype(np.float32), d.target


def test_lenet5_learns_digits_and_round_trips(tmp_path):
    matnn.set_seed(0)
    x, y = _digits_32()
    model = lenet5()
    model.compile(
        optimizer=matnn.optimizers.Adam(1e-3),
        loss=matnn.losses.CategoricalCrossentropy(from_logits=True),
        metrics=["categorical_accuracy"],
    )
    onehot = matnn.utils.to_categorical(y, 10)
    model.fit(x[:1200], onehot[:1200], epochs=2, batch_size=32, verbose=0)
    loss, acc = model.evaluate(x[1200:], onehot[1200:])
    assert acc > 0.8  # two epochs on 1 200 digits (chance 0.1)
    model.save(tmp_path / "lenet5.matnn")
    again = matnn.load_model(tmp_path / "lenet5.matnn")
    np.testing.assert_allclose(again.predict(x[:5]), model.predict(x[:5]), atol=1e-6)
