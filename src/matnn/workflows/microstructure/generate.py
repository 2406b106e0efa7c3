"""``matnn microstructure generate``: make a labelled data set file plus a summary and a figure."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from matnn.data.microstructure.dataset import MicrostructureDataset

__all__ = ["run_generate", "plot_dataset"]


def plot_dataset(ds: MicrostructureDataset, path: str | os.PathLike, *, n_examples: int = 6) -> Path:
    """Example images with their porosity and τ, and ln τ against porosity for the whole set."""
    from matnn.utils.plotting import plt, save_figure

    order = np.argsort(ds.tau)
    picks = order[np.linspace(0, len(ds) - 1, min(n_examples, len(ds))).astype(int)]
    fig = plt.figure(figsize=(2.2 * len(picks), 5.6))
    for k, i in enumerate(picks):
        ax = fig.add_subplot(2, len(picks), k + 1)
        ax.imshow(ds.images[i], cmap="gray", interpolation="nearest")
        ax.set_title(f"ε={ds.porosity[i]:.2f}  τ={ds.tau[i]:.2f}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    ax = fig.add_subplot(2, 2, 3)
    sc = ax.scatter(ds.porosity, ds.log_tau, c=ds.blobiness if ds.blobiness is not None else None, s=3, alpha=0.5)
    ax.set_xlabel("porosity ε")
    ax.set_ylabel("ln τ")
    if ds.blobiness is not None:
        fig.colorbar(sc, ax=ax, label="blobiness")
    ax = fig.add_subplot(2, 2, 4)
    ax.hist(ds.log_tau, bins=50)
    ax.set_xlabel("ln τ")
    ax.set_ylabel("images")
    fig.suptitle(f"{len(ds)} percolating microstructures (transport top → bottom, white = pore)", fontsize=10)
    return save_figure(fig, path)


def run_generate(
    n: int,
    out: str | os.PathLike,
    *,
    size: int = 64,
    porosity: tuple[float, float] = (0.45, 0.9),
    blobiness: tuple[float, float] = (0.5, 3.0),
    seed: int = 0,
    checkpoint_every: int = 1000,
    progress: bool = True,
) -> dict[str, Any]:
    """Generate ``n`` labelled microstructures into the ``.npz`` file ``out``.

    Resumable: progress is checkpointed to ``<out>.partial.npz`` and a rerun of the same command
    continues from it. Also writes ``<out stem>.json`` (summary) and ``<out stem>.png`` (figure).

    Returns
    -------
    dict
        ``n``, ``n_candidates`` (tried; the rest did not percolate), ``acceptance``, ``size_px``,
        ``tau_min``/``tau_median``/``tau_max``, ``porosity_min``/``porosity_max``, ``time_s``,
        ``ms_per_image`` (generation + percolation + solve, per kept image).
    """
    from matnn.data.microstructure.generate import GenerationSpec, generate_dataset, import_porespy
    from matnn.utils.io import write_json

    out = Path(out)
    if out.suffix != ".npz":
        out = out.with_suffix(out.suffix + ".npz") if out.suffix else out.with_suffix(".npz")
    ckpt = out.with_name(out.name + ".partial.npz")
    spec = GenerationSpec(size=size, porosity=tuple(porosity), blobiness=tuple(blobiness))
    import_porespy()  # import (seconds) before the clock starts
    t0 = time.perf_counter()
    ds = generate_dataset(
        n, spec=spec, seed=seed, checkpoint=ckpt, checkpoint_every=checkpoint_every, progress=progress
    )
    elapsed = time.perf_counter() - t0
    ds.save(out)
    if ckpt.exists():
        ckpt.unlink()
    tried = int(ds.meta["n_candidates"])
    summary = {
        "n": len(ds),
        "n_candidates": tried,
        "acceptance": len(ds) / tried,
        "size_px": int(size),
        "seed": int(seed),
        "tau_min": float(ds.tau.min()),
        "tau_median": float(np.median(ds.tau)),
        "tau_max": float(ds.tau.max()),
        "porosity_min": float(ds.porosity.min()),
        "porosity_max": float(ds.porosity.max()),
        "time_s": float(elapsed),
        "ms_per_image": 1e3 * elapsed / len(ds),
        "file": str(out),
    }
    write_json(out.with_suffix(".json"), summary)
    plot_dataset(ds, out.with_suffix(".png"))
    return summary
