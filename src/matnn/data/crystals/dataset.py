"""Packed, cached graph data sets that feed ``model.fit`` through a ``DataLoader``.

Building neighbour lists for 30,000 structures takes about a minute; an epoch of a graph network
on them takes longer, but it must not be spent rebuilding graphs.  :class:`GraphStore` therefore
packs every graph of a file into a handful of flat arrays (atoms, edges, pointers), and
:func:`load_graphs` saves them once as ``.npz`` under the cache folder, keyed by the file's contents
and the graph settings; later runs load it in about a second.

:class:`CrystalGraphDataset` is a ``torch.utils.data.Dataset`` over a store (or a subset of it)
that yields ``(CrystalGraph, y)``; :func:`graph_loader` wraps it in a seeded ``DataLoader`` with
:func:`~matnn.data.crystals.batch.collate_graphs`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from matnn.core.exceptions import ConfigError, DataError, unknown_name
from matnn.data.crystals.batch import collate_graphs
from matnn.data.crystals.graph import CrystalGraph, GraphSpec, build_graph
from matnn.data.crystals.structures import Crystal, iter_jsonl, read_structures, text_lines

__all__ = [
    "GraphStore",
    "CrystalGraphDataset",
    "load_graphs",
    "build_store",
    "cache_path_for",
    "count_records",
    "graph_loader",
    "default_cache_dir",
    "CACHE_VERSION",
]

CACHE_VERSION = 1
#: Bytes per edge while graphs are built and packed: the CrystalGraph's int64 indices, images and float64
#: distance (48) plus the packed copy (int32 × 2, int8 × 3, float32: 15), rounded up.
GRAPH_BYTES_PER_EDGE = 64


def default_cache_dir() -> Path:
    """``$MATNN_CACHE_DIR/crystal_graphs`` or ``~/.cache/matnn/crystal_graphs``."""
    root = os.environ.get("MATNN_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "matnn")
    return Path(root) / "crystal_graphs"


class GraphStore:
    """Many crystal graphs packed into flat arrays.

    Attributes
    ----------
    numbers : (n_atoms_total,) uint8;  positions : (n_atoms_total, 3) float64, Å
    cells : (n_graphs, 3, 3) float64;  atom_ptr : (n_graphs + 1,) int64
    edge_index : (2, n_edges_total) int32, indices local to each graph;  shifts : (n_edges_total, 3) int8
    distances : (n_edges_total,) float32, Å;  edge_ptr : (n_graphs + 1,) int64
    target_names : list of str;  targets : (n_graphs, n_targets) float64 (NaN = missing)
    ids : (n_graphs,) str;  energy : (n_graphs,) float64 eV (NaN = missing)
    forces : (n_atoms_total, 3) float64 eV/Å or None;  stress : (n_graphs, 3, 3) eV/Å³ or None
    spec : GraphSpec used to build the graphs
    """

    _ARRAYS = (
        "numbers",
        "positions",
        "cells",
        "atom_ptr",
        "edge_index",
        "shifts",
        "distances",
        "edge_ptr",
        "targets",
        "ids",
        "energy",
        "forces",
        "stress",
    )

    def __init__(self, **arrays: Any) -> None:
        self.spec: GraphSpec = arrays.pop("spec")
        self.target_names: list[str] = list(arrays.pop("target_names"))
        self.build_seconds: float | None = None  # wall time of building (None when loaded from a cache)
        for name in self._ARRAYS:
            setattr(self, name, arrays.get(name))

    def __len__(self) -> int:
        return int(self.cells.shape[0])

    @property
    def n_atoms(self) -> np.ndarray:
        return np.diff(self.atom_ptr)

    @property
    def n_edges(self) -> np.ndarray:
        return np.diff(self.edge_ptr)

    @classmethod
    def from_graphs(cls, graphs: Sequence[CrystalGraph], spec: GraphSpec) -> GraphStore:
        if not graphs:
            raise DataError("No graphs to store.")
        names = sorted({k for g in graphs for k in g.targets})
        n_atoms = np.array([g.n_atoms for g in graphs])
        n_edges = np.array([g.n_edges for g in graphs])
        shifts = np.concatenate([g.shifts for g in graphs]).reshape(-1, 3)
        if shifts.size and np.abs(shifts).max() > 127:
            raise DataError(
                "A lattice image index exceeds 127: the cell is far smaller than the cutoff; use a smaller cutoff."
            )
        have_forces = all(g.forces is not None for g in graphs)
        have_stress = all(g.stress is not None for g in graphs)
        return cls(
            spec=spec,
            target_names=names,
            numbers=np.concatenate([g.numbers for g in graphs]).astype(np.uint8),
            positions=np.concatenate([g.positions for g in graphs]),
            cells=np.stack([g.cell for g in graphs]),
            atom_ptr=np.concatenate([[0], np.cumsum(n_atoms)]).astype(np.int64),
            edge_index=np.concatenate([g.edge_index for g in graphs], axis=1).astype(np.int32),
            shifts=shifts.astype(np.int8),
            distances=np.concatenate([g.distances for g in graphs]).astype(np.float32),
            edge_ptr=np.concatenate([[0], np.cumsum(n_edges)]).astype(np.int64),
            targets=np.array([[g.targets.get(k, np.nan) for k in names] for g in graphs], dtype=np.float64).reshape(
                len(graphs), len(names)
            ),
            ids=np.array([g.id or f"#{k}" for k, g in enumerate(graphs)]),
            energy=np.array([np.nan if g.energy is None else g.energy for g in graphs], dtype=np.float64),
            forces=np.concatenate([g.forces for g in graphs]) if have_forces else None,
            stress=np.stack([g.stress for g in graphs]) if have_stress else None,
        )

    #: Names of the columns of :meth:`descriptors`.
    DESCRIPTOR_NAMES = (
        "n_atoms",
        "volume_per_atom_A3",
        "mean_Z",
        "max_Z",
        "edges_per_atom",
        "min_edge_A",
        "mean_edge_A",
    )

    def descriptors(self) -> np.ndarray:
        """Cheap per-structure descriptors for the extrapolation check, shape (n_graphs, 7).

        Columns (:attr:`DESCRIPTOR_NAMES`): atoms, cell volume per atom (Å³), mean and largest atomic
        number, edges per atom, shortest and mean edge length (Å; NaN for a graph without edges).
        """
        n_at = self.n_atoms.astype(np.float64)
        n_ed = self.n_edges
        g_atom = np.repeat(np.arange(len(self)), self.n_atoms)
        z = self.numbers.astype(np.float64)
        mean_z = np.bincount(g_atom, weights=z, minlength=len(self)) / np.maximum(n_at, 1)
        max_z = np.zeros(len(self))
        np.maximum.at(max_z, g_atom, z)
        vol = np.abs(np.linalg.det(self.cells)) / np.maximum(n_at, 1)
        g_edge = np.repeat(np.arange(len(self)), n_ed)
        dist = self.distances.astype(np.float64)
        min_d = np.full(len(self), np.inf)
        np.minimum.at(min_d, g_edge, dist)
        min_d[n_ed == 0] = np.nan
        mean_d = np.bincount(g_edge, weights=dist, minlength=len(self)) / np.where(n_ed > 0, n_ed, np.nan)
        return np.column_stack([n_at, vol, mean_z, max_z, n_ed / np.maximum(n_at, 1), min_d, mean_d])

    def graph(self, k: int) -> CrystalGraph:
        """Graph ``k`` as a :class:`CrystalGraph` (views into the packed arrays, no copies)."""
        a0, a1 = self.atom_ptr[k], self.atom_ptr[k + 1]
        e0, e1 = self.edge_ptr[k], self.edge_ptr[k + 1]
        energy = self.energy[k]
        return CrystalGraph(
            numbers=self.numbers[a0:a1],
            positions=self.positions[a0:a1],
            cell=self.cells[k],
            edge_index=self.edge_index[:, e0:e1],
            shifts=self.shifts[e0:e1],
            distances=self.distances[e0:e1],
            id=str(self.ids[k]),
            targets={n: float(v) for n, v in zip(self.target_names, self.targets[k], strict=True)},
            energy=None if np.isnan(energy) else float(energy),
            forces=None if self.forces is None else self.forces[a0:a1],
            stress=None if self.stress is None else self.stress[k],
        )

    def crystal(self, k: int) -> Crystal:
        g = self.graph(k)
        return Crystal(
            g.numbers,
            g.positions,
            g.cell,
            id=g.id,
            targets=g.targets,
            energy=g.energy,
            forces=g.forces,
            stress=g.stress,
        )

    def target(self, name: str) -> np.ndarray:
        """Column ``name`` of the targets, shape (n_graphs,), NaN where missing."""
        if name not in self.target_names:
            raise unknown_name("target", name, self.target_names)
        return self.targets[:, self.target_names.index(name)]

    def save(self, path: str | os.PathLike) -> Path:
        from matnn.utils.io import atomic_save_npz

        arrays = {k: getattr(self, k) for k in self._ARRAYS if getattr(self, k) is not None}
        meta = {
            "version": CACHE_VERSION,
            "target_names": self.target_names,
            "cutoff": self.spec.cutoff,
            "max_neighbors": self.spec.max_neighbors,
            "backend": self.spec.backend,
        }
        return atomic_save_npz(path, compressed=False, meta=np.array(json.dumps(meta)), **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> GraphStore:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("version") != CACHE_VERSION:
                raise DataError(
                    f"{path}: graph cache version {meta.get('version')} != {CACHE_VERSION}; delete it to rebuild."
                )
            arrays = {k: z[k] for k in cls._ARRAYS if k in z.files}
        spec = GraphSpec(cutoff=meta["cutoff"], max_neighbors=meta["max_neighbors"], backend=meta["backend"])
        return cls(spec=spec, target_names=meta["target_names"], **arrays)


def _file_key(path: Path, spec: GraphSpec) -> str:
    from matnn.utils.io import file_sha256

    return file_sha256(path, json.dumps([CACHE_VERSION, spec.cutoff, spec.max_neighbors, spec.backend]).encode())[:20]


def count_records(path: str | os.PathLike) -> int:
    """Number of non-empty lines of a ``.jsonl[.gz]`` file (for progress totals)."""
    return sum(1 for _, line in text_lines(Path(path)) if line.strip())


def cache_path_for(path: str | os.PathLike, spec: GraphSpec, cache_dir: str | os.PathLike | None = None) -> Path:
    """Cache file of ``path``'s graphs: ``<cache_dir>/<name>-<hash of contents and spec>.npz``."""
    path = Path(path)
    return Path(cache_dir or default_cache_dir()) / f"{path.name.split('.')[0]}-{_file_key(path, spec)}.npz"


def build_store(
    crystals: Iterable[Crystal], spec: GraphSpec, *, total: int | None = None, verbose: bool = True
) -> GraphStore:
    """Build graphs for ``crystals`` (with progress) and pack them into a :class:`GraphStore`."""
    import time

    from matnn.data.crystals.neighbors import estimate_candidates
    from matnn.utils.memory import format_bytes, memory_budget_bytes
    from matnn.utils.progress import progress

    try:
        budget = memory_budget_bytes()
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    t0 = time.perf_counter()
    graphs, need = [], 0.0
    for k, c in enumerate(progress(crystals, total=total, desc="building graphs", enabled=verbose)):
        # Edges kept per atom: the cap, or every candidate within the cutoff; refuse before the store outgrows memory.
        per_atom = estimate_candidates(c.n_atoms, c.volume, spec.cutoff)
        if spec.max_neighbors is not None:
            per_atom = min(per_atom, float(spec.max_neighbors))
        need += c.n_atoms * per_atom * GRAPH_BYTES_PER_EDGE
        if need > budget:
            raise ConfigError(
                f"The graphs would not fit in memory: after {k + 1} structure(s) the estimated edges (cutoff "
                f"{spec.cutoff:g} Å, max_neighbors {spec.max_neighbors}) take about {format_bytes(need)} "
                f"({GRAPH_BYTES_PER_EDGE} bytes per edge), more than the budget of {format_bytes(budget)} "
                "(MATNN_MEMORY_FRACTION of the available memory). Use a smaller cutoff or --max-neighbors, or fewer structures."
            )
        graphs.append(build_graph(c, spec))
    store = GraphStore.from_graphs(graphs, spec)
    store.build_seconds = time.perf_counter() - t0
    return store


def load_graphs(
    source: str | os.PathLike | Sequence[Crystal],
    spec: GraphSpec | None = None,
    *,
    cache_dir: str | os.PathLike | None | bool = None,
    verbose: bool = True,
) -> GraphStore:
    """Read structures and build their graphs, through an on-disk cache.

    Parameters
    ----------
    source : path or list of Crystal
        A structure file or folder (anything :func:`read_structures` reads) or crystals in memory.
    spec : GraphSpec, optional
        Default: cutoff 8 Å, 12 nearest neighbours (+ ties), pymatgen backend.
    cache_dir : path, optional
        Folder for cached stores; default :func:`default_cache_dir`. ``False`` disables caching.
        Folders of files and lists of crystals are never cached.

    Returns
    -------
    GraphStore
    """
    spec = spec or GraphSpec()
    if not isinstance(source, (str, os.PathLike)):
        return build_store(list(source), spec, verbose=verbose)
    path = Path(source)
    if not path.exists():
        raise DataError(f"Structure file {path} does not exist.")
    cache_path = None
    if cache_dir is not False and not path.is_dir():  # a folder's files are read each time
        cache_path = cache_path_for(path, spec, cache_dir)
        if cache_path.exists():
            try:
                return GraphStore.load(cache_path)
            except (OSError, ValueError, KeyError, DataError):
                pass  # unreadable or stale cache: rebuild it below
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz")):
        store = build_store(iter_jsonl(path), spec, total=count_records(path), verbose=verbose)
    else:
        store = build_store(read_structures(path), spec, verbose=verbose)
    if cache_path is not None:
        store.save(cache_path)
    return store


class CrystalGraphDataset(torch.utils.data.Dataset):
    """A ``Dataset`` of ``(CrystalGraph, y)`` over (a subset of) a :class:`GraphStore`.

    Parameters
    ----------
    store : GraphStore
    targets : str or list of str, optional
        Property targets; ``y`` is a float32 tensor of shape (n_targets,). Graphs with a missing
        (NaN) value are dropped. Ignored when ``potential=True``.
    indices : array of int, optional
        Rows of the store to use (default: all).
    potential : bool, default=False
        Yield ``y = {"energy": (), "forces": (n_atoms, 3)[, "stress": (3, 3)]}`` for a potential.
    """

    def __init__(
        self,
        store: GraphStore,
        targets: str | Sequence[str] | None = None,
        indices: Sequence[int] | np.ndarray | None = None,
        *,
        potential: bool = False,
    ) -> None:
        self.store = store
        self.potential = potential
        idx = np.arange(len(store)) if indices is None else np.asarray(indices, dtype=np.int64)
        if potential:
            self.target_names: list[str] = []
            if np.isnan(store.energy[idx]).any() or store.forces is None:
                raise DataError("Every structure needs an energy and forces to train a potential; some have none.")
            self._y = None
        else:
            if targets is None:
                if not store.target_names:
                    raise DataError("The structures carry no targets; give each record a 'targets' field.")
                targets = store.target_names[:1]
            self.target_names = [targets] if isinstance(targets, str) else list(targets)
            y = np.stack([store.target(t) for t in self.target_names], axis=1)[idx]
            ok = np.isfinite(y).all(axis=1)
            self.n_dropped = int((~ok).sum())
            idx, y = idx[ok], y[ok]
            self._y = torch.from_numpy(y.astype(np.float32))
        self.indices = idx

    def __len__(self) -> int:
        return int(len(self.indices))

    def __getitem__(self, k: int):
        g = self.store.graph(int(self.indices[k]))
        if self.potential:
            y = {
                "energy": torch.tensor(g.energy, dtype=torch.float32),
                "forces": torch.from_numpy(np.asarray(g.forces, dtype=np.float32)),
            }
            if g.stress is not None:
                y["stress"] = torch.from_numpy(np.asarray(g.stress, dtype=np.float32))
            return g, y
        return g, self._y[k]

    @property
    def y(self) -> np.ndarray:
        """Targets of every item, shape (n_items, n_targets) (property data sets only)."""
        if self._y is None:
            return self.store.energy[self.indices][:, None]
        return self._y.numpy()

    def subset(self, positions: Sequence[int] | np.ndarray) -> CrystalGraphDataset:
        """The items at ``positions`` (0..len-1 of this data set) as a new data set on the same store."""
        pos = np.asarray(positions, dtype=np.int64)
        return CrystalGraphDataset(self.store, self.target_names or None, self.indices[pos], potential=self.potential)

    def graphs(self) -> list[CrystalGraph]:
        return [self.store.graph(int(i)) for i in self.indices]


def graph_loader(
    dataset: torch.utils.data.Dataset,
    batch_size: int = 64,
    *,
    shuffle: bool = False,
    seed: int | None = 0,
    drop_last: bool = False,
) -> torch.utils.data.DataLoader:
    """A ``DataLoader`` over a graph data set with :func:`collate_graphs` and a seeded shuffle."""
    gen = None
    if shuffle:
        gen = torch.Generator()
        gen.manual_seed(0 if seed is None else int(seed))
    return torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        collate_fn=collate_graphs,
        generator=gen,
        drop_last=drop_last,
    )
