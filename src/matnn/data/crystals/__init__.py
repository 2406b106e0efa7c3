"""Crystal structures as periodic graphs: reading, neighbour lists, atom features, batching, caching.

See ``docs/crystals.md`` for the data formats and what each array means.
"""

from __future__ import annotations

from matnn.data.crystals.graph import CrystalGraph, GraphSpec, build_graph
from matnn.data.crystals.neighbors import brute_force_neighbor_list, keep_nearest, neighbor_list
from matnn.data.crystals.structures import (
    Crystal,
    from_ase,
    from_pymatgen,
    iter_jsonl,
    read_structures,
    to_ase,
    to_pymatgen,
    write_jsonl,
)

__all__ = [
    "Crystal",
    "CrystalGraph",
    "GraphSpec",
    "build_graph",
    "neighbor_list",
    "brute_force_neighbor_list",
    "keep_nearest",
    "read_structures",
    "iter_jsonl",
    "write_jsonl",
    "from_ase",
    "to_ase",
    "from_pymatgen",
    "to_pymatgen",
]
