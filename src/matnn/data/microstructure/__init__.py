"""Microstructure images: percolation, steady-state diffusion (tortuosity), generation, data sets.

Importing this package does not import porespy; generation imports it on first use.
"""

from __future__ import annotations

from matnn.data.microstructure.dataset import MicrostructureDataset
from matnn.data.microstructure.diffusion import (
    DiffusionResult,
    solve_diffusion,
    solve_diffusivity_map,
    through_plane_profile,
    tortuosity,
)
from matnn.data.microstructure.generate import GenerationSpec, blob_image, generate_dataset
from matnn.data.microstructure.percolation import as_binary_image, percolates, percolating_mask

__all__ = [
    "MicrostructureDataset",
    "DiffusionResult",
    "solve_diffusion",
    "solve_diffusivity_map",
    "through_plane_profile",
    "tortuosity",
    "GenerationSpec",
    "blob_image",
    "generate_dataset",
    "as_binary_image",
    "percolates",
    "percolating_mask",
]
