"""Benchmark: a CuAu interatomic potential learned from EMT data, over several seeds.

    bench/heavy.sh .venv/bin/python bench/crystals/potential.py --seeds 0 1 2 --out /tmp/crystals_bench_pot
    bench/heavy.sh .venv/bin/python bench/crystals/potential.py --model mace --epochs 40 --seeds 0 --out /tmp/crystals_bench_mace

Each seed regenerates the EMT data (360 configurations of 32-atom cells: rattled, strained, with
vacancies, Langevin MD at 300–1200 K), splits whole MD runs into train/test, trains
:class:`~matnn.models.crystals.GraphPotential` (``--model schnet``) or
:class:`~matnn.models.crystals.MACEPotential` (``--model mace``) with the ``matnn crystals potential`` defaults, and runs
1 ps of NVE MD on a 108-atom cell.  Prints mean ± std of the held-out energy and force errors and
of the energy drift, and writes every seed's metrics.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

KEYS = (
    "energy_mae_mev_atom",
    "force_mae_mev_A",
    "val_energy_mae_mev_atom",
    "val_force_mae_mev_A",
    "md_drift_mev_atom_ps",
    "md_drift_emt_mev_atom_ps",
    "md_fluct_mev_atom",
    "md_emt_force_mae_mev_A",
    "train_time_s",
    "epoch_time_s",
    "md_wall_s",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", default="CuAu")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=120)
    parser.add_argument("--model", choices=("schnet", "mace"), default="schnet")
    parser.add_argument(
        "--out", type=Path, default=None, help="JSON summary (default bench/out/crystals/potential-MODEL-eEPOCHS.json)"
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/matnn_bench_potential"), help="folder for the runs")
    args = parser.parse_args()

    import matnn
    from matnn.workflows.crystals import train_potential

    matnn.set_num_threads(1)
    runs = []
    for seed in args.seeds:
        run = train_potential(
            args.system, model=args.model, epochs=args.epochs, seed=seed, out=args.work / f"seed{seed}", verbose=False
        )
        runs.append(run.metrics)
        print(json.dumps({k: run.metrics[k] for k in KEYS if k in run.metrics}), flush=True)
    summary = {
        "system": args.system,
        "model": args.model,
        "epochs": args.epochs,
        "seeds": args.seeds,
        "hardware": runs[0]["hardware"],
        "n_params": runs[0]["n_params"],
    }
    for k in KEYS:
        vals = np.array([r[k] for r in runs if k in r], dtype=float)
        summary[f"{k}_mean"] = float(vals.mean())
        summary[f"{k}_std"] = float(vals.std(ddof=1)) if len(vals) > 1 else 0.0
    print(json.dumps(summary, indent=2))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: benchmeta
    from benchmeta import write_result

    write_result(args.out or Path(f"bench/out/crystals/potential-{args.model}-e{args.epochs}.json"), summary)


if __name__ == "__main__":
    main()
