"""Benchmark: how fast crystal graphs are built, cached, batched and pushed through the networks.

Run under the core-slot wrapper (one pinned core, one thread):

    bench/heavy.sh .venv/bin/python bench/crystals/graphs.py --out /tmp/crystals_bench_graphs

Measures on ``../shared/datasets/structures/mp_formation_train.jsonl.gz`` (29,391 MP structures):
* graph building (read JSON + pymatgen neighbour search at 8 Å + 12-nearest selection + packing), graphs/s;
* the same with the ASE and the dependency-free numpy backends on the first 300 structures (for comparison);
* loading the cache (.npz), seconds;
* collation into GraphBatch (batch 64), graphs/s;
* CGCNN and MEGNet training steps (forward + backward + Adam, batch 64), graphs/s, and the
  resulting estimate of one epoch on 21,162 training structures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "datasets" / "structures" / "mp_formation_train.jsonl.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=Path("bench/out/crystals/graphs.json"))
    parser.add_argument("--train-batches", type=int, default=30, help="batches timed per model")
    args = parser.parse_args()

    import matnn
    from matnn.data.crystals.batch import collate_graphs
    from matnn.data.crystals.dataset import CrystalGraphDataset, GraphStore, build_store, count_records
    from matnn.data.crystals.graph import GraphSpec, build_graph
    from matnn.data.crystals.structures import iter_jsonl
    from matnn.models.crystals import CGCNN, MEGNet
    from matnn.workflows.crystals._common import hardware

    matnn.set_num_threads(1)
    matnn.set_seed(0)
    spec = GraphSpec(cutoff=8.0, max_neighbors=12)
    res: dict[str, float | str] = {"hardware": hardware()}

    t0 = time.perf_counter()
    store = build_store(iter_jsonl(args.data), spec, total=count_records(args.data), verbose=False)
    dt = time.perf_counter() - t0
    res.update(
        {
            "n_graphs": len(store),
            "build_s": dt,
            "build_graphs_per_s": len(store) / dt,
            "mean_atoms": float(store.n_atoms.mean()),
            "mean_edges_per_atom": float(store.n_edges.sum() / store.n_atoms.sum()),
        }
    )

    crystals = list(itertools.islice(iter_jsonl(args.data), 300))
    for backend in ("pymatgen", "ase", "numpy"):
        s = GraphSpec(cutoff=8.0, max_neighbors=12, backend=backend)
        t0 = time.perf_counter()
        for c in crystals:
            build_graph(c, s)
        res[f"neighbors_{backend}_graphs_per_s"] = len(crystals) / (time.perf_counter() - t0)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graphs.npz"
        store.save(path)
        res["cache_mb"] = path.stat().st_size / 1e6
        t0 = time.perf_counter()
        GraphStore.load(path)
        res["cache_load_s"] = time.perf_counter() - t0

    ds = CrystalGraphDataset(store, "formation_energy_per_atom")
    loader = torch.utils.data.DataLoader(
        ds, batch_size=64, shuffle=True, collate_fn=collate_graphs, generator=torch.Generator().manual_seed(0)
    )
    t0, n = time.perf_counter(), 0
    batches = []
    for x, y in loader:
        n += x.n_graphs
        if len(batches) < args.train_batches:
            batches.append((x, y))
        if n >= 10000:
            break
    res["collate_graphs_per_s"] = n / (time.perf_counter() - t0)

    for name, model in (("cgcnn", CGCNN()), ("megnet", MEGNet())):
        model.adapt(ds.y)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        model.train()
        for x, y in batches[:3]:  # warm-up
            opt.zero_grad()
            torch.nn.functional.l1_loss(model(x), y).backward()
            opt.step()
        t0, n = time.perf_counter(), 0
        for x, y in batches:
            opt.zero_grad()
            torch.nn.functional.l1_loss(model(x), y).backward()
            opt.step()
            n += x.n_graphs
        rate = n / (time.perf_counter() - t0)
        res[f"{name}_train_graphs_per_s"] = rate
        res[f"{name}_epoch_estimate_s"] = 21162 / rate

    print(json.dumps(res, indent=2))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: benchmeta
    from benchmeta import write_result

    write_result(args.out, res)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
