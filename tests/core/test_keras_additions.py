"""The Keras names added for conformance save, load and train like the other layers and optimizers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import matnn
from matnn.core.exceptions import ConfigError
from matnn.layers import (
    AvgPool2D,
    Conv2D,
    Conv2DTranspose,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    Lambda,
    LeakyReLU,
    MaxPool2D,
)
from matnn.utils import to_categorical


def halve(x):
    return 0.5 * x


def test_new_layers_and_ftrl_save_and_load(tmp_path):
    matnn.set_seed(0)
    model = matnn.Sequential(
        [
            Conv2D(4, 3, padding="same", groups=1, input_shape=(8, 8, 2)),
            LeakyReLU(),
            Dropout(0.25, noise_shape=(None, 1, 1, 4), seed=7),
            Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1),
            MaxPool2D(2),
            AvgPool2D(2, padding="same"),
            Lambda(halve),
            GlobalAvgPool2D(),
            Dense(2),
        ]
    )
    model.compile(optimizer=matnn.optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=0.001), loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 8, 8, 2)).astype(np.float32)
    y = np.random.default_rng(1).normal(size=(16, 2)).astype(np.float32)
    hist = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()
    assert isinstance(model.evaluate(x, y), float)
    model.save(tmp_path / "m.matnn")
    again = matnn.load_model(tmp_path / "m.matnn")
    np.testing.assert_allclose(again.predict(x), model.predict(x), atol=1e-6)
    assert [type(layer).__name__ for layer in again.layers][3] == "Conv2DTranspose"
    assert again.layers[2].noise_shape == (None, 1, 1, 4) and again.layers[2].seed == 7


def test_anonymous_lambda_refuses_to_save(tmp_path):
    model = matnn.Sequential([Dense(2, input_shape=(3,)), Lambda(lambda t: t * 2)])
    model.compile("adam", "mse")
    with pytest.raises(ConfigError, match="Lambda"):
        model.save(tmp_path / "m.matnn")


def test_evaluate_returns_what_keras_returns():
    model = matnn.Sequential([Flatten(input_shape=(2, 2)), Dense(3, activation="softmax")])
    x = np.random.default_rng(0).normal(size=(20, 2, 2)).astype(np.float32)
    y = to_categorical(np.arange(20) % 3)
    model.compile("adam", "categorical_crossentropy")
    assert isinstance(model.evaluate(x, y), float)
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy", "mse"])
    loss, acc, mse = model.evaluate(x, y)
    d = model.evaluate(x, y, return_dict=True)
    assert d == {"loss": loss, "accuracy": acc, "mse": mse}
    with pytest.raises(ConfigError, match="steps"):
        model.evaluate(x, y, steps=2)


def test_to_categorical_matches_keras_conventions():
    np.testing.assert_array_equal(to_categorical([2, 0]), [[0, 0, 1], [1, 0, 0]])
    assert to_categorical(np.array([[1], [0]]), 3).shape == (2, 3)  # trailing axis of 1 dropped
    assert to_categorical([1.0, 2.0]).dtype == np.float32
    with pytest.raises(ValueError, match="integer"):
        to_categorical([0.5])
    with pytest.raises(ValueError, match="num_classes=2"):
        to_categorical([0, 2], 2)


def test_clipnorm_is_per_weight_and_global_clipnorm_global():
    w1, w2 = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(1))
    opt = matnn.optimizers.SGD(learning_rate=1.0, clipnorm=1.0)
    opt.build([w1, w2])
    w1.grad, w2.grad = torch.tensor([3.0, 4.0]), torch.tensor([0.5])
    opt.step()
    assert torch.allclose(w1.detach(), torch.tensor([-0.6, -0.8])) and torch.allclose(w2.detach(), torch.tensor([-0.5]))
    w1.data.zero_(), w2.data.zero_()
    opt = matnn.optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0)
    opt.build([w1, w2])
    w1.grad, w2.grad = torch.tensor([3.0, 4.0]), torch.tensor([0.0])
    opt.step()
    assert torch.allclose(w1.detach(), torch.tensor([-0.6, -0.8]), atol=1e-5)
