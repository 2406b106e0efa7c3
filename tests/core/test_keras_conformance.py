"""matnn speaks Keras: every layer, loss, metric, optimizer and callback that matnn exports under a
Keras name is checked against Keras 3 itself (torch backend).

(a) The constructor takes each of Keras's keyword arguments at Keras's default value; a keyword
    matnn does not implement, set to another value, is a ConfigError naming it (never a TypeError).
(b) Forward agreement with the same weights and inputs: layers (weights copied Keras → matnn,
    kernel layouts converted), losses and metrics on the same arrays, and optimizer steps on the
    same quadratic. Tolerance: float32, ``atol = 1e-5`` and ``rtol = 1e-5`` (``TOL`` below).

``NO_FORWARD`` lists the names without a forward check and why; a test makes sure every exported
Keras name is either checked or listed there.
"""

from __future__ import annotations

import inspect
import os

import numpy as np
import pytest
import torch

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras", reason="keras 3 is needed for the conformance checks (pip install keras)")
if keras.backend.backend() != "torch":  # pragma: no cover - another backend was chosen before this module
    pytest.skip(
        f"keras runs on the {keras.backend.backend()} backend; these checks need KERAS_BACKEND=torch",
        allow_module_level=True,
    )

import matnn  # noqa: E402
from matnn.core.exceptions import ConfigError  # noqa: E402

TOL = {"atol": 1e-5, "rtol": 1e-5}
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
FAMILIES = ("layers", "losses", "metrics", "optimizers", "callbacks")  # classes; loss functions and activations below


def _shared_names() -> list[tuple[str, str]]:
    out = []
    for fam in FAMILIES:
        mod, kmod = getattr(matnn, fam), getattr(keras, fam)
        for name in mod.__all__:
            if inspect.isclass(getattr(mod, name)) and inspect.isclass(getattr(kmod, name, None)):
                out.append((fam, name))
    return out


SHARED = _shared_names()

# ------------------------------------------------------------------------------------ (a) keywords


def _required(fam: str, name: str, tmp_path) -> dict:
    req = {
        "Dense": {"units": 3},
        "Activation": {"activation": "relu"},
        "Dropout": {"rate": 0.5},
        "Rescaling": {"scale": 2.0},
        "Reshape": {"target_shape": (4,)},
        "Embedding": {"input_dim": 5, "output_dim": 3},
        "LSTM": {"units": 3},
        "GRU": {"units": 3},
        "Lambda": {"function": _double},
        "InputLayer": {"shape": (3,)},
        "MeanMetricWrapper": {"fn": matnn.losses.mean_squared_error},
        "ModelCheckpoint": {"filepath": str(tmp_path / "m.matnn")},
        "BackupAndRestore": {"backup_dir": str(tmp_path)},
        "LearningRateScheduler": {"schedule": lambda epoch, lr: lr},
        "CSVLogger": {"filename": str(tmp_path / "h.csv")},
    }
    if fam == "layers" and name.startswith("Conv"):
        return {"filters": 2, "kernel_size": 3}
    if fam == "layers" and name.startswith(("AveragePooling", "AvgPool")):
        return {"pool_size": 2}
    if fam == "optimizers" and name == "Optimizer":
        return {"learning_rate": 0.01}
    return req.get(name, {})


class _NotADefault:
    def __repr__(self) -> str:
        return "<not a default>"


def _double(x):
    return x * 2.0 + 1.0


def _declared(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        if "__init__" in vars(klass) and klass is not object:
            names |= {
                k
                for k, p in inspect.signature(klass.__init__).parameters.items()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            }
    return names


@pytest.mark.parametrize(("fam", "name"), SHARED, ids=[f"{f}.{n}" for f, n in SHARED])
def test_constructor_takes_keras_keywords(fam, name, tmp_path):
    cls, kcls = getattr(getattr(matnn, fam), name), getattr(getattr(keras, fam), name)
    required = _required(fam, name, tmp_path)
    kparams = {
        k: p
        for k, p in inspect.signature(kcls.__init__).parameters.items()
        if k != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    for key, p in kparams.items():
        if p.default is inspect.Parameter.empty:
            assert key in required, f"{name}: Keras's required argument {key!r} is not exercised by this test"
            continue
        if key in required:
            continue
        cls(**required, **{key: p.default})  # Keras's default is always accepted
    own = _declared(cls)
    for key, p in kparams.items():
        if key in own or key in required or p.default is inspect.Parameter.empty:
            continue
        with pytest.raises(ConfigError, match=key):
            cls(**required, **{key: _NotADefault()})
    # Keras's **kwargs: layer/optimizer options (refused when unknown), except where Keras forwards them
    # to a function (MeanMetricWrapper) or into a dict (CallbackList's fit parameters).
    if name not in ("MeanMetricWrapper", "CallbackList") and any(
        p.kind == p.VAR_KEYWORD for p in inspect.signature(kcls.__init__).parameters.values()
    ):
        with pytest.raises(ConfigError, match="not_a_keras_keyword"):
            cls(**required, not_a_keras_keyword=1)


def test_refusal_is_one_line_naming_the_keyword():
    with pytest.raises(ConfigError) as err:
        matnn.layers.Dense(3, kernel_constraint=keras.constraints.NonNeg())
    assert "'kernel_constraint' of Dense" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="'data_format' of Conv2D"):
        matnn.layers.Conv2D(2, 3, data_format="channels_first")
    with pytest.raises(ConfigError, match="Did you mean 'use_bias'"):
        matnn.layers.Dense(3, use_bais=False)
    with pytest.raises(ConfigError, match="use_ema"):
        matnn.optimizers.Adam(use_ema=True)


# ------------------------------------------------------------------------------------ (b) layers

RNG = np.random.default_rng(0)


def _k(x):
    return keras.ops.convert_to_numpy(x)


def _to_matnn(name: str, kl, ml) -> None:
    """Copy the weights of Keras layer ``kl`` into matnn layer ``ml`` (both built)."""
    w = [np.asarray(_k(v)) for v in kl.weights]
    t = lambda a: torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32)  # noqa: E731
    with torch.no_grad():
        if name == "Dense":
            ml.weight.copy_(t(w[0].T))
            ml.bias.copy_(t(w[1]))
        elif name in ("Conv1D", "Convolution1D"):
            ml.weight.copy_(t(w[0].transpose(2, 1, 0)))
            ml.bias.copy_(t(w[1]))
        elif name in ("Conv2D", "Convolution2D"):
            ml.weight.copy_(t(w[0].transpose(3, 2, 0, 1)))
            ml.bias.copy_(t(w[1]))
        elif name in ("Conv2DTranspose", "Convolution2DTranspose"):
            # Keras (kh, kw, filters, in) → torch (in, filters, kh, kw)
            ml.weight.copy_(t(w[0].transpose(3, 2, 0, 1)))
            ml.bias.copy_(t(w[1]))
        elif name == "BatchNormalization":
            for p, a in zip((ml.gamma, ml.beta, ml.moving_mean, ml.moving_variance), w, strict=True):
                p.copy_(t(a))
        elif name == "LayerNormalization":
            ml.gamma.copy_(t(w[0]))
            ml.beta.copy_(t(w[1]))
        elif name == "Embedding":
            ml.embeddings.copy_(t(w[0]))
        elif name == "LSTM":  # gates i, f, c, o in both; one Keras bias → torch's input bias
            ml.rnn.weight_ih_l0.copy_(t(w[0].T))
            ml.rnn.weight_hh_l0.copy_(t(w[1].T))
            ml.rnn.bias_ih_l0.copy_(t(w[2]))
            ml.rnn.bias_hh_l0.zero_()
        elif name == "GRU":  # Keras gates z, r, h; torch r, z, n; reset_after: input and recurrent biases
            u = ml.units
            perm = np.r_[u : 2 * u, 0:u, 2 * u : 3 * u]
            ml.rnn.weight_ih_l0.copy_(t(w[0][:, perm].T))
            ml.rnn.weight_hh_l0.copy_(t(w[1][:, perm].T))
            ml.rnn.bias_ih_l0.copy_(t(w[2][0, perm]))
            ml.rnn.bias_hh_l0.copy_(t(w[2][1, perm]))
        else:
            assert not w, f"no weight conversion written for {name}"


_X_POOL1, _X_POOL2 = (9, 3), (7, 8, 2)

#: name → list of (constructor kwargs, per-sample input shape or "pair" or ("int", shape))
LAYER_CASES: dict[str, list[tuple[dict, object]]] = {
    "Dense": [({"units": 4, "activation": "tanh"}, (5,)), ({"units": 2, "use_bias": True}, (3, 5))],
    "Activation": [({"activation": "softmax"}, (6,)), ({"activation": "gelu"}, (6,))],
    "Dropout": [({"rate": 0.5}, (6,)), ({"rate": 0.3, "noise_shape": (None, 1), "seed": 3}, (6,))],
    "LeakyReLU": [({}, (6,)), ({"negative_slope": 0.1}, (6,))],
    "Lambda": [({"function": _double}, (4,))],
    "BatchNormalization": [({}, (4, 4, 3)), ({"epsilon": 0.01, "momentum": 0.9}, (5,))],
    "LayerNormalization": [({}, (5,)), ({"epsilon": 1e-5}, (2, 5))],
    "Normalization": [
        ({"mean": [0.5, -1.0, 2.0], "variance": [4.0, 0.25, 1.0]}, (3,)),
        ({"mean": [0.5, -1.0, 2.0], "variance": [4.0, 0.25, 1.0], "invert": True}, (3,)),
    ],
    "Rescaling": [({"scale": 0.5, "offset": 1.0}, (3,))],
    "Conv1D": [
        ({"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}, (10, 3)),
        ({"filters": 4, "kernel_size": 2, "strides": 2, "padding": "same", "groups": 3 - 1}, (9, 2)),
    ],
    "Conv2D": [
        ({"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"}, (9, 8, 2)),
        ({"filters": 4, "kernel_size": (3, 2), "groups": 2}, (6, 5, 2)),
    ],
    "Conv2DTranspose": [
        ({"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (5, 4, 2)),
        ({"filters": 3, "kernel_size": 3, "strides": 2}, (5, 4, 2)),
        ({"filters": 2, "kernel_size": 2, "strides": 3}, (4, 3, 2)),
        ({"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 0}, (4, 5, 1)),
        ({"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same"}, (4, 5, 1)),
    ],
    "MaxPooling1D": [({"pool_size": 2}, _X_POOL1), ({"pool_size": 3, "strides": 2, "padding": "same"}, _X_POOL1)],
    "AveragePooling1D": [({"pool_size": 2}, _X_POOL1), ({"pool_size": 3, "strides": 2, "padding": "same"}, _X_POOL1)],
    "MaxPooling2D": [({}, _X_POOL2), ({"pool_size": 3, "strides": 2, "padding": "same"}, _X_POOL2)],
    # 'same' with symmetric padding here: see test_average_pooling_asymmetric_same_padding_is_tensorflows
    "AveragePooling2D": [({"pool_size": 2}, _X_POOL2), ({"pool_size": 3, "strides": 2, "padding": "same"}, (7, 7, 2))],
    "GlobalAveragePooling1D": [({}, _X_POOL1), ({"keepdims": True}, _X_POOL1)],
    "GlobalMaxPooling1D": [({}, _X_POOL1)],
    "GlobalAveragePooling2D": [({}, _X_POOL2), ({"keepdims": True}, _X_POOL2)],
    "GlobalMaxPooling2D": [({}, _X_POOL2)],
    "Flatten": [({}, (3, 4, 2))],
    "Reshape": [({"target_shape": (4, 6)}, (24,)), ({"target_shape": (-1, 3)}, (4, 3))],
    "UpSampling1D": [({"size": 3}, (4, 2))],
    "UpSampling2D": [({"size": (2, 3)}, (3, 4, 2)), ({"size": 2, "interpolation": "bilinear"}, (3, 4, 2))],
    "Embedding": [({"input_dim": 7, "output_dim": 3}, ("int", (5,)))],
    "LSTM": [({"units": 4, "return_sequences": True}, (6, 3)), ({"units": 3, "go_backwards": True}, (5, 2))],
    "GRU": [({"units": 4}, (6, 3)), ({"units": 2, "return_sequences": True}, (5, 3))],
    "Concatenate": [({}, "pair")],
    "Add": [({}, "pair")],
    "Subtract": [({}, "pair")],
    "Multiply": [({}, "pair")],
    "Average": [({}, "pair")],
}
# Keras's other names of the same classes run the same cases.
for _alias, _long in (
    ("MaxPool1D", "MaxPooling1D"),
    ("MaxPool2D", "MaxPooling2D"),
    ("AvgPool1D", "AveragePooling1D"),
    ("AvgPool2D", "AveragePooling2D"),
    ("GlobalAvgPool1D", "GlobalAveragePooling1D"),
    ("GlobalAvgPool2D", "GlobalAveragePooling2D"),
    ("GlobalMaxPool1D", "GlobalMaxPooling1D"),
    ("GlobalMaxPool2D", "GlobalMaxPooling2D"),
    ("Convolution1D", "Conv1D"),
    ("Convolution2D", "Conv2D"),
    ("Convolution2DTranspose", "Conv2DTranspose"),
):
    LAYER_CASES[_alias] = LAYER_CASES[_long]

LAYER_PARAMS = [(n, i) for n in LAYER_CASES for i in range(len(LAYER_CASES[n]))]


def _inputs(spec, n: int = 4):
    if spec == "pair":
        return [RNG.normal(size=(n, 5)).astype(np.float32) for _ in range(2)]
    if isinstance(spec, tuple) and spec and spec[0] == "int":
        return RNG.integers(0, 7, size=(n, *spec[1])).astype(np.int64)
    return RNG.normal(size=(n, *spec)).astype(np.float32)


@pytest.mark.parametrize(("name", "case"), LAYER_PARAMS, ids=[f"{n}-{i}" for n, i in LAYER_PARAMS])
def test_layer_forward_agrees_with_keras(name, case):
    kwargs, spec = LAYER_CASES[name][case]
    klayer = getattr(keras.layers, name)(**kwargs)
    mlayer = getattr(matnn.layers, name)(**kwargs)
    x = _inputs(spec)
    ky = klayer(x, training=False) if name == "Dropout" else klayer(x)
    if name == "BatchNormalization":  # non-trivial moving statistics
        c = x.shape[-1]
        klayer.moving_mean.assign(RNG.normal(size=c).astype(np.float32))
        klayer.moving_variance.assign(RNG.uniform(0.5, 2.0, size=c).astype(np.float32))
        klayer.gamma.assign(RNG.normal(size=c).astype(np.float32))
        klayer.beta.assign(RNG.normal(size=c).astype(np.float32))
        ky = klayer(x, training=False)
    xt = [torch.as_tensor(a) for a in x] if isinstance(x, list) else torch.as_tensor(x)
    mlayer(xt)  # build
    _to_matnn(name, klayer, mlayer)
    mlayer.eval()
    with torch.no_grad():
        my = mlayer(xt)
    if name in ("LSTM", "GRU") or isinstance(ky, (list, tuple)):
        ky = ky[0] if isinstance(ky, (list, tuple)) else ky
        my = my[0] if isinstance(my, (list, tuple)) else my
    ky = _k(ky)
    assert tuple(my.shape) == ky.shape
    assert tuple(my.shape[1:]) == tuple(
        mlayer.compute_output_shape([tuple(a.shape[1:]) for a in x] if isinstance(x, list) else tuple(x.shape[1:]))
    )
    np.testing.assert_allclose(my.numpy(), ky, **TOL)


def test_average_pooling_asymmetric_same_padding_is_tensorflows():
    """Where 'same' pads unevenly (here one column on the right), Keras's torch backend pads by
    replicating the edge, so the border averages differ between Keras backends. matnn keeps the
    TensorFlow definition, which Keras documents: the mean over the real cells of each window."""
    x = _inputs((7, 8, 2), n=2)
    got = matnn.layers.AveragePooling2D(3, strides=2, padding="same")(torch.as_tensor(x)).numpy()
    padded = np.full((2, 9, 9, 2), np.nan, np.float32)
    padded[:, 1:8, 0:8] = x  # pads: rows (1, 1), columns (0, 1)
    want = np.stack(
        [
            np.stack([np.nanmean(padded[:, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3], axis=(1, 2)) for j in range(4)], 1)
            for i in range(4)
        ],
        1,
    )
    np.testing.assert_allclose(got, want, **TOL)


def test_dropout_with_noise_shape_and_seed_trains_like_keras():
    """Training-mode masks differ between libraries; their structure and scaling agree."""
    layer = matnn.layers.Dropout(0.5, noise_shape=(None, 1, 4), seed=1)
    x = torch.ones(64, 3, 4)
    y = layer(x)
    kept = y != 0
    assert torch.equal(kept, kept[:, :1, :].expand_as(kept))  # one mask per (sample, channel), shared over axis 1
    assert set(torch.unique(y).tolist()) <= {0.0, 2.0}
    assert torch.equal(matnn.layers.Dropout(0.5, seed=1)(x), matnn.layers.Dropout(0.5, seed=1)(x))


# ------------------------------------------------------------------------------------ (b) losses


def _probs(shape):
    z = RNG.normal(size=shape)
    return (np.exp(z) / np.exp(z).sum(-1, keepdims=True)).astype(np.float32)


def _onehot(n, k):
    return np.eye(k, dtype=np.float32)[RNG.integers(0, k, n)]


_Y = RNG.normal(size=(8, 3)).astype(np.float32)
_P = RNG.normal(size=(8, 3)).astype(np.float32)
_B = (RNG.uniform(size=(8, 3)) > 0.5).astype(np.float32)
_PB = RNG.uniform(0.01, 0.99, size=(8, 3)).astype(np.float32)
_W = RNG.uniform(0.2, 2.0, size=8).astype(np.float32)

LOSS_CASES: dict[str, list[tuple[dict, np.ndarray, np.ndarray]]] = {
    "MeanSquaredError": [({}, _Y, _P), ({"reduction": "sum"}, _Y, _P)],
    "MeanAbsoluteError": [({}, _Y, _P), ({"reduction": "mean_with_sample_weight"}, _Y, _P)],
    "Huber": [({"delta": 0.7}, _Y, _P)],
    "BinaryCrossentropy": [({}, _B, _PB), ({"from_logits": True, "label_smoothing": 0.1}, _B, _P)],
    "CategoricalCrossentropy": [
        ({}, _onehot(8, 4), _probs((8, 4))),
        ({"from_logits": True, "label_smoothing": 0.2}, _onehot(8, 4), _P[:, :3] * 3),
    ],
    "SparseCategoricalCrossentropy": [
        ({}, RNG.integers(0, 4, 8).astype(np.float32), _probs((8, 4))),
        ({"from_logits": True}, RNG.integers(0, 3, 8).astype(np.float32), _P),
    ],
    "KLDivergence": [({}, _probs((8, 5)), _probs((8, 5)))],
}
LOSS_CASES["CategoricalCrossentropy"][1] = ({"from_logits": True, "label_smoothing": 0.2}, _onehot(8, 3), _P * 3)
LOSS_PARAMS = [(n, i) for n in LOSS_CASES for i in range(len(LOSS_CASES[n]))]


@pytest.mark.parametrize(("name", "case"), LOSS_PARAMS, ids=[f"{n}-{i}" for n, i in LOSS_PARAMS])
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_agrees_with_keras(name, case, weighted):
    kwargs, y, p = LOSS_CASES[name][case]
    kl, ml = getattr(keras.losses, name)(**kwargs), getattr(matnn.losses, name)(**kwargs)
    w = _W if weighted else None
    want = _k(kl(y, p, sample_weight=w))
    got = ml(torch.as_tensor(y), torch.as_tensor(p), None if w is None else torch.as_tensor(w))
    np.testing.assert_allclose(got.detach().numpy(), want, **TOL)


LOSS_FUNCTIONS = {
    "mean_squared_error": (_Y, _P, {}),
    "mean_absolute_error": (_Y, _P, {}),
    "huber": (_Y, _P, {"delta": 0.5}),
    "binary_crossentropy": (_B, _PB, {"label_smoothing": 0.1}),
    "kl_divergence": (_probs((8, 5)), _probs((8, 5)), {}),
    "categorical_crossentropy": (_onehot(8, 3), _P, {"from_logits": True}),
    "sparse_categorical_crossentropy": (RNG.integers(0, 3, 8).astype(np.float32), _probs((8, 3)), {}),
}


@pytest.mark.parametrize("name", list(LOSS_FUNCTIONS))
def test_loss_function_gives_keras_per_sample_values(name):
    y, p, kwargs = LOSS_FUNCTIONS[name]
    want = _k(getattr(keras.losses, name)(y, p, **kwargs))
    got = getattr(matnn.losses, name)(torch.as_tensor(y), torch.as_tensor(p), **kwargs)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, **TOL)


ACTIVATION_CASES = [
    (n, {})
    for n in matnn.activations.__all__
    if inspect.isfunction(getattr(keras.activations, n, None)) and n not in ("get", "serialize")
]
ACTIVATION_CASES += [
    ("relu", {"negative_slope": 0.1, "max_value": 1.5, "threshold": 0.3}),
    ("relu", {"max_value": 6.0}),
    ("leaky_relu", {"negative_slope": 0.05}),
    ("elu", {"alpha": 0.5}),
    ("softmax", {"axis": 0}),
]


@pytest.mark.parametrize(("name", "kwargs"), ACTIVATION_CASES, ids=[f"{n}{kw or ''}" for n, kw in ACTIVATION_CASES])
def test_activation_agrees_with_keras(name, kwargs):
    x = np.linspace(-4, 4, 24, dtype=np.float32).reshape(4, 6)
    want = _k(getattr(keras.activations, name)(x, **kwargs))
    got = matnn.activations.get(name, **kwargs)(torch.as_tensor(x))
    np.testing.assert_allclose(got.numpy(), want, **TOL)


# ------------------------------------------------------------------------------------ (b) metrics

_LAB = RNG.integers(0, 3, size=(10, 1)).astype(np.float32)
METRIC_CASES: dict[str, list[tuple[dict, np.ndarray, np.ndarray]]] = {
    "Accuracy": [({}, _LAB, RNG.integers(0, 3, size=(10, 1)).astype(np.float32))],
    "BinaryAccuracy": [({}, _B, _PB), ({"threshold": 0.3}, _B, _PB)],
    "CategoricalAccuracy": [({}, _onehot(10, 4), _probs((10, 4)))],
    "SparseCategoricalAccuracy": [({}, _LAB, _probs((10, 3)))],
    "MeanAbsoluteError": [({}, _Y, _P)],
    "MeanSquaredError": [({}, _Y, _P)],
    "RootMeanSquaredError": [({}, _Y, _P)],
    "R2Score": [({}, _Y, _Y + 0.3 * _P)],
}
METRIC_PARAMS = [(n, i) for n in METRIC_CASES for i in range(len(METRIC_CASES[n]))]


@pytest.mark.parametrize(("name", "case"), METRIC_PARAMS, ids=[f"{n}-{i}" for n, i in METRIC_PARAMS])
@pytest.mark.parametrize("weighted", [False, True])
def test_metric_agrees_with_keras(name, case, weighted):
    kwargs, y, p = METRIC_CASES[name][case]
    km, mm = getattr(keras.metrics, name)(**kwargs), getattr(matnn.metrics, name)(**kwargs)
    n = len(y)
    w = RNG.uniform(0.2, 2.0, size=n).astype(np.float32) if weighted else None
    for sl in (slice(0, n // 2), slice(n // 2, n)):  # two batches accumulate
        km.update_state(y[sl], p[sl], sample_weight=None if w is None else w[sl])
        mm.update(torch.as_tensor(y[sl]), torch.as_tensor(p[sl]), None if w is None else torch.as_tensor(w[sl]))
    np.testing.assert_allclose(float(mm.result()), float(_k(km.result())), **TOL)
    assert mm.name == km.name


def test_accuracy_by_name_picks_the_kind_as_keras_compile_does():
    y, p = _onehot(10, 4), _probs((10, 4))
    m = matnn.metrics.get("accuracy")
    m.update(torch.as_tensor(y), torch.as_tensor(p))
    want = keras.metrics.CategoricalAccuracy()
    want.update_state(y, p)
    assert float(m.result()) == pytest.approx(float(_k(want.result())))


# ------------------------------------------------------------------------------------ (b) optimizers

OPT_CASES: dict[str, dict] = {
    "SGD": {"learning_rate": 0.1, "momentum": 0.9},
    "RMSprop": {"learning_rate": 0.01},
    "Adam": {"learning_rate": 0.01},
    "AdamW": {"learning_rate": 0.01, "weight_decay": 0.05},
    "Adadelta": {"learning_rate": 1.0},
    "Adagrad": {"learning_rate": 0.1},
    "Adamax": {"learning_rate": 0.01},
    "Nadam": {"learning_rate": 0.01},
    "Ftrl": {"learning_rate": 0.1, "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02, "beta": 0.1},
}
_A = np.array([3.0, 1.0, 0.5, 0.1], dtype=np.float32)
_C = np.array([1.0, -2.0, 0.5, 0.0], dtype=np.float32)
_W0 = np.array([0.5, -0.3, 2.0, 1.0], dtype=np.float32)


def _quadratic_grad(w: np.ndarray) -> np.ndarray:
    """∇ of ½ Σ a w² + c·w."""
    return _A * w + _C


def _steps(name: str, kwargs: dict, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    kopt = getattr(keras.optimizers, name)(**kwargs)
    kvar = keras.Variable(_W0.copy())
    mopt = getattr(matnn.optimizers, name)(**kwargs)
    mvar = torch.nn.Parameter(torch.as_tensor(_W0.copy()))
    mopt.build([mvar])
    for _ in range(n_steps):
        kopt.apply_gradients([(keras.ops.convert_to_tensor(_quadratic_grad(_k(kvar))), kvar)])
        mvar.grad = torch.as_tensor(_quadratic_grad(mvar.detach().numpy()))
        mopt.step()
    return mvar.detach().numpy(), _k(kvar)


@pytest.mark.parametrize("name", list(OPT_CASES))
def test_optimizer_steps_agree_with_keras(name):
    got, want = _steps(name, OPT_CASES[name], 1)
    np.testing.assert_allclose(got, want, **TOL)
    assert not np.allclose(got, _W0)  # the step moved the weights
    got, want = _steps(name, OPT_CASES[name], 5)
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)  # five steps: ε placement differs at 1e-6


@pytest.mark.parametrize("clip", [{"clipnorm": 0.5}, {"global_clipnorm": 0.5}, {"clipvalue": 0.2}])
def test_gradient_clipping_agrees_with_keras(clip):
    kopt = keras.optimizers.SGD(learning_rate=1.0, **clip)
    mopt = matnn.optimizers.SGD(learning_rate=1.0, **clip)
    g1, g2 = np.array([3.0, 4.0], np.float32), np.array([0.1, -0.2, 2.0], np.float32)
    kv = [keras.Variable(np.zeros(2, np.float32)), keras.Variable(np.zeros(3, np.float32))]
    mv = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))]
    mopt.build(mv)
    kopt.apply_gradients([(keras.ops.convert_to_tensor(g1), kv[0]), (keras.ops.convert_to_tensor(g2), kv[1])])
    mv[0].grad, mv[1].grad = torch.as_tensor(g1), torch.as_tensor(g2)
    mopt.step()
    for a, b in zip(mv, kv, strict=True):
        np.testing.assert_allclose(a.detach().numpy(), _k(b), **TOL)


# ------------------------------------------------------------------------------------ coverage

#: names with a constructor check only, and why there is no forward check
NO_FORWARD = {
    ("layers", "Layer"): "abstract base class (no computation of its own)",
    ("layers", "InputLayer"): "identity placeholder of the functional API",
    ("losses", "Loss"): "abstract base class",
    ("metrics", "Metric"): "abstract base class",
    ("metrics", "MeanMetricWrapper"): "wraps a user function; exercised through every metric above",
    ("optimizers", "Optimizer"): "abstract base class",
    **{
        ("callbacks", n): "training hooks: behaviour tested in test_training.py / test_saving_resume.py"
        for f, n in SHARED
        if f == "callbacks"
    },
}


def test_every_shared_name_is_checked_or_excused():
    forward = (
        {("layers", n) for n in LAYER_CASES}
        | {("losses", n) for n in LOSS_CASES}
        | {("metrics", n) for n in METRIC_CASES}
        | {("optimizers", n) for n in OPT_CASES}
    )
    missing = [f"{f}.{n}" for f, n in SHARED if (f, n) not in forward and (f, n) not in NO_FORWARD]
    assert not missing, f"add a forward case or a NO_FORWARD reason for: {missing}"
    stale = [f"{f}.{n}" for f, n in forward if (f, n) not in SHARED]
    assert not stale, f"forward cases for names matnn or Keras does not export: {stale}"
