"""Data-parallel ``fit``: equivalence with one process, and throughput of 1 vs 2 processes (CPU, gloo).

The network is the W1 MLP: ElemNet's 17-layer stack (1024x4, 512x3, 256x3, 128x3, 64x2, 32, 1) on
86 element fractions. The data are synthetic compositions (Dirichlet fractions of a few elements) with
a smooth target, enough to train on; the numbers measured are weights and samples per second.

    PYTHONPATH=src python bench/scale/ddp_bench.py [--samples 4096] [--batch 256] [--epochs 3]

Runs one process in this interpreter, then ``torchrun --standalone --nproc-per-node 2`` on this script,
and writes ``bench/out/scale/ddp_mlp_<optimizer>.json``: the largest weight difference between the two runs (same
global batch and seed, float32), and training samples per second (epochs after the first) of each.
Every process uses one thread, so 2 processes use 2 cores against 1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out" / "scale"
WIDTHS = [1024] * 4 + [512] * 3 + [256] * 3 + [128] * 3 + [64] * 2 + [32]


def data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = np.zeros((n, 86), dtype=np.float32)
    for i in range(n):
        idx = rng.choice(86, size=rng.integers(2, 5), replace=False)
        x[i, idx] = rng.dirichlet(np.ones(len(idx)))
    w = rng.normal(size=(86, 1)).astype(np.float32)
    y = np.tanh(x @ w) + 0.05 * rng.normal(size=(n, 1)).astype(np.float32)
    return x, y.astype(np.float32)


def build(optimizer: str):
    import matnn
    from matnn.layers import Dense

    matnn.set_seed(0)
    model = matnn.Sequential([*[Dense(u, activation="relu") for u in WIDTHS], Dense(1)])
    opt = (matnn.optimizers.Adam(learning_rate=1e-4) if optimizer == "adam"
           else matnn.optimizers.SGD(learning_rate=1e-2, momentum=0.9))
    model.compile(optimizer=opt, loss="mae" if optimizer == "adam" else "mse")
    return model


def run(n: int, batch: int, epochs: int, optimizer: str) -> dict:
    import matnn
    from matnn.callbacks import EpochTimer
    from matnn.core import distributed

    matnn.set_num_threads(1)
    x, y = data(n)
    model = build(optimizer)
    timer = EpochTimer()
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, device="cpu", callbacks=[timer])
    wall = time.perf_counter() - t0
    later = timer.times[1:] or timer.times
    return {"rank": distributed.rank(), "world": distributed.world_size(), "wall_s": wall,
            "samples_per_s": n / float(np.mean(later)), "epoch_s": list(timer.times),
            "loss": float(model.history.history["loss"][-1]),
            "weights": [w.astype(np.float64) for w in model.get_weights()] + [model.predict(x[:512]).astype(np.float64)]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=4096)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--optimizer", choices=("adam", "sgd"), default="sgd",
                    help="sgd: SGD+momentum, MSE (rounding differences stay rounding); adam: Adam 1e-4, MAE (ElemNet's "
                         "recipe; Adam turns rounding noise on near-zero gradients into steps of size lr)")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker is not None:  # one rank under torchrun
        res = run(a.samples, a.batch, a.epochs, a.optimizer)
        if res["rank"] == 0:
            np.savez(a.worker, *res.pop("weights"))
            Path(a.worker + ".json").write_text(json.dumps(res))
        return 0

    one = run(a.samples, a.batch, a.epochs, a.optimizer)
    tmp = tempfile.mkdtemp()
    target = os.path.join(tmp, "two.npz")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), MATNN_NUM_THREADS="1", OMP_NUM_THREADS="1")
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", __file__,
                    "--samples", str(a.samples), "--batch", str(a.batch), "--epochs", str(a.epochs), "--optimizer", a.optimizer,
                    "--worker", target],
                   env=env, check=True)
    two = json.loads(Path(target + ".json").read_text())
    with np.load(target) as z:
        w2 = [z[k] for k in z.files]
    diffs = [float(np.max(np.abs(p - q))) for p, q in zip(one["weights"][:-1], w2[:-1], strict=True)]
    scale = max(float(np.max(np.abs(p))) for p in one["weights"][:-1])
    pred_diff = float(np.max(np.abs(one["weights"][-1] - w2[-1])))
    result = {
        "model": "W1 MLP (ElemNet-shaped, 17 dense layers, 86 inputs)",
        "n_params": int(sum(w.size for w in one["weights"][:-1])),
        "n_samples": a.samples, "global_batch": a.batch, "epochs": a.epochs,
        "optimizer": "Adam 1e-4, MAE loss" if a.optimizer == "adam" else "SGD 1e-2 momentum 0.9, MSE loss",
        "max_abs_weight_diff_1_vs_2_procs": max(diffs),
        "max_abs_weight": scale,
        "max_abs_prediction_diff_512_samples": pred_diff,
        "final_loss_1_proc": one["loss"], "final_loss_2_procs": two["loss"],
        "samples_per_s_1_proc": one["samples_per_s"],
        "samples_per_s_2_procs": two["samples_per_s"],
        "speedup_2_vs_1": two["samples_per_s"] / one["samples_per_s"],
        "epoch_s_1_proc": one["epoch_s"], "epoch_s_2_procs": two["epoch_s"],
        "threads_per_process": 1, "device": "cpu (gloo)",
        "note": "measured on a 2-core machine shared with other jobs: timings are noisy and the speed-up is depressed",
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"ddp_mlp_{a.optimizer}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
