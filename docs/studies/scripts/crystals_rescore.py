"""Re-score a saved crystal model on its own split, before and after BatchNorm recalibration.

    bench/heavy.sh .venv/bin/python docs/studies/scripts/crystals_rescore.py RUN_DIR [--data FILE] [--val-fraction 0.05]

``RUN_DIR`` is the ``--out`` folder of a finished ``matnn crystals train --data FILE`` run without
``--test``; its ``model.matnn`` and ``metrics.json`` (seed) are read and the split is rebuilt with the
workflow's own functions, so the test structures are exactly those of the run. Prints validation
and test MAE (eV/atom) of the saved weights as they were, then after
:func:`matnn.workflows.crystals._common.recalibrate_batchnorm` with the training batch size (64),
which is what the workflow now does at the end of every run. Decide on the validation numbers.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT.parent / "shared" / "datasets" / "structures" / "mp_formation_train.jsonl.gz"


def main() -> None:
    from matnn.data.crystals.dataset import CrystalGraphDataset, load_graphs
    from matnn.data.splits import property_split
    from matnn.models import load_model
    from matnn.workflows.crystals._common import predict_dataset, recalibrate_batchnorm

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--val-fraction", type=float, default=0.05)
    ap.add_argument("--test-fraction", type=float, default=0.2)
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args()
    run_metrics = json.loads((args.run / "metrics.json").read_text())
    net = load_model(args.run / "model.matnn")
    target = run_metrics.get("target", "formation_energy_per_atom")
    store = load_graphs(args.data, net.graph_spec, verbose=False)
    full = CrystalGraphDataset(store, target)
    split_seed = run_metrics.get("split_seed", run_metrics["seed"])
    train_set, val_set, test_set = property_split(
        full, test_fraction=args.test_fraction, val_fraction=args.val_fraction, seed=split_seed
    )
    parts = {"train": train_set, "val": val_set, "test": test_set}

    def mae(name: str) -> float:
        ds = parts[name]
        return float(np.abs(predict_dataset(net, ds).reshape(-1) - ds.y.reshape(-1)).mean())

    result = {
        "run": str(args.run),
        "n_train": len(parts["train"]),
        "n_val": len(parts["val"]),
        "n_test": len(parts["test"]),
        "val_mae_saved": mae("val"),
        "test_mae_saved": mae("test"),
    }
    t0 = time.perf_counter()
    result["recalibrated"] = recalibrate_batchnorm(net, parts["train"], batch_size=args.batch_size)
    result["recalibration_s"] = time.perf_counter() - t0
    result["val_mae_recalibrated"], result["test_mae_recalibrated"] = mae("val"), mae("test")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
