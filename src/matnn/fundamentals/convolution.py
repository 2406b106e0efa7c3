"""Convolution, padding and pooling written out in NumPy (glass box).

These are the operations a ``Conv2D`` / ``MaxPooling2D`` / ``AveragePooling2D`` layer performs,
spelled out with explicit loops over the kernel window so every multiply-add is visible.  They use
the same conventions as the Keras-style layers of matnn (and Keras): channels-last images
``(n, height, width, channels)``, kernels ``(kh, kw, c_in, c_out)``, and *cross-correlation* (the
kernel is not flipped), which is what deep-learning libraries call convolution.  The test suite
checks them against ``torch.nn.functional`` on random inputs.

Output size along one axis, for input size ``n``, kernel ``k``, stride ``s`` and total padding ``p``:
``floor((n + p - k) / s) + 1``.  ``padding='valid'`` means ``p = 0``; ``'same'`` chooses ``p`` so the
output has ``ceil(n / s)`` entries, putting the odd extra pixel at the bottom/right (as TensorFlow).
"""

from __future__ import annotations

import math

import numpy as np

from matnn.core.exceptions import ConfigError, ShapeError, unknown_name

__all__ = ["pad2d", "conv2d", "max_pool2d", "average_pool2d", "correlate2d", "same_padding"]

_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def _pair(value: int | tuple[int, int], name: str) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        value = (int(value), int(value))
    try:
        a, b = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ConfigError(f"'{name}' must be an int or a pair of ints. Got {value!r} instead.") from None
    if a < 1 or b < 1:
        raise ConfigError(f"'{name}' must be positive. Got {value!r} instead.")
    return a, b


def _as_nhwc(x: np.ndarray, name: str = "x") -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim != 4:
        raise ShapeError(f"'{name}' must have shape (n, height, width, channels). Got shape {x.shape} instead.")
    return x


def same_padding(size: int, kernel: int, stride: int = 1) -> tuple[int, int]:
    """(before, after) padding that makes a 'same' convolution output ``ceil(size / stride)`` entries."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _resolve_padding(
    padding, h: int, w: int, kh: int, kw: int, sh: int, sw: int
) -> tuple[tuple[int, int], tuple[int, int]]:
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            return same_padding(h, kh, sh), same_padding(w, kw, sw)
        raise unknown_name("padding", padding, ("valid", "same"))
    ph, pw = (padding, padding) if isinstance(padding, (int, np.integer)) else padding
    ph, pw = int(ph), int(pw)
    if ph < 0 or pw < 0:
        raise ConfigError(f"Padding must be >= 0. Got {padding!r} instead.")
    return (ph, ph), (pw, pw)


def pad2d(
    x: np.ndarray,
    pad: int | tuple[tuple[int, int], tuple[int, int]],
    *,
    mode: str = "constant",
    value: float = 0.0,
) -> np.ndarray:
    """Pad the two spatial axes of ``x`` (n, H, W, C), or of a single image (H, W).

    Parameters
    ----------
    pad : int or ((top, bottom), (left, right))
        Pixels added on each side.
    mode : {'constant', 'edge', 'reflect', 'symmetric', 'wrap'}
        ``'constant'`` fills with ``value`` (zero padding); the others follow ``numpy.pad``
        (``'reflect'`` = torch's 'reflect', ``'edge'`` = torch's 'replicate', ``'wrap'`` = 'circular').
    """
    x = np.asarray(x, dtype=float)
    if x.ndim not in (2, 4):
        raise ShapeError(f"pad2d expects an image (H, W) or a batch (n, H, W, C). Got shape {x.shape} instead.")
    if mode not in _PAD_MODES:
        raise unknown_name("padding mode", mode, _PAD_MODES)
    if isinstance(pad, (int, np.integer)):
        (t, b), (left, right) = (int(pad), int(pad)), (int(pad), int(pad))
    else:
        (t, b), (left, right) = pad
    spatial = ((t, b), (left, right))
    widths = spatial if x.ndim == 2 else ((0, 0), *spatial, (0, 0))
    if mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=value)
    return np.pad(x, widths, mode=mode)


def conv2d(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None = None,
    *,
    strides: int | tuple[int, int] = 1,
    padding: str | int | tuple[int, int] = "valid",
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    """2D convolution layer maths (cross-correlation), channels-last.

    Parameters
    ----------
    x : ndarray of shape (n, H, W, c_in)
    kernel : ndarray of shape (kh, kw, c_in, c_out)
    bias : ndarray of shape (c_out,), optional
    strides, dilation : int or (int, int)
    padding : 'valid', 'same', int or (int, int)
        Zero padding (symmetric when an int is given).

    Returns
    -------
    ndarray of shape (n, H_out, W_out, c_out)
        ``y[b, i, j, o] = bias[o] + sum_{u, v, c} x_pad[b, i*sh + u*dh, j*sw + v*dw, c] * kernel[u, v, c, o]``.
    """
    x = _as_nhwc(x)
    k = np.asarray(kernel, dtype=float)
    if k.ndim != 4:
        raise ShapeError(f"'kernel' must have shape (kh, kw, c_in, c_out). Got shape {k.shape} instead.")
    if k.shape[2] != x.shape[3]:
        raise ShapeError(f"The kernel expects {k.shape[2]} input channels but 'x' has {x.shape[3]} (shape {x.shape}).")
    sh, sw = _pair(strides, "strides")
    dh, dw = _pair(dilation, "dilation")
    kh, kw = k.shape[:2]
    ekh, ekw = (kh - 1) * dh + 1, (kw - 1) * dw + 1  # extent of a dilated kernel
    ph, pw = _resolve_padding(padding, x.shape[1], x.shape[2], ekh, ekw, sh, sw)
    xp = pad2d(x, (ph, pw))
    h_out = (xp.shape[1] - ekh) // sh + 1
    w_out = (xp.shape[2] - ekw) // sw + 1
    if h_out < 1 or w_out < 1:
        raise ShapeError(f"The kernel ({kh}x{kw}, dilation {dh}x{dw}) is larger than the padded input {xp.shape[1:3]}.")
    y = np.zeros((x.shape[0], h_out, w_out, k.shape[3]))
    # One term of the sum per kernel tap: shift the (strided) input window and multiply by that tap.
    for u in range(kh):
        for v in range(kw):
            window = xp[:, u * dh : u * dh + (h_out - 1) * sh + 1 : sh, v * dw : v * dw + (w_out - 1) * sw + 1 : sw, :]
            y += window @ k[u, v]  # (n, h_out, w_out, c_in) @ (c_in, c_out)
    if bias is not None:
        y += np.asarray(bias, dtype=float).reshape(1, 1, 1, -1)
    return y


def correlate2d(image: np.ndarray, kernel: np.ndarray, *, padding: str | int = "valid") -> np.ndarray:
    """Slide one 2D ``kernel`` over one 2D ``image``: each output is the sum of element-wise products.

    The single-channel form of :func:`conv2d` used in the lecture's worked example and kernel quiz.
    """
    im = np.asarray(image, dtype=float)
    k = np.asarray(kernel, dtype=float)
    if im.ndim != 2 or k.ndim != 2:
        raise ShapeError(f"correlate2d expects a 2D image and a 2D kernel. Got shapes {im.shape} and {k.shape}.")
    return conv2d(im[None, :, :, None], k[:, :, None, None], padding=padding)[0, :, :, 0]


def _pool(x: np.ndarray, pool_size, strides, padding: str, op: str) -> np.ndarray:
    x = _as_nhwc(x)
    ph_, pw_ = _pair(pool_size, "pool_size")
    sh, sw = _pair(strides if strides is not None else (ph_, pw_), "strides")
    if padding not in ("valid", "same"):
        raise unknown_name("padding", padding, ("valid", "same"))
    pads = _resolve_padding(padding, x.shape[1], x.shape[2], ph_, pw_, sh, sw)
    # Padded cells never win a max and are not counted in an average (Keras/TensorFlow convention).
    xp = pad2d(x, pads, value=-np.inf if op == "max" else 0.0)
    valid = pad2d(np.ones((1, *x.shape[1:3], 1)), pads)
    h_out = (xp.shape[1] - ph_) // sh + 1
    w_out = (xp.shape[2] - pw_) // sw + 1
    if h_out < 1 or w_out < 1:
        raise ShapeError(f"pool_size {(ph_, pw_)} is larger than the input {x.shape[1:3]}.")
    acc = np.full((x.shape[0], h_out, w_out, x.shape[3]), -np.inf if op == "max" else 0.0)
    count = np.zeros((1, h_out, w_out, 1))
    for u in range(ph_):
        for v in range(pw_):
            sl = (
                slice(None),
                slice(u, u + (h_out - 1) * sh + 1, sh),
                slice(v, v + (w_out - 1) * sw + 1, sw),
                slice(None),
            )
            if op == "max":
                acc = np.maximum(acc, xp[sl])
            else:
                acc += xp[sl]
                count += valid[sl]
    return acc if op == "max" else acc / count


def max_pool2d(
    x: np.ndarray, pool_size: int | tuple[int, int] = 2, *, strides=None, padding: str = "valid"
) -> np.ndarray:
    """Max pooling of ``x`` (n, H, W, C): the largest value in each window (stride defaults to the window)."""
    return _pool(x, pool_size, strides, padding, "max")


def average_pool2d(
    x: np.ndarray, pool_size: int | tuple[int, int] = 2, *, strides=None, padding: str = "valid"
) -> np.ndarray:
    """Average pooling of ``x`` (n, H, W, C); padded cells are excluded from the mean."""
    return _pool(x, pool_size, strides, padding, "avg")
