"""Benchmark: NSGA-II directly on the DFN, hypervolume against DFN calls, beside the surrogate route.

Run:  PYTHONPATH=src python bench/design/electrode_direct.py [--pop-size 32] [--generations 140] [--time-limit-min 45]
      PYTHONPATH=src python bench/design/electrode_direct.py --plot-only   # redraw from the JSON

The Sobol campaign of ``matnn design electrode`` (``--n`` designs, ``--seed``) must be in ``--cache`` (its
records set the hypervolume normalisation, as in the loop: objectives scaled to the campaign's range,
reference (1, 1)); the direct search adds its own records to the same cache. One worker, serial: the
hypervolume of the non-dominated set of every point evaluated so far is written after each generation to
``bench/out/design/electrode-direct.json``, so a search stopped by ``--time-limit-min`` keeps its curve.
``--route`` names the loop's ``metrics.json`` whose hypervolume and DFN calls are drawn beside the curve
(``bench/out/design/electrode_hv_vs_calls.png``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np


class _Stop(Exception):
    """Raised inside the objective when the time limit is spent (the curve is already saved)."""


def _plain(o: object) -> object:
    return o.tolist() if isinstance(o, np.ndarray) else float(o)


def _write(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=_plain) + "\n")
    tmp.replace(path)


def run(args: argparse.Namespace) -> dict:
    from matnn.core.engines import Executor
    from matnn.design.electrode import RecipeSpace, sobol_recipes
    from matnn.design.electrode.recipe import Recipe
    from matnn.design.electrode.search import hypervolume, nondominated, nsga2
    from matnn.workflows.design.electrode import Campaign, objectives

    space = RecipeSpace()
    target = args.out / "electrode-direct.json"
    with Executor(workers=1) as ex:
        campaign = Campaign(args.cache, ex, seed=args.seed, show_progress=False)
        y_all = objectives(campaign.evaluate(sobol_recipes(args.n, space, seed=args.seed), "Sobol campaign"))
        lo, hi = np.nanmin(y_all, axis=0), np.nanmax(y_all, axis=0)
        data: dict = {
            "pop_size": args.pop_size,
            "generations_planned": args.generations,
            "time_limit_min": args.time_limit_min,
            "seed": args.seed,
            "n_campaign": args.n,
            "workers": 1,
            "load_average_start": os.getloadavg()[0],
            "normalisation_lo": lo,
            "normalisation_hi": hi,
            "curve": [],
        }
        f_seen: list[np.ndarray] = []
        t0 = time.perf_counter()

        def batch(x: np.ndarray) -> np.ndarray:
            if time.perf_counter() - t0 > 60 * args.time_limit_min:
                raise _Stop
            f = objectives(campaign.evaluate([Recipe.from_array(v) for v in x], "DFN direct NSGA-II"))
            f_seen.append(f)
            f_all = np.vstack(f_seen)
            front = nondominated(-f_all)
            hv = hypervolume((hi - f_all[front]) / (hi - lo), np.ones(2))
            data["curve"].append(
                {
                    "generation": len(f_seen),
                    "dfn_calls": len(f_all),
                    "seconds": time.perf_counter() - t0,
                    "hypervolume": hv,
                    "front_size": len(front),
                    "failed": int((~np.all(np.isfinite(f_all), axis=1)).sum()),
                }
            )
            data["front"] = f_all[front]
            data["load_average_end"] = os.getloadavg()[0]
            _write(target, data)
            print(f"gen {len(f_seen)}: {len(f_all)} calls, {time.perf_counter() - t0:.0f} s, HV {hv:.4f}", flush=True)
            return -f

        try:
            nsga2(batch, space.lower, space.upper, pop_size=args.pop_size, generations=args.generations, seed=args.seed)
            data["stopped_by_time_limit"] = False
        except _Stop:
            data["stopped_by_time_limit"] = True
    data["seconds_per_call"] = data["curve"][-1]["seconds"] / data["curve"][-1]["dfn_calls"]
    _write(target, data)
    return data


def compare(data: dict, route: dict) -> dict:
    """Route hypervolume against the direct curve: ratios at 10× the route's calls and where the curve catches up."""
    curve = data["curve"]
    calls = np.array([c["dfn_calls"] for c in curve])
    hv = np.array([c["hypervolume"] for c in curve])
    hv_r, n_r = route["hypervolume_surrogate_route"], route["dfn_calls_surrogate_route"]
    at = calls <= 10 * n_r
    k = int(np.flatnonzero(at)[-1]) if at.any() else 0

    def first(level: float) -> int | None:
        hit = np.flatnonzero(hv >= level)
        return int(calls[hit[0]]) if hit.size else None

    return {
        "route_hypervolume": hv_r,
        "route_dfn_calls": n_r,
        "direct_calls_max": int(calls[-1]),
        "direct_hypervolume_max": float(hv[-1]),
        "direct_budget_reaches_10x": bool(calls[-1] >= 10 * n_r),
        "direct_calls_at_10x_or_max": int(calls[k]),
        "direct_hypervolume_at_10x_or_max": float(hv[k]),
        "hypervolume_ratio_route_over_direct_at_10x": hv_r / float(hv[k]),
        "claim_95pct_at_10x_holds": bool(hv_r >= 0.95 * hv[k]) if calls[-1] >= 10 * n_r else None,
        "direct_calls_to_reach_route_hv": first(hv_r),
        "direct_calls_to_reach_95pct_route_hv": first(0.95 * hv_r),
        # beyond this hypervolume of the direct search the route holds less than 95 % of it
        "direct_calls_to_exceed_route_hv_over_095": first(hv_r / 0.95),
        "direct_calls_at_route_calls": int(calls[calls <= n_r][-1]) if (calls <= n_r).any() else None,
        "direct_hypervolume_at_route_calls": float(hv[calls <= n_r][-1]) if (calls <= n_r).any() else None,
    }


def plot(data: dict, route: dict | None, path: Path) -> None:
    from matnn.utils.plotting import plt, save_figure

    calls = [c["dfn_calls"] for c in data["curve"]]
    hv = [c["hypervolume"] for c in data["curve"]]
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    ax.plot(calls, hv, c="tab:red", lw=1.5, label=f"NSGA-II on the DFN (pop {data['pop_size']})")
    if route:
        hv_r, n_r = route["hypervolume_surrogate_route"], route["dfn_calls_surrogate_route"]
        ax.axhline(hv_r, c="tab:blue", lw=1, ls="--", label=f"surrogate route, {n_r} calls")
        ax.axhline(hv_r / 0.95, c="tab:blue", lw=0.8, ls=":", label="route ÷ 0.95 (above: route < 95 % of direct)")
        ax.scatter([n_r], [hv_r], c="tab:blue", zorder=3)
        ax.axvline(10 * n_r, c="0.5", lw=0.8, ls="-.", label="10× the route's calls")
    ax.set_xscale("log")
    ax.set_xlabel("DFN calls")
    ax.set_ylabel("hypervolume (campaign-scaled, ref (1, 1))")
    ax.set_title("Direct NSGA-II on the DFN: hypervolume against calls")
    ax.legend(fontsize=8, loc="lower right")
    save_figure(fig, path)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=256, help="Sobol designs of the campaign in --cache")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pop-size", type=int, default=32)
    ap.add_argument("--generations", type=int, default=140)
    ap.add_argument("--time-limit-min", type=float, default=45.0)
    ap.add_argument("--cache", type=Path, default=Path("runs/design/electrode_n256"))
    ap.add_argument("--route", type=Path, default=Path("bench/out/design/electrode_n256/metrics.json"))
    ap.add_argument("--out", type=Path, default=Path("bench/out/design"))
    ap.add_argument("--plot-only", action="store_true", help="redraw and recompare from the saved JSON")
    args = ap.parse_args()
    os.environ.setdefault("MATNN_PROGRESS", "0")
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / "electrode-direct.json"
    data = json.loads(target.read_text()) if args.plot_only else run(args)
    if "_meta" not in data:  # date, hardware and the command of the search itself (not of a --plot-only redraw)
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from benchmeta import meta

        from matnn.core.config import set_num_threads

        set_num_threads()  # the search ran with MATNN_NUM_THREADS (default 1): the hardware line names that
        data = {
            "_meta": meta(
                "PYTHONPATH=src python bench/design/electrode_direct.py "
                f"--pop-size {data['pop_size']} --generations {data['generations_planned']} "
                f"--time-limit-min {data['time_limit_min']:g}"
            )
        } | data
    route = json.loads(args.route.read_text()) if args.route.exists() else None
    if route:
        data["comparison"] = compare(data, route)
        data["route_metrics"] = str(args.route)
        _write(target, data)
        print(json.dumps(data["comparison"], indent=1))
    plot(data, route, args.out / "electrode_hv_vs_calls.png")
    print(f"-> {target}")


if __name__ == "__main__":
    main()
