"""The lecture's kernels and its worked convolution example.

* :data:`QUIZ_KERNELS` — the three quiz kernels: a 1/9 box kernel (blur), the horizontal-line
  detector ``[-1 -1 -1; 2 2 2; -1 -1 -1]`` and the edge (Laplacian-type) detector with 8 in the
  centre and -1 around it.
* :func:`worked_example` — a 3 x 3 kernel applied to a binary patch: the output is the sum of the
  element-wise products, 31.
* The classical filters applied to real images: :func:`gaussian_kernel` (blur, normalised to sum 1),
  :data:`SOBEL_X` / :data:`SOBEL_Y` (gradient along x / y), :func:`laplacian_kernel` (4- or
  8-neighbour second derivative) and :func:`vertical_edge_kernel` (the hand-made vertical-line filter).

All kernels are meant for *correlation* (:func:`~matnn.fundamentals.convolution.correlate2d`, the
deep-learning convention): ``out[i, j] = sum_{u, v} image[i + u, j + v] * kernel[u, v]``.  The Gaussian
and the Laplacians are symmetric, so correlation and convolution agree; the Sobel kernels are
antisymmetric, so a true convolution flips their sign.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matnn.core.exceptions import ConfigError, unknown_name

__all__ = [
    "QUIZ_KERNELS",
    "quiz_kernel",
    "WorkedExample",
    "worked_example",
    "gaussian_kernel",
    "SOBEL_X",
    "SOBEL_Y",
    "sobel_kernel",
    "laplacian_kernel",
    "vertical_edge_kernel",
]

QUIZ_KERNELS: dict[str, np.ndarray] = {
    "blur": np.full((3, 3), 1.0 / 9.0),
    "horizontal_lines": np.array([[-1.0, -1.0, -1.0], [2.0, 2.0, 2.0], [-1.0, -1.0, -1.0]]),
    "edges": np.array([[-1.0, -1.0, -1.0], [-1.0, 8.0, -1.0], [-1.0, -1.0, -1.0]]),
}

QUIZ_ANSWERS: dict[str, str] = {
    "blur": "averages each 3x3 neighbourhood: smooths noise and blurs edges",
    "horizontal_lines": "positive on bright horizontal lines one pixel thick, ~0 on uniform regions and vertical lines",
    "edges": "zero on uniform regions (weights sum to 0), large wherever intensity changes: edges in every direction",
}


def quiz_kernel(name: str) -> np.ndarray:
    """One of :data:`QUIZ_KERNELS` by name (a copy)."""
    if name not in QUIZ_KERNELS:
        raise unknown_name("quiz kernel", name, QUIZ_KERNELS)
    return QUIZ_KERNELS[name].copy()


@dataclass(frozen=True)
class WorkedExample:
    """A binary image, a 3 x 3 kernel, the window the kernel sits on and the resulting output pixel."""

    image: np.ndarray  # (5, 5) binary
    kernel: np.ndarray  # (3, 3)
    row: int  # top-left corner of the window in the image
    col: int
    products: np.ndarray  # (3, 3) element-wise products window * kernel
    value: float  # their sum
    output: np.ndarray  # (3, 3) full 'valid' correlation of image with kernel


def worked_example() -> WorkedExample:
    """The worked convolution: kernel ``[[1, 2, 3], [4, 5, 6], [7, 8, 9]]`` on a binary '⊥' patch = 31.

    The patch under the kernel is ``[[0, 1, 0], [0, 1, 0], [1, 1, 1]]``; the element-wise products
    keep the kernel entries where the patch is 1: ``2 + 5 + 7 + 8 + 9 = 31``.  The full 5 x 5 image
    shows the same number in the ``valid`` output at the window's position, computed by
    :func:`~matnn.fundamentals.convolution.correlate2d`.

    Examples
    --------
    >>> worked_example().value
    31.0
    """
    from matnn.fundamentals.convolution import correlate2d

    image = np.array(
        [
            [0, 0, 0, 0, 1],
            [0, 0, 1, 0, 1],
            [0, 0, 1, 0, 0],
            [0, 1, 1, 1, 0],
            [1, 0, 0, 0, 0],
        ],
        dtype=float,
    )
    kernel = np.arange(1.0, 10.0).reshape(3, 3)
    row, col = 1, 1
    window = image[row : row + 3, col : col + 3]
    products = window * kernel
    output = correlate2d(image, kernel)
    return WorkedExample(image, kernel, row, col, products, float(products.sum()), output)


def gaussian_kernel(sigma: float, size: int | None = None) -> np.ndarray:
    """Isotropic Gaussian blur kernel, normalised so its weights sum to 1.

    Parameters
    ----------
    sigma : float
        Standard deviation in pixels (> 0).
    size : int, optional
        Odd side length in pixels; default ``2 * ceil(3 sigma) + 1`` (the kernel reaches 3 sigma).

    Returns
    -------
    ndarray of shape (size, size)
        ``exp(-(u^2 + v^2) / (2 sigma^2))`` over the offsets ``u, v`` from the centre, divided by its sum.
        Filtering white noise of variance ``s^2`` leaves variance ``s^2 * sum(k^2)``
        (about ``s^2 / (4 pi sigma^2)`` for a wide enough kernel).
    """
    from matnn.core.validation import check, positive

    check("gaussian_kernel", "sigma", sigma, positive())
    if size is None:
        size = 2 * int(np.ceil(3.0 * sigma)) + 1
    check("gaussian_kernel", "size", size, positive(int))
    if size % 2 == 0:
        raise ConfigError(f"'size' of gaussian_kernel must be an odd int; got {size!r}")
    r = np.arange(size) - size // 2
    g = np.exp(-(r**2) / (2.0 * float(sigma) ** 2))
    k = np.outer(g, g)
    return k / k.sum()


# Sobel: central difference [-1, 0, 1] along one axis, smoothing [1, 2, 1] along the other.
SOBEL_X: np.ndarray = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
SOBEL_Y: np.ndarray = SOBEL_X.T.copy()


def sobel_kernel(axis: str = "x") -> np.ndarray:
    """Sobel kernel (a copy): ``'x'`` is positive where intensity increases to the right (a vertical edge),
    ``'y'`` where it increases downwards (a horizontal edge).  Unnormalised: a unit step gives 4."""
    from matnn.core.validation import Options, check

    check("sobel_kernel", "axis", axis, Options(("x", "y")))
    return (SOBEL_X if axis.lower() == "x" else SOBEL_Y).copy()


def laplacian_kernel(neighbours: int = 4) -> np.ndarray:
    """Discrete Laplacian ``d2/dx2 + d2/dy2``: 4-neighbour ``[[0,1,0],[1,-4,1],[0,1,0]]`` or the
    8-neighbour ``[[1,1,1],[1,-8,1],[1,1,1]]`` (the quiz's edge detector with the opposite sign).

    Weights sum to 0, so the response is 0 on flat regions and on linear ramps.
    """
    if isinstance(neighbours, bool) or neighbours not in (4, 8):
        raise ConfigError(f"'neighbours' of laplacian_kernel must be 4 or 8; got {neighbours!r}")
    if neighbours == 4:
        return np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
    k = np.ones((3, 3))
    k[1, 1] = -8.0
    return k


def vertical_edge_kernel() -> np.ndarray:
    """The hand-made vertical-line filter ``[[-1, 2, -1]] * 3``: the quiz's horizontal-line detector turned
    by 90 degrees.

    A bright vertical line one pixel wide and at least 3 long gives 6 at its centre; a horizontal line
    gives at most 1 (at its ends: ``2 - 1``); a uniform region gives 0 (the weights sum to 0).
    """
    return QUIZ_KERNELS["horizontal_lines"].T.copy()
