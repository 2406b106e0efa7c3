"""compile/fit/evaluate/predict behaviour: learning, callbacks, reproducibility, errors."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch

import matnn
from matnn.callbacks import (
    CSVLogger,
    EarlyStopping,
    JSONLogger,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgressBar,
    ReduceLROnPlateau,
)
from matnn.layers import Conv2D, Dense, Dropout, Flatten

rng = np.random.default_rng(0)
X = rng.normal(size=(512, 4)).astype("float32")
Y = (X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.3).astype("float32")


def mlp(seed: int = 0, dropout: float = 0.0) -> matnn.Sequential:
    matnn.set_seed(seed)
    layers = [Dense(32, activation="relu", input_shape=(4,))]
    if dropout:
        layers.append(Dropout(dropout))
    layers.append(Dense(1))
    return matnn.Sequential(layers)


def test_fit_learns_linear_function_and_reports_metrics():
    model = mlp()
    model.compile(optimizer=matnn.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae", "r2"])
    hist = model.fit(X, Y, epochs=40, batch_size=32, verbose=0)
    assert set(hist.history) >= {"loss", "mae", "r2", "lr"}
    assert len(hist.history["loss"]) == 40
    assert hist.history["loss"][-1] < 0.02 * hist.history["loss"][0]
    scores = model.evaluate(X, Y, return_dict=True)
    assert scores["r2"] > 0.99
    assert model.predict(X).shape == (512, 1)


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adam", "adamw", "adadelta", "adagrad", "adamax", "nadam"])
def test_every_optimizer_by_name_reduces_the_loss(name):
    model = mlp()
    # Keras's default rates are tuned for long runs; these make a 5-epoch run informative
    lr = {"adadelta": 1.0, "adagrad": 0.1}.get(name, 0.01)
    model.compile(optimizer=matnn.optimizers.get(name, learning_rate=lr), loss="mse")
    hist = model.fit(X, Y, epochs=5, batch_size=64, verbose=0)
    assert hist.history["loss"][-1] < 0.8 * hist.history["loss"][0]


def test_sgd_momentum_nesterov_and_schedules():
    sched = matnn.optimizers.schedules.ExponentialDecay(0.05, decay_steps=10, decay_rate=0.5)
    opt = matnn.optimizers.SGD(learning_rate=sched, momentum=0.9, nesterov=True)
    model = mlp()
    model.compile(optimizer=opt, loss="mse")
    hist = model.fit(X, Y, epochs=2, batch_size=64, verbose=0)  # 16 steps
    assert opt.iterations == 16
    assert hist.history["lr"][-1] == pytest.approx(0.05 * 0.5 ** (15 / 10))


def test_schedule_formulas():
    s = matnn.optimizers.schedules
    assert s.InverseTimeDecay(1.0, 10, 1.0)(10) == pytest.approx(0.5)
    assert s.PiecewiseConstantDecay([5, 10], [1.0, 0.5, 0.1])(7) == 0.5
    assert s.CosineDecay(1.0, 100)(100) == pytest.approx(0.0, abs=1e-12)
    assert s.PolynomialDecay(1.0, 10, end_learning_rate=0.0)(5) == pytest.approx(0.5)


def test_gradient_clipping_by_norm_and_value():
    w = torch.nn.Parameter(torch.zeros(3))
    opt = matnn.optimizers.SGD(learning_rate=1.0, clipnorm=1.0)
    opt.build([w])
    w.grad = torch.tensor([30.0, 40.0, 0.0])
    opt.step()
    assert torch.allclose(w.detach(), -torch.tensor([0.6, 0.8, 0.0]), atol=1e-6)
    w2 = torch.nn.Parameter(torch.zeros(2))
    opt2 = matnn.optimizers.SGD(learning_rate=1.0, clipvalue=0.5)
    opt2.build([w2])
    w2.grad = torch.tensor([3.0, -0.1])
    opt2.step()
    assert torch.allclose(w2.detach(), torch.tensor([-0.5, 0.1]))


def test_same_seed_gives_identical_weights_and_different_seed_does_not():
    def train(seed: int) -> list[np.ndarray]:
        model = mlp(seed, dropout=0.2)
        model.compile("adam", "mse")
        model.fit(X, Y, epochs=3, batch_size=16, validation_split=0.2, verbose=0)
        return model.get_weights()

    a, b, c = train(7), train(7), train(8)
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert not all(np.array_equal(u, v) for u, v in zip(a, c, strict=True))


def test_early_stopping_restores_best_epoch():
    model = mlp()
    model.compile(optimizer=matnn.optimizers.Adam(0.05), loss="mse")
    # validation targets are noise, so validation loss bottoms out early and training keeps going
    xv = rng.normal(size=(64, 4)).astype("float32")
    yv = rng.normal(size=64).astype("float32") * 10
    seen: dict[int, dict] = {}

    snap = LambdaCallback(
        on_epoch_end=lambda e, logs: seen.__setitem__(e, {k: v.clone() for k, v in model.state_dict().items()})
    )
    es = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    hist = model.fit(X, Y, epochs=100, validation_data=(xv, yv), callbacks=[snap, es], verbose=0)
    best = int(np.argmin(hist.history["val_loss"]))
    assert es.best_epoch == best
    assert len(hist.history["loss"]) == best + 4  # stopped after `patience` epochs without improvement
    for k, v in model.state_dict().items():
        assert torch.equal(v, seen[best][k])
    assert model.evaluate(xv, yv, return_dict=True)["loss"] == pytest.approx(min(hist.history["val_loss"]), rel=1e-5)


def test_reduce_lr_on_plateau_and_scheduler():
    model = mlp()
    model.compile(optimizer=matnn.optimizers.SGD(1e-6), loss="mse")  # far too small: loss plateaus
    r = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1.0)
    hist = model.fit(X, Y, epochs=5, callbacks=[r], verbose=0)
    assert hist.history["lr"][-1] < 1e-6
    model.compile(optimizer="sgd", loss="mse")
    hist = model.fit(
        X, Y, epochs=3, callbacks=[LearningRateScheduler(lambda epoch, lr: 0.001 * (epoch + 1))], verbose=0
    )
    assert hist.history["lr"] == pytest.approx([0.001, 0.002, 0.003])


def test_checkpoint_and_loggers_write_files(tmp_path):
    model = mlp()
    model.compile("adam", "mse", metrics=["mae"])
    ck = ModelCheckpoint(tmp_path / "best.matnn", monitor="val_loss", save_best_only=True)
    model.fit(
        X,
        Y,
        epochs=4,
        validation_split=0.25,
        verbose=0,
        callbacks=[ck, CSVLogger(tmp_path / "log.csv"), JSONLogger(tmp_path / "log.json")],
    )
    assert (tmp_path / "best.matnn").exists()
    rows = (tmp_path / "log.csv").read_text().strip().splitlines()
    assert rows[0].split(",")[:3] == ["epoch", "loss", "mae"] and len(rows) == 5
    assert len(json.loads((tmp_path / "log.json").read_text())["val_loss"]) == 4
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary files left behind


def test_progress_is_one_line_per_epoch_when_not_a_terminal():
    buf = io.StringIO()
    model = mlp()
    model.compile("adam", "mse")
    model.fit(X, Y, epochs=3, verbose=0, callbacks=[ProgressBar(stream=buf)])
    lines = buf.getvalue().strip().splitlines()
    assert len(lines) == 3 and all(line.startswith(f"Epoch {i + 1}/3") for i, line in enumerate(lines))
    assert "\r" not in buf.getvalue()


def test_sample_weight_zero_ignores_samples():
    # half the targets are garbage but have weight 0: the fit must follow the clean half
    y = Y.copy()
    y[::2] = 100.0
    w = np.ones(len(y), dtype="float32")
    w[::2] = 0.0
    model = mlp()
    model.compile(optimizer=matnn.optimizers.Adam(0.01), loss="mse")
    model.fit(X, y, sample_weight=w, epochs=40, verbose=0)
    pred = model.predict(X[1::2]).ravel()
    assert np.abs(pred - Y[1::2]).mean() < 0.3


def test_dataloader_path_matches_in_memory_path_for_full_batch_gd():
    ds = torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(Y))
    out = []
    for data in ("memory", "loader"):
        model = mlp(3)
        model.compile(optimizer=matnn.optimizers.SGD(0.01), loss="mse")
        if data == "memory":
            model.fit(X, Y, epochs=3, batch_size=512, shuffle=False, verbose=0)
        else:
            model.fit(torch.utils.data.DataLoader(ds, batch_size=512), epochs=3, verbose=0)
        out.append(model.predict(X))
    np.testing.assert_allclose(out[0], out[1], rtol=1e-5, atol=1e-6)


def test_lecture_dropout_cnn_trains():
    matnn.set_seed(0)
    model = matnn.Sequential()
    model.add(Conv2D(64, kernel_size=3, activation="relu", input_shape=(28, 28, 1)))
    model.add(Conv2D(32, kernel_size=3, activation="relu"))
    model.add(Dropout(0.5))
    model.add(Flatten())
    model.add(Dense(10, activation="softmax"))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    # two classes of synthetic digits: a vertical or a horizontal bar at random positions
    n = 200
    x = np.zeros((n, 28, 28, 1), dtype="float32")
    labels = np.arange(n) % 2
    pos = rng.integers(4, 24, size=n)
    for i in range(n):
        if labels[i]:
            x[i, :, pos[i], 0] = 1.0
        else:
            x[i, pos[i], :, 0] = 1.0
    y = np.eye(10, dtype="float32")[labels]
    hist = model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert model.evaluate(x, y, return_dict=True)["accuracy"] > 0.95


def test_multi_output_functional_with_loss_list():
    inp = matnn.Input((4,))
    h = Dense(16, activation="relu")(inp)
    a, b = Dense(1)(h), Dense(1)(h)
    model = matnn.Model(inp, [a, b])
    model.compile("adam", loss=["mse", "mae"], loss_weights=[1.0, 0.5])
    hist = model.fit(X, [Y, -Y], epochs=3, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    pa, pb = model.predict(X)
    assert pa.shape == pb.shape == (512, 1)
