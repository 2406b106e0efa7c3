"""Helpers shared by the crystal workflows: hardware description, batched prediction, BatchNorm recalibration."""

from __future__ import annotations

import os
import platform
from typing import Any

import numpy as np
import torch

__all__ = ["hardware", "predict_dataset", "recalibrate_batchnorm"]


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


def predict_dataset(model: Any, dataset: Any, *, batch_size: int = 256, device: Any = None) -> np.ndarray:
    """``model.predict`` over a graph data set, shape (n_items, n_outputs)."""
    from matnn.data.crystals.batch import collate_graphs

    return np.asarray(model.predict(dataset, batch_size=batch_size, collate_fn=collate_graphs, device=device))


def recalibrate_batchnorm(model: torch.nn.Module, dataset: Any, *, batch_size: int = 64, device: Any = None) -> bool:
    """Re-estimate every BatchNorm layer's running mean and variance in one pass over ``dataset``.

    During training the running statistics are an exponential average over the last ~10 batches,
    so they drift from batch to batch even when the weights hardly change: on the 150-epoch CGCNN
    run the validation MAE jumped between 0.054 and 0.111 eV/atom over the last 30 epochs at a
    learning rate of 2e-5.  An equal-weight average over all training batches ("precise BN", the
    same as :func:`torch.optim.swa_utils.update_bn`, which does the work here) removes that noise.
    Use the training batch size, so the statistics match those the weights were trained with.
    Weights are untouched; returns False (and does nothing) when the model has no BatchNorm.
    """
    from torch.optim.swa_utils import update_bn
    from torch.utils.data import DataLoader

    from matnn.data.crystals.batch import collate_graphs

    if not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules()):
        return False
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=collate_graphs)
    update_bn(loader, model, device=torch.device(device) if device is not None else None)
    model.eval()
    return True
