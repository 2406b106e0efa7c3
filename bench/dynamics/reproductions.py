"""Run every training-dynamics reproduction and time each one.

    bench/heavy.sh .venv/bin/python bench/dynamics/reproductions.py --out /tmp/dynamics_all [--seed 0]

Writes OUT/<name>/{metrics.json, *.png}, OUT/summary.{md,csv}, OUT/metrics.json (the same as
``matnn dynamics all --out OUT``) plus OUT/bench.json with the hardware and per-reproduction wall times.
Each reproduction's budget is 3 minutes on 2 cores; run it under ``heavy`` (one core, one thread) for
the conservative figure.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import torch

import matnn
from matnn.dynamics.reproductions import REPRODUCTIONS, run_all
from matnn.utils.io import read_json, write_json


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--json", type=Path, default=None, help="raw result (default bench/out/dynamics/reproductions-seedS.json)"
    )
    ap.add_argument("--names", nargs="*", default=None, help=f"subset of {list(REPRODUCTIONS)}")
    args = ap.parse_args()
    matnn.set_num_threads(None)
    t0 = time.perf_counter()
    summary = run_all(args.out, seed=args.seed, names=args.names, resume=False)
    per = {name: read_json(args.out / name / "metrics.json") for name in (args.names or REPRODUCTIONS)}
    info = {
        "hardware": f"{platform.machine()} CPU, affinity {len(os.sched_getaffinity(0))} core(s), torch threads {torch.get_num_threads()}",
        "torch": torch.__version__,
        "seed": args.seed,
        "total_wall_s": round(time.perf_counter() - t0, 1),
        "n_reproduced": summary["n_reproduced"],
        **{f"{k}_wall_s": v["wall_time_s"] for k, v in per.items()},
        **{f"{k}_reproduced": v["reproduced"] for k, v in per.items()},
    }
    write_json(args.out / "bench.json", info)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: benchmeta
    from benchmeta import write_result

    write_result(args.json or Path(f"bench/out/dynamics/reproductions-seed{args.seed}.json"), {**info, "metrics": per})
    print((args.out / "summary.md").read_text(encoding="utf-8"))
    for k, v in info.items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
