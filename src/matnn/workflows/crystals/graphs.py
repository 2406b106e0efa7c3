"""Build the graphs of a structure file once, cache them, and report how fast each stage is."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

__all__ = ["graph_statistics"]


def graph_statistics(
    data: str | os.PathLike,
    *,
    cutoff: float = 8.0,
    max_neighbors: int | None = 12,
    out: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None | bool = None,
    batch_size: int = 64,
    verbose: bool = True,
) -> dict[str, Any]:
    """Read and build every graph of ``data`` (always rebuilt, to time it), then cache and re-load it.

    Returns
    -------
    dict
        ``n_graphs``, ``n_atoms``, ``n_edges``, ``mean_atoms``, ``mean_neighbors`` (edges per atom),
        ``build_s`` and ``graphs_per_s`` (read + neighbour search + packing), ``cache_load_s``
        (``nan`` without a cache), ``collate_graphs_per_s`` (batching into ``GraphBatch`` of
        ``batch_size``), ``cutoff_A``, ``max_neighbors``, ``hardware``.
    """
    import torch

    from matnn.core.exceptions import DataError
    from matnn.data.crystals.batch import collate_graphs
    from matnn.data.crystals.dataset import CrystalGraphDataset, GraphStore, build_store, cache_path_for, count_records
    from matnn.data.crystals.graph import GraphSpec
    from matnn.data.crystals.structures import iter_jsonl, read_structures
    from matnn.utils.io import ensure_dir, write_metrics
    from matnn.workflows.crystals._common import hardware

    spec = GraphSpec(cutoff=float(cutoff), max_neighbors=max_neighbors)
    path = Path(data)
    if not path.exists():
        raise DataError(f"Structure file {path} does not exist.")
    name = path.name.lower()
    is_jsonl = name.endswith((".jsonl", ".jsonl.gz"))
    source = iter_jsonl(path) if is_jsonl else read_structures(path)
    t0 = time.perf_counter()
    store = build_store(source, spec, total=count_records(path) if is_jsonl else None, verbose=verbose)
    build_s = time.perf_counter() - t0
    cache_load_s = float("nan")
    if cache_dir is not False:
        cache_path = cache_path_for(path, spec, cache_dir)
        store.save(cache_path)
        t1 = time.perf_counter()
        GraphStore.load(cache_path)
        cache_load_s = time.perf_counter() - t1
    # Collation speed: what a training epoch pays per batch on top of the network.
    ds = CrystalGraphDataset(store, store.target_names[:1]) if store.target_names else None
    collate_rate = float("nan")
    if ds is not None and len(ds):
        loader = torch.utils.data.DataLoader(ds, batch_size=batch_size, collate_fn=collate_graphs)
        n_done, t2 = 0, time.perf_counter()
        for x, _ in loader:
            n_done += x.n_graphs
            if time.perf_counter() - t2 > 10.0:
                break
        collate_rate = n_done / (time.perf_counter() - t2)
    n_atoms, n_edges = store.n_atoms, store.n_edges
    metrics: dict[str, Any] = {
        "n_graphs": len(store),
        "n_atoms": int(n_atoms.sum()),
        "n_edges": int(n_edges.sum()),
        "mean_atoms": float(n_atoms.mean()),
        "mean_neighbors": float(n_edges.sum() / max(1, n_atoms.sum())),
        "build_s": build_s,
        "graphs_per_s": len(store) / build_s,
        "cache_load_s": cache_load_s,
        "collate_graphs_per_s": collate_rate,
        "cutoff_A": spec.cutoff,
        "max_neighbors": spec.max_neighbors,
        "hardware": hardware(),
    }
    if out is not None:
        from matnn.utils.plotting import plt, save_figure

        out_dir = ensure_dir(out)
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
        axes[0].hist(n_atoms, bins=50)
        axes[0].set_xlabel("atoms per structure")
        axes[0].set_ylabel("structures")
        axes[1].hist(store.distances, bins=100)
        axes[1].set_xlabel("edge length [Å]")
        axes[1].set_ylabel("edges")
        fig.suptitle(f"{len(store)} graphs, cutoff {spec.cutoff:g} Å, max {spec.max_neighbors} neighbours (+ ties)")
        save_figure(fig, out_dir / "graph_statistics.png")
        write_metrics(out_dir, metrics)
    return metrics
