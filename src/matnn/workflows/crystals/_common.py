"""Helpers shared by the crystal workflows: splits, hardware description, batched prediction."""

from __future__ import annotations

import os
import platform
import time
from typing import Any

import numpy as np
import torch

from matnn.core.callbacks import Callback
from matnn.core.exceptions import ConfigError

__all__ = ["holdout_split", "group_holdout_split", "hardware", "EpochTimer", "predict_dataset"]


def holdout_split(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random split of ``range(n)`` into (train, test) positions; test gets ``round(n·fraction)``."""
    if not 0.0 < test_fraction < 1.0:
        raise ConfigError(f"test_fraction must be in (0, 1). Got {test_fraction!r} instead.")
    perm = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    if n_test < 1 or n_test >= n:
        raise ConfigError(f"A test fraction of {test_fraction} of {n} structures leaves no training or no test data.")
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def group_holdout_split(groups: list[str], test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`holdout_split` but whole groups (e.g. all frames of one MD run) go to one side."""
    names = np.array(sorted(set(groups)))
    g_train, g_test = holdout_split(len(names), test_fraction, seed)
    test_names = set(names[g_test])
    is_test = np.array([g in test_names for g in groups])
    return np.nonzero(~is_test)[0], np.nonzero(is_test)[0]


def hardware(device: torch.device | str | None = None) -> str:
    """One line naming the CPU/GPU and thread count, for benchmark records."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    text = f"{cpu} ({cores} usable core{'s' if cores != 1 else ''}, torch {torch.__version__}, {torch.get_num_threads()} thread{'s' if torch.get_num_threads() != 1 else ''})"
    dev = torch.device(device) if device is not None else None
    if dev is not None and dev.type == "cuda":
        text += f", GPU {torch.cuda.get_device_name(dev)}"
    return text


class EpochTimer(Callback):
    """A callback recording the wall time of every epoch (seconds) in ``times``."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []
        self._t0 = 0.0

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.times.append(time.perf_counter() - self._t0)


def predict_dataset(model: Any, dataset: Any, *, batch_size: int = 256, device: Any = None) -> np.ndarray:
    """``model.predict`` over a graph data set, shape (n_items, n_outputs)."""
    from matnn.data.crystals.batch import collate_graphs

    return np.asarray(model.predict(dataset, batch_size=batch_size, collate_fn=collate_graphs, device=device))
