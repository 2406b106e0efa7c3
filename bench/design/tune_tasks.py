"""Samplers and pruning of ``matnn tune`` on three real matnn tasks with cheap trials.

    python bench/design/tune_tasks.py --task digits [--seeds 5] [--trials 20] [--samplers tpe,random,cmaes,gp,sac]
    python bench/design/tune_tasks.py --task expt_gap
    python bench/design/tune_tasks.py --task dqnet

Each search is ``matnn tune`` itself (``run_search`` in this process, no final retraining): the task's
experiment plus a ``tune:`` block naming the sampler and its seed. Tasks (validation scores only; no
test set is read):

* ``digits``: LeNet on scikit-learn's 8x8 digits, 5 epochs, one seed; score = accuracy on the
  validation fifth of the training images (maximise); space: learning rate, batch size, dropout.
* ``expt_gap``: dense network (15 epochs) on Magpie features of Matbench expt_gap, 3-fold CV MAE (eV)
  on a 1,500-row random subset (``composition cv --max-rows 1500``); space: learning rate, hidden layers,
  dropout, weight decay.
* ``dqnet``: the battery dqnet (one member, 60 epochs) by 3-fold CV RMSE (cycles) on the 41
  Severson training cells (``battery cv``); space: learning rate, weight decay, batch size.

Per task and sampler, over ``--seeds`` search seeds with the median pruner off: mean ± std of the best
validation score after every trial, the final best, seconds per trial and the gap between trials
(sampler + storage). Then the pruning comparison: TPE with the median pruner against TPE without, same
seeds and trial budget: wall time until the pruned search first matches the unpruned search's final best.
Writes ``bench/out/design/tune-tasks-<task>.json`` and redraws ``tune-tasks.png`` (best-so-far curves,
mean ± std over seeds, of every task run so far; ``--plot-only`` just redraws it).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from benchmeta import write_result  # noqa: E402 (after the sys.path lines)

SHARED = Path(os.environ.get("MATNN_SHARED", ROOT.parent / "shared")) / "datasets"
OUT = ROOT / "bench" / "out" / "design"


def tasks() -> dict[str, dict]:
    """The experiments (as ``matnn run`` reads them) and search spaces of the three tasks."""
    return {
        "digits": {
            "experiment": {
                "command": "images digits",
                "seeds": 1,
                "epochs": 5,
                "augment": False,
                "lecture": False,
            },
            "space": {
                "learning_rate": {"type": "float", "low": 1.0e-4, "high": 3.0e-2, "log": True},
                "batch_size": {"type": "categorical", "choices": [16, 32, 64, 128]},
                "dropout": {"type": "float", "low": 0.0, "high": 0.6},
            },
        },
        "expt_gap": {
            "experiment": {
                "command": "composition cv",
                "data": str(SHARED / "composition" / "matbench_expt_gap.csv"),
                "max_rows": 1500,
                "folds": 3,
                "model": "dense",
                "features": "magpie",
                "epochs": 15,
            },
            "space": {
                "learning_rate": {"type": "float", "low": 1.0e-4, "high": 1.0e-2, "log": True},
                "hidden": {"type": "categorical", "choices": ["64,32", "128,64", "256,128", "256,128,64"]},
                "dropout": {"type": "float", "low": 0.0, "high": 0.3},
                "weight_decay": {"type": "float", "low": 1.0e-6, "high": 1.0e-2, "log": True},
            },
        },
        "dqnet": {
            "experiment": {
                "command": "battery cv",
                "data": str(SHARED / "severson" / "train.npz"),
                "model": "dqnet",
                "folds": 3,
                "repeats": 1,
                "model_option": ["ensemble=1", "epochs=60"],
            },
            "space": {
                "model_option.learning_rate": {"type": "float", "low": 1.0e-4, "high": 1.0e-2, "log": True},
                "model_option.weight_decay": {"type": "float", "low": 1.0e-5, "high": 1.0e-1, "log": True},
                "model_option.batch_size": {"type": "categorical", "choices": [4, 8, 16]},
            },
        },
    }


def run_search_once(task: dict, sampler: str, pruner: str, seed: int, trials: int, work: Path) -> dict:
    """One ``matnn tune`` search; per-trial values and times from its study."""
    import optuna

    from matnn.cli.tune import run_search

    out = work / f"{sampler}-{pruner}-{seed}"
    exp = work / f"{sampler}-{pruner}-{seed}.yaml"
    spec = {
        **task["experiment"],
        "out": str(out),
        "tune": {"trials": trials, "sampler": sampler, "pruner": pruner, "seed": seed, "space": task["space"]},
    }
    exp.write_text(yaml.safe_dump(spec, sort_keys=False))
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        metrics = run_search(exp, final=False)
    wall = time.perf_counter() - t0
    study = optuna.load_study(study_name=metrics["study_name"], storage=f"sqlite:///{out / 'study.db'}")
    rows = sorted(study.get_trials(deepcopy=False), key=lambda t: t.number)
    start = rows[0].datetime_start
    done = [(t.datetime_complete - start).total_seconds() for t in rows]
    gaps = [(b.datetime_start - a.datetime_complete).total_seconds() for a, b in zip(rows, rows[1:], strict=False)]
    values = [t.value if t.state == optuna.trial.TrialState.COMPLETE else None for t in rows]
    return {
        "values": values,
        "complete_s": done,
        "wall_s": wall,
        "gap_s_median": float(np.median(gaps)) if gaps else None,
        "n_pruned": int(metrics["n_pruned"]),
        "n_failed": int(metrics["n_failed"]),
        "direction": metrics["direction"],
    }


def best_so_far(values: list[float | None], direction: str) -> list[float]:
    """Incumbent after each trial (pruned or failed trials keep the previous incumbent; NaN before the first)."""
    better = max if direction == "maximize" else min
    out, best = [], None
    for v in values:
        if v is not None and np.isfinite(v):
            best = v if best is None else better(best, v)
        out.append(np.nan if best is None else best)
    return out


def plot(path: Path) -> Path:
    """Best validation score so far (mean ± std over seeds) against trials, one panel per task with results."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [t for t in tasks() if (OUT / f"tune-tasks-{t}.json").exists()]
    fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.6), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        d = json.loads((OUT / f"tune-tasks-{name}.json").read_text())
        for key, entry in d["samplers"].items():
            mean, std = np.array(entry["best_so_far_mean"]), np.array(entry["best_so_far_std"])
            x = np.arange(1, len(mean) + 1)
            style = "--" if "+" in key else "-"
            (line,) = ax.plot(x, mean, style, label=key)
            ax.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.12)
        ax.set_title(f"{name} ({d['direction']})")
        ax.set_xlabel("trial")
        ax.set_ylabel("best validation score so far")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", choices=sorted(tasks()), help="run this task (required unless --plot-only)")
    ap.add_argument("--plot-only", action="store_true", help="only redraw tune-tasks.png from the saved results")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--samplers", default="tpe,random,cmaes,gp,sac")
    ap.add_argument("--no-pruning", action="store_true", help="skip the pruned-vs-unpruned comparison")
    args = ap.parse_args()
    if args.plot_only:
        print(f"wrote {plot(OUT / 'tune-tasks.png')}")
        return
    if args.task is None:
        ap.error("--task is required")
    import optuna

    import matnn

    matnn.set_num_threads(1)
    os.environ.setdefault("MATNN_PROGRESS", "0")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    task = tasks()[args.task]
    samplers = args.samplers.split(",")
    result: dict = {
        "settings": {
            "task": args.task,
            "seeds": args.seeds,
            "trials": args.trials,
            "experiment": {k: v for k, v in task["experiment"].items() if k != "data"},
            "space": task["space"],
            "optuna": optuna.__version__,
        },
        "samplers": {},
    }
    runs: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix=f"tune_{args.task}_") as tmp:
        work = Path(tmp)
        plan = [(s, "none") for s in samplers] + ([] if args.no_pruning else [("tpe", "median")])
        for sampler, pruner in plan:
            t0 = time.perf_counter()
            runs[sampler, pruner] = [
                run_search_once(task, sampler, pruner, seed, args.trials, work) for seed in range(args.seeds)
            ]
            rs = runs[sampler, pruner]
            direction = rs[0]["direction"]
            curves = np.array([best_so_far(r["values"], direction) for r in rs])
            final = curves[:, -1]
            entry = {
                "final_best_mean": float(np.mean(final)),
                "final_best_std": float(np.std(final)),
                "final_best": final.tolist(),
                "best_so_far_mean": np.round(np.nanmean(curves, axis=0), 6).tolist(),
                "best_so_far_std": np.round(np.nanstd(curves, axis=0), 6).tolist(),
                "seconds_per_trial_mean": float(np.mean([r["wall_s"] / args.trials for r in rs])),
                "gap_between_trials_s_median": float(np.median([r["gap_s_median"] for r in rs])),
                "n_pruned": int(sum(r["n_pruned"] for r in rs)),
                "n_failed": int(sum(r["n_failed"] for r in rs)),
                "wall_s": time.perf_counter() - t0,
            }
            key = sampler if pruner == "none" else f"{sampler}+{pruner}"
            result["samplers"][key] = entry
            print(
                f"{args.task:8s} {key:11s} best {entry['final_best_mean']:.4g} ± {entry['final_best_std']:.3g}  "
                f"{entry['seconds_per_trial_mean']:.2f} s/trial  gap {entry['gap_between_trials_s_median']:.3f} s"
                f"  pruned {entry['n_pruned']}",
                flush=True,
            )
    result["direction"] = direction
    if ("tpe", "median") in runs and ("tpe", "none") in runs:
        better = (lambda a, b: a >= b) if direction == "maximize" else (lambda a, b: a <= b)
        per_seed = []
        for plain, pruned in zip(runs["tpe", "none"], runs["tpe", "median"], strict=True):
            target = best_so_far(plain["values"], direction)[-1]
            plain_at = next(
                t for v, t in zip(plain["values"], plain["complete_s"], strict=True) if v is not None and v == target
            )
            curve = best_so_far(pruned["values"], direction)
            hit = [t for c, t in zip(curve, pruned["complete_s"], strict=True) if np.isfinite(c) and better(c, target)]
            per_seed.append(
                {
                    "unpruned_best": target,
                    "unpruned_seconds_to_best": plain_at,
                    "unpruned_total_s": plain["complete_s"][-1],
                    "pruned_best": curve[-1],
                    "pruned_seconds_to_unpruned_best": hit[0] if hit else None,
                    "pruned_total_s": pruned["complete_s"][-1],
                    "pruned_trials": pruned["n_pruned"],
                }
            )
        reached = [p["pruned_seconds_to_unpruned_best"] for p in per_seed if p["pruned_seconds_to_unpruned_best"]]
        result["pruning"] = {
            "per_seed": per_seed,
            "reached": len(reached),
            "seeds": len(per_seed),
            "unpruned_total_s_mean": float(np.mean([p["unpruned_total_s"] for p in per_seed])),
            "pruned_total_s_mean": float(np.mean([p["pruned_total_s"] for p in per_seed])),
            "unpruned_seconds_to_best_mean": float(np.mean([p["unpruned_seconds_to_best"] for p in per_seed])),
            "pruned_seconds_to_unpruned_best_mean": float(np.mean(reached)) if reached else None,
        }
        print(f"pruning: {json.dumps({k: v for k, v in result['pruning'].items() if k != 'per_seed'})}", flush=True)
    target = write_result(OUT / f"tune-tasks-{args.task}.json", result)
    print(f"wrote {target} and {plot(OUT / 'tune-tasks.png')}")


if __name__ == "__main__":
    main()
