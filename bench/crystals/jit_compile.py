"""Benchmark: CGCNN training steps with ``compile(jit_compile=True)`` against eager mode, same process.

Run under the core-slot wrapper (one pinned core, one thread):

    bench/heavy.sh .venv/bin/python bench/crystals/jit_compile.py --out bench/out/crystals_jit_compile.json

Both modes train the same fresh CGCNN (same seed) through ``Model.fit`` on the same batches of 64
Materials Project graphs (``../shared/datasets/structures``, graphs from the cache), no shuffling.
Eager mode is the reference (the plain-PyTorch path: ``nn.Module.__call__``).  Reported: the
first epoch's wall time (includes compilation), the steady-state ms per step of a later epoch, their
ratio, and the largest relative difference between the two loss curves.  Add ``--models megnet``
for the MEGNet-style network.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "datasets" / "structures" / "mp_formation_train.jsonl.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--out", type=Path, default=Path("bench/out/crystals/jit-compile.json"), help="JSON file for the results"
    )
    parser.add_argument("--batches", type=int, default=40, help="batches of 64 per epoch")
    parser.add_argument(
        "--models", default="cgcnn", help="comma-separated property models of CRYSTAL_MODELS (cgcnn, megnet)"
    )
    args = parser.parse_args()

    import torch

    import matnn
    from matnn.data.crystals.batch import collate_graphs
    from matnn.data.crystals.dataset import CrystalGraphDataset, load_graphs
    from matnn.models.crystals.registry import crystal_model
    from matnn.workflows.crystals._common import hardware
    from matnn.workflows.crystals.train import build_property_model

    res: dict[str, object] = {"hardware": hardware("cpu"), "torch": torch.__version__, "batches": args.batches}
    for name in args.models.split(","):
        store = load_graphs(args.data, crystal_model(name, "property").load().graph_spec_for(), verbose=False)
        ds = CrystalGraphDataset(store, "formation_energy_per_atom")
        idx = np.random.default_rng(0).permutation(len(ds))[: 64 * args.batches].tolist()
        subset = torch.utils.data.Subset(ds, idx)
        curves = {}
        for jit in (False, True):
            matnn.set_seed(0)
            net = build_property_model(name, 1)
            net.adapt(ds.y[idx])
            net.compile(optimizer="adamw", loss="mae", jit_compile=jit)
            t0 = time.perf_counter()
            first = net.fit(subset, batch_size=64, epochs=1, collate_fn=collate_graphs, shuffle=False, verbose=0)
            t1 = time.perf_counter()
            later = net.fit(subset, batch_size=64, epochs=2, collate_fn=collate_graphs, shuffle=False, verbose=0)
            t2 = time.perf_counter()
            key = "jit" if jit else "eager"
            res[f"{name}_{key}_first_epoch_s"] = t1 - t0
            res[f"{name}_{key}_ms_per_step"] = (t2 - t1) / (2 * args.batches) * 1000
            res[f"{name}_{key}_still_compiled"] = bool(net.jit_compile) if jit else None
            curves[key] = first.history["loss"] + later.history["loss"]
        res[f"{name}_speedup"] = res[f"{name}_eager_ms_per_step"] / res[f"{name}_jit_ms_per_step"]
        res[f"{name}_compile_overhead_s"] = res[f"{name}_jit_first_epoch_s"] - res[f"{name}_eager_first_epoch_s"]
        res[f"{name}_max_rel_loss_diff"] = float(
            np.max(np.abs(np.subtract(curves["jit"], curves["eager"])) / np.abs(curves["eager"]))
        )
    print(json.dumps(res, indent=1))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: benchmeta
    from benchmeta import write_result

    write_result(args.out, res)


if __name__ == "__main__":
    main()
