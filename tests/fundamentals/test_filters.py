"""Gaussian, Sobel and Laplacian kernels: their properties, and agreement with scipy.ndimage / skimage."""

from __future__ import annotations

import numpy as np
import pytest

from matnn.core.exceptions import ConfigError
from matnn.fundamentals.convolution import correlate2d
from matnn.fundamentals.filters import apply_filters, edge_classifier_stages, edge_classify, filter_properties
from matnn.fundamentals.kernels import SOBEL_X, gaussian_kernel, laplacian_kernel, sobel_kernel


def _image(seed: int = 0, size: int = 40) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    return (np.hypot(yy - 18, xx - 22) < 11).astype(float) + 0.1 * rng.standard_normal((size, size))


@pytest.mark.parametrize("sigma", [0.6, 1.0, 2.5])
def test_gaussian_kernel_sums_to_one_is_symmetric_and_sized_by_sigma(sigma):
    k = gaussian_kernel(sigma)
    assert k.sum() == pytest.approx(1.0, abs=1e-12)
    assert k.shape == (2 * int(np.ceil(3 * sigma)) + 1,) * 2
    np.testing.assert_allclose(k, k.T)
    np.testing.assert_allclose(k, k[::-1, ::-1])
    assert k[k.shape[0] // 2, k.shape[1] // 2] == k.max()
    assert gaussian_kernel(sigma, 5).shape == (5, 5) and gaussian_kernel(sigma, 5).sum() == pytest.approx(1.0)


def test_kernel_arguments_are_checked():
    with pytest.raises(ConfigError, match="'sigma' of gaussian_kernel"):
        gaussian_kernel(0.0)
    with pytest.raises(ConfigError, match="odd"):
        gaussian_kernel(1.0, 4)
    with pytest.raises(ConfigError, match="'neighbours' of laplacian_kernel"):
        laplacian_kernel(6)
    with pytest.raises(ConfigError, match="'axis' of sobel_kernel"):
        sobel_kernel("z")


def test_gaussian_agrees_with_scipy_and_divides_noise_variance_by_sum_of_squares():
    ndi = pytest.importorskip("scipy.ndimage")
    im = _image()
    for sigma in (1.0, 1.5):
        k = gaussian_kernel(sigma)
        ref = ndi.gaussian_filter(im, sigma, mode="constant", truncate=(k.shape[0] // 2) / sigma)
        np.testing.assert_allclose(correlate2d(im, k, padding="same"), ref, atol=1e-12)
    props = filter_properties(np.zeros((128, 128)), sigma=1.5, noise_std=0.1, seed=0)
    theory = props["gaussian_noise_variance_reduction_theory"]
    assert theory == pytest.approx(4 * np.pi * 1.5**2, rel=0.05)  # wide kernel: 1 / sum k^2 ~ 4 pi sigma^2
    assert props["gaussian_noise_variance_reduction"] == pytest.approx(theory, rel=0.15)
    assert props["gaussian_noise_variance_reduction"] > 20


def test_sobel_matches_scipy_and_skimage_and_answers_a_step_with_the_right_sign():
    ndi = pytest.importorskip("scipy.ndimage")
    im = _image(1)
    maps = apply_filters(im)
    # scipy.ndimage.sobel correlates [-1, 0, 1] along `axis`: the same orientation as SOBEL_X on axis 1.
    np.testing.assert_allclose(maps["grad_x"], ndi.sobel(im, axis=1, mode="constant"), atol=1e-12)
    np.testing.assert_allclose(maps["grad_y"], ndi.sobel(im, axis=0, mode="constant"), atol=1e-12)
    filters = pytest.importorskip("skimage.filters")
    # skimage divides each kernel by 4 and the magnitude by sqrt(2), uses reflected borders and zeroes them.
    ours = maps["grad_magnitude"] / (4 * np.sqrt(2))
    np.testing.assert_allclose(ours[1:-1, 1:-1], filters.sobel(im)[1:-1, 1:-1], atol=1e-12)
    props = filter_properties(im)
    assert props["sobel_x_step_response"] == 4.0 and props["sobel_y_step_response"] == 0.0
    step = np.zeros((7, 7))
    step[:, :3] = 1.0  # bright-to-dark: the response flips sign
    assert correlate2d(step, SOBEL_X)[2, 1] == -4.0
    # A true convolution flips the antisymmetric kernel: it equals correlation with -SOBEL_X.
    np.testing.assert_allclose(ndi.convolve(im, SOBEL_X, mode="constant"), -maps["grad_x"], atol=1e-12)


@pytest.mark.parametrize("neighbours", [4, 8])
def test_laplacian_is_zero_on_a_ramp_and_matches_scipy(neighbours):
    ndi = pytest.importorskip("scipy.ndimage")
    k = laplacian_kernel(neighbours)
    assert k.sum() == 0.0
    assert filter_properties(np.zeros((16, 16)))[f"laplacian{neighbours}_ramp_max_abs"] < 1e-12
    im = _image(2)
    ref = ndi.laplace(im, mode="constant") if neighbours == 4 else ndi.correlate(im, k, mode="constant")
    np.testing.assert_allclose(correlate2d(im, k, padding="same"), ref, atol=1e-12)
    # Second derivative of a parabola x^2 is 2 (per axis): the 4-neighbour stencil gives it exactly.
    if neighbours == 4:
        para = np.tile(np.arange(9.0) ** 2, (9, 1))
        np.testing.assert_allclose(correlate2d(para, k), 2.0)


def test_hand_made_classifier_stages_and_accuracy():
    from matnn.data.images.lines import lines_dataset

    x, y = lines_dataset(400, region="train", noise=0.2, seed=5)
    st = edge_classifier_stages(x)
    assert st["padded"].shape == (400, 14, 14, 1)
    assert st["conv"].shape == (400, 12, 12, 1) and st["relu"].shape == (400, 12, 12, 1)
    assert st["pooled"].shape == (400, 6, 6, 1) and st["score"].shape == (400,)
    assert st["relu"].min() >= 0.0
    assert np.mean(edge_classify(x) == y) >= 0.95
    clean, yc = lines_dataset(50, region="test", noise=0.0, seed=6)
    s = edge_classifier_stages(clean)["score"]
    assert np.all(s[yc == 1] == 6.0) and np.all(s[yc == 0] <= 1.0)
