"""Monte Carlo dropout predictions: the mean (and spread) of several dropout-on forward passes."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from matnn.core.exceptions import ConfigError

__all__ = ["predict_monte_carlo"]


def predict_monte_carlo(
    model: Any, x: Any, n_samples: int, *, seed: int = 0, batch_size: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation over ``n_samples`` passes of a model whose dropout stays on.

    The model's :class:`~matnn.layers.Dropout` layers must be built with ``monte_carlo=True`` (for
    example ``build_elemnet(monte_carlo_dropout=True)``); otherwise every pass is identical and the
    standard deviation is 0.  The passes draw their masks from a generator seeded with ``seed`` inside
    a forked RNG state, so the same call gives the same numbers and the global random state is left
    untouched.

    Returns
    -------
    mean, std : numpy.ndarray
        Shape of one ``model.predict(x)`` output, e.g. ``(n_samples_x, n_outputs)``; ``std`` is the
        spread of the passes (population standard deviation), a rough per-row uncertainty.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise ConfigError(
            f"n_samples must be a positive integer (number of dropout passes). Got {n_samples!r} instead."
        )
    total = None
    total_sq = None
    # fork_rng restores the CPU (and CUDA, when present) generators afterwards
    with torch.random.fork_rng(devices=list(range(torch.cuda.device_count()))):
        torch.manual_seed(int(seed))
        for _ in range(n_samples):
            out = np.asarray(model.predict(x, batch_size=batch_size), dtype=np.float64)
            total = out if total is None else total + out
            total_sq = out**2 if total_sq is None else total_sq + out**2
    mean = total / n_samples
    var = np.maximum(total_sq / n_samples - mean**2, 0.0)
    return mean, np.sqrt(var)
