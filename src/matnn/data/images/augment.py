"""Symmetry augmentation for image regression: random flips that leave the label unchanged.

Steady transport between the two faces normal to axis 0 is unchanged by mirroring the image along
axis 0 (swap inlet and outlet) or along axis 1 (mirror the no-flux sides), so tortuosity, effective
diffusivity, porosity, ... are invariant under the four elements ``{identity, flip_0, flip_1, both}``.
(Transposing is *not* a symmetry: it turns the transport direction.)
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler

__all__ = ["FlipBatches", "flip_loader", "flip_variants", "shift_augment"]


class FlipBatches(Dataset):
    """Dataset whose items are whole batches: ``dataset[list_of_indices] -> (x_batch, y_batch)``.

    Each image of a batch is flipped along the height and/or width axis with probability 1/2 each.
    Images are channels-last ``(n, H, W, C)``; indexing by a list keeps the per-batch cost to a few
    vectorised tensor operations.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, *, seed: int = 0) -> None:
        self.x = torch.as_tensor(np.ascontiguousarray(x), dtype=torch.float32)
        self.y = torch.as_tensor(np.ascontiguousarray(y), dtype=torch.float32)
        self.generator = torch.Generator().manual_seed(int(seed))

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def __getitem__(self, idx):  # type: ignore[override]
        xb = self.x[idx]
        n = xb.shape[0]
        f0 = torch.rand(n, generator=self.generator) < 0.5
        f1 = torch.rand(n, generator=self.generator) < 0.5
        xb = torch.where(f0.view(-1, 1, 1, 1), xb.flip(1), xb)
        xb = torch.where(f1.view(-1, 1, 1, 1), xb.flip(2), xb)
        return xb, self.y[idx]


def flip_loader(x: np.ndarray, y: np.ndarray, *, batch_size: int = 64, seed: int = 0) -> DataLoader:
    """A shuffling DataLoader of randomly flipped batches (for ``Model.fit``'s streaming path)."""
    ds = FlipBatches(x, y, seed=seed)
    sampler = BatchSampler(
        RandomSampler(range(len(ds)), generator=torch.Generator().manual_seed(int(seed) + 1)),
        batch_size=int(batch_size),
        drop_last=False,
    )
    return DataLoader(ds, sampler=sampler, batch_size=None)


def flip_variants(x: np.ndarray) -> list[np.ndarray]:
    """The four flips of a channels-last image batch ``(n, H, W, C)`` (for test-time averaging)."""
    return [x, x[:, ::-1], x[:, :, ::-1], x[:, ::-1, ::-1]]


def shift_augment(x: np.ndarray, y: np.ndarray, *, max_shift: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Every image shifted by all offsets in ``[-max_shift, max_shift]^2`` (zero fill): ``(2 s + 1)^2`` copies.

    A handwritten digit moved by a pixel is the same digit; for 8 x 8 digits this small, shifted copies
    are the standard way to teach a network that invariance. Images ``(n, H, W, C)``; labels repeated.
    """
    x = np.asarray(x)
    xs, ys = [], []
    h, w = x.shape[1:3]
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            z = np.zeros_like(x)
            z[:, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = x[
                :, max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)
            ]
            xs.append(z)
            ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)
