"""Make the steels example of docs/design.md: a seeded 80/20 split of matbench_steels_yield.csv and its experiment.

    python bench/design/tune_steels_split.py [--data PATH] [--out FOLDER] [--seed 0]

Writes FOLDER/train.csv, FOLDER/test.csv and FOLDER/steels.yaml; then, in FOLDER:
``matnn tune steels.yaml --out runs/steels-tuned``.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

EXPERIMENT = """\
command: composition train
train: train.csv
test: test.csv
model: dense
features: magpie
epochs: 30
out: runs/steels-tuned
tune:
  trials: 8
  sampler: tpe
  pruner: median
  direction: minimize
  space:
    learning_rate: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}
    hidden: {type: categorical, choices: ["64,32", "128,64"]}
    dropout: {type: float, low: 0.0, high: 0.3}
"""


def main() -> None:
    root = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data",
        type=Path,
        default=root.parent / "shared" / "datasets" / "composition" / "matbench_steels_yield.csv",
    )
    ap.add_argument("--out", type=Path, default=Path("steels"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--test-fraction", type=float, default=0.2)
    args = ap.parse_args()
    with open(args.data, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    perm = np.random.default_rng(args.seed).permutation(len(body))
    n_test = round(args.test_fraction * len(body))
    test = set(perm[:n_test].tolist())
    args.out.mkdir(parents=True, exist_ok=True)
    for name, keep in (
        ("train.csv", lambda i: i not in test),
        ("test.csv", lambda i: i in test),
    ):
        with open(args.out / name, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(r for i, r in enumerate(body) if keep(i))
    (args.out / "steels.yaml").write_text(EXPERIMENT, encoding="utf-8")
    print(f"wrote {args.out}/train.csv ({len(body) - n_test} rows), test.csv ({n_test} rows), steels.yaml")


if __name__ == "__main__":
    main()
