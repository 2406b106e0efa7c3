"""The NumPy glass-box convolution, padding and pooling agree with torch on random inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from matnn.core.exceptions import ConfigError, ShapeError, UnknownNameError
from matnn.fundamentals.convolution import average_pool2d, conv2d, correlate2d, max_pool2d, pad2d, same_padding
from matnn.fundamentals.kernels import QUIZ_KERNELS, quiz_kernel, worked_example


def _nchw(x: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(x, dtype=torch.float64).permute(0, 3, 1, 2)


def _nhwc(t: torch.Tensor) -> np.ndarray:
    return t.permute(0, 2, 3, 1).numpy()


@pytest.mark.parametrize("strides", [1, 2, (1, 3)])
@pytest.mark.parametrize("padding", ["valid", 1, (2, 0)])
@pytest.mark.parametrize("dilation", [1, 2])
def test_conv2d_equals_torch(strides, padding, dilation):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 9, 11, 3))
    k = rng.normal(size=(3, 2, 3, 4))
    b = rng.normal(size=4)
    ours = conv2d(x, k, b, strides=strides, padding=padding, dilation=dilation)
    pad = 0 if padding == "valid" else padding
    ref = F.conv2d(
        _nchw(x),
        torch.as_tensor(k).permute(3, 2, 0, 1),
        torch.as_tensor(b),
        stride=strides,
        padding=pad,
        dilation=dilation,
    )
    np.testing.assert_allclose(ours, _nhwc(ref), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel,strides", [((3, 3), 1), ((4, 2), 1), ((3, 3), 2), ((2, 5), (2, 3))])
def test_conv2d_same_padding_equals_torch_with_explicit_pad(kernel, strides):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1, 10, 7, 2))
    k = rng.normal(size=(*kernel, 2, 3))
    ours = conv2d(x, k, strides=strides, padding="same")
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    (t, bo), (le, ri) = same_padding(10, kernel[0], sh), same_padding(7, kernel[1], sw)
    ref = F.conv2d(F.pad(_nchw(x), (le, ri, t, bo)), torch.as_tensor(k).permute(3, 2, 0, 1), stride=strides)
    np.testing.assert_allclose(ours, _nhwc(ref), rtol=1e-12, atol=1e-12)
    assert ours.shape[1:3] == (int(np.ceil(10 / sh)), int(np.ceil(7 / sw)))


@pytest.mark.parametrize(
    "mode,torch_mode", [("constant", "constant"), ("reflect", "reflect"), ("edge", "replicate"), ("wrap", "circular")]
)
def test_pad2d_equals_torch(mode, torch_mode):
    x = np.random.default_rng(2).normal(size=(2, 5, 6, 3))
    ours = pad2d(x, ((1, 2), (2, 1)), mode=mode)
    ref = F.pad(_nchw(x), (2, 1, 1, 2), mode=torch_mode)
    np.testing.assert_allclose(ours, _nhwc(ref))


@pytest.mark.parametrize("pool,strides", [(2, None), (3, 1), ((2, 3), (1, 2)), (3, 2)])
def test_pooling_equals_torch(pool, strides):
    x = np.random.default_rng(3).normal(size=(2, 9, 8, 3))
    ps = pool if isinstance(pool, tuple) else (pool, pool)
    st = ps if strides is None else strides
    np.testing.assert_allclose(max_pool2d(x, pool, strides=strides), _nhwc(F.max_pool2d(_nchw(x), ps, st)), rtol=1e-12)
    np.testing.assert_allclose(
        average_pool2d(x, pool, strides=strides), _nhwc(F.avg_pool2d(_nchw(x), ps, st)), rtol=1e-12
    )


def test_same_pooling_ignores_padding():
    # 5x5 input, 2x2 windows stride 2 'same' -> 3x3; the border windows average only the real cells
    x = np.arange(25.0).reshape(1, 5, 5, 1)
    avg = average_pool2d(x, 2, padding="same")[0, :, :, 0]
    assert avg.shape == (3, 3)
    assert avg[2, 2] == 24.0  # a window holding only the corner pixel
    assert avg[0, 2] == (4.0 + 9.0) / 2
    mx = max_pool2d(-x, 2, padding="same")[0, :, :, 0]
    assert mx[2, 2] == -24.0  # -inf padding never wins


def test_pooling_agrees_with_matnn_layers():
    import matnn

    x = np.random.default_rng(4).normal(size=(2, 7, 7, 2)).astype(np.float32)
    for ours, layer in ((max_pool2d, matnn.layers.MaxPooling2D), (average_pool2d, matnn.layers.AveragePooling2D)):
        model = matnn.Sequential([layer(2, padding="same", input_shape=(7, 7, 2))])
        np.testing.assert_allclose(ours(x, 2, padding="same"), model.predict(x), rtol=1e-5, atol=1e-6)


def test_worked_example_is_31():
    ex = worked_example()
    assert ex.value == 31.0
    assert set(np.unique(ex.image)) <= {0.0, 1.0}
    assert ex.output[ex.row, ex.col] == 31.0  # the library-style convolution gives the same number
    np.testing.assert_array_equal(ex.products, ex.image[1:4, 1:4] * ex.kernel)


def test_quiz_kernels_do_what_the_lecture_says():
    flat = np.full((7, 7), 0.3)
    hline = np.zeros((7, 7))
    hline[3] = 1.0
    vline = hline.T.copy()
    # blur preserves a constant image; the two detectors give zero on it (weights sum to 0)
    assert np.allclose(correlate2d(flat, quiz_kernel("blur")), 0.3)
    assert np.allclose(correlate2d(flat, quiz_kernel("horizontal_lines")), 0.0)
    assert np.allclose(correlate2d(flat, quiz_kernel("edges")), 0.0)
    h = quiz_kernel("horizontal_lines")
    assert correlate2d(hline, h).max() == 6.0 and np.allclose(correlate2d(vline, h), 0.0)
    e = correlate2d(hline, quiz_kernel("edges"))
    assert e.max() > 0 and e.min() < 0  # responds on both sides of an edge
    assert sorted(QUIZ_KERNELS) == ["blur", "edges", "horizontal_lines"]


def test_bad_arguments_raise_clear_errors():
    x = np.zeros((1, 4, 4, 2))
    with pytest.raises(ShapeError, match="input channels"):
        conv2d(x, np.zeros((3, 3, 3, 1)))
    with pytest.raises(ShapeError, match=r"\(n, height, width, channels\)"):
        conv2d(np.zeros((4, 4)), np.zeros((3, 3, 1, 1)))
    with pytest.raises(UnknownNameError, match="same"):
        conv2d(x, np.zeros((3, 3, 2, 1)), padding="sam")
    with pytest.raises(ConfigError, match="strides"):
        max_pool2d(x, 2, strides=0)
    with pytest.raises(UnknownNameError):
        quiz_kernel("sharpen")
