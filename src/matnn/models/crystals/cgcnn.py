"""CGCNN: the Crystal Graph Convolutional Neural Network as a matnn model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from matnn.core.exceptions import unknown_name
from matnn.core.registry import register_serializable
from matnn.data.crystals.batch import GraphBatch
from matnn.models.crystals._base import GraphPropertyModel, _positive_int
from matnn.models.crystals.layers import CGConv, GaussianExpansion
from matnn.models.crystals.scatter import scatter_mean, scatter_sum

__all__ = ["CGCNN"]


@register_serializable("matnn>CGCNN")
class CGCNN(GraphPropertyModel):
    """Crystal Graph Convolutional Neural Network (Xie & Grossman, PRL 120, 145301, 2018).

    Atoms start from a fixed feature vector (``atom_features``) mapped to ``atom_dim`` numbers;
    ``n_conv`` gated convolutions (:class:`~matnn.models.crystals.layers.CGConv`) mix in the
    neighbours, weighted through Gaussian-expanded distances; the atom vectors are averaged over
    the crystal ("pooling") and a dense head predicts the targets.  Defaults are the paper's.

    Parameters
    ----------
    n_targets : int, default=1
    atom_features : {'cgcnn', 'onehot'}, default='cgcnn'
        See :mod:`matnn.data.crystals.features`.
    atom_dim : int, default=64
        Width of the atom vectors in the convolutions.
    n_conv : int, default=3
    hidden_dim : int, default=128
        Width of the dense head.
    n_hidden : int, default=1
        Hidden layers in the head.
    cutoff : float, default=8.0
        Neighbour radius in Å (graphs must be built with it; see :attr:`graph_spec`).
    max_neighbors : int or None, default=12
        Nearest neighbours kept per atom (plus ties).
    n_gaussians : int, default=41
        Gaussian centres for distances over [0, cutoff] Å (paper: 0.2 Å spacing).
    pooling : {'mean', 'sum'}, default='mean'
    dropout : float, default=0.0
        Dropout before the output layer.
    target_mean, target_std : float or list of float
        Output scaling, normally set from data by :meth:`adapt`.

    Input: a :class:`~matnn.data.crystals.batch.GraphBatch`. Output: Tensor of shape
    (n_graphs, n_targets) in the target's units.

    References
    ----------
    T. Xie and J. C. Grossman, "Crystal Graph Convolutional Neural Networks for an Accurate and
    Interpretable Prediction of Material Properties", Phys. Rev. Lett. 120, 145301 (2018).
    """

    def __init__(
        self,
        n_targets: int = 1,
        *,
        atom_features: str = "cgcnn",
        atom_dim: int = 64,
        n_conv: int = 3,
        hidden_dim: int = 128,
        n_hidden: int = 1,
        cutoff: float = 8.0,
        max_neighbors: int | None = 12,
        n_gaussians: int = 41,
        pooling: str = "mean",
        dropout: float = 0.0,
        target_mean: float | Sequence[float] = 0.0,
        target_std: float | Sequence[float] = 1.0,
    ) -> None:
        super().__init__()
        for name, value in (
            ("atom_dim", atom_dim),
            ("n_conv", n_conv),
            ("hidden_dim", hidden_dim),
            ("n_gaussians", n_gaussians),
        ):
            _positive_int("CGCNN", name, value)
        if pooling not in ("mean", "sum"):
            raise unknown_name("pooling", pooling, ("mean", "sum"))
        self.n_targets, self.atom_features, self.atom_dim, self.n_conv = n_targets, atom_features, atom_dim, n_conv
        self.hidden_dim, self.n_hidden, self.cutoff, self.max_neighbors = hidden_dim, n_hidden, cutoff, max_neighbors
        self.n_gaussians, self.pooling, self.dropout_rate = n_gaussians, pooling, dropout
        self.target_mean, self.target_std = target_mean, target_std
        n_feat = self._init_common(
            n_targets=n_targets,
            atom_features=atom_features,
            cutoff=cutoff,
            max_neighbors=max_neighbors,
            target_mean=target_mean,
            target_std=target_std,
        )
        self.embedding = nn.Linear(n_feat, atom_dim)
        self.expansion = GaussianExpansion(0.0, cutoff, n_gaussians)
        self.convs = nn.ModuleList([CGConv(atom_dim, n_gaussians) for _ in range(n_conv)])
        sizes = [atom_dim] + [hidden_dim] * n_hidden
        self.hidden = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)])
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(sizes[-1], n_targets)

    def forward(self, x: GraphBatch) -> torch.Tensor:
        v = self.embedding(self.atom_table[x.numbers])
        u = self.expansion(x.distances)
        for conv in self.convs:
            v = conv(v, u, x.edge_index)
        return self._unscale(self.out(self.dropout(self._readout_hidden(v, x))))

    def _readout_hidden(self, v: torch.Tensor, x: GraphBatch) -> torch.Tensor:
        pool = scatter_mean if self.pooling == "mean" else scatter_sum
        h = pool(v, x.batch, x.n_graphs)
        for layer in self.hidden:  # CGCNN applies softplus before and after each hidden layer
            h = F.softplus(layer(F.softplus(h)))
        return h

    def embed(self, x: GraphBatch) -> torch.Tensor:
        """Crystal-level feature vectors before the output layer, shape (n_graphs, hidden_dim)."""
        v = self.embedding(self.atom_table[x.numbers])
        u = self.expansion(x.distances)
        for conv in self.convs:
            v = conv(v, u, x.edge_index)
        return self._readout_hidden(v, x)

    def get_config(self) -> dict[str, Any]:
        return {
            "n_targets": self.n_targets,
            "atom_features": self.atom_features,
            "atom_dim": self.atom_dim,
            "n_conv": self.n_conv,
            "hidden_dim": self.hidden_dim,
            "n_hidden": self.n_hidden,
            "cutoff": self.cutoff,
            "max_neighbors": self.max_neighbors,
            "n_gaussians": self.n_gaussians,
            "pooling": self.pooling,
            "dropout": self.dropout_rate,
            "target_mean": self.target_mean,
            "target_std": self.target_std,
        }
