"""Save → load gives identical predictions; a killed run resumes to the same weights."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import matnn
from matnn.layers import (
    GRU,
    LSTM,
    Activation,
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
    MaxPooling1D,
    MaxPooling2D,
    Normalization,
    Rescaling,
    Reshape,
    UpSampling1D,
    UpSampling2D,
)

rng = np.random.default_rng(0)


def _roundtrip(model, x, tmp_path):
    before = model.predict(x)
    path = tmp_path / "model.matnn"
    model.save(path)
    loaded = matnn.load_model(path)
    after = loaded.predict(x)
    return before, after, loaded


def test_sequential_cnn_with_every_spatial_layer_roundtrips(tmp_path):
    x = rng.normal(size=(6, 16, 16, 2)).astype("float32")
    norm = Normalization(input_shape=(16, 16, 2))
    norm.adapt(x)
    model = matnn.Sequential(
        [
            norm,
            Conv2D(4, 3, padding="same", activation="relu"),
            BatchNormalization(),
            MaxPooling2D(2),
            Conv2D(4, 3, activation="elu"),
            AveragePooling2D(2, padding="same"),
            UpSampling2D(2),
            Dropout(0.3),
            GlobalAveragePooling2D(),
            Dense(5, activation="softmax"),
        ]
    )
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, np.eye(5)[rng.integers(0, 5, 6)], epochs=2, verbose=0)
    before, after, loaded = _roundtrip(model, x, tmp_path)
    np.testing.assert_array_equal(before, after)
    assert loaded.compiled and loaded.metrics_names == ["loss", "accuracy"]
    # the input scaling travelled with the file
    np.testing.assert_allclose(loaded.layers[0].mean.numpy(), x.reshape(-1, 2).mean(0), rtol=1e-5)


def test_sequence_models_roundtrip(tmp_path):
    x = rng.normal(size=(5, 12, 3)).astype("float32")
    model = matnn.Sequential(
        [
            Conv1D(4, 3, padding="causal", input_shape=(12, 3)),
            MaxPooling1D(2),
            UpSampling1D(2),
            LSTM(6, return_sequences=True),
            GRU(4, return_sequences=True),
            GlobalAveragePooling1D(),
            Dense(1),
            Rescaling(2.0, 1.0),
        ]
    )
    before, after, _ = _roundtrip(model, x, tmp_path)
    np.testing.assert_array_equal(before, after)


def test_functional_multi_input_with_embedding_roundtrips(tmp_path):
    tokens = matnn.Input((4,), dtype="int64", name="tokens")
    feats = matnn.Input((3,), name="features")
    e = Flatten()(Embedding(10, 2)(tokens))
    h = Concatenate()([e, Dense(4, activation="tanh")(feats)])
    out = Dense(1)(Activation("relu")(Reshape((12,))(h)))
    model = matnn.Model([tokens, feats], out)
    xt = rng.integers(0, 10, size=(7, 4))
    xf = rng.normal(size=(7, 3)).astype("float32")
    before, after, loaded = _roundtrip(model, [xt, xf], tmp_path)
    np.testing.assert_array_equal(before, after)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]


@matnn.register_serializable("tests>TwoLayer")
class TwoLayer(matnn.Model):
    def __init__(self, hidden: int = 8) -> None:
        super().__init__()
        self.hidden = hidden
        self.a = torch.nn.Linear(3, hidden)
        self.b = torch.nn.Linear(hidden, 1)

    def forward(self, x):
        return self.b(torch.tanh(self.a(x)))

    def get_config(self):
        return {"hidden": self.hidden}


def test_subclassed_model_and_metadata_roundtrip(tmp_path):
    model = TwoLayer(5)
    model.metadata = {"target": "formation energy", "units": "eV/atom"}
    x = rng.normal(size=(4, 3)).astype("float32")
    before, after, loaded = _roundtrip(model, x, tmp_path)
    np.testing.assert_array_equal(before, after)
    assert isinstance(loaded, TwoLayer) and loaded.hidden == 5
    assert loaded.metadata == model.metadata


def test_unregistered_model_cannot_be_saved(tmp_path):
    class Anonymous(matnn.Model):
        def forward(self, x):
            return x

    with pytest.raises(matnn.ConfigError, match="register_serializable"):
        Anonymous().save(tmp_path / "m.matnn")


def test_weights_only_file_and_get_set_weights(tmp_path):
    a = matnn.Sequential([Dense(3, input_shape=(2,)), Dense(1)])
    b = matnn.Sequential([Dense(3, input_shape=(2,)), Dense(1)])
    a.save_weights(tmp_path / "w.pt")
    b.load_weights(tmp_path / "w.pt")
    x = rng.normal(size=(3, 2)).astype("float32")
    np.testing.assert_array_equal(a.predict(x), b.predict(x))
    c = matnn.Sequential([Dense(3, input_shape=(2,)), Dense(1)])
    c.set_weights(a.get_weights())
    np.testing.assert_array_equal(a.predict(x), c.predict(x))
    wrong = matnn.Sequential([Dense(4, input_shape=(2,)), Dense(1)])
    with pytest.raises(matnn.DataError, match="shape"):
        wrong.load_weights(tmp_path / "w.pt")


SCRIPT = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    import matnn
    from matnn.layers import Dense, Dropout
    matnn.set_num_threads(1)
    matnn.set_seed(11)
    rng = np.random.default_rng(11)
    x = rng.normal(size=(200, 5)).astype("float32")
    y = (x @ np.arange(5) + rng.normal(size=200)).astype("float32")
    model = matnn.Sequential([Dense(16, activation="relu", input_shape=(5,)), Dropout(0.2), Dense(1)])
    model.compile(optimizer=matnn.optimizers.Adam(1e-2), loss="mse")
    callbacks = [matnn.callbacks.EarlyStopping(patience=50), matnn.callbacks.ReduceLROnPlateau(patience=2, factor=0.5),
                 matnn.callbacks.BackupAndRestore(sys.argv[1])]
    kill_at = int(sys.argv[3])
    if kill_at >= 0:
        callbacks.append(matnn.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: os._exit(7) if e == kill_at else None))
    model.fit(x, y, epochs=10, batch_size=16, validation_split=0.2, callbacks=callbacks, verbose=0)
    np.save(sys.argv[2], np.concatenate([w.ravel() for w in model.get_weights()]))
    """
)


def test_killed_run_resumes_to_identical_weights(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    run = lambda *a: subprocess.run([sys.executable, str(script), *map(str, a)], capture_output=True, text=True)  # noqa: E731
    ref = run(tmp_path / "backup_a", tmp_path / "ref.npy", -1)
    assert ref.returncode == 0, ref.stderr
    killed = run(tmp_path / "backup_b", tmp_path / "unused.npy", 6)
    assert killed.returncode == 7  # died at the start of epoch 7, after the backup of epoch 6
    assert (tmp_path / "backup_b" / "training_state.pt").exists()
    resumed = run(tmp_path / "backup_b", tmp_path / "resumed.npy", -1)
    assert resumed.returncode == 0, resumed.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "ref.npy"), np.load(tmp_path / "resumed.npy"))
    assert not (tmp_path / "backup_b").exists()  # the backup and its emptied folder are removed after success
