"""Spike detection on constructed loss sequences, and the DynamicsMonitor inside matnn's fit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from matnn.core.exceptions import ConfigError
from matnn.dynamics import DynamicsMonitor, SpikeDetector, find_spikes, loss_hessian_eigenvalues


def catapult_sequence() -> list[float]:
    down = list(np.geomspace(1.0, 0.1, 10))  # monotone decrease
    spike = [0.5, 5.0, 40.0, 3.0, 0.15]  # rises above 2 × 0.1, peaks at 40, comes back below 0.2
    return down + spike + list(np.geomspace(0.1, 1e-4, 10))


def test_detector_finds_the_constructed_catapult():
    det = find_spikes(catapult_sequence())
    assert len(det.spikes) == 1 and det.n_catapults == 1
    s = det.spikes[0]
    assert (s.start, s.peak_step, s.end) == (10, 12, 14)
    assert s.peak == 40.0 and s.height == pytest.approx(400.0)
    assert not det.diverged


def test_detector_ignores_monotone_and_roundoff_and_flags_divergence():
    assert find_spikes(np.geomspace(1, 1e-6, 50)).spikes == []
    wiggle = [1.0, 0.1, 1e-9, 3e-9, 1e-9]  # 3x of a fitted loss: a spike without a floor, noise with one
    assert len(find_spikes(wiggle).spikes) == 1
    assert find_spikes(wiggle, floor=1e-6).spikes == []
    det = SpikeDetector()
    events = [det.update(v) for v in [1.0, 0.5, math.inf, math.nan]]
    assert events == [None, None, "diverged", None] and det.diverged
    with pytest.raises(ConfigError, match="rise"):
        SpikeDetector(rise=1.0)


def test_monitor_flags_the_spike_on_a_constructed_loss_sequence(capsys):
    mon = DynamicsMonitor()  # no probe data: spike detection only
    for epoch, loss in enumerate(catapult_sequence()):
        mon.on_epoch_begin(epoch)
        mon.on_epoch_end(epoch, {"loss": loss})
    assert mon.events == [(10, "spike"), (14, "catapult")]
    assert mon.detector.n_catapults == 1
    out = capsys.readouterr().out
    assert "epoch 11: loss spike starts" in out and "catapult completed (peak 40" in out


def test_monitor_inside_fit_measures_sharpness_against_two_over_eta():
    import matnn
    from matnn.layers import Dense

    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3)).astype("float32")
    y = (x[:, :1] * x[:, 1:2]).astype("float32")
    model = matnn.Sequential([Dense(16, activation="tanh", input_shape=(3,)), Dense(1)])
    model.compile(optimizer=matnn.optimizers.SGD(learning_rate=0.05, momentum=0.5), loss="mse")
    mon = DynamicsMonitor(x, y, every=2, verbose=False)
    model.fit(x, y, epochs=4, batch_size=32, shuffle=False, verbose=0, callbacks=[mon])
    assert mon.history["epoch"] == [0, 2]
    assert len(mon.history["loss"]) == 4
    assert mon.history["threshold"] == pytest.approx([(2 + 2 * 0.5) / 0.05] * 2)
    expect = loss_hessian_eigenvalues(model, x, y, loss="mse").top
    assert mon.measure() == pytest.approx(expect, rel=1e-4)
    assert all(v > 0 for v in mon.history["lambda_max"])


def test_monitor_arguments_are_checked():
    with pytest.raises(ConfigError, match="quantity"):
        DynamicsMonitor(quantity="hessian")
    with pytest.raises(ConfigError, match="every"):
        DynamicsMonitor(every=0)
    with pytest.raises(ConfigError, match="targets"):
        DynamicsMonitor(np.zeros((2, 2)))
