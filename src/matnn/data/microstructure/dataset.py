"""A labelled set of 2D microstructure images and its file format (one ``.npz``).

File format (``np.savez_compressed``; every array has ``n`` rows):

========================  ======================  =============================================
key                       dtype / shape           meaning
========================  ======================  =============================================
``images``                uint8 (n, H, W)         1 = pore (conducting), 0 = solid
``tau``                   float64 (n,)            tortuosity factor ``ε D0 / D_eff`` (> 0, finite)
``d_eff``                 float64 (n,)            relative effective diffusivity ``D_eff / D0``
``porosity``              float64 (n,)            pore fraction ``ε`` of each image
``profile``               float64 (n, H)          through-plane concentration profile (inlet c=1)
``porosity_target``       float64 (n,)            optional: porosity asked of the generator
``blobiness``             float64 (n,)            optional: porespy blobiness
``candidate``             int64 (n,)              optional: candidate index in the generating run
``meta``                  str (JSON)              optional: generator settings, seed, axis
========================  ======================  =============================================

Transport runs along axis 0 of each image (top to bottom) unless ``meta["axis"]`` says otherwise.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from matnn.core.exceptions import ConfigError, DataError, ShapeError

__all__ = ["MicrostructureDataset"]

_REQUIRED = ("images", "tau", "d_eff", "porosity", "profile")
_OPTIONAL = ("porosity_target", "blobiness", "candidate")


@dataclass
class MicrostructureDataset:
    """Images with their transport labels; see the module docstring for the fields and units."""

    images: np.ndarray
    tau: np.ndarray
    d_eff: np.ndarray
    porosity: np.ndarray
    profile: np.ndarray
    porosity_target: np.ndarray | None = None
    blobiness: np.ndarray | None = None
    candidate: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.images = np.asarray(self.images).astype(bool)
        for key in ("tau", "d_eff", "porosity", "porosity_target", "blobiness"):
            val = getattr(self, key)
            if val is not None:
                setattr(self, key, np.asarray(val, dtype=float))
        self.profile = np.asarray(self.profile, dtype=float)
        if self.candidate is not None:
            self.candidate = np.asarray(self.candidate, dtype=np.int64)
        self.validate()

    # ----------------------------------------------------------------- checks
    def validate(self, source: str = "the data set") -> None:
        """Raise ShapeError/DataError when arrays disagree in length or hold non-physical values."""
        if self.images.ndim != 3:
            raise ShapeError(f"'images' in {source} must have shape (n, height, width). Got {self.images.shape}.")
        n, h, _ = self.images.shape
        for key in ("tau", "d_eff", "porosity", *_OPTIONAL):
            val = getattr(self, key)
            if val is not None and val.shape != (n,):
                raise ShapeError(f"'{key}' in {source} must have shape ({n},) like 'images'. Got {val.shape}.")
        if self.profile.shape != (n, h):
            raise ShapeError(f"'profile' in {source} must have shape ({n}, {h}). Got {self.profile.shape}.")
        if n and not (np.all(np.isfinite(self.tau)) and np.all(self.tau > 0)):
            bad = int(np.flatnonzero(~(np.isfinite(self.tau) & (self.tau > 0)))[0])
            raise DataError(
                f"'tau' in {source} must be finite and > 0 (percolating images only); row {bad} has {self.tau[bad]!r}."
            )

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def log_tau(self) -> np.ndarray:
        """Natural logarithm of the tortuosity factor, shape (n,)."""
        return np.log(self.tau)

    def subset(self, idx: np.ndarray) -> MicrostructureDataset:
        """Rows ``idx`` as a new data set (same meta)."""
        kw = {k: (None if getattr(self, k) is None else getattr(self, k)[idx]) for k in (*_REQUIRED, *_OPTIONAL)}
        return MicrostructureDataset(**kw, meta=dict(self.meta))

    # --------------------------------------------------------------------- IO
    def save(self, path: str | os.PathLike) -> Path:
        """Write the ``.npz`` file atomically."""
        from matnn.utils.io import atomic_save_npz

        arrays = {
            "images": self.images.astype(np.uint8),
            "tau": self.tau,
            "d_eff": self.d_eff,
            "porosity": self.porosity,
            "profile": self.profile,
            "meta": np.array(json.dumps(self.meta)),
        }
        for key in _OPTIONAL:
            if getattr(self, key) is not None:
                arrays[key] = getattr(self, key)
        return atomic_save_npz(path, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> MicrostructureDataset:
        """Read a file written by :meth:`save` (or by hand in the same format), with clear errors."""
        path = Path(path)
        if not path.exists():
            raise DataError(
                f"Microstructure data file {path} does not exist (make one with 'matnn microstructure generate')."
            )
        try:
            with np.load(path, allow_pickle=False) as z:
                keys = set(z.files)
                missing = [k for k in _REQUIRED if k not in keys]
                if missing:
                    raise DataError(
                        f"{path} lacks the array(s) {', '.join(missing)}; a microstructure data file needs "
                        f"{', '.join(_REQUIRED)} (see matnn.data.microstructure.dataset)."
                    )
                arrays = {k: z[k] for k in (*_REQUIRED, *_OPTIONAL) if k in keys}
                meta = json.loads(str(z["meta"])) if "meta" in keys else {}
        except DataError:
            raise
        except Exception as exc:  # zipfile.BadZipFile, ValueError from pickled arrays, ...
            raise DataError(f"Cannot read {path} as a microstructure .npz file: {exc}") from None
        images = arrays["images"]
        if images.ndim == 3 and images.size and not np.isin(np.unique(images), (0, 1)).all():
            raise DataError(
                f"'images' in {path} must hold only 0 (solid) and 1 (pore). Found values {np.unique(images)[:6]}."
            )
        try:
            return cls(**arrays, meta=meta)
        except (ShapeError, DataError) as exc:
            raise type(exc)(str(exc).replace("the data set", str(path))) from None

    @classmethod
    def from_images(cls, images: np.ndarray, *, axis: int = 0, progress: bool = True) -> MicrostructureDataset:
        """Label the user's binary images (n, H, W) with the solver; non-percolating images raise DataError."""
        from matnn.data.microstructure.diffusion import solve_diffusion
        from matnn.data.microstructure.percolation import as_binary_image
        from matnn.utils.progress import progress as progress_bar

        ims = as_binary_image(images, name="image stack", ndim=3)
        if axis not in (0, 1):
            raise ConfigError(
                f"The transport 'axis' of 2D images must be 0 (rows) or 1 (columns). Got {axis!r} instead."
            )
        if axis == 1:  # the data set convention is transport along axis 0
            ims = ims.transpose(0, 2, 1)
        rows = []
        for k, im in enumerate(progress_bar(ims, desc="solving", enabled=progress)):
            r = solve_diffusion(im, axis=0)
            if not r.percolating:
                raise DataError(f"Image {k} of the stack has no pore path between the two faces normal to axis {axis}.")
            rows.append((r.tau, r.d_eff, r.porosity, r.profile))
        tau, d_eff, por, prof = (np.array(v) for v in zip(*rows, strict=True))
        return cls(
            images=ims, tau=tau, d_eff=d_eff, porosity=por, profile=prof, meta={"axis": 0, "source": "user images"}
        )
