"""Benchmark: composition-only baseline (random forest on Magpie) on the crystal models' split.

    bench/heavy.sh .venv/bin/python bench/crystals/composition_baseline.py --out /tmp/crystals_bench_rf

The test set is exactly the one ``matnn crystals train --data mp_formation_train.jsonl.gz`` holds
out with ``--seed 0`` (a seeded fifth of the 29,391 structures); the forest trains on the other
four fifths (no validation part is needed). Features: the 132 Magpie features of
:func:`matnn.data.composition.magpie_features` (matminer's "magpie" preset, from the composition
engineer's module); model: scikit-learn ``RandomForestRegressor`` with 500 trees,
``max_features=1/3``, one thread — the ``rf-magpie`` settings of ``matnn composition``.
Polymorphs share a composition, so this model cannot tell them apart: that gap is what the
structure buys.
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


def formula_of(numbers: np.ndarray) -> str:
    from ase.data import chemical_symbols

    z, counts = np.unique(numbers, return_counts=True)
    return "".join(f"{chemical_symbols[int(a)]}{int(c)}" for a, c in zip(z, counts, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--target", default="formation_energy_per_atom")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--trees", type=int, default=500)
    parser.add_argument("--out", type=Path, default=Path("bench/out/crystals/rf-magpie.json"))
    args = parser.parse_args()

    from sklearn.ensemble import RandomForestRegressor

    import matnn
    from matnn.data.composition import magpie_features
    from matnn.data.crystals.structures import iter_jsonl
    from matnn.data.splits import holdout_split
    from matnn.workflows.crystals._common import hardware
    from matnn.workflows.crystals.train import regression_metrics

    matnn.set_num_threads(1)
    crystals = [c for c in iter_jsonl(args.data) if np.isfinite(c.targets.get(args.target, np.nan))]
    y = np.array([c.targets[args.target] for c in crystals])
    train, test = holdout_split(len(crystals), 0.2, args.seed)  # same call as train_property_model
    formulas = [formula_of(c.numbers) for c in crystals]
    t0 = time.perf_counter()
    X = magpie_features(formulas)
    feat_s = time.perf_counter() - t0
    ok = np.isfinite(X).all(axis=1)
    t0 = time.perf_counter()
    rf = RandomForestRegressor(n_estimators=args.trees, max_features=1 / 3, n_jobs=1, random_state=args.seed)
    rf.fit(X[train][ok[train]], y[train][ok[train]])
    fit_s = time.perf_counter() - t0
    pred = rf.predict(np.nan_to_num(X[test]))
    res = regression_metrics(y[test], pred)
    res.update(
        {
            "model": "rf-magpie",
            "trees": args.trees,
            "n_train": int(ok[train].sum()),
            "n_features": int(X.shape[1]),
            "n_rows_without_features": int((~ok).sum()),
            "featurize_s": feat_s,
            "fit_s": fit_s,
            "mean_predictor_mae": float(np.abs(y[test] - y[train].mean()).mean()),
            "hardware": hardware(),
        }
    )
    print(json.dumps(res, indent=2))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: benchmeta
    from benchmeta import write_result

    write_result(args.out, res)


if __name__ == "__main__":
    main()
