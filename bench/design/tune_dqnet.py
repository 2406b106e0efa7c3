"""A tuned dqnet against the registry's hand-chosen recipe: search on CV, re-score, then test1 once.

    python bench/design/tune_dqnet.py [--trials 24]

Follows the rule of docs/studies/battery-dqnet-tuned.md, written before the run:

1. ``matnn tune`` of ``battery cv --model dqnet --folds 5 --repeats 2 --seed 0`` on the 41 Severson
   training cells (TPE, seed 0, no pruner) over learning rate, weight decay and batch size;
2. the winner and the registry recipe re-scored by the same CV on fresh repeats (``--seed 2``);
3. the winner trained with seeds 0-9 on all training cells and scored once on test1 (43 cells).

Writes ``bench/out/design/tune-dqnet.json``.
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

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from benchmeta import write_result  # noqa: E402 (after the sys.path lines)

SHARED = Path(os.environ.get("MATNN_SHARED", ROOT.parent / "shared")) / "datasets" / "severson"
OUT = ROOT / "bench" / "out" / "design"
HAND_TUNED_CV = ("battery/severson.json", "cv", "dqnet", "cv_rmse")  # the registry recipe's CV figure

SPACE = {
    "model_option.learning_rate": {"type": "float", "low": 2.0e-4, "high": 5.0e-3, "log": True},
    "model_option.weight_decay": {"type": "float", "low": 1.0e-3, "high": 1.0e-1, "log": True},
    "model_option.batch_size": {"type": "categorical", "choices": [4, 8, 16]},
}


def _matnn(argv: list[str]) -> dict:
    """Run one matnn command in this process, quietly; its metrics."""
    from matnn.cli.main import main

    out = Path(argv[argv.index("--out") + 1])
    with contextlib.redirect_stdout(io.StringIO()):
        code = main([*argv, "--quiet"])
    if code:
        raise SystemExit(f"matnn {' '.join(argv)} failed with exit code {code}")
    return json.loads((out / "metrics.json").read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=24)
    ap.add_argument(
        "--after-search", action="store_true", help="reuse the search saved in tune-dqnet.json; run steps 2 and 3"
    )
    args = ap.parse_args()
    import optuna

    import matnn

    matnn.set_num_threads(1)
    os.environ.setdefault("MATNN_PROGRESS", "0")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    data = json.loads((ROOT / "bench" / "out" / HAND_TUNED_CV[0]).read_text())
    hand_cv = float(data[HAND_TUNED_CV[1]][HAND_TUNED_CV[2]][HAND_TUNED_CV[3]])
    train, test = SHARED / "train.npz", SHARED / "test1.npz"
    result: dict = {"hand_tuned_cv_rmse": hand_cv, "trials": args.trials, "space": SPACE}
    with tempfile.TemporaryDirectory(prefix="tune_dqnet_") as tmp:
        work = Path(tmp)
        # 1. the search, validation only (the test file is not named anywhere in it)
        if args.after_search:
            saved = json.loads((OUT / "tune-dqnet.json").read_text())
            keep = ("search_seconds", "best_cv_rmse", "best_trial", "best_options", "trial_values")
            result.update({k: saved[k] for k in keep})
        else:
            _search(args.trials, train, work, result)
        best = result["best_options"]
        options = [x for k, v in best.items() for x in ("--model-option", f"{k}={v}")]

        # 2. fresh CV repeats for the winner and the registry recipe
        for name, extra in (("tuned", options), ("registry", [])):
            fresh = _matnn(
                ["battery", "cv", "--data", str(train), "--model", "dqnet", "--folds", "5", "--repeats", "2"]
                + ["--seed", "2", *extra, "--out", str(work / f"fresh-{name}")]
            )
            result[f"fresh_cv_rmse_{name}"] = float(fresh["rmse"])
            result[f"fresh_cv_rmse_{name}_std"] = float(fresh["rmse_std"])
            print(f"fresh CV ({name}): {fresh['rmse']:.2f} ± {fresh['rmse_std']:.2f}", flush=True)
        result["beats_on_validation"] = bool(
            result["best_cv_rmse"] < hand_cv and result["fresh_cv_rmse_tuned"] < result["fresh_cv_rmse_registry"]
        )

        # 3. test1, once
        final = _matnn(
            ["battery", "train", "--train", str(train), "--test", str(test), "--model", "dqnet", "--seeds", "10"]
            + [*options, "--out", str(work / "final")]
        )
        result["test1_rmse"] = float(final["rmse"])
        result["test1_rmse_std"] = float(final["rmse_std"])
        print(f"test1 RMSE {final['rmse']:.1f} ± {final['rmse_std']:.1f}", flush=True)
    result["hand_tuned_test1_rmse"] = float(data["test1"]["dqnet"]["rmse"])
    result["hand_tuned_test1_rmse_std"] = float(data["test1"]["dqnet"]["rmse_std"])
    target = write_result(OUT / "tune-dqnet.json", result)
    print(f"wrote {target}")


def _search(trials: int, train: Path, work: Path, result: dict) -> None:
    """Step 1: ``matnn tune`` on CV of the training cells; the winner's options saved at once."""
    from matnn.cli.tune import run_search

    exp = work / "dqnet.yaml"
    spec = {
        "command": "battery cv",
        "data": str(train),
        "model": "dqnet",
        "folds": 5,
        "repeats": 2,
        "seed": 0,
        "out": str(work / "search"),
        "tune": {"trials": trials, "sampler": "tpe", "seed": 0, "pruner": "none", "space": SPACE},
    }
    exp.write_text(yaml.safe_dump(spec, sort_keys=False))
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        m = run_search(exp, final=False)
    result["search_seconds"] = time.perf_counter() - t0
    best = {k.removeprefix("best_model_option."): v for k, v in m.items() if k.startswith("best_model_option.")}
    result.update(best_cv_rmse=float(m["best_value"]), best_trial=int(m["best_trial"]), best_options=best)
    result["trial_values"] = _trial_values(work / "search" / "trials.csv")
    write_result(OUT / "tune-dqnet.json", result)  # kept if a later step fails (--after-search)
    print(
        f"search: best CV RMSE {m['best_value']:.2f} (hand-tuned {result['hand_tuned_cv_rmse']:.2f}) with {best}",
        flush=True,
    )


def _trial_values(csv: Path) -> list[float]:
    import pandas as pd

    df = pd.read_csv(csv)
    return df.sort_values("number")["value"].tolist()


if __name__ == "__main__":
    main()
