"""Model selection by 5-fold cross-validation on the Severson *training* cells only.

Usage: python bench/battery/cv.py [--data ../shared/datasets/severson/train.npz] [--out bench/out/battery/cv.json]

Scores every classical model and a small grid of network settings (tutorial CNN, dqnet variants)
by the RMSE (cycles) of out-of-fold predictions over the 41 training cells; the test sets are
never read.  The winners are the recipes registered in matnn.models.battery.registry.BATTERY_MODELS.
The folds and seeds are those of matnn.workflows.battery.cv (``matnn battery cv``): repeat s permutes
the cells with numpy.random.default_rng(s) and seeds every model with s, so
``matnn battery cv --model NAME --repeats 2`` reproduces a row (``rmse`` = ``cv_rmse``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import matnn
from matnn.data.battery import load_npz
from matnn.models.battery import BATTERY_MODELS
from matnn.workflows.battery.cv import cross_validate, out_of_fold

VARIANTS = {
    "cnn": ("cnn", {}),
    "dqnet": ("dqnet", {}),
    "dqnet_curve": ("dqnet", {"scalars": "curve"}),
}


def cv_rmse(make, ds, n_folds: int = 5, seed: int = 0) -> float:
    """Out-of-fold RMSE (cycles) of any model ``make()`` builds (one repeat of matnn's fold rule)."""
    pred = out_of_fold(make, ds, n_folds, seed)
    return float(np.sqrt(np.mean((pred - ds.cycle_life) ** 2)))


def _row(ds, model: str, options: dict, repeats: int) -> dict:
    m = cross_validate(ds, model, folds=5, repeats=repeats, seed=0, model_options=options, show_progress=False)
    return {"cv_rmse": m["rmse"], "cv_rmse_std": m["rmse_std"], "wall_s": m["wall_s"]}


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
        results[name] = _row(ds, name, {}, args.seeds)
        print(name, results[name], flush=True)
    for vname, (net, changes) in VARIANTS.items():
        if only and vname not in only:
            continue
        results[vname] = _row(ds, net, changes, args.seeds)
        print(vname, results[vname], flush=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
