"""Finite-volume diffusion solver: analytic cases, conservation, symmetry, and agreement with TauFactor."""

from __future__ import annotations

import numpy as np
import pytest

from matnn.core.exceptions import ConfigError, DataError, ShapeError, UnknownNameError
from matnn.data.microstructure.diffusion import solve_diffusion, solve_diffusivity_map, tortuosity


@pytest.mark.parametrize("method", ["banded", "sparse"])
def test_open_image_has_tau_one_and_linear_profile(method):
    r = solve_diffusion(np.ones((12, 7), bool), method=method)
    assert r.tau == pytest.approx(1.0, abs=1e-12)
    assert r.d_eff == pytest.approx(1.0, abs=1e-12)
    # Dirichlet faces half a voxel outside the first/last centres: c_i = 1 - (i + 1/2) / L
    np.testing.assert_allclose(r.profile, 1.0 - (np.arange(12) + 0.5) / 12, atol=1e-12)
    assert r.flux == pytest.approx(7 / 12)


@pytest.mark.parametrize("method", ["banded", "sparse"])
def test_straight_channels_have_tau_one(method):
    im = np.zeros((20, 15), bool)
    im[:, [0, 3, 4, 9, 10, 11, 14]] = True  # channels of several widths, along the transport axis
    r = solve_diffusion(im, method=method)
    assert r.tau == pytest.approx(1.0, abs=1e-12)
    assert r.d_eff == pytest.approx(im.mean(), abs=1e-12)


def test_layers_in_series_match_harmonic_mean():
    rng = np.random.default_rng(0)
    d_rows = rng.uniform(0.05, 2.0, size=16)
    d_map = np.repeat(d_rows[:, None], 9, axis=1)  # layers normal to the transport axis
    r = solve_diffusivity_map(d_map)
    assert r.d_eff == pytest.approx(1.0 / np.mean(1.0 / d_rows), rel=1e-12)


def test_layers_in_parallel_match_arithmetic_mean():
    rng = np.random.default_rng(1)
    d_cols = rng.uniform(0.05, 2.0, size=9)
    d_map = np.repeat(d_cols[None, :], 16, axis=0)  # layers along the transport axis
    r = solve_diffusivity_map(d_map)
    assert r.d_eff == pytest.approx(np.mean(d_cols), rel=1e-12)


def test_random_two_phase_mixture_lies_between_series_and_parallel_bounds():
    rng = np.random.default_rng(2)
    for _ in range(5):
        phase = rng.random((24, 24)) < 0.5
        d_map = np.where(phase, 1.0, 0.1)
        f = phase.mean()
        series, parallel = 1.0 / (f / 1.0 + (1 - f) / 0.1), f * 1.0 + (1 - f) * 0.1
        d_eff = solve_diffusivity_map(d_map).d_eff
        assert series < d_eff < parallel


def test_blocked_and_percolating_images():
    wall = np.ones((10, 10), bool)
    wall[5] = False  # a solid layer across the sample
    r = solve_diffusion(wall)
    assert r.tau == np.inf and r.d_eff == 0.0 and not r.percolating
    assert np.isnan(r.concentration).all()
    # the same wall does not block transport along the other axis
    assert solve_diffusion(wall, axis=1).tau == pytest.approx(1.0, rel=1e-12)


def test_isolated_pores_count_in_porosity_but_carry_no_flux():
    im = np.zeros((10, 10), bool)
    im[:, 2] = True  # one channel
    im[4:6, 6:8] = True  # an isolated pore
    r = solve_diffusion(im)
    assert r.porosity == pytest.approx(0.14)
    assert r.d_eff == pytest.approx(0.1, rel=1e-12)  # only the channel conducts
    assert r.tau == pytest.approx(1.4, rel=1e-12)  # tau = eps / D_eff, as TauFactor defines it
    assert np.isnan(r.concentration[4:6, 6:8]).all()


def test_solver_conserves_mass_and_respects_symmetry(blob_images):
    for im in blob_images[:6]:
        r = solve_diffusion(im)
        assert r.flux_imbalance < 1e-9
        assert np.all(
            (r.concentration[np.isfinite(r.concentration)] > 0) & (r.concentration[np.isfinite(r.concentration)] < 1)
        )
        for flipped in (im[::-1], im[:, ::-1]):  # swap inlet/outlet, mirror the no-flux sides
            assert tortuosity(flipped) == pytest.approx(r.tau, rel=1e-9)
        assert tortuosity(im.T, axis=1) == pytest.approx(r.tau, rel=1e-9)
        assert solve_diffusion(im, method="sparse").tau == pytest.approx(r.tau, rel=1e-10)


def test_removing_pores_never_raises_the_effective_diffusivity(blob_images):
    # Rayleigh monotonicity: making a conductor smaller can only lower its conductance.
    im = blob_images[0]
    r = solve_diffusion(im)
    assert r.tau >= 1.0
    cluster = np.argwhere(np.isfinite(r.concentration))
    smaller = im.copy()
    for k, (i, j) in enumerate(cluster[::11]):
        smaller[i, j] = False
        if k % 5 == 4:
            assert solve_diffusion(smaller).d_eff <= r.d_eff + 1e-12


def test_agrees_with_taufactor(blob_images):
    taufactor = pytest.importorskip("taufactor")
    import warnings

    for im in blob_images[:3]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = taufactor.Solver(im.astype(np.int64), device="cpu")
            s.solve(verbose=False, conv_crit=1e-3)
        ours = solve_diffusion(im)
        assert ours.tau == pytest.approx(float(s.tau[0]), rel=2e-3)
        assert ours.d_eff == pytest.approx(float(s.D_eff[0]), rel=2e-3)


def test_3d_image_uses_sparse_path_and_stays_exact():
    im = np.zeros((6, 5, 4), bool)
    im[:, 1, 1] = im[:, 3, 2] = True
    r = solve_diffusion(im)
    assert r.tau == pytest.approx(1.0, abs=1e-12)
    assert r.d_eff == pytest.approx(2 / 20)


def test_bad_inputs_give_clear_errors():
    with pytest.raises(DataError, match="binary"):
        solve_diffusion(np.array([[0, 2], [1, 1]]))
    with pytest.raises(ShapeError, match="dimensions"):
        solve_diffusion(np.ones(5, bool))
    with pytest.raises(ConfigError, match="axis"):
        solve_diffusion(np.ones((4, 4), bool), axis=2)
    with pytest.raises(DataError, match=">= 0"):
        solve_diffusivity_map(-np.ones((4, 4)))
    with pytest.raises(DataError, match="NaN"):
        solve_diffusivity_map(np.full((4, 4), np.nan))
    with pytest.raises(UnknownNameError, match="banded"):
        solve_diffusion(np.ones((4, 4), bool), method="cg")
