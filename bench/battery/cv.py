"""Model selection by 5-fold cross-validation on the Severson *training* cells only.

Usage: python bench/battery/cv.py [--data ../shared/datasets/severson/train.npz] [--out bench/out/battery/cv.json]

Scores every classical model and a small grid of network settings (tutorial CNN, dqnet variants)
by the RMSE (cycles) of out-of-fold predictions over the 41 training cells; the test sets are
never read.  The winners are the recipes registered in matnn.models.battery.registry.BATTERY_MODELS.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

import matnn
from matnn.data.battery import load_npz
from matnn.models.battery import BATTERY_MODELS
from matnn.models.battery.classical import ClassicalModel
from matnn.models.battery.networks import NeuralModel, default_config

VARIANTS = {
    "cnn": ("cnn", {}),
    "dqnet": ("dqnet", {}),
    "dqnet_curve": ("dqnet", {"scalars": "curve"}),
}


def cv_rmse(make, ds, n_folds: int = 5, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    folds = np.array_split(rng.permutation(ds.n_cells), n_folds)
    pred = np.zeros(ds.n_cells)
    for f in folds:
        tr = ds.subset(np.setdiff1d(np.arange(ds.n_cells), f))
        pred[f] = make().fit(tr).predict(ds.subset(f))
    return float(np.sqrt(np.mean((pred - ds.cycle_life) ** 2)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/datasets/severson/train.npz")
    ap.add_argument("--out", default="bench/out/battery/cv.json")
    ap.add_argument("--only", default="", help="comma-separated subset of model/variant names")
    ap.add_argument("--seeds", type=int, default=2, help="CV repeats (different folds and network seeds)")
    args = ap.parse_args()
    matnn.set_num_threads(1)
    ds = load_npz(args.data, require_labels=True)
    only = set(filter(None, args.only.split(",")))
    results = {}
    out = Path(args.out)
    if out.exists():
        results = json.loads(out.read_text())
    for name in BATTERY_MODELS.names("classical"):
        if only and name not in only:
            continue
        t = time.time()
        scores = [cv_rmse(lambda: ClassicalModel(name, seed=s), ds, seed=s) for s in range(args.seeds)]
        results[name] = {
            "cv_rmse": float(np.mean(scores)),
            "cv_rmse_std": float(np.std(scores)),
            "wall_s": time.time() - t,
        }
        print(name, results[name], flush=True)
    for vname, (net, changes) in VARIANTS.items():
        if only and vname not in only:
            continue
        t = time.time()
        cfg = replace(default_config(net), **changes)
        scores = [cv_rmse(lambda: NeuralModel(net, seed=s, config=cfg), ds, seed=s) for s in range(args.seeds)]
        results[vname] = {
            "cv_rmse": float(np.mean(scores)),
            "cv_rmse_std": float(np.std(scores)),
            "wall_s": time.time() - t,
        }
        print(vname, results[vname], flush=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
