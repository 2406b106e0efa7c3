"""Layers: output shapes as in Keras, gradients against finite differences, NumPy references."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import matnn
from matnn.layers import (
    GRU,
    LSTM,
    Activation,
    AveragePooling1D,
    AveragePooling2D,
    BatchNormalization,
    Concatenate,
    Conv1D,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    LayerNormalization,
    MaxPooling1D,
    MaxPooling2D,
    Normalization,
    Reshape,
    UpSampling1D,
    UpSampling2D,
)

# (layer factory, per-sample input shape, expected per-sample output shape) — Keras's shapes.
SHAPE_CASES = [
    (lambda: Dense(7), (5,), (7,)),
    (lambda: Dense(7), (3, 5), (3, 7)),
    (lambda: Activation("softmax", temperature=2.0), (4,), (4,)),
    (lambda: BatchNormalization(), (6, 6, 3), (6, 6, 3)),
    (lambda: LayerNormalization(), (4, 5), (4, 5)),
    (lambda: Conv1D(4, 3), (10, 2), (8, 4)),
    (lambda: Conv1D(4, 3, padding="same"), (10, 2), (10, 4)),
    (lambda: Conv1D(4, 3, strides=2, padding="same"), (9, 2), (5, 4)),
    (lambda: Conv1D(4, 3, padding="causal", dilation_rate=2), (10, 2), (10, 4)),
    (lambda: Conv2D(4, 3), (7, 6, 2), (5, 4, 4)),
    (lambda: Conv2D(4, (3, 2), padding="same", strides=2), (7, 6, 2), (4, 3, 4)),
    (lambda: MaxPooling1D(2), (9, 3), (4, 3)),
    (lambda: MaxPooling2D(2, padding="same"), (7, 7, 3), (4, 4, 3)),
    (lambda: AveragePooling1D(3, strides=1), (9, 3), (7, 3)),
    (lambda: AveragePooling2D(2, padding="same"), (5, 5, 2), (3, 3, 2)),
    (lambda: GlobalAveragePooling1D(), (9, 3), (3,)),
    (lambda: GlobalAveragePooling2D(), (5, 4, 3), (3,)),
    (lambda: Flatten(), (5, 4, 3), (60,)),
    (lambda: Reshape((-1, 2)), (3, 4), (6, 2)),
    (lambda: UpSampling1D(3), (4, 2), (12, 2)),
    (lambda: UpSampling2D((2, 3)), (4, 2, 1), (8, 6, 1)),
    (lambda: UpSampling2D(2, interpolation="bilinear"), (4, 2, 1), (8, 4, 1)),
    (lambda: LSTM(6), (5, 3), (6,)),
    (lambda: LSTM(6, return_sequences=True), (5, 3), (5, 6)),
    (lambda: GRU(6), (5, 3), (6,)),
    (lambda: GRU(6, return_sequences=True), (5, 3), (5, 6)),
    (lambda: Dropout(0.3), (4, 3), (4, 3)),
]


@pytest.mark.parametrize("factory,in_shape,out_shape", SHAPE_CASES)
def test_output_shape_matches_declared_and_keras(factory, in_shape, out_shape):
    layer = factory()
    assert layer.build_for(in_shape) == out_shape
    y = layer(torch.randn(2, *in_shape))
    assert tuple(y.shape[1:]) == out_shape


@pytest.mark.parametrize(
    "factory,in_shape,out_shape", [c for c in SHAPE_CASES if "Dropout" not in repr(c[0].__code__.co_names)]
)
def test_gradients_match_finite_differences(factory, in_shape, out_shape):
    layer = factory()
    layer.build_for(in_shape)
    layer.double()
    layer.eval() if isinstance(layer, BatchNormalization) else layer.train()
    x = torch.randn(3, *in_shape, dtype=torch.float64, requires_grad=True)
    params = [p for p in layer.parameters()]
    # gradcheck with respect to the input and every weight, via a functional wrapper
    names = [n for n, _ in layer.named_parameters()]

    def f(x, *ps):
        out = torch.func.functional_call(layer, dict(zip(names, ps, strict=True)), (x,))
        return out

    inputs = (x, *[p.detach().clone().requires_grad_(True) for p in params])
    assert torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-4)


def test_batchnorm_training_gradients_match_finite_differences():
    layer = BatchNormalization()
    layer.build_for((4, 3))
    layer.double().train()
    x = torch.randn(5, 4, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: layer(t), (x,), eps=1e-6, atol=1e-5)


def test_batchnorm_handles_a_last_batch_of_one_sample():
    # 65 samples in batches of 32 end on a batch of one, which has no variance (torch raises).
    layer = BatchNormalization()
    layer.build_for((3,))
    layer.train()
    layer.moving_mean.fill_(0.5)
    layer.moving_variance.fill_(4.0)
    x = torch.tensor([[1.0, 2.0, 3.0]])
    out = layer(x)
    torch.testing.assert_close(out, (x - 0.5) / torch.sqrt(torch.tensor(4.0 + layer.epsilon)))
    assert torch.all(layer.moving_mean == 0.5) and torch.all(layer.moving_variance == 4.0)
    layer(torch.randn(4, 3))  # two or more samples: batch statistics, moving averages updated
    assert not torch.all(layer.moving_mean == 0.5)
    model = matnn.Sequential([Dense(8, input_shape=(3,)), BatchNormalization(), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).random((65, 3)).astype("float32")
    hist = model.fit(x, x.sum(1), epochs=2, batch_size=32, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()


def test_embedding_lookup_and_gradient():
    emb = Embedding(10, 3)
    idx = torch.tensor([[1, 2], [2, 9]])
    out = emb(idx)
    assert out.shape == (2, 2, 3)
    out.sum().backward()
    # row 2 is used twice, rows 1 and 9 once, every other row never
    counts = emb.embeddings.grad[:, 0]
    assert counts.tolist() == [0, 1, 2, 0, 0, 0, 0, 0, 0, 1]


def _numpy_conv2d_valid(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Direct sum of element-wise products, channels-last, kernel (kh, kw, cin, cout)."""
    n, h, wd, _ = x.shape
    kh, kw, _, cout = w.shape
    out = np.zeros((n, h - kh + 1, wd - kw + 1, cout))
    for i in range(h - kh + 1):
        for j in range(wd - kw + 1):
            patch = x[:, i : i + kh, j : j + kw, :]
            out[:, i, j, :] = np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2])) + b
    return out


def test_conv2d_equals_sum_of_elementwise_products():
    layer = Conv2D(3, (3, 2))
    x = np.random.default_rng(0).normal(size=(2, 6, 5, 4))
    y = layer(torch.tensor(x, dtype=torch.float32)).detach().numpy()
    w = layer.weight.detach().numpy().transpose(2, 3, 1, 0)  # (out,in,kh,kw) → (kh,kw,in,out)
    ref = _numpy_conv2d_valid(x, w, layer.bias.detach().numpy())
    np.testing.assert_allclose(y, ref, atol=1e-5)


def test_same_padding_pools_ignore_padded_cells():
    x = torch.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    avg = AveragePooling2D(2, padding="same")(x)
    # bottom-right window covers only the cell 9; a zero-padded average would give 9/4
    assert avg[0, 1, 1, 0].item() == pytest.approx(9.0)
    mx = MaxPooling2D(2, padding="same")(-x)
    assert mx[0, 1, 1, 0].item() == pytest.approx(-9.0)


def test_flatten_is_channels_last_order():
    x = torch.arange(12.0).reshape(1, 2, 3, 2)
    assert Flatten()(x).tolist()[0] == list(range(12))


def test_softmax_temperature_flattens_distribution():
    z = torch.tensor([[1.0, 2.0, 3.0]])
    p1 = Activation("softmax")(z)
    p5 = Activation("softmax", temperature=5.0)(z)
    assert torch.allclose(p1.sum(), torch.tensor(1.0)) and torch.allclose(p5.sum(), torch.tensor(1.0))
    assert p5.max() < p1.max()


def test_normalization_adapt_standardises():
    x = np.random.default_rng(1).normal(5.0, 3.0, size=(400, 4))
    norm = Normalization()
    norm.adapt(x)
    z = norm(torch.tensor(x, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(z.std(0), 1, atol=1e-3)


def test_concatenate_in_functional_model():
    a, b = matnn.Input((3,)), matnn.Input((2,))
    out = Concatenate()([a, b])
    assert out.shape == (5,)


@pytest.mark.parametrize(
    "bad",
    [
        lambda: Dense(0),
        lambda: Dense(3.5),
        lambda: Conv2D(4, 0),
        lambda: Conv1D(4, 3, padding="full"),
        lambda: Dropout(1.5),
        lambda: Dense(4, activation="relux"),
        lambda: Dense(4, kernel_initializer="glorot"),
    ],
)
def test_bad_layer_arguments_raise_config_errors(bad):
    with pytest.raises(matnn.ConfigError):
        bad()


def test_unknown_activation_suggests_close_match():
    with pytest.raises(matnn.ConfigError, match="relu"):
        Dense(4, activation="rellu")
