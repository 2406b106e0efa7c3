"""Declarative parameter checks: one message template, used where values enter."""

from __future__ import annotations

import math

import numpy as np
import pytest

from matnn.core.exceptions import ConfigError, UnknownNameError
from matnn.core.validation import Interval, Options, check, fraction, non_negative, positive, validate


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "3", math.inf, math.nan, None])
def test_positive_int_refuses(value):
    with pytest.raises(ConfigError, match=r"^'units' of Dense must be an int in \[1, inf\); got "):
        check("Dense", "units", value, positive(int))


def test_intervals_accept_their_own_range_and_numpy_scalars():
    assert check("X", "p", np.float32(0.5), fraction()) == 0.5
    assert check("X", "n", np.int64(3), positive(int)) == 3
    assert check("X", "w", 0.0, non_negative()) == 0.0
    with pytest.raises(ConfigError, match=r"a float in \(0, 1\)"):
        check("X", "p", 1.0, fraction())
    assert Interval(float, 0, 1, closed="both").accepts(1.0)
    assert not Interval(float, None, 0, closed="neither").accepts(0.0)


def test_options_suggest_a_close_match_and_none_is_explicit():
    with pytest.raises(UnknownNameError, match="Did you mean 'mse'"):
        check("compile", "loss", "msee", Options(["mse", "mae"]))
    assert check("fit", "validation_data", None, [None, tuple]) is None
    validate("fit", {"epochs": 3, "other": -1}, {"epochs": positive(int)})
    with pytest.raises(ConfigError, match="'epochs' of fit"):
        validate("fit", {"epochs": 0}, {"epochs": positive(int)})


def test_schedules_refuse_an_infinite_rate():
    from matnn.core.schedules import CosineDecay, ExponentialDecay

    with pytest.raises(ConfigError, match="'initial_learning_rate' of"):
        CosineDecay(math.inf, 10)
    with pytest.raises(ConfigError, match="'decay_rate' of ExponentialDecay"):
        ExponentialDecay(1e-3, 10, -0.5)


def test_fit_names_epochs_not_batch_size():
    import matnn
    from matnn.layers import Dense

    model = matnn.Sequential([Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((4, 2), np.float32)
    with pytest.raises(ConfigError, match="'epochs' of Model.fit"):
        model.fit(x, x[:, :1], epochs=0)
    with pytest.raises(ConfigError, match="'batch_size' of Model.fit"):
        model.fit(x, x[:, :1], epochs=1, batch_size=0)


def test_clip_settings_and_label_types_are_refused_at_the_boundary():
    import matnn
    from matnn.core.exceptions import DataError
    from matnn.layers import Dense

    x = np.random.default_rng(0).random((6, 2)).astype(np.float32)
    model = matnn.Sequential([Dense(3, activation="softmax", input_shape=(2,))])
    for kw in ({"clipnorm": -1}, {"clipvalue": 0}):
        with pytest.raises(ConfigError, match="of Model.compile must be a float in"):
            model.compile(optimizer="sgd", loss="mse", **kw)
    with pytest.raises(ConfigError, match="'global_clipnorm' of Adam"):
        matnn.optimizers.Adam(global_clipnorm=-1.0)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    for labels, word in (([0, 1, 2, 0, 1, 0.5], "0.5"), ([0, 1, 2, 0, 1, 3], "3.0")):
        with pytest.raises(DataError, match=f"integer class labels 0 … 2; label 5 is {word}"):
            model.fit(x, np.array(labels), epochs=1, verbose=0)
    binary = matnn.Sequential([Dense(1, activation="sigmoid", input_shape=(2,))])
    binary.compile(optimizer="sgd", loss="binary_crossentropy")
    with pytest.raises(DataError, match=r"targets in \[0, 1\]"):
        binary.fit(x, np.array([0, 1, 2, 0, 1, 0]), epochs=1, verbose=0)
    binary.fit(x, np.array([0, 1, 1, 0, 1, 0.3]), epochs=1, verbose=0)  # probabilities are fine


def test_a_finite_loss_that_climbs_by_orders_of_magnitude_stops_with_the_best_weights():
    import matnn
    from matnn.core.exceptions import DivergenceError
    from matnn.layers import Dense

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x @ rng.normal(size=(4, 1))).astype(np.float32)
    model = matnn.Sequential([Dense(16, activation="tanh", input_shape=(4,)), Dense(1)])
    model.compile(optimizer=matnn.optimizers.SGD(learning_rate=3.0), loss="mse")
    with pytest.raises(DivergenceError, match=r"grew to .* over 10000× its lowest value") as info:
        model.fit(x, y, epochs=50, batch_size=64, verbose=0)
    restored = float(np.mean((model.predict(x) - y) ** 2))
    assert np.isfinite(restored) and restored < 1e4 * float(np.mean(y**2))
    assert info.value.epoch is not None
    model.compile(optimizer=matnn.optimizers.SGD(learning_rate=3.0), loss="mse")
    with pytest.raises(ConfigError, match="'divergence_factor' of Model.fit"):
        model.fit(x, y, epochs=1, divergence_factor=0.5)
