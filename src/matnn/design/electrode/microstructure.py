"""Electrode → microstructure → tortuosity and specific surface area, and the transport the DFN receives.

For a porosity ``ε``, matnn's generator (:func:`matnn.data.microstructure.generate.particle_image`)
builds a 3D packed-particle image (solid = overlapping spheres of ``radius_vox`` voxels standing for
the NMC particles plus CBD), and matnn's finite-volume solver
(:func:`matnn.data.microstructure.diffusion.solve_diffusion`) measures the pore-phase tortuosity factor
``τ = ε D0 / D_eff`` along each of the three axes. The voxel edge is ``R_particle / radius_vox``, so the
voxel-face count of the pore/solid interface gives a specific surface area in m⁻¹.

Images are the slow step, so the measurement is made once per porosity *bin* (centre of a bin of width
``bin_width``; mean over axes and ``seeds`` images) and cached (:class:`TortuosityTable`).

The DFN receives the measured ``τ`` through PyBaMM's Bruggeman relation ``D_eff = D ε^b`` with
``b = 1 - ln τ / ln ε``, so that ``ε^(b-1) = 1/τ`` exactly (:func:`bruggeman_exponent`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from matnn.core.exceptions import DataError
from matnn.core.validation import Interval, fraction, positive, validate

__all__ = [
    "ImageSpec",
    "TortuosityTable",
    "bruggeman_exponent",
    "measure_bin",
    "specific_surface_area_vox",
]


@dataclass(frozen=True)
class ImageSpec:
    """How each porosity bin is imaged.

    Parameters
    ----------
    size : int, default=40
        Cubic image edge, voxels.
    radius_vox : int, default=5
        Particle radius, voxels.
    particle_radius_m : float, default=5.22e-6
        Physical particle radius (Chen2020 NMC811), m; sets the voxel size for the surface area.
    seeds : int, default=2
        Images per bin (each solved along its 3 axes).
    bin_width : float, default=0.02
        Porosity bin width.
    """

    size: int = 40
    radius_vox: int = 5
    particle_radius_m: float = 5.22e-6
    seeds: int = 2
    bin_width: float = 0.02

    def __post_init__(self) -> None:
        validate(
            "ImageSpec",
            asdict(self),
            {
                "size": Interval(int, 8, None),
                "radius_vox": Interval(int, 1, None),
                "particle_radius_m": positive(),
                "seeds": Interval(int, 1, None),
                "bin_width": Interval(float, 0, 0.5, closed="right"),
            },
        )

    @property
    def voxel_m(self) -> float:
        return self.particle_radius_m / self.radius_vox

    def bin_centre(self, porosity: float) -> float:
        """Centre of the bin holding ``porosity``."""
        return round((math.floor(porosity / self.bin_width) + 0.5) * self.bin_width, 10)


def bruggeman_exponent(porosity: float, tau: float) -> float:
    """PyBaMM Bruggeman exponent ``b`` with ``ε^(b-1) = 1/τ`` (so ``D_eff/D = ε^b = ε/τ``)."""
    validate(
        "bruggeman_exponent",
        {"porosity": porosity, "tau": tau},
        {"porosity": fraction(), "tau": Interval(float, 1, None)},
    )
    return 1.0 - math.log(tau) / math.log(porosity)


def specific_surface_area_vox(image: np.ndarray) -> float:
    """Pore/solid interface area per image volume, voxel⁻¹ (count of voxel faces between the phases)."""
    im = np.asarray(image, dtype=bool)
    faces = sum(int(np.count_nonzero(np.diff(im, axis=k))) for k in range(im.ndim))
    return faces / im.size


def measure_bin(porosity: float, spec: ImageSpec | None = None, *, seed: int = 0) -> dict[str, float]:
    """Image and solve one porosity: mean tortuosity over axes and seeds, its spread, and the surface area.

    Returns ``{"porosity", "tau", "tau_std", "ssa_per_m", "image_porosity"}``; raises
    :class:`~matnn.core.exceptions.DataError` if no image percolates.
    """
    from matnn.data.microstructure.diffusion import solve_diffusion
    from matnn.data.microstructure.generate import particle_image

    spec = spec or ImageSpec()
    taus, ssa, eps = [], [], []
    for k in range(spec.seeds):
        im = particle_image(spec.size, porosity, spec.radius_vox, seed=int(seed) * 1000 + k + 1)
        eps.append(float(im.mean()))
        ssa.append(specific_surface_area_vox(im) / spec.voxel_m)
        for axis in range(3):
            res = solve_diffusion(im, axis=axis, with_field=False)
            if res.percolating:
                taus.append(res.tau)
    if not taus:
        raise DataError(f"No {spec.size}³ particle image at porosity {porosity:.3f} percolates; no tortuosity.")
    # Average the conductance (1/τ), not τ: a nearly blocked axis would otherwise dominate.
    tau = float(1.0 / np.mean(1.0 / np.asarray(taus)))
    return {
        "porosity": float(porosity),
        "tau": max(tau, 1.0),
        "tau_std": float(np.std(taus)),
        "ssa_per_m": float(np.mean(ssa)),
        "image_porosity": float(np.mean(eps)),
    }


@dataclass
class TortuosityTable:
    """Tortuosity and surface area per porosity bin, filled on demand and optionally cached in a JSON file.

    Parameters
    ----------
    spec : ImageSpec
    path : path, optional
        JSON cache (written atomically after each new bin).
    seed : int
        Image seed base.
    """

    spec: ImageSpec = field(default_factory=ImageSpec)
    path: Path | None = None
    seed: int = 0
    bins: dict[float, dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.path is not None and Path(self.path).exists():
            from matnn.utils.io import read_json

            saved = read_json(self.path)
            if saved.get("spec") == asdict(self.spec) and saved.get("seed") == self.seed:
                self.bins = {float(k): v for k, v in saved["bins"].items()}

    def centres(self, porosities: Iterable[float]) -> list[float]:
        """Distinct bin centres of ``porosities``, sorted."""
        return sorted({self.spec.bin_centre(p) for p in porosities})

    def missing(self, porosities: Iterable[float]) -> list[float]:
        """Bin centres of ``porosities`` that still need an image."""
        return [c for c in self.centres(porosities) if c not in self.bins]

    def add(self, entries: Iterable[dict[str, float]]) -> None:
        """Store measured bins (from :func:`measure_bin`) and save the cache."""
        for e in entries:
            self.bins[self.spec.bin_centre(e["porosity"])] = e
        if self.path is not None:
            from matnn.utils.io import write_json

            write_json(
                self.path,
                {
                    "spec": asdict(self.spec),
                    "seed": self.seed,
                    "bins": {str(k): v for k, v in sorted(self.bins.items())},
                },
            )

    def fill(self, porosities: Iterable[float]) -> None:
        """Measure every missing bin of ``porosities`` in this process."""
        todo = self.missing(porosities)
        if todo:
            self.add([measure_bin(c, self.spec, seed=self.seed) for c in todo])

    def lookup(self, porosity: float) -> dict[str, float]:
        """The bin entry of ``porosity`` (measured now if missing)."""
        c = self.spec.bin_centre(porosity)
        if c not in self.bins:
            self.fill([porosity])
        return self.bins[c]

    def tau(self, porosity: float) -> float:
        return float(self.lookup(porosity)["tau"])
