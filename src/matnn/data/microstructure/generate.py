"""Synthetic two-phase microstructures from porespy, filtered for percolation and labelled by the solver.

Each candidate ``k`` of a run with seed ``s`` draws its porosity, blobiness and porespy seed from
``numpy.random.default_rng([s, k])``, so candidate ``k`` is the same image whatever happened before
it: a run can stop and resume (checkpoint) and still give the identical data set.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import ConfigError, DataError, require
from matnn.data.microstructure.dataset import MicrostructureDataset
from matnn.data.microstructure.diffusion import solve_diffusion

__all__ = ["GenerationSpec", "blob_image", "generate_dataset", "particle_image"]


@dataclass(frozen=True)
class GenerationSpec:
    """What to generate: image size and the ranges the porosity and blobiness are drawn from (uniformly).

    Parameters
    ----------
    size : int, default=64
        Images are ``size x size`` pixels.
    porosity : (float, float), default=(0.45, 0.9)
        Target pore fraction range. In 2D a smooth random two-phase field percolates only above
        about 0.5, so lower values mostly produce rejected candidates.
    blobiness : (float, float), default=(0.5, 3.0)
        porespy's blobiness range: the Gaussian blur of the noise has ``sigma = size / (40 * blobiness)``
        pixels, so larger values give more, smaller blobs.
    axis : int, default=0
        Transport axis for the percolation filter and the solve (0 = top to bottom).
    """

    size: int = 64
    porosity: tuple[float, float] = (0.45, 0.9)
    blobiness: tuple[float, float] = (0.5, 3.0)
    axis: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.size, (int, np.integer)) or self.size < 4:
            raise ConfigError(
                f"The 'size' of generated images must be an integer >= 4 pixels. Got {self.size!r} instead."
            )
        lo, hi = self.porosity
        if not 0.0 < lo <= hi < 1.0:
            raise ConfigError(f"The 'porosity' range must satisfy 0 < low <= high < 1. Got {self.porosity!r} instead.")
        lo, hi = self.blobiness
        if not 0.0 < lo <= hi:
            raise ConfigError(f"The 'blobiness' range must satisfy 0 < low <= high. Got {self.blobiness!r} instead.")
        if self.axis not in (0, 1):
            raise ConfigError(f"The transport 'axis' of a 2D image must be 0 or 1. Got {self.axis!r} instead.")

    def candidate(self, seed: int, k: int) -> tuple[float, float, int]:
        """(target porosity, blobiness, porespy seed) of candidate ``k`` of a run seeded ``seed``."""
        rng = np.random.default_rng([int(seed) % (2**32), int(k)])
        por = float(rng.uniform(*self.porosity))
        blob = float(rng.uniform(*self.blobiness))
        return por, blob, int(rng.integers(0, 2**31 - 1))


def import_porespy() -> Any:
    """porespy, imported without the logging handler its import puts on the root logger.

    That rich handler would print every library's INFO records (a Dask cluster's start and stop, for
    instance) in any program that generates an image; matnn removes what the import added and leaves
    the caller's own handlers alone.
    """
    import logging

    root = logging.getLogger()
    before = list(root.handlers)
    ps = require("porespy", "images")
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
    return ps


def blob_image(size: int, porosity: float, blobiness: float, seed: int) -> np.ndarray:
    """One porespy ``blobs`` image of shape (size, size), True = pore (periodic blobs, exact porosity)."""
    ps = import_porespy()
    state = np.random.get_state()  # porespy reseeds NumPy's global generator; leave the caller's intact
    try:
        im = ps.generators.blobs(
            [int(size), int(size)], porosity=float(porosity), blobiness=float(blobiness), seed=int(seed)
        )
    finally:
        np.random.set_state(state)
    return np.asarray(im, dtype=bool)


def particle_image(size: int, porosity: float, radius: int, seed: int, *, ndim: int = 3) -> np.ndarray:
    """Packed-particle image: solid = overlapping spheres of ``radius`` voxels, True = pore, shape (size,)*ndim.

    The pore phase of a particle packing stays connected down to porosities of a few percent, as in a
    calendered battery electrode; the complement of a smooth random field (:func:`blob_image`) stops
    percolating near 0.16 in 3D (0.5 in 2D). porespy iterates the sphere count to reach ``porosity``
    (to about 0.01).
    """
    if ndim not in (2, 3):
        raise ConfigError(f"'ndim' of particle_image must be 2 or 3; got {ndim!r}")
    ps = import_porespy()
    state = np.random.get_state()  # porespy reseeds NumPy's global generator; leave the caller's intact
    try:
        im = ps.generators.overlapping_spheres(
            [int(size)] * ndim, r=int(radius), porosity=float(porosity), seed=int(seed)
        )
    finally:
        np.random.set_state(state)
    return np.asarray(im, dtype=bool)


def generate_dataset(
    n: int,
    *,
    spec: GenerationSpec | None = None,
    seed: int = 0,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 1000,
    max_candidates: int | None = None,
    progress: bool = True,
    on_checkpoint: Callable[[MicrostructureDataset], None] | None = None,
) -> MicrostructureDataset:
    """Generate ``n`` percolating microstructures labelled with tortuosity, diffusivity and profile.

    Parameters
    ----------
    n : int
        Number of kept (percolating) images.
    spec : GenerationSpec, optional
        Size and parameter ranges (default 64 x 64, porosity 0.45-0.9, blobiness 0.5-3).
    seed : int, default=0
        Run seed; the same seed and spec give the same data set.
    checkpoint : path, optional
        File (``.npz``) updated atomically every ``checkpoint_every`` kept images; if it exists with the
        same seed and spec the run resumes from it.
    max_candidates : int, optional
        Give up (``DataError``) after this many candidates; default ``50 * n + 100``.
    progress : bool
        Show a progress bar / lines.

    Returns
    -------
    MicrostructureDataset
        ``images`` (n, size, size) bool, ``porosity``, ``porosity_target``, ``blobiness``, ``tau``,
        ``d_eff`` (D_eff/D0), ``profile`` (n, size) and ``candidate`` (index of each kept candidate),
        plus ``n_candidates`` tried.
    """
    from matnn.utils.progress import progress as progress_bar

    spec = spec or GenerationSpec()
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ConfigError(f"The number of images 'n' must be a positive integer. Got {n!r} instead.")
    max_candidates = int(max_candidates or 50 * n + 100)
    meta = {
        "seed": int(seed),
        "size": int(spec.size),
        "porosity_range": list(spec.porosity),
        "blobiness_range": list(spec.blobiness),
        "axis": int(spec.axis),
        "generator": "porespy.generators.blobs",
    }
    rows: dict[str, list] = {
        k: [] for k in ("images", "porosity", "porosity_target", "blobiness", "tau", "d_eff", "profile", "candidate")
    }
    k0 = 0
    if checkpoint is not None and Path(checkpoint).exists():
        prev = MicrostructureDataset.load(checkpoint)
        same = {key: prev.meta.get(key) for key in meta} == meta
        if not same:
            raise DataError(
                f"Checkpoint {checkpoint} was made with different settings ({prev.meta}); "
                f"delete it or choose another path to start a new run with {meta}."
            )
        for key in rows:
            rows[key] = list(getattr(prev, key))
        k0 = int(prev.meta.get("n_candidates", 0))

    def snapshot(k_next: int) -> MicrostructureDataset:
        arrays = {key: np.asarray(v) for key, v in rows.items()}
        if not rows["images"]:
            arrays["images"] = np.zeros((0, spec.size, spec.size), bool)
            arrays["profile"] = np.zeros((0, spec.size))
        return MicrostructureDataset(**arrays, meta={**meta, "n_candidates": k_next})

    bar = progress_bar(total=n, desc="microstructures", enabled=progress)
    bar.update(len(rows["tau"]))
    k = k0
    last_ckpt = len(rows["tau"])
    while len(rows["tau"]) < n:
        if k >= max_candidates:
            raise DataError(
                f"Only {len(rows['tau'])} of {n} candidates percolated after {k} tries with porosity range "
                f"{spec.porosity}; raise the porosity range (2D blobs percolate above ~0.5)."
            )
        por_t, blob, s = spec.candidate(seed, k)
        im = blob_image(spec.size, por_t, blob, s)
        res = solve_diffusion(im, axis=spec.axis)
        if res.percolating:
            rows["images"].append(im)
            rows["porosity"].append(res.porosity)
            rows["porosity_target"].append(por_t)
            rows["blobiness"].append(blob)
            rows["tau"].append(res.tau)
            rows["d_eff"].append(res.d_eff)
            rows["profile"].append(res.profile)
            rows["candidate"].append(k)
            bar.update(1)
        k += 1
        if checkpoint is not None and len(rows["tau"]) - last_ckpt >= checkpoint_every:
            snap = snapshot(k)
            snap.save(checkpoint)
            last_ckpt = len(rows["tau"])
            if on_checkpoint is not None:
                on_checkpoint(snap)
    bar.close()
    return snapshot(k)
