"""Benchmark: electrode inverse design (``matnn design electrode``) — DFN cost, Dask scaling, surrogate route.

Run:  PYTHONPATH=src python bench/design/electrode_campaign.py [--n 256] [--scaling-n 16] [--timing-n 8]

Reports, as JSON in bench/out/design/electrode-campaign.json:

* DFN seconds per design (two discharges, model discretised per design; tortuosity looked up, not imaged),
  timed serially in this process after one warm-up design;
* campaign throughput (designs/min) on 1 worker (serial, in process) and on a 2-worker local Dask cluster,
  same recipes, tortuosity bins precomputed, cluster start-up and a one-design-per-worker warm-up (PyBaMM
  import, model build) timed separately;
* the full loop at ``--n`` Sobol designs on 2 workers (default settings, so 2 rounds of active
  refinement): surrogate R², front error, hypervolume ratio (surrogate route / NSGA-II directly on the DFN
  at its small default budget) and DFN-calls ratio. The 10× comparison with a large direct search is
  ``bench/design/electrode_direct.py``; the front-error attempts ``docs/studies/scripts/electrode_front_error.py``.

The machine these numbers come from is shared (2 cores, several jobs): the load average is recorded
beside the timings, and ratios are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path


def _load() -> float:
    return os.getloadavg()[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--n",
        type=int,
        default=256,
        help="Sobol designs in the full loop (0 = skip it)",
    )
    ap.add_argument(
        "--scaling-n",
        type=int,
        default=16,
        help="designs in the 1-vs-2-worker comparison",
    )
    ap.add_argument("--timing-n", type=int, default=8, help="designs timed serially")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("bench/out/design"))
    args = ap.parse_args()

    import numpy as np

    from matnn.core.engines import Executor
    from matnn.design.electrode import electrode_from_recipe, sobol_recipes
    from matnn.design.electrode.dfn import simulate_electrode
    from matnn.workflows.design.electrode import Campaign, design_electrode

    os.environ.setdefault("MATNN_PROGRESS", "0")
    work = Path(tempfile.mkdtemp(prefix="electrode_bench_"))
    result: dict = {"load_average_start": _load(), "cpu_count": os.cpu_count()}

    # 1. DFN seconds per design (serial, this process).
    recipes = sobol_recipes(max(args.timing_n, 2) + 1, seed=args.seed + 1)
    with Executor(workers=1) as ex:
        camp = Campaign(work / "timing", ex, seed=args.seed, show_progress=False)
        t0 = time.perf_counter()
        camp.fill_tortuosity([electrode_from_recipe(r).porosity for r in recipes])
        result["tortuosity_bins_seconds"] = time.perf_counter() - t0
        result["tortuosity_bins"] = len(camp.table.bins)
    secs, status = [], []
    for k, r in enumerate(recipes):
        e = electrode_from_recipe(r)
        out = simulate_electrode(e, camp.table.tau(e.porosity))
        if k:  # the first design builds the DFN model object and imports PyBaMM
            secs.append(out["seconds"])
            status.append(out["status"])
    result.update(
        dfn_seconds_per_design_median=float(np.median(secs)),
        dfn_seconds_per_design_mean=float(np.mean(secs)),
        dfn_seconds_per_design_max=float(np.max(secs)),
        dfn_timing_designs=len(secs),
        dfn_timing_failed=status.count("failed"),
        dfn_target_seconds=2.0,
    )
    print(
        f"DFN: median {result['dfn_seconds_per_design_median']:.2f} s/design (max {result['dfn_seconds_per_design_max']:.2f})"
    )

    # 2. Campaign throughput, 1 (serial) vs 2 Dask workers, same recipes and tortuosity cache.
    scale = sobol_recipes(args.scaling_n, seed=args.seed + 2)
    for workers in (1, 2):
        d = work / f"scale{workers}"
        (d / "cache").mkdir(parents=True)
        shutil.copy(
            work / "timing" / "cache" / "tortuosity.json",
            d / "cache" / "tortuosity.json",
        )
        t0 = time.perf_counter()
        with Executor(workers=workers) as ex:
            t_up = time.perf_counter() - t0
            c = Campaign(d, ex, seed=args.seed, show_progress=False)
            c.fill_tortuosity([electrode_from_recipe(r).porosity for r in scale])
            # warm-up: one design per worker pays the PyBaMM import and model build outside the timing
            warm = sobol_recipes(2 * workers, seed=args.seed + 3)[:workers] if workers > 1 else recipes[:1]
            c.fill_tortuosity([electrode_from_recipe(r).porosity for r in warm])
            t_w = time.perf_counter()
            c.evaluate(warm)
            result[f"workers{workers}_warmup_seconds"] = time.perf_counter() - t_w
            t1 = time.perf_counter()
            recs = c.evaluate(scale)
            t_run = time.perf_counter() - t1
        result[f"workers{workers}_startup_seconds"] = t_up
        result[f"workers{workers}_campaign_seconds"] = t_run
        result[f"workers{workers}_designs_per_min"] = 60 * len(scale) / t_run
        result[f"workers{workers}_failed"] = sum(r["status"] != "ok" for r in recs)
        result[f"workers{workers}_load_average"] = _load()
        print(
            f"{workers} worker(s): {result[f'workers{workers}_designs_per_min']:.1f} designs/min "
            f"(start-up {t_up:.1f} s, load {_load():.1f})"
        )
    result["speedup_2_workers"] = result["workers2_designs_per_min"] / result["workers1_designs_per_min"]
    result["scaling_designs"] = len(scale)

    # 3. The full loop at --n designs on 2 workers.
    if args.n:
        run = Path("runs/design") / f"electrode_n{args.n}"  # git-ignored: holds the per-recipe cache
        t0 = time.perf_counter()
        m = design_electrode(run, n=args.n, seed=args.seed, workers=2, show_progress=False)
        result["loop_seconds"] = time.perf_counter() - t0
        keep = args.out / f"electrode_n{args.n}"  # report, figures, metrics and front beside the JSON
        keep.mkdir(parents=True, exist_ok=True)
        for name in (
            "report.md",
            "metrics.json",
            "front.json",
            "failed.json",
            "pareto_front.png",
            "parallel_coordinates.png",
        ):
            shutil.copy(run / name, keep / name)
        result["loop_dir"] = str(keep)
        result.update({f"loop_{k}": v for k, v in m.items()})
        h_s, h_d = m["hypervolume_surrogate_route"], m["hypervolume_direct_dfn"]
        result["hypervolume_ratio"] = h_s / h_d if h_d else None
        result["dfn_calls_ratio"] = m["dfn_calls_surrogate_route"] / m["dfn_calls_direct"]
        print(
            f"loop n={args.n}: R2 energy {m['surrogate_r2_energy']:.3f}, power {m['surrogate_r2_power']:.3f}; "
            f"HV ratio {result['hypervolume_ratio']}; DFN-calls ratio {result['dfn_calls_ratio']:.2f}"
        )
    result["load_average_end"] = _load()
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / "electrode-campaign.json"
    if not args.n and target.exists():  # a timing-only rerun keeps the loop results of the last full run
        previous = json.loads(target.read_text())
        kept = {
            k: v for k, v in previous.items() if k.startswith("loop_") or k in ("hypervolume_ratio", "dfn_calls_ratio")
        }
        result.update(kept, loop_from_earlier_run=bool(kept))
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmeta import write_result

    write_result(args.out / "electrode-campaign.json", result)
    shutil.rmtree(work, ignore_errors=True)
    print(f"-> {args.out / 'electrode-campaign.json'}")


if __name__ == "__main__":
    main()
