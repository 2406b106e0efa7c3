"""Periodic neighbour lists: every pair of atoms closer than a cutoff, across cell boundaries.

A crystal repeats its cell forever, so atom ``j`` is a neighbour of atom ``i`` once for *each*
periodic image ``j + n·cell`` within the cutoff (``n`` an integer vector).  In a cell smaller than
the cutoff an atom even neighbours its own images.  Graph libraries' ``radius_graph`` ignores this;
we use pymatgen's compiled ``find_points_in_spheres`` (the engine behind
``Structure.get_neighbor_list``; about 0.2 ms per Materials Project structure at 8 Å) and offer ASE's
``primitive_neighbor_list`` as a second backend.  The ``numpy`` backend needs neither package
(a vectorised search over every periodic image: exact, slower, for machines without them, e.g. a
GPU node).  :func:`brute_force_neighbor_list` is the readable reference that all are tested against.

Conventions: edge ``k`` points from centre ``i = centers[k]`` to neighbour ``j = neighbors[k]`` in
image ``shifts[k]``; its vector is ``positions[j] + shifts[k] @ cell - positions[i]`` (Å).
"""

from __future__ import annotations

import itertools

import numpy as np

from matnn.core.exceptions import ConfigError, require, unknown_name

__all__ = [
    "neighbor_list",
    "brute_force_neighbor_list",
    "keep_nearest",
    "estimate_candidates",
    "check_search_memory",
    "BACKENDS",
    "SEARCH_BYTES_PER_PAIR",
]

BACKENDS = ("pymatgen", "ase", "numpy")


def _check_cutoff(cutoff: float) -> float:
    try:
        value = float(cutoff)
    except (TypeError, ValueError):
        value = float("nan")
    if not (value > 0 and np.isfinite(value)):
        raise ConfigError(f"The 'cutoff' parameter must be a float in (0, inf) Å. Got {cutoff!r} instead.")
    return value


#: Bytes a neighbour search holds per candidate pair within the cutoff: centre and neighbour indices, image
#: (3 × int64), distance, plus the temporaries of masking and sorting (about twice the result arrays).
SEARCH_BYTES_PER_PAIR = 112


def estimate_candidates(n_atoms: int, volume: float, cutoff: float) -> float:
    """Expected neighbours per atom within ``cutoff``: number density × sphere volume (+1 for a lone atom's images).

    Parameters
    ----------
    n_atoms : int
    volume : float
        Cell volume in Å³.
    cutoff : float
        Radius in Å.
    """
    return n_atoms / max(volume, 1e-12) * (4.0 / 3.0) * np.pi * cutoff**3 + 1.0


def check_search_memory(n_atoms: int, volume: float, cutoff: float, where: str = "structure") -> float:
    """Refuse (ConfigError) a neighbour search whose candidate pairs would take more than the memory budget.

    The estimate is ``n_atoms × estimate_candidates × SEARCH_BYTES_PER_PAIR``; the budget is
    ``MATNN_MEMORY_FRACTION`` (default 0.5) of the available memory. Returns the estimate in bytes.
    """
    from matnn.utils.memory import available_memory_bytes, format_bytes, memory_budget_bytes

    try:
        budget = memory_budget_bytes()
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    per_atom = estimate_candidates(n_atoms, volume, cutoff)
    need = n_atoms * per_atom * SEARCH_BYTES_PER_PAIR
    if not need <= budget:
        raise ConfigError(
            f"A neighbour search with cutoff {cutoff:g} Å on {where} ({n_atoms} atoms in {volume:.4g} Å³) would hold "
            f"about {per_atom:.3g} neighbours per atom, {format_bytes(need)} "
            f"({SEARCH_BYTES_PER_PAIR} bytes per pair), more than the budget of {format_bytes(budget)} "
            f"(MATNN_MEMORY_FRACTION of {format_bytes(available_memory_bytes())} available). Use a smaller cutoff "
            "(8 Å is typical)."
        )
    return need


def _canonical_order(i: np.ndarray, j: np.ndarray, s: np.ndarray, d: np.ndarray):
    """Sort edges by centre, then distance, then neighbour index and image (deterministic output)."""
    order = np.lexsort((s[:, 2], s[:, 1], s[:, 0], j, np.round(d, 8), i))
    return i[order], j[order], s[order], d[order]


def neighbor_list(
    positions: np.ndarray,
    cell: np.ndarray,
    cutoff: float,
    *,
    backend: str = "pymatgen",
    max_neighbors: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All periodic neighbour pairs closer than ``cutoff`` (optionally only the nearest ones).

    Parameters
    ----------
    positions : ndarray of shape (n_atoms, 3)
        Cartesian coordinates in Å (need not be wrapped into the cell).
    cell : ndarray of shape (3, 3)
        Lattice vectors as rows, Å.
    cutoff : float
        Radius in Å; pairs with distance < cutoff are returned.
    backend : {'pymatgen', 'ase', 'numpy'}, default='pymatgen'
        'numpy' needs no optional package (same edges; a few times slower on large cells).
    max_neighbors : int, optional
        Keep only each centre's ``max_neighbors`` nearest neighbours plus ties (:func:`keep_nearest`).

    Returns
    -------
    centers, neighbors : ndarray of shape (n_edges,), int64
    shifts : ndarray of shape (n_edges, 3), int64
        Image of the neighbour, in lattice vectors.
    distances : ndarray of shape (n_edges,), float64, Å

    The pair of an atom with itself in the home cell is excluded; pairs with its own periodic
    images are included.  Edges are sorted by centre, then distance.
    """
    cutoff = _check_cutoff(cutoff)
    positions = np.ascontiguousarray(positions, dtype=np.float64)
    cell = np.ascontiguousarray(cell, dtype=np.float64)
    check_search_memory(len(positions), abs(float(np.linalg.det(cell))), cutoff, "a structure")
    if backend == "pymatgen":
        find_points_in_spheres = require("pymatgen.optimization.neighbors", "crystals").find_points_in_spheres

        i, j, s, d = find_points_in_spheres(
            positions, positions, cutoff, np.array([1, 1, 1], dtype=np.int64), cell, 1e-8
        )
        i, j = i.astype(np.int64), j.astype(np.int64)
        s = np.rint(s).astype(np.int64)
        # The library's sphere test is d <= r + tol; we use a strict d < r everywhere.
        keep = (d < cutoff) & ~((i == j) & np.all(s == 0, axis=1))
        i, j, s, d = i[keep], j[keep], s[keep], d[keep]
    elif backend == "numpy":
        i, j, s, d = _numpy_neighbor_list(positions, cell, cutoff)
    elif backend == "ase":
        primitive_neighbor_list = require("ase.neighborlist", "crystals").primitive_neighbor_list

        i, j, s, d = primitive_neighbor_list(
            "ijSd", (True, True, True), cell, positions, cutoff, self_interaction=False
        )
        i, j, s = i.astype(np.int64), j.astype(np.int64), s.astype(np.int64)
        keep = d < cutoff
        i, j, s, d = i[keep], j[keep], s[keep], d[keep]
    else:
        raise unknown_name("neighbour-list backend", backend, BACKENDS)
    if max_neighbors is not None and len(i):
        # Select before the full canonical sort: at 8 Å there are ~150 candidates per atom, ~12 kept.
        order = np.argsort(i * (2.0 * cutoff + 1.0) + d, kind="stable")
        i, j, s, d = i[order], j[order], s[order], d[order]
        keep = keep_nearest(i, d, len(positions), max_neighbors)
        i, j, s = i[keep], j[keep], s[keep]
    # Recompute distances from the returned images so both backends agree to the last bit.
    d = np.linalg.norm(positions[j] + s @ cell - positions[i], axis=1)
    return _canonical_order(i, j, s, d)


def _image_box(positions: np.ndarray, cell: np.ndarray, cutoff: float) -> np.ndarray:
    """Every lattice image that can hold a neighbour, shape (n_images, 3).

    Along lattice vector ``k`` at most ``cutoff / h_k`` images are needed (``h_k`` the spacing of the
    lattice planes spanned by the other two vectors, ``1/|b_k|`` with ``b`` the reciprocal rows),
    plus the spread of the fractional coordinates for unwrapped positions.
    """
    recip = np.linalg.inv(cell).T  # rows b_k with a_i · b_k = δ_ik
    frac = positions @ np.linalg.inv(cell)
    spread = frac.max(axis=0) - frac.min(axis=0)
    n_max = np.ceil(cutoff * np.linalg.norm(recip, axis=1) + spread).astype(int)
    return np.array(list(itertools.product(*(range(-n, n + 1) for n in n_max))), dtype=np.int64)


def _numpy_neighbor_list(positions: np.ndarray, cell: np.ndarray, cutoff: float):
    """The brute-force search vectorised over neighbours and images, one centre atom at a time
    (memory n_atoms · n_images per step, not its square)."""
    images = _image_box(positions, cell, cutoff)
    offsets = images @ cell  # (n_images, 3) Å
    home = np.all(images == 0, axis=1)
    # candidate positions of every atom in every image: (n_atoms * n_images, 3), atom-major
    candidates = (positions[:, None, :] + offsets[None, :, :]).reshape(-1, 3)
    n_img = len(images)
    out_i, out_k = [], []
    for i in range(len(positions)):
        d2 = np.sum((candidates - positions[i]) ** 2, axis=1)
        hit = d2 < (cutoff * (1.0 + 1e-9)) ** 2  # loose here, exact (the norm, as elsewhere) below
        hit[i * n_img : (i + 1) * n_img] &= ~home  # an atom is not its own neighbour in the home cell
        k = np.nonzero(hit)[0]
        out_i.append(np.full(len(k), i, dtype=np.int64))
        out_k.append(k)
    i = np.concatenate(out_i) if out_i else np.zeros(0, np.int64)
    k = np.concatenate(out_k) if out_k else np.zeros(0, np.int64)
    j, s = k // n_img, images[k % n_img]
    d = np.linalg.norm(positions[j] + s @ cell - positions[i], axis=1)
    keep = d < cutoff  # the squared test can differ from the norm in the last bit at the boundary
    return i[keep], j[keep], s[keep], d[keep]


def brute_force_neighbor_list(
    positions: np.ndarray, cell: np.ndarray, cutoff: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Reference neighbour list by enumerating every image in a box large enough to hold the sphere.

    Two plain loops over atom pairs, every image of the box (see ``_image_box``) tested at once.
    O(n_atoms² · n_images): for tests and teaching, not for data sets.  Same outputs as :func:`neighbor_list`.
    """
    cutoff = _check_cutoff(cutoff)
    positions = np.asarray(positions, dtype=np.float64)
    cell = np.asarray(cell, dtype=np.float64)
    images = _image_box(positions, cell, cutoff)
    out_i, out_j, out_s, out_d = [], [], [], []
    for i in range(len(positions)):
        for j in range(len(positions)):
            vec = positions[j] + images @ cell - positions[i]
            d = np.linalg.norm(vec, axis=1)
            ok = d < cutoff
            if i == j:
                ok &= np.any(images != 0, axis=1)
            k = np.nonzero(ok)[0]
            out_i.append(np.full(len(k), i))
            out_j.append(np.full(len(k), j))
            out_s.append(images[k])
            out_d.append(d[k])
    i = np.concatenate(out_i).astype(np.int64)
    j = np.concatenate(out_j).astype(np.int64)
    s = np.concatenate(out_s).reshape(-1, 3).astype(np.int64)
    d = np.concatenate(out_d)
    return _canonical_order(i, j, s, d)


def keep_nearest(
    centers: np.ndarray, distances: np.ndarray, n_atoms: int, max_neighbors: int, tol: float = 1e-3
) -> np.ndarray:
    """Boolean mask keeping, for each centre, its ``max_neighbors`` nearest neighbours *and every tie*.

    CGCNN keeps the 12 nearest neighbours.  Symmetric crystals often have several neighbours at the
    same distance as the 12th; cutting through such a shell would pick an arbitrary subset and make
    the graph depend on atom order and rounding.  We keep every neighbour within ``tol`` Å of the
    ``max_neighbors``-th distance instead, so the graph is invariant to permutations and rotations.

    ``centers`` must be sorted, with distances ascending within each centre (as
    :func:`neighbor_list` returns them).
    """
    if max_neighbors is None or len(centers) == 0:
        return np.ones(len(centers), dtype=bool)
    counts = np.bincount(centers, minlength=n_atoms)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    kth = np.minimum(counts, max_neighbors) - 1  # index (within the centre) of the last kept neighbour
    has = counts > 0
    threshold = np.full(n_atoms, -np.inf)
    threshold[has] = distances[start[has] + kth[has]] + tol
    return distances <= threshold[centers]
