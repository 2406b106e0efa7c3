"""``compile(jit_compile=True)``: torch.compile under the Keras-style API, with an eager fallback."""

from __future__ import annotations

import copy
import shutil
import warnings

import numpy as np
import pytest
import torch

import matnn
from matnn.layers import BatchNormalization, Dense

rng = np.random.default_rng(5)
X = rng.normal(size=(200, 4)).astype("float32")
Y = (np.tanh(X @ np.array([1.0, -2.0, 0.5, 3.0])) + 0.1 * X[:, 0] ** 2).astype("float32")
HAS_COMPILER = shutil.which("c++") is not None or shutil.which("g++") is not None


def _train(jit: bool, epochs: int = 3):
    matnn.set_seed(4)
    model = matnn.Sequential([Dense(16, activation="relu", input_shape=(4,)), BatchNormalization(), Dense(1)])
    model.compile(optimizer="adam", loss="mse", jit_compile=jit)
    hist = model.fit(X, Y, epochs=epochs, batch_size=32, shuffle=False, verbose=0)
    return model, hist.history["loss"]


@pytest.mark.skipif(not HAS_COMPILER, reason="torch.compile on the CPU needs a C++ compiler")
def test_compiled_training_follows_eager_training_to_rounding():
    eager, loss_eager = _train(False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a fallback to eager mode would be a failure here
        jit, loss_jit = _train(True)
        assert jit.jit_compile
        np.testing.assert_allclose(loss_jit, loss_eager, rtol=1e-4)
        np.testing.assert_allclose(jit.predict(X[:20]), eager.predict(X[:20]), rtol=1e-4, atol=1e-5)
    _, again = _train(True)
    assert again == loss_jit  # compiled runs are reproducible run to run
    # a copy runs its own weights, not the original's compiled graph
    twin = copy.deepcopy(jit)
    with torch.no_grad():
        for p in twin.parameters():
            p.add_(1.0)
    assert not np.allclose(twin.predict(X[:5]), jit.predict(X[:5]))


def test_a_failing_compiler_falls_back_to_eager_with_a_warning(monkeypatch):
    def broken_compile(fn, **kwargs):
        def call(*args, **kw):
            raise RuntimeError("no compiler here")

        return call

    _, loss_eager = _train(False)
    monkeypatch.setattr(torch, "compile", broken_compile)
    with pytest.warns(RuntimeWarning, match="no compiler here"):
        model, loss = _train(True)
    assert loss == loss_eager and not model.jit_compile


def test_jit_compile_is_refused_where_it_cannot_train():
    from matnn.models.crystals import GraphPotential

    pot = GraphPotential()
    with pytest.raises(matnn.ConfigError, match="forces"):
        pot.compile(optimizer="adam", jit_compile=True)
    with pytest.raises(matnn.ConfigError, match="jit_compile"):
        matnn.Sequential([Dense(1, input_shape=(4,))]).compile("adam", "mse", jit_compile="yes")
