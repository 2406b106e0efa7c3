"""Shared fixtures: a few porespy blob images that percolate along axis 0."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def blob_images() -> list[np.ndarray]:
    pytest.importorskip("porespy")
    from matnn.data.microstructure.generate import blob_image
    from matnn.data.microstructure.percolation import percolates

    images = []
    seed = 0
    while len(images) < 8:
        por = 0.55 + 0.05 * (seed % 6)
        im = blob_image(48, por, 1.0 + 0.5 * (seed % 3), seed)
        if percolates(im):
            images.append(im)
        seed += 1
    return images
