"""Graph neural networks for crystals: CGCNN, a MEGNet-style network and message-passing potentials
(SchNet-style, or MACE when ``mace-torch`` is installed).

Plain-PyTorch scatter operations (:mod:`matnn.models.graph.scatter`) do the message passing; the
models are :class:`matnn.Model` subclasses that ``fit``/``evaluate``/``save``/``load`` like any other
(feed them a ``DataLoader`` from :func:`matnn.data.crystals.dataset.graph_loader`).
"""

from __future__ import annotations

from matnn.models.graph.cgcnn import CGCNN
from matnn.models.graph.megnet import MEGNet, Set2Set
from matnn.models.graph.mace import MACEPotential
from matnn.models.graph.potential import GraphPotential, InteratomicPotential

__all__ = ["CGCNN", "MEGNet", "Set2Set", "GraphPotential", "InteratomicPotential", "MACEPotential"]
