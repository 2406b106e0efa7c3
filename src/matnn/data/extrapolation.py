"""Is a prediction input inside the training data?  Per-feature ranges stored with a saved run.

A model asked about an input far from everything it was trained on extrapolates, and its answer can
be wrong without any sign.  :class:`TrainingRange` records, per input feature, the training mean,
standard deviation, minimum and maximum; :meth:`TrainingRange.check` flags an input row when any
feature lies more than ``z_max`` (default :data:`EXTRAPOLATION_Z` = 4) training standard deviations
from the training mean, or when a feature that was constant in training takes another value.  The
prediction workflows report the count as ``n_beyond_training`` in ``metrics.json`` and on stderr.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matnn.core.exceptions import DataError

__all__ = ["TrainingRange", "EXTRAPOLATION_Z", "TRAINING_RANGE_FILE"]

#: An input more than this many training standard deviations from the training mean (in any feature)
#: is an extrapolation.
EXTRAPOLATION_Z = 4.0
#: File name of a saved :class:`TrainingRange` inside a run or model folder.
TRAINING_RANGE_FILE = "training_range.json"


@dataclass
class TrainingRange:
    """Per-feature statistics of the training inputs.

    Attributes
    ----------
    names : list of str, length n_features
    mean, std, low, high : ndarray of shape (n_features,)
        Training mean, standard deviation, minimum and maximum, in the features' units.
    n_train : int
    """

    names: list[str]
    mean: np.ndarray
    std: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n_train: int

    @classmethod
    def fit(cls, X: np.ndarray, names: Sequence[str] | None = None) -> TrainingRange:
        """Statistics of ``X`` (n_rows, n_features); non-finite entries are ignored."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[0] == 0:
            raise DataError(f"TrainingRange.fit needs a non-empty (n_rows, n_features) matrix; got shape {X.shape}.")
        Xm = np.where(np.isfinite(X), X, np.nan)
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN statistics, kept as such
                stats = [np.nanmean(Xm, 0), np.nanstd(Xm, 0), np.nanmin(Xm, 0), np.nanmax(Xm, 0)]
        names = [str(n) for n in names] if names is not None else [f"x{i}" for i in range(X.shape[1])]
        if len(names) != X.shape[1]:
            raise DataError(f"TrainingRange.fit: {len(names)} names for {X.shape[1]} features.")
        return cls(names, *stats, n_train=int(X.shape[0]))

    def z_scores(self, X: np.ndarray) -> np.ndarray:
        """|x − mean| / std per entry, shape (n_rows, n_features); ``inf`` where a feature constant in
        training (std below 1e-9 of its size) differs from its training value, or where x is not finite."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.names):
            raise DataError(f"Inputs have shape {X.shape}; the training range covers {len(self.names)} features.")
        # Absolute floor 1e-12: a subnormal floor would be flushed to zero where denormals are disabled.
        scale = np.maximum(self.std, np.maximum(1e-9 * np.abs(self.mean), 1e-12))
        with np.errstate(all="ignore"):
            z = np.abs(X - self.mean) / scale
        z[np.isnan(z) | ~np.isfinite(X)] = np.inf
        z[:, ~np.isfinite(self.mean)] = 0.0  # a feature never seen finite in training says nothing
        return z

    def check(self, X: np.ndarray, z_max: float = EXTRAPOLATION_Z) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Flag rows beyond the training data.

        Returns
        -------
        beyond : ndarray of bool, shape (n_rows,)
        max_z : ndarray of float, shape (n_rows,)
            The largest feature z-score of each row.
        worst : ndarray of int, shape (n_rows,)
            Index (into :attr:`names`) of that feature.
        """
        z = self.z_scores(X)
        if z.shape[1] == 0:
            n = z.shape[0]
            return np.zeros(n, bool), np.zeros(n), np.zeros(n, int)
        worst = np.argmax(z, axis=1)
        max_z = z[np.arange(z.shape[0]), worst]
        return max_z > z_max, max_z, worst

    def to_dict(self) -> dict:
        def arr(a: np.ndarray) -> list:
            return [float(v) if np.isfinite(v) else None for v in a]

        return {
            "names": self.names,
            "mean": arr(self.mean),
            "std": arr(self.std),
            "low": arr(self.low),
            "high": arr(self.high),
            "n_train": self.n_train,
        }

    @classmethod
    def from_dict(cls, d: dict) -> TrainingRange:
        try:

            def arr(key: str) -> np.ndarray:
                return np.array([np.nan if v is None else float(v) for v in d[key]], dtype=np.float64)

            out = cls([str(n) for n in d["names"]], arr("mean"), arr("std"), arr("low"), arr("high"), int(d["n_train"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"Not a training-range record ({type(exc).__name__}: {exc}).") from None
        if not all(len(a) == len(out.names) for a in (out.mean, out.std, out.low, out.high)):
            raise DataError("Not a training-range record: the statistics have different lengths.")
        return out

    def save(self, path: str | os.PathLike) -> Path:
        from matnn.utils.io import write_json

        return write_json(Path(path), self.to_dict())

    @classmethod
    def load(cls, path: str | os.PathLike) -> TrainingRange | None:
        """The range saved at ``path``, or None when there is no such file (older runs)."""
        path = Path(path)
        if not path.is_file():
            return None
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: cannot be read as JSON ({exc}).") from None
        try:
            return cls.from_dict(d)
        except DataError as exc:
            raise DataError(f"{path}: {exc}") from None

    def report(self, X: np.ndarray, ids: Sequence[str], *, what: str = "input", z_max: float = EXTRAPOLATION_Z) -> dict:
        """Flag rows of ``X`` and warn on stderr; returns the flat metrics ``n_beyond_training``,
        ``max_feature_z``, ``beyond_training_ids`` (up to 20) and ``extrapolation_z``."""
        import sys

        beyond, max_z, worst = self.check(X, z_max)
        n = int(beyond.sum())
        top = float(max_z.max()) if max_z.size else 0.0
        flagged = [str(ids[i]) for i in np.flatnonzero(beyond)]
        if n:
            i0 = int(np.flatnonzero(beyond)[np.argmax(max_z[beyond])])
            print(
                f"warning: {n} of {len(beyond)} {what}(s) lie beyond the training data (a feature more than {z_max:g} "
                f"training standard deviations from the training mean; largest: {ids[i0]!s}, feature "
                f"{self.names[int(worst[i0])]!r}, z = {max_z[i0]:.3g}): {', '.join(flagged[:5])}"
                f"{' ...' if n > 5 else ''}. Their predictions are extrapolations.",
                file=sys.stderr,
            )
        # JSON has no inf: an infinite z (non-finite input, or off a feature constant in training) is written as null.
        return {
            "n_beyond_training": n,
            "max_feature_z": top if np.isfinite(top) else None,
            "beyond_training_ids": flagged[:20],
            "extrapolation_z": z_max,
        }
