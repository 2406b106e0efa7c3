"""Time the synthetic fleet (48 cells, both cores) and the whole demo, from an empty cache.

Usage (needs both cores):
    bench/heavy.sh --both python bench/battery/fleet.py --out bench/out/battery/fleet.json [--demo]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: benchmeta

from benchmeta import write_result  # noqa: E402

import matnn  # noqa: E402
from matnn.config import get_num_workers  # noqa: E402
from matnn.data.battery.synthetic import FleetConfig, simulate_fleet  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=48)
    ap.add_argument("--out", default="bench/out/battery/fleet.json")
    ap.add_argument("--demo", action="store_true", help="also time `matnn battery demo` from an empty cache")
    args = ap.parse_args()
    matnn.set_num_threads(1)
    res: dict = {"workers": get_num_workers(), "cells": args.cells}
    cache = Path(tempfile.mkdtemp(prefix="matnn_fleet_bench_"))
    try:
        t = time.perf_counter()
        ds = simulate_fleet(FleetConfig(n_cells=args.cells, seed=0), cache_dir=cache, use_cache=False)
        res["fleet_wall_s"] = time.perf_counter() - t
        life = ds.cycle_life
        res.update(
            cycle_life_min=float(life.min()),
            cycle_life_median=float(np.median(life)),
            cycle_life_max=float(life.max()),
            cycle_life_p10_p90=[float(np.percentile(life, 10)), float(np.percentile(life, 90))],
            n_censored=int(np.sum(life >= 3000)),
            cpu_s_per_cell_mean=float(np.mean(ds.metadata["sim_wall_s"])),
            probes_per_cell_mean=float(np.mean(np.sum(np.isfinite(ds.metadata["traj_cycle"]), axis=1))),
            corr_logvar_loglife=float(np.corrcoef(np.log10(np.var(ds.delta_q(), axis=1)), np.log10(life))[0, 1]),
        )
        print(json.dumps(res, indent=2), flush=True)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    if args.demo:
        from matnn.workflows.battery.demo import run_demo

        cache = Path(tempfile.mkdtemp(prefix="matnn_demo_bench_"))
        out = Path(tempfile.gettempdir()) / "matnn_battery_demo_bench"
        try:
            t = time.perf_counter()
            m = run_demo(out, cells=48, seeds=5, seed=0, cache=cache, show_progress=True)
            res["demo_wall_s"] = time.perf_counter() - t
            res["demo_metrics"] = m
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        print(json.dumps(res, indent=2), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    write_result(args.out, res)


if __name__ == "__main__":
    main()
