"""The lecture's kernels and its worked convolution example.

* :data:`QUIZ_KERNELS` — the three quiz kernels: a 1/9 box kernel (blur), the horizontal-line
  detector ``[-1 -1 -1; 2 2 2; -1 -1 -1]`` and the edge (Laplacian-type) detector with 8 in the
  centre and -1 around it.
* :func:`worked_example` — a 3 x 3 kernel applied to a binary patch: the output is the sum of the
  element-wise products, 31.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matnn.core.exceptions import unknown_name

__all__ = ["QUIZ_KERNELS", "quiz_kernel", "WorkedExample", "worked_example"]

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
