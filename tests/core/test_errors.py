"""Bad input gives a MatnnError that says what is wrong, never a deep traceback or a silent NaN."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import matnn
from matnn.layers import Conv2D, Dense, Flatten


def small() -> matnn.Sequential:
    model = matnn.Sequential([Dense(8, activation="relu", input_shape=(3,)), Dense(1)])
    model.compile("adam", "mse")
    return model


def test_wrong_feature_count_names_expected_and_received_shapes():
    with pytest.raises(matnn.ShapeError, match=r"\(None, 3\).*\(n, 5\)"):
        small().fit(np.zeros((10, 5)), np.zeros(10), verbose=0)


def test_missing_channel_axis_gives_hint():
    model = matnn.Sequential([Conv2D(4, 3, input_shape=(8, 8, 1)), Flatten(), Dense(1)])
    model.compile("adam", "mse")
    with pytest.raises(matnn.ShapeError, match=r"x\[\.\.\., None\]"):
        model.fit(np.zeros((4, 8, 8)), np.zeros(4), verbose=0)


def test_layer_incompatible_with_previous_output_is_caught_when_added():
    model = matnn.Sequential([Dense(8, input_shape=(3,))])
    with pytest.raises(matnn.ShapeError, match=r"conv2d.*\(8,\)"):
        model.add(Conv2D(2, 3))


def test_nan_in_inputs_names_row_and_column():
    x = np.zeros((10, 3))
    x[7, 2] = np.nan
    with pytest.raises(matnn.DataError, match="NaN at row 7, column 2"):
        small().fit(x, np.zeros(10), verbose=0)


def test_inf_in_targets_is_reported():
    y = np.zeros(10)
    y[4] = np.inf
    with pytest.raises(matnn.DataError, match="Target y contains an infinite value at row 4"):
        small().fit(np.zeros((10, 3)), y, verbose=0)


def test_empty_and_mismatched_data():
    with pytest.raises(matnn.DataError, match="empty"):
        small().fit(np.zeros((0, 3)), np.zeros(0), verbose=0)
    with pytest.raises(matnn.DataError, match="10 samples but y has 9"):
        small().fit(np.zeros((10, 3)), np.zeros(9), verbose=0)
    with pytest.raises(matnn.DataError, match="text"):
        small().fit(np.array([["a", "b", "c"]]), np.zeros(1), verbose=0)


def test_diverging_training_stops_with_epoch_and_batch_and_keeps_finite_weights():
    model = small()
    model.compile(optimizer=matnn.optimizers.SGD(learning_rate=10.0), loss="mse")
    x = np.random.default_rng(0).normal(size=(64, 3)) * 100
    y = np.random.default_rng(1).normal(size=64) * 1e4
    with pytest.raises(matnn.DivergenceError) as info:
        model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    err = info.value
    assert err.epoch is not None and err.batch is not None
    assert f"epoch {err.epoch + 1}, batch {err.batch + 1}" in str(err)
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_fit_before_compile_and_unknown_names():
    model = matnn.Sequential([Dense(1, input_shape=(3,))])
    with pytest.raises(matnn.NotFittedError, match="compile"):
        model.fit(np.zeros((4, 3)), np.zeros(4))
    with pytest.raises(matnn.ConfigError, match="adam"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(matnn.ConfigError, match="needs a loss"):
        model.compile(optimizer="adam")


def test_missing_monitored_quantity_is_explained():
    model = small()
    with pytest.raises(matnn.ConfigError, match="val_loss.*validation_split"):
        model.fit(
            np.zeros((8, 3)),
            np.zeros(8),
            epochs=2,
            verbose=0,
            callbacks=[matnn.callbacks.EarlyStopping(monitor="val_loss")],
        )


def test_loading_a_missing_or_foreign_file(tmp_path):
    with pytest.raises(matnn.DataError, match="does not exist"):
        matnn.load_model(tmp_path / "nope.matnn")
    bad = tmp_path / "bad.matnn"
    bad.write_text("not a model")
    with pytest.raises(matnn.DataError, match="not a matnn model file"):
        matnn.load_model(bad)
    torch.save({"something": 1}, tmp_path / "other.pt")
    with pytest.raises(matnn.DataError, match="not a matnn model file"):
        matnn.load_model(tmp_path / "other.pt")
