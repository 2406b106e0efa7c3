"""Feature standardisation that cannot blow up: near-constant columns stay unscaled, z-scores are bounded.

Plain standardisation divides by each column's training spread. A column that is constant except for
rounding noise (Magpie's "minimum GSmagmom" spreads by a few μB·1e-6 on Matbench expt_gap, where all but five formulas hold a non-magnetic element) then turns an
ordinary value of a new row into z ≈ 10⁶, and the network's prediction with it. Here such a column is
only centred, and every z-score is clipped to ``±max_z``; both counts are reported so the user sees them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Standardizer", "MAX_Z", "REL_TOL"]

#: Largest |z| a standardised value may take (a value 50 spreads from the training mean is far outside it).
MAX_Z = 50.0
#: A column whose spread is below ``REL_TOL · max(1, max |x|)`` counts as constant: centred, not scaled.
#: Magpie features are O(1)–O(1000) in their units, so a spread of 1e-4 is rounding noise or a handful of rows.
REL_TOL = 1e-4


@dataclass
class Standardizer:
    """Centre and scale columns learned from training rows.

    Attributes
    ----------
    mean, scale : ndarray of shape (n_features,)
        ``z = clip((x − mean) / scale, −max_z, max_z)``; ``scale`` is 1 for near-constant columns.
    n_unscaled : int
        Columns treated as constant.
    """

    mean: np.ndarray
    scale: np.ndarray
    n_unscaled: int = 0
    max_z: float = MAX_Z

    @classmethod
    def fit(cls, X: np.ndarray, *, rel_tol: float = REL_TOL, max_z: float = MAX_Z) -> Standardizer:
        """Learn the statistics of ``X`` (n_rows, n_features), finite values only."""
        X = np.asarray(X, dtype=np.float64)
        mean = X.mean(axis=0)
        scale = X.std(axis=0)
        flat = scale <= rel_tol * np.maximum(1.0, np.abs(X).max(axis=0, initial=0.0))
        scale[flat] = 1.0
        return cls(mean=mean, scale=scale, n_unscaled=int(flat.sum()), max_z=max_z)

    @classmethod
    def identity(cls, n_features: int) -> Standardizer:
        """No scaling at all (``z = x``, no clipping)."""
        return cls(mean=np.zeros(n_features), scale=np.ones(n_features), max_z=np.inf)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Standardised float32 copy of ``X``."""
        z = (np.asarray(X, dtype=np.float64) - self.mean) / self.scale
        return np.clip(z, -self.max_z, self.max_z).astype(np.float32)

    def n_clipped(self, X: np.ndarray) -> int:
        """How many entries of ``X`` :meth:`transform` clips."""
        z = (np.asarray(X, dtype=np.float64) - self.mean) / self.scale
        return int(np.sum(np.abs(z) > self.max_z))
