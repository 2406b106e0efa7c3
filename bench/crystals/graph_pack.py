"""Shrink a crystal-graph cache so it travels to a GPU machine that has no pymatgen or ASE.

The graph cache of ``mp_formation_train.jsonl.gz`` is 164 MB; a lent GPU machine takes 64 MiB of
files.  Distances are recomputed from positions, cells and lattice shifts, local neighbour indices fit
in a byte (cells have at most 200 atoms), and the CGCNN atom-feature table (built from pymatgen's
and ASE's element data) travels with the graphs, because neither package is installed there.

    python bench/crystals/graph_pack.py pack CACHE.npz PACK.npz       # here, with pymatgen
    python bench/crystals/graph_pack.py unpack PACK.npz DATA.jsonl.gz  # there: writes the graph cache

``unpack`` writes the cache where ``matnn crystals train --data DATA.jsonl.gz`` looks for it; distances
are recomputed in float64 and rounded to float32 (``pack`` reports how far they are from the original).
Run a matnn command with the carried feature table through ``run-with-table``:

    python bench/crystals/graph_pack.py run-with-table PACK.npz -- crystals train --data ... --out ...
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def _distances(
    numbers_ptr: np.ndarray,
    positions: np.ndarray,
    cells: np.ndarray,
    edge_ptr: np.ndarray,
    edge_index: np.ndarray,
    shifts: np.ndarray,
) -> np.ndarray:
    """Edge lengths (Å, float32) from local edge indices and lattice shifts."""
    n_graphs = cells.shape[0]
    graph_of_edge = np.repeat(np.arange(n_graphs), np.diff(edge_ptr))
    offset = numbers_ptr[:-1][graph_of_edge]
    i = edge_index[0].astype(np.int64) + offset
    j = edge_index[1].astype(np.int64) + offset
    image = np.einsum("ek,ekl->el", shifts.astype(np.float64), cells[graph_of_edge])
    return np.linalg.norm(positions[j] + image - positions[i], axis=1).astype(np.float32)


def pack(cache: Path, out: Path) -> None:
    from matnn.data.crystals.dataset import GraphStore
    from matnn.data.crystals.features import atom_feature_table

    store = GraphStore.load(cache)
    if store.edge_index.size and int(store.edge_index.max()) > 255:
        raise SystemExit("a graph has more than 256 atoms: local indices do not fit in a byte")
    recomputed = _distances(
        store.atom_ptr, store.positions, store.cells, store.edge_ptr, store.edge_index, store.shifts
    )
    diff = np.abs(recomputed.astype(np.float64) - store.distances.astype(np.float64))
    print(
        f"recomputed distances: max |difference| {diff.max():.3g} Å over {diff.size:,} edges "
        f"({int((diff > 0).sum()):,} differ in the last float32 bit)"
    )
    meta = {
        "target_names": store.target_names,
        "cutoff": store.spec.cutoff,
        "max_neighbors": store.spec.max_neighbors,
        "backend": store.spec.backend,
        "cache_name": cache.name,
    }
    arrays = {
        k: getattr(store, k)
        for k in ("numbers", "positions", "cells", "atom_ptr", "edge_ptr", "shifts", "targets", "ids", "energy")
    }
    np.savez_compressed(
        out,
        meta=np.array(json.dumps(meta)),
        edge_index=store.edge_index.astype(np.uint8),
        cgcnn_table=atom_feature_table("cgcnn"),
        **arrays,
    )
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) from {cache} ({cache.stat().st_size / 1e6:.1f} MB)")


def unpack(pack_path: Path, data: Path) -> Path:
    from matnn.data.crystals.dataset import GraphStore, cache_path_for
    from matnn.data.crystals.graph import GraphSpec

    with np.load(pack_path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        arrays = {k: z[k] for k in z.files if k not in ("meta", "cgcnn_table")}
    spec = GraphSpec(cutoff=meta["cutoff"], max_neighbors=meta["max_neighbors"], backend=meta["backend"])
    arrays["edge_index"] = arrays["edge_index"].astype(np.int32)
    arrays["distances"] = _distances(
        arrays["atom_ptr"],
        arrays["positions"],
        arrays["cells"],
        arrays["edge_ptr"],
        arrays["edge_index"],
        arrays["shifts"],
    )
    target = cache_path_for(data, spec)
    if target.name != meta["cache_name"]:
        raise SystemExit(f"{data} is not the file the pack was made from ({target.name} != {meta['cache_name']})")
    GraphStore(spec=spec, target_names=meta["target_names"], **arrays).save(target)
    print(f"wrote graph cache {target}")
    return target


def run_with_table(pack_path: Path, argv: list[str]) -> int:
    """Run ``matnn <argv>`` with the CGCNN feature table taken from the pack instead of pymatgen/ASE."""
    import matnn.data.crystals.features as features
    from matnn.cli.main import main

    with np.load(pack_path, allow_pickle=False) as z:
        table = z["cgcnn_table"].copy()
    features._cgcnn_table = lambda: table  # the module looks the builder up at call time
    return main(argv)


def _main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("cache", type=Path)
    p.add_argument("out", type=Path)
    u = sub.add_parser("unpack")
    u.add_argument("pack", type=Path)
    u.add_argument("data", type=Path)
    r = sub.add_parser("run-with-table")
    r.add_argument("pack", type=Path)
    r.add_argument("matnn_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.cmd == "pack":
        pack(args.cache, args.out)
    elif args.cmd == "unpack":
        unpack(args.pack, args.data)
    else:
        rest = args.matnn_args[1:] if args.matnn_args[:1] == ["--"] else args.matnn_args
        return int(run_with_table(args.pack, rest) or 0)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
