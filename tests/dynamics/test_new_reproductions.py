"""The reproductions of the catapult-subspace, gradient-angle, quadratic-generalisation, weak-assembly,
nonlinear-output and RSC claims: each runs at a quick size, writes metrics.json + a PNG, and returns
finite numbers under every key the summary table shows.  Full sizes (the actual reproductions) are slow."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from matnn.cli.main import main
from matnn.dynamics import reproductions as R
from matnn.dynamics.reproductions.relu_angles import angle_pairs, relu_two_layer_angle
from matnn.dynamics.reproductions.weak_assembly import Assembly, submodel_shares

QUICK = {
    "catapult-subspace": dict(n=24, d=5, width=256, steps=30, track_steps=20),
    "relu-angles": dict(d=10, width=256, angles_deg=(1.0, 30.0), n_pairs=4),
    "quadratic-generalisation": dict(n=24, n_test=32, d=3, width=128, steps=30, lr_ratios=(0.5, 1.5)),
    "weak-assembly": dict(d=4, hidden=2, n_submodels=(2, 8), n_inputs=2, n_draws=1),
    "nonlinear-output": dict(n=8, d=3, widths=(32, 64), max_steps=60, check_every=20),
    "rsc-condition": dict(n=8, d=3, widths=(16, 32), depth=2, steps=20, n_checkpoints=2, n_hessian=2),
}


def test_every_new_reproduction_is_registered_with_a_quick_size():
    assert list(QUICK) == list(R.REPRODUCTIONS)[-len(QUICK) :]
    for name in QUICK:
        info = R.describe(name)
        assert info["title"] and info["signature"] and "Signature" in info["doc"]


@pytest.mark.parametrize("name", list(QUICK))
def test_new_reproduction_quick_run_gives_finite_summary_numbers(name, tmp_path):
    metrics = R.run_reproduction(name, tmp_path, seed=2, show_progress=False, **QUICK[name])
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert isinstance(saved["reproduced"], bool) and saved["reproduced"] == metrics["reproduced"]
    assert saved["reproduction"] == name and saved["seed"] == 2
    for key in R.REPRODUCTIONS[name][1]:
        value = saved[key]
        assert isinstance(value, bool) or (isinstance(value, (int, float)) and math.isfinite(value)), (key, value)
    assert list(tmp_path.glob("*.png")), "no figure written"


def test_angle_pairs_are_at_the_requested_angle_and_radius():
    x, xp = angle_pairs(5, 7, 0.1, seed=0)
    cos = (x * xp).sum(1) / (x.norm(dim=1) * xp.norm(dim=1))
    assert torch.allclose(
        torch.arccos(cos.double().clamp(-1, 1)), torch.full((5,), 0.1, dtype=torch.float64), atol=2e-3
    )
    assert torch.allclose(x.norm(dim=1), torch.full((5,), 7**0.5), atol=1e-4)
    # The infinite-width ReLU angle: 0 at θ = 0, larger than θ, ≈ √(θ/π) for small θ.
    assert relu_two_layer_angle(0.0) == 0.0
    assert relu_two_layer_angle(1e-4) == pytest.approx((1e-4 / math.pi) ** 0.5, rel=0.01)


def test_assembly_shares_sum_to_one_and_one_submodel_dominates_when_weighted_so():
    x = torch.randn(3, 4)
    weak = Assembly(4, 50, 3, seed=0)
    dominated = Assembly(4, 50, 3, dominant=True, seed=0)
    s_weak, s_dom = submodel_shares(weak, x), submodel_shares(dominated, x)
    assert s_weak.shape == (3, 50) and np.allclose(s_weak.sum(1), 1.0, atol=1e-5)
    assert s_weak.max() < 0.3 and s_dom[:, 0].min() > 0.3
    assert weak(x).shape == (3, 1)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(QUICK))
def test_new_reproduction_full_size_holds(name, tmp_path):
    """The actual reproductions (≤ 3 min each on two cores); run with `-m slow`."""
    assert main(["dynamics", name, "--out", str(tmp_path), "--quiet"]) == 0
    assert json.loads((tmp_path / "metrics.json").read_text())["reproduced"] is True
