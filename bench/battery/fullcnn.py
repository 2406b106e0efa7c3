"""Attia et al. 2021's CNN on the whole ΔQ image (``fullcnn``) on the Severson cells.

Usage (2-core box, one core; or ``--device cuda`` on a GPU machine):
    bench/heavy.sh python bench/battery/fullcnn.py --out bench/out/battery/fullcnn.json

1. Speed: seconds per full-batch training step (41 cells) of matnn's ``fullcnn`` against a
   plain-PyTorch LeNet of the same shape in the same process; the ratio is printed.
2. Cross-validation on the 41 training cells only: 5 folds, one run of the published recipe
   (Adam lr 1e-4, L2 1e-3, full batch) per fold, scored after 5k, 10k, 15k and 20k steps; the
   step count with the lowest CV RMSE is "selected".
3. test1: seeds 0..9 of the published recipe, each one run of 20,000 steps whose test1 and training
   predictions are also recorded after 5k, 10k and 15k steps (fixed lr, no schedule, no early stopping:
   the first n steps of a 20k run *are* an n-step run), so the CV-selected step count costs nothing
   extra; RMSE on all 43 cells and on the 42 the anchors score (test1 index 21 left out). Only two
   rows count: the published 20k and the CV-selected count; the others are printed for information.
   The published hyperparameters were chosen by Attia et al. with the test sets in view (their
   analysis notebook: grid search, no cross-validation); step 2 is our honest counterpart.
Results are checkpointed to the JSON after every fold and seed, and a rerun resumes. On two free cores,
run ``--stage cv`` and ``--stage test`` as two processes with different ``--out`` files; ``--seed-list``
lets a second process take test seeds from the other end, and ``--merge A.json B.json ... --out C.json``
joins the files and recomputes the summaries.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: benchmeta

from benchmeta import write_result  # noqa: E402
from severson import ANOMALOUS_TEST1_CELL  # noqa: E402

import matnn  # noqa: E402
from matnn.callbacks import Callback  # noqa: E402
from matnn.data.battery import load_npz  # noqa: E402
from matnn.models.battery.networks import NeuralModel, default_config, network_inputs  # noqa: E402
from matnn.workflows.battery.train import mape, rmse  # noqa: E402

CHECKPOINTS = (5000, 10000, 15000, 20000)


class Snapshots(Callback):
    """Predict log10 life of some cells after given epochs (= full-batch steps)."""

    def __init__(self, x: np.ndarray, at: tuple[int, ...]) -> None:
        super().__init__()
        self.x, self.at, self.pred = x, set(at), {}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if epoch + 1 in self.at:
            self.pred[epoch + 1] = np.asarray(self.model.predict(self.x, batch_size=256), dtype=float).reshape(-1)


def plain_lenet(n_voltages: int, n_cycles: int):
    """The reference LeNet in plain PyTorch (default init), input (n, 1, n_voltages, n_cycles): the speed
    reference here and the network of ``battery_fullcnn_replica.py``."""
    import torch

    n_flat = 16 * (((n_voltages - 2) // 2 - 2) // 2) * (((n_cycles - 2) // 2 - 2) // 2)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(n_flat, 120),
        torch.nn.ReLU(),
        torch.nn.Linear(120, 84),
        torch.nn.ReLU(),
        torch.nn.Linear(84, 1),
    )


def step_timing(train, device: str, steps: int) -> dict:
    """Seconds per full-batch step: matnn fullcnn vs the same LeNet in plain PyTorch."""
    import torch

    device = str(matnn.config.resolve_device(device))

    def fit_seconds(n: int) -> float:
        t = time.perf_counter()
        NeuralModel("fullcnn", seed=0, config=replace(default_config("fullcnn"), epochs=n)).fit(train, device=device)
        return time.perf_counter() - t

    fit_seconds(2)  # warm-up
    t_matnn = (fit_seconds(2 * steps) - fit_seconds(steps)) / steps  # marginal cost of a step, setup excluded
    x = torch.tensor(network_inputs("fullcnn", train)[..., 0][:, None], device=device)  # (n, 1, V, C)
    y = torch.tensor(np.log10(train.cycle_life), dtype=torch.float32, device=device)[:, None]
    torch.manual_seed(0)
    net = plain_lenet(x.shape[2], x.shape[3]).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4, weight_decay=2e-3)
    xs, ym = x / x.std(), y - y.mean()
    for _ in range(3):  # warm-up
        opt.zero_grad()
        torch.mean((net(xs) - ym) ** 2).backward()
    t = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.mean((net(xs) - ym) ** 2)
        loss.backward()
        opt.step()
    float(loss.detach())  # waits for the device
    t_torch = (time.perf_counter() - t) / steps
    return {
        "s_per_step_matnn": t_matnn,
        "s_per_step_torch": t_torch,
        "ratio_matnn_over_torch": t_matnn / t_torch,
        "steps": steps,
        "device": device,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/datasets/severson")
    ap.add_argument("--out", default="bench/out/battery/fullcnn.json")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--timing-steps", type=int, default=100)
    ap.add_argument(
        "--stage",
        choices=("all", "cv", "test"),
        default="all",
        help="cv: only the cross-validation; test: only the test1 seeds (with --out of a finished CV, "
        "or the published step count alone)",
    )
    ap.add_argument(
        "--seed-list", default=None, help="comma-separated test seeds in the order to run (default 0..seeds-1)"
    )
    ap.add_argument(
        "--merge", nargs="+", default=None, metavar="JSON", help="join these result files into --out and summarise"
    )
    ap.add_argument("--smoke", action="store_true", help="1/1000 of every step count (checks the script runs)")
    args = ap.parse_args()
    global CHECKPOINTS
    div = 1000 if args.smoke else 1
    CHECKPOINTS = tuple(n // div for n in CHECKPOINTS)
    matnn.set_num_threads(int(os.environ.get("MATNN_NUM_THREADS", "1")))
    train = load_npz(Path(args.data) / "train.npz", require_labels=True)
    test = load_npz(Path(args.data) / "test1.npz", require_labels=True)
    out = Path(args.out)
    res = json.loads(out.read_text()) if out.exists() else {"cv": {}, "test1": {}}

    def save() -> None:
        write_result(out, res)

    if args.merge:
        res = merge([json.loads(Path(f).read_text()) for f in args.merge])
        summarise(res, test, args.folds)
        save()
        return

    if "timing" not in res and args.timing_steps > 0:
        res["timing"] = step_timing(train, args.device, args.timing_steps)
        print("timing", res["timing"], flush=True)
        save()
    published = replace(default_config("fullcnn"), epochs=default_config("fullcnn").epochs // div)
    # 2. CV of the step count on the training cells only
    if args.stage in ("all", "cv"):
        perm = np.random.default_rng(2021).permutation(train.n_cells)
        for k, val in enumerate(np.array_split(perm, args.folds)):
            if str(k) in res["cv"]:
                continue
            t = time.time()
            fit_idx = np.setdiff1d(np.arange(train.n_cells), val)
            snap = Snapshots(network_inputs("fullcnn", train.subset(val)), CHECKPOINTS)
            NeuralModel("fullcnn", seed=k, config=replace(published, epochs=max(CHECKPOINTS))).fit(
                train.subset(fit_idx), device=args.device, callbacks=[snap]
            )
            life = train.cycle_life[val]
            res["cv"][str(k)] = {
                "val": val.tolist(),
                "sq_err": {str(n): ((10 ** snap.pred[n] - life) ** 2).tolist() for n in CHECKPOINTS},
                "wall_s": time.time() - t,
            }
            print("cv fold", k, {n: round(rmse(life, 10 ** snap.pred[n]), 1) for n in CHECKPOINTS}, flush=True)
            save()
        summarise(res, test, args.folds)
        save()
    if args.stage == "cv":
        return
    # 3. test1, seeds 0..9: one 20k-step run per seed, snapshots at every checkpoint
    seeds = [int(v) for v in args.seed_list.split(",")] if args.seed_list else list(range(args.seeds))
    x_test, x_train = network_inputs("fullcnn", test), network_inputs("fullcnn", train)
    for s in seeds:
        if all(str(s) in res["test1"].get(f"fullcnn_{n}", {}).get("pred", {}) for n in CHECKPOINTS):
            continue
        t = time.time()
        snap_test, snap_train = Snapshots(x_test, CHECKPOINTS), Snapshots(x_train, CHECKPOINTS)
        NeuralModel("fullcnn", seed=s, config=published).fit(
            train, device=args.device, callbacks=[snap_test, snap_train]
        )
        for n in CHECKPOINTS:
            entry = res["test1"].setdefault(f"fullcnn_{n}", {"pred": {}, "train_rmse": {}, "wall_s": {}})
            entry["pred"][str(s)] = (10 ** snap_test.pred[n]).tolist()
            entry["train_rmse"][str(s)] = rmse(train.cycle_life, 10 ** snap_train.pred[n])
            entry["wall_s"][str(s)] = (time.time() - t) * n / max(CHECKPOINTS)
        print(
            "seed",
            s,
            "test1 RMSE by steps",
            {n: round(rmse(test.cycle_life, 10 ** snap_test.pred[n]), 1) for n in CHECKPOINTS},
            flush=True,
        )
        summarise(res, test, args.folds)
        save()


def merge(parts: list[dict]) -> dict:
    """Join result files: CV folds and test seeds from each (a seed present twice must agree)."""
    res: dict = {"cv": {}, "test1": {}}
    for part in parts:
        if "timing" in part and "timing" not in res:
            res["timing"] = part["timing"]
        res["cv"].update(part.get("cv", {}))
        for name, entry in part.get("test1", {}).items():
            dst = res["test1"].setdefault(name, {"pred": {}, "train_rmse": {}, "wall_s": {}})
            for key in ("pred", "train_rmse", "wall_s"):
                dst[key].update(entry.get(key, {}))
    return res


def summarise(res: dict, test, folds: int) -> None:
    """CV RMSE by step count and the selected count (if all folds are in); test1 statistics per step count."""
    if len(res["cv"]) == folds:
        cv = {
            n: float(np.sqrt(np.mean(np.concatenate([f["sq_err"][str(n)] for f in res["cv"].values()]))))
            for n in CHECKPOINTS
        }
        res["cv_rmse_by_steps"] = {str(n): v for n, v in cv.items()}
        res["selected_steps"] = int(min(cv, key=cv.get))
        print("cv rmse by steps", res["cv_rmse_by_steps"], "selected", res["selected_steps"], flush=True)
    res["published_steps"] = max(CHECKPOINTS)
    keep = np.ones(test.n_cells, dtype=bool)
    idx, life = ANOMALOUS_TEST1_CELL
    if idx < test.n_cells and float(test.cycle_life[idx]) == life:
        keep[idx] = False
    for name, entry in res["test1"].items():
        if not entry["pred"]:
            continue
        P = np.array([entry["pred"][k] for k in sorted(entry["pred"], key=int)])
        per = [rmse(test.cycle_life, p) for p in P]
        per42 = [rmse(test.cycle_life[keep], p[keep]) for p in P]
        entry.update(
            {
                "rmse": float(np.mean(per)),
                "rmse_std": float(np.std(per)),
                "rmse_per_seed": [round(r, 1) for r in per],
                "mape": float(np.mean([mape(test.cycle_life, p) for p in P])),
                "rmse_excl_anomalous": float(np.mean(per42)),
                "rmse_excl_anomalous_std": float(np.std(per42)),
                "rmse_train": float(np.mean(list(entry["train_rmse"].values()))),
                "n_seeds": int(len(P)),
                "seeds": sorted(int(k) for k in entry["pred"]),
            }
        )


if __name__ == "__main__":
    main()
