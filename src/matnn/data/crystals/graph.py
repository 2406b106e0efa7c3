"""A crystal as a graph: atoms are nodes, periodic neighbours within a cutoff are directed edges.

``build_graph`` turns a :class:`~matnn.data.crystals.structures.Crystal` into a
:class:`CrystalGraph` holding flat NumPy arrays: atomic numbers, positions, the lattice, and for
every edge the centre/neighbour indices, the periodic image (integer lattice shift) and the
distance.  Edge vectors (for force models) are recomputed from positions inside the model, so that
forces and stress can be differentiated through them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from matnn.core.exceptions import ConfigError
from matnn.data.crystals.neighbors import neighbor_list
from matnn.data.crystals.structures import Crystal

__all__ = ["CrystalGraph", "build_graph", "GraphSpec"]


@dataclass(frozen=True)
class GraphSpec:
    """How graphs are built: cutoff radius (Å), optional nearest-neighbour cap, backend.

    ``max_neighbors=None`` keeps every neighbour within the cutoff (needed for smooth potentials);
    an integer keeps that many nearest neighbours plus ties (CGCNN uses cutoff 8 Å, 12 neighbours).
    """

    cutoff: float = 8.0
    max_neighbors: int | None = 12
    backend: str = "pymatgen"

    def __post_init__(self) -> None:
        if not (isinstance(self.cutoff, (int, float)) and 0 < self.cutoff < float("inf")):
            raise ConfigError(
                f"The 'cutoff' parameter of GraphSpec must be a float in (0, inf) Å. Got {self.cutoff!r} instead."
            )
        if self.max_neighbors is not None and (
            not isinstance(self.max_neighbors, (int, np.integer)) or self.max_neighbors < 1
        ):
            raise ConfigError(
                f"The 'max_neighbors' parameter of GraphSpec must be a positive integer or None. Got {self.max_neighbors!r} instead."
            )


@dataclass
class CrystalGraph:
    """Flat-array graph of one crystal.

    Attributes
    ----------
    numbers : ndarray of shape (n_atoms,), int64
    positions : ndarray of shape (n_atoms, 3), float64, Å
    cell : ndarray of shape (3, 3), float64, Å (rows are lattice vectors)
    edge_index : ndarray of shape (2, n_edges), int64
        Row 0: centre atom ``i`` (the receiver of the message); row 1: neighbour ``j``.
    shifts : ndarray of shape (n_edges, 3), int64
        Lattice image of the neighbour: vector ``r_ij = positions[j] + shifts @ cell - positions[i]``.
    distances : ndarray of shape (n_edges,), float64, Å
    id, targets, energy, forces, stress
        Copied from the crystal (see :class:`Crystal`).
    """

    numbers: np.ndarray
    positions: np.ndarray
    cell: np.ndarray
    edge_index: np.ndarray
    shifts: np.ndarray
    distances: np.ndarray
    id: str | None = None
    targets: dict[str, float] = field(default_factory=dict)
    energy: float | None = None
    forces: np.ndarray | None = None
    stress: np.ndarray | None = None

    @property
    def n_atoms(self) -> int:
        return int(self.numbers.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.edge_index.shape[1])

    def edge_vectors(self) -> np.ndarray:
        """Edge vectors ``r_ij`` in Å, shape (n_edges, 3)."""
        i, j = self.edge_index
        return self.positions[j] + self.shifts @ self.cell - self.positions[i]


def build_graph(crystal: Crystal, spec: GraphSpec | None = None, **spec_kwargs) -> CrystalGraph:
    """Build the periodic neighbour graph of ``crystal``.

    Parameters
    ----------
    crystal : Crystal
    spec : GraphSpec, optional
        Cutoff (Å), neighbour cap and backend; keyword arguments (``cutoff=``, ``max_neighbors=``,
        ``backend=``) build one if not given.

    Returns
    -------
    CrystalGraph

    Examples
    --------
    >>> import numpy as np
    >>> from matnn.data.crystals import Crystal, build_graph
    >>> cu = Crystal([29], [[0, 0, 0]], 1.805 * (np.ones((3, 3)) - np.eye(3)))  # fcc primitive cell
    >>> g = build_graph(cu, cutoff=3.0, max_neighbors=None)
    >>> g.n_edges, round(float(g.distances[0]), 3)  # 12 nearest neighbours, all images of the one atom
    (12, 2.553)
    """
    if spec is None:
        spec = GraphSpec(**spec_kwargs)
    elif spec_kwargs:
        raise ConfigError("Pass either a GraphSpec or keyword arguments to build_graph, not both.")
    i, j, s, d = neighbor_list(
        crystal.positions, crystal.cell, spec.cutoff, backend=spec.backend, max_neighbors=spec.max_neighbors
    )
    return CrystalGraph(
        numbers=crystal.numbers,
        positions=crystal.positions,
        cell=crystal.cell,
        edge_index=np.stack([i, j]),
        shifts=s,
        distances=d,
        id=crystal.id,
        targets=dict(crystal.targets),
        energy=crystal.energy,
        forces=crystal.forces,
        stress=crystal.stress,
    )
