"""Hopfield network: Hebbian storage, asynchronous recall, energy descent and capacity."""

from __future__ import annotations

import json

import numpy as np
import pytest

from matnn.core.exceptions import ConfigError, DataError, ShapeError
from matnn.fundamentals import hopfield as hf


def random_patterns(p: int, n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).choice([-1.0, 1.0], size=(p, n))


def test_hebbian_weights_are_symmetric_with_zero_diagonal_and_store_patterns():
    xi = random_patterns(4, 120)
    w = hf.hebbian_weights(xi)
    assert np.allclose(w, w.T) and np.all(np.diag(w) == 0)
    assert np.allclose(w, (xi.T @ xi - 4 * np.eye(120)) / 120)
    # at load 4/120 every stored pattern is a fixed point: sign(W ξ) = ξ
    assert np.array_equal(np.sign(xi @ w), xi)
    res = hf.recall(w, xi[2], rng=np.random.default_rng(0))
    assert res.converged and res.sweeps == 1 and np.array_equal(res.state, xi[2])


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kind", ["hebbian overloaded", "random symmetric"])
def test_energy_never_rises_at_any_single_unit_update(seed, kind):
    rng = np.random.default_rng(seed)
    n = 60
    if kind == "hebbian overloaded":  # P/N = 0.5: far past capacity, long non-trivial descents
        w = hf.hebbian_weights(random_patterns(30, n, seed))
    else:  # the theorem needs only symmetry and a zero diagonal
        a = rng.normal(size=(n, n))
        w = (a + a.T) / 2
        np.fill_diagonal(w, 0.0)
    cue = rng.choice([-1.0, 1.0], size=n)
    res = hf.recall(w, cue, rng=rng, record_energy=True)
    steps = np.diff(res.energies)
    assert len(steps) == res.sweeps * n
    assert steps.max() <= 1e-12  # never rises
    assert steps.min() < 0  # and it did descend
    assert res.energies[-1] == pytest.approx(float(hf.energy(w, res.state)), abs=1e-9)  # ΔE bookkeeping is exact
    assert res.converged
    h = w @ res.state
    assert np.all((np.abs(h) < 1e-9) | (np.sign(h) == res.state))  # a fixed point of the update rule


def test_corrupted_digit_prototypes_are_recalled():
    xi = hf.digit_patterns((0, 1, 2, 3))
    w = hf.hebbian_weights(xi)
    rng = np.random.default_rng(1)
    cues = hf.corrupt(xi, 0.15, rng)
    assert np.allclose(hf.overlap(xi, cues), 1 - 2 * round(0.15 * 64) / 64)
    res = hf.recall(w, cues, rng=rng)
    assert np.array_equal(res.state, xi) and res.converged.all()


def test_capacity_measured_near_the_theory():
    loads = np.arange(0.04, 0.30, 0.04)
    curve = hf.capacity_curve(200, loads, trials=2, threshold=0.97, seed=0)
    assert curve.fraction_retrieved[0] == 1.0 and curve.fraction_retrieved[-1] < 0.2
    # N = 200 holds a little more than the N → ∞ value 0.138 (0.175 measured; finite-size effect)
    assert 0.13 < curve.capacity < 0.21
    alpha_inf, slope = hf.extrapolate_capacity([100, 400], [0.19, 0.165])
    assert alpha_inf == pytest.approx(0.14) and slope == pytest.approx(0.5)


def test_bad_inputs_give_one_line_errors():
    with pytest.raises(DataError, match="-1 and \\+1"):
        hf.hebbian_weights([[0, 1, 1]])
    with pytest.raises(ShapeError, match="do not match"):
        hf.recall(np.zeros((4, 4)), np.ones(5), rng=np.random.default_rng(0))
    with pytest.raises(ConfigError, match="'flip_fraction' of corrupt"):
        hf.corrupt(np.ones(4), 1.5, np.random.default_rng(0))


@pytest.mark.slow
def test_demo_extrapolates_capacity_to_0_138(tmp_path):
    from matnn.fundamentals.demos import evaluate_checks

    m = hf.run_demo(tmp_path, seed=0)
    assert all(evaluate_checks("hopfield", m).values())
    assert abs(m["capacity_extrapolated_load"] - hf.THEORETICAL_CAPACITY) < 0.02
    assert json.loads((tmp_path / "metrics.json").read_text()) == json.loads(json.dumps(m))
