"""Samplers of ``matnn tune`` on Branin, Hartmann-6 and a noisy function: best-so-far curves, regret, time.

    python bench/design/tune_samplers.py [--seeds 5] [--trials 40] [--samplers tpe,random,cmaes,gp,sac]
    python bench/design/tune_samplers.py --postgres URL --worker-trials 12 --trial-seconds 2

Writes ``bench/out/design/tune-samplers.json`` (per function and sampler: mean/std of the final simple
regret, mean best-so-far curve of the noise-free value of the incumbent, mean seconds per suggestion) and, with ``--postgres``,
``tune-workers.json``: finished trials per hour with 1 and 2 worker processes sharing one study whose
objective sleeps ``--trial-seconds`` (measures the coordination overhead, not the model).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import optuna

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from matnn.design.tune.samplers import make_sampler  # noqa: E402 (after the sys.path line)

OUT = ROOT / "bench" / "out" / "design"

# Hartmann-6 constants (Dixon & Szegő 1978); global minimum −3.32237.
_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def branin(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x1", -5.0, 10.0)
    y = trial.suggest_float("x2", 0.0, 15.0)
    return (
        (y - 5.1 / (4 * math.pi**2) * x**2 + 5 / math.pi * x - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10
    )


def hartmann6(trial: optuna.Trial) -> float:
    x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(6)])
    return float(-np.sum(_H6_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


def noisy(trial: optuna.Trial) -> float:
    """A 3-d quadratic with a log-scaled and a categorical parameter, plus Gaussian noise (sd 0.1)."""
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    width = trial.suggest_int("width", 8, 256, log=True)
    act = trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
    clean = (math.log10(lr) + 3) ** 2 + (math.log2(width) - 6) ** 2 / 4 + {"relu": 0.3, "tanh": 0.6, "gelu": 0.0}[act]
    trial.set_user_attr("clean", clean)
    rng = np.random.default_rng(trial.number * 7919 + 17)
    return clean + 0.1 * float(rng.normal())


FUNCTIONS = {
    "branin": (branin, 0.397887),
    "hartmann6": (hartmann6, -3.32237),
    "noisy": (noisy, 0.0),
}


def run_one(fn, sampler_name: str, seed: int, trials: int) -> tuple[list[float], float]:
    """Noise-free value of the incumbent (best observed trial so far) after each trial, and seconds per trial.

    The objectives cost microseconds, so the time per trial is the sampler's time per suggestion.
    """
    study = optuna.create_study(sampler=make_sampler(sampler_name, seed=seed))
    t0 = time.perf_counter()
    study.optimize(fn, n_trials=trials)
    per_trial = (time.perf_counter() - t0) / trials
    observed = np.array([t.value for t in study.trials])
    clean = np.array([t.user_attrs.get("clean", t.value) for t in study.trials])
    incumbent = [int(np.argmin(observed[: i + 1])) for i in range(len(observed))]
    return [float(clean[i]) for i in incumbent], per_trial


def bench_samplers(samplers: list[str], seeds: int, trials: int) -> dict:
    results: dict = {}
    for fname, (fn, optimum) in FUNCTIONS.items():
        results[fname] = {"optimum": optimum}
        for name in samplers:
            curves, times = [], []
            t0 = time.perf_counter()
            for seed in range(seeds):
                c, t = run_one(fn, name, seed, trials)
                curves.append(c)
                times.append(t)
            curves_a = np.asarray(curves)
            regret = curves_a[:, -1] - optimum
            results[fname][name] = {
                "final_regret_mean": float(regret.mean()),
                "final_regret_std": float(regret.std()),
                "best_so_far_mean": curves_a.mean(0).round(6).tolist(),
                "seconds_per_suggestion_mean": float(np.mean(times)),
                "wall_s": time.perf_counter() - t0,
            }
            print(
                f"{fname:10s} {name:7s} regret {regret.mean():.4g} ± {regret.std():.3g}  "
                f"{1000 * results[fname][name]['seconds_per_suggestion_mean']:.1f} ms/suggestion",
                flush=True,
            )
    return results


def bench_workers(url: str, n_trials: int, trial_s: float) -> dict:
    worker = ROOT / "tests" / "design" / "_tune_worker.py"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = {}
    for n_workers in (1, 2):
        name = f"bench-{n_workers}-{uuid.uuid4().hex[:6]}"
        log = OUT / f".workers-{name}.log"
        t0 = time.perf_counter()
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    str(worker),
                    url,
                    name,
                    str(n_trials),
                    str(trial_s),
                    str(log),
                    str(i),
                ],
                env=env,
            )
            for i in range(n_workers)
        ]
        codes = [p.wait() for p in procs]
        wall = time.perf_counter() - t0
        log.unlink(missing_ok=True)
        out[f"workers_{n_workers}"] = {
            "exit_codes": codes,
            "wall_s": wall,
            "trials_per_hour": 3600 * n_trials / wall,
        }
        print(
            f"{n_workers} worker(s): {n_trials} trials of {trial_s} s in {wall:.1f} s = {3600 * n_trials / wall:.0f} trials/hour",
            flush=True,
        )
    out["speedup"] = out["workers_2"]["trials_per_hour"] / out["workers_1"]["trials_per_hour"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--samplers", default="tpe,random,cmaes,gp,sac")
    ap.add_argument(
        "--postgres",
        default=None,
        help="PostgreSQL URL for the 1-vs-2-workers figure (skipped without)",
    )
    ap.add_argument("--worker-trials", type=int, default=12)
    ap.add_argument("--trial-seconds", type=float, default=2.0)
    ap.add_argument("--skip-samplers", action="store_true")
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    OUT.mkdir(parents=True, exist_ok=True)
    if not args.skip_samplers:
        res = bench_samplers(args.samplers.split(","), args.seeds, args.trials)
        meta = {
            "seeds": args.seeds,
            "trials": args.trials,
            "optuna": optuna.__version__,
            "cpu_count": os.cpu_count(),
            "note": "timings on a shared machine are noisy",
        }
        (OUT / "tune-samplers.json").write_text(json.dumps({"settings": meta, "results": res}, indent=1))
        print(f"wrote {OUT / 'tune-samplers.json'}")
    if args.postgres:
        res = bench_workers(args.postgres, args.worker_trials, args.trial_seconds)
        (OUT / "tune-workers.json").write_text(json.dumps(res, indent=1))
        print(f"wrote {OUT / 'tune-workers.json'}")


if __name__ == "__main__":
    main()
