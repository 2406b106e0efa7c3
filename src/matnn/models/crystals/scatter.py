"""Scatter (segment) reductions for message passing, in plain PyTorch.

A graph layer computes one message per edge and sums (or averages) the messages arriving at each
atom; pooling sums or averages atoms per crystal.  Both are ``out[index[k]] += src[k]``, which
``Tensor.index_add_`` does in one kernel on CPU and CUDA and is differentiable, including the
double backward that force training needs.  We use it rather than torch-scatter/torch-geometric:
those need compiled wheels matched to each torch version (none for our pinned CPU torch), and
their ``radius_graph`` ignores periodic images anyway.
"""

from __future__ import annotations

import torch

__all__ = ["scatter_sum", "scatter_mean", "segment_count"]


def scatter_sum(src: torch.Tensor, index: torch.Tensor, dim_size: int) -> torch.Tensor:
    """``out[n] = sum_{k: index[k] = n} src[k]``.

    Parameters
    ----------
    src : Tensor of shape (n_items, *)
    index : LongTensor of shape (n_items,)
        Target segment of every item, in ``0 .. dim_size - 1``.
    dim_size : int
        Number of segments (atoms, graphs).

    Returns
    -------
    Tensor of shape (dim_size, *)
    """
    out = src.new_zeros((dim_size, *src.shape[1:]))
    return out.index_add(0, index, src)


def segment_count(index: torch.Tensor, dim_size: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Number of items per segment, shape (dim_size,).

    A scatter-sum of ones rather than ``torch.bincount``: bincount's output length depends on the
    index values, which breaks a ``torch.compile`` graph in two at every call (counts are exact in
    float32 up to 2**24 items per segment).
    """
    return scatter_sum(torch.ones(index.shape[0], dtype=dtype, device=index.device), index, dim_size)


def scatter_mean(src: torch.Tensor, index: torch.Tensor, dim_size: int) -> torch.Tensor:
    """Mean of the items of each segment (0 for empty segments), shape (dim_size, *)."""
    total = scatter_sum(src, index, dim_size)
    count = segment_count(index, dim_size, src.dtype).clamp_(min=1.0)
    return total / count.view(-1, *([1] * (src.dim() - 1)))
