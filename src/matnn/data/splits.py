"""Seeded splits of row positions into train / validation / test, used by every area.

Each function takes a size (or positions) and a seed and returns sorted or shuffled integer positions.
The same seed gives the same split on every machine (NumPy's PCG64 generator), which is what lets a
training run, a re-score and an ensemble of runs made with one seed see exactly the same rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from matnn.core.exceptions import ConfigError

__all__ = [
    "holdout_split",
    "train_val_split",
    "property_split",
    "group_holdout_split",
    "validation_split",
    "split_indices",
]


def holdout_split(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random split of ``range(n)`` into (train, test) positions; test gets ``round(n·fraction)``."""
    if not 0.0 < test_fraction < 1.0:
        raise ConfigError(f"test_fraction must be in (0, 1). Got {test_fraction!r} instead.")
    perm = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    if n_test < 1 or n_test >= n:
        raise ConfigError(f"A test fraction of {test_fraction} of {n} structures leaves no training or no test data.")
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def train_val_split(
    pool: np.ndarray, val_fraction: float, seed: int, *, max_train: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of the positions ``pool`` (what the test set left) into sorted (train, val) positions.

    The validation part, ``round(len(pool)·val_fraction)`` items (at least one), only picks the best
    epoch; ``max_train`` subsamples the rest. ``seed + 1`` keeps it independent of the test split.
    """
    pool = np.random.default_rng(seed + 1).permutation(np.asarray(pool))
    n_val = max(1, int(round(len(pool) * val_fraction)))
    train_pos = pool[n_val:] if max_train is None else pool[n_val:][:max_train]
    return np.sort(train_pos), np.sort(pool[:n_val])


def property_split(
    full: Any,
    *,
    test_set: Any = None,
    test_fraction: float = 0.2,
    val_fraction: float = 0.1,
    seed: int = 0,
    max_train: int | None = None,
) -> tuple[Any, Any, Any]:
    """(train, val, test) subsets of the graph data set ``full``, as every property workflow splits it.

    Without ``test_set`` a seeded ``test_fraction`` of ``full`` is held out (:func:`holdout_split`);
    the rest is split by :func:`train_val_split`. One function, so that a training run, a re-score and
    an ensemble of runs made with the same ``seed`` see exactly the same structures.
    """
    if test_set is None:
        pool, test_pos = holdout_split(len(full), test_fraction, seed)
        test_set = full.subset(test_pos)
    else:
        pool = np.arange(len(full))
    train_pos, val_pos = train_val_split(pool, val_fraction, seed, max_train=max_train)
    return full.subset(train_pos), full.subset(val_pos), test_set


def group_holdout_split(groups: list[str], test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`holdout_split` but whole groups (e.g. all frames of one MD run) go to one side."""
    names = np.array(sorted(set(groups)))
    g_train, g_test = holdout_split(len(names), test_fraction, seed)
    test_names = set(names[g_test])
    is_test = np.array([g in test_names for g in groups])
    return np.nonzero(~is_test)[0], np.nonzero(is_test)[0]


def validation_split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled (train, validation) row positions; the validation part has ``round(fraction·n)`` ≥ 1 rows."""
    if not 0.0 < fraction < 1.0:
        raise ConfigError(f"validation_fraction must be in (0, 1). Got {fraction!r} instead.")
    if n < 4:
        raise ConfigError(f"At least 4 training rows are needed to carve a validation split. Got {n}.")
    perm = np.random.default_rng(seed).permutation(n)
    n_val = min(n - 2, max(1, int(round(fraction * n))))
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def split_indices(
    n: int, *, test_size: float | int, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random (train, validation, test) row indices; ``test_size`` is a fraction (< 1) or a count."""
    n_test = int(test_size) if test_size >= 1 else int(round(float(test_size) * n))
    if not 1 <= n_test < n:
        raise ConfigError(
            f"'test_size' gives {n_test} test images out of {n}; it must leave at least one on each side."
        )
    perm = np.random.default_rng(seed).permutation(n)
    test, rest = perm[:n_test], perm[n_test:]
    n_val = int(round(val_fraction * rest.size))
    if rest.size - n_val < 2:
        raise ConfigError(f"Only {rest.size - n_val} training images remain after the test and validation splits.")
    return rest[n_val:], rest[:n_val], test
