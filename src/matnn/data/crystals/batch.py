"""Many crystal graphs of different sizes as one disjoint graph (the batch a model sees).

Atoms of all graphs are stacked into one list and edges into one edge list whose indices are
offset by the atoms before them; ``batch[a]`` says which graph atom ``a`` belongs to.  Sums over
neighbours and pooling over atoms then become scatter operations over these index vectors — no
padding, whatever the sizes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import torch

from matnn.data.crystals.graph import CrystalGraph

__all__ = ["GraphBatch", "collate_graphs", "batch_graphs", "potential_targets"]


@dataclass
class GraphBatch:
    """A batch of crystal graphs as flat tensors.

    Attributes
    ----------
    numbers : LongTensor of shape (n_atoms,)
    positions : Tensor of shape (n_atoms, 3), Å
    cell : Tensor of shape (n_graphs, 3, 3), Å
    edge_index : LongTensor of shape (2, n_edges)
        Global atom indices: row 0 centre ``i``, row 1 neighbour ``j``.
    shifts : Tensor of shape (n_edges, 3)
        Lattice image of each neighbour (integers stored as floats for the matrix product).
    distances : Tensor of shape (n_edges,), Å
        Precomputed; models that need gradients recompute them with :meth:`edge_vectors`.
    batch : LongTensor of shape (n_atoms,)
        Graph index of every atom.
    n_atoms : LongTensor of shape (n_graphs,)
    """

    numbers: torch.Tensor
    positions: torch.Tensor
    cell: torch.Tensor
    edge_index: torch.Tensor
    shifts: torch.Tensor
    distances: torch.Tensor
    batch: torch.Tensor
    n_atoms: torch.Tensor

    @property
    def n_graphs(self) -> int:
        return int(self.cell.shape[0])

    def __len__(self) -> int:  # the number of samples in the batch (graphs)
        return self.n_graphs

    def to(self, device: Any = None, dtype: torch.dtype | None = None, non_blocking: bool = False) -> GraphBatch:
        """Move every tensor to ``device`` (and floating tensors to ``dtype`` when given)."""
        out = {}
        for f in fields(self):
            t = getattr(self, f.name)
            if dtype is not None and t.is_floating_point():
                t = t.to(device=device, dtype=dtype, non_blocking=non_blocking)
            else:
                t = t.to(device=device, non_blocking=non_blocking)
            out[f.name] = t
        return GraphBatch(**out)

    def edge_vectors(self, positions: torch.Tensor | None = None, cell: torch.Tensor | None = None) -> torch.Tensor:
        """Edge vectors ``r_ij = x_j + n_ij · cell - x_i`` in Å, shape (n_edges, 3), differentiable.

        ``positions``/``cell`` default to the batch's own; a force model passes strained copies.
        """
        pos = self.positions if positions is None else positions
        cell = self.cell if cell is None else cell
        i, j = self.edge_index
        edge_cell = cell[self.batch[i]]  # (n_edges, 3, 3)
        return pos[j] - pos[i] + torch.einsum("ek,ekl->el", self.shifts, edge_cell)


def batch_graphs(graphs: Sequence[CrystalGraph], dtype: torch.dtype = torch.float32) -> GraphBatch:
    """Stack graphs into one :class:`GraphBatch` (indices offset, ``batch`` vector built)."""
    n_atoms = np.fromiter((g.numbers.shape[0] for g in graphs), dtype=np.int64, count=len(graphs))
    n_edges = np.fromiter((g.edge_index.shape[1] for g in graphs), dtype=np.int64, count=len(graphs))
    offsets = np.concatenate([[0], np.cumsum(n_atoms)[:-1]])
    edge_index = np.concatenate([g.edge_index for g in graphs], axis=1) + np.repeat(offsets, n_edges)
    return GraphBatch(
        numbers=torch.from_numpy(np.concatenate([g.numbers for g in graphs]).astype(np.int64)),
        positions=torch.from_numpy(np.concatenate([g.positions for g in graphs])).to(dtype),
        cell=torch.from_numpy(np.stack([g.cell for g in graphs])).to(dtype),
        edge_index=torch.from_numpy(edge_index.astype(np.int64)),
        shifts=torch.from_numpy(np.concatenate([g.shifts for g in graphs])).to(dtype),
        distances=torch.from_numpy(np.concatenate([g.distances for g in graphs])).to(dtype),
        batch=torch.from_numpy(np.repeat(np.arange(len(graphs)), n_atoms)),
        n_atoms=torch.from_numpy(n_atoms),
    )


def potential_targets(graphs: Sequence[CrystalGraph], dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
    """Energy (eV, shape (n_graphs,)), forces (eV/Å, (n_atoms, 3)) and, if every graph has it, stress
    (eV/Å³, (n_graphs, 3, 3)) for training an interatomic potential."""
    y = {"energy": torch.tensor([float(g.energy) for g in graphs], dtype=dtype)}
    if all(g.forces is not None for g in graphs):
        y["forces"] = torch.from_numpy(np.concatenate([g.forces for g in graphs])).to(dtype)
    if all(g.stress is not None for g in graphs):
        y["stress"] = torch.from_numpy(np.stack([g.stress for g in graphs])).to(dtype)
    return y


def collate_graphs(items: Sequence[Any]) -> Any:
    """``collate_fn`` for a ``DataLoader`` over graph datasets.

    Accepts a list of ``CrystalGraph`` (returns a :class:`GraphBatch`), of ``(graph, y)`` pairs
    (returns ``(GraphBatch, y_stacked)``), or of ``(graph, y, weight)`` triples.  ``y`` items that are
    tensors/arrays are stacked; dicts (energy/forces targets) are concatenated per key along atoms
    for per-atom arrays and stacked otherwise.
    """
    if isinstance(items[0], CrystalGraph):
        return batch_graphs(items)
    graphs = [it[0] for it in items]
    batch = batch_graphs(graphs)
    out: list[Any] = [batch]
    for k in range(1, len(items[0])):
        col = [it[k] for it in items]
        if isinstance(col[0], dict):
            out.append(
                {
                    key: (torch.cat if col[0][key].dim() >= 1 and key == "forces" else torch.stack)(
                        [c[key] for c in col]
                    )
                    for key in col[0]
                }
            )
        else:
            out.append(torch.stack([torch.as_tensor(c) for c in col]))
    return tuple(out)
