"""Data-parallel ``fit``: equivalence with one process, and throughput of 1 vs 2 processes (CPU, gloo).

The network is the W1 MLP: ElemNet's 17-layer stack (1024x4, 512x3, 256x3, 128x3, 64x2, 32, 1) on
86 element fractions. The data are synthetic compositions (Dirichlet fractions of a few elements) with
a smooth target, enough to train on; the numbers measured are weights and samples per second.

    PYTHONPATH=src python bench/scale/ddp_bench.py [--samples 4096] [--batch 256] [--epochs 3] [--optimizer sgd]
    PYTHONPATH=src python bench/scale/ddp_bench.py --model cgcnn --samples 256 --batch 32 --epochs 2

``--model cgcnn`` trains a small CGCNN on the first structures of ``../shared/datasets/structures``
through the DataLoader path (``DistributedSampler``, synchronised graph batch norm).

Runs one process in this interpreter, then ``torchrun --standalone --nproc-per-node 2`` on this script,
and writes ``bench/out/scale/ddp-<model>-<optimizer>.json``: the largest weight difference between the two runs (same
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
DATA_CRYSTALS = (
    Path(os.environ.get("MATNN_SHARED_DATASETS", ROOT.parent / "shared" / "datasets"))
    / "structures"
    / "mp_formation_train.jsonl.gz"
)
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
    opt = (
        matnn.optimizers.Adam(learning_rate=1e-4)
        if optimizer == "adam"
        else matnn.optimizers.SGD(learning_rate=1e-2, momentum=0.9)
    )
    model.compile(optimizer=opt, loss="mae" if optimizer == "adam" else "mse")
    return model


def cgcnn_run(n: int, batch: int, epochs: int, optimizer: str) -> tuple:
    """A small CGCNN (graph batch norm) on the first ``n`` structures of the shared set, DataLoader path.

    Unshuffled: a ``DistributedSampler`` without shuffling deals sample i to rank i mod 2, so the two
    ranks' batches together are exactly one process's batch.
    """
    import torch

    import matnn
    from matnn.data.crystals.batch import collate_graphs
    from matnn.data.crystals.dataset import CrystalGraphDataset, load_graphs
    from matnn.models.crystals import CGCNN

    matnn.set_seed(0)
    probe = CGCNN(n_targets=1, atom_dim=32, n_conv=2, hidden_dim=64)
    store = load_graphs(DATA_CRYSTALS, probe.graph_spec, verbose=False)
    full = CrystalGraphDataset(store, "formation_energy_per_atom")
    subset = torch.utils.data.Subset(full, list(range(n)))
    y = full.y[:n].astype(np.float32)
    matnn.set_seed(0)
    model = CGCNN(n_targets=1, atom_dim=32, n_conv=2, hidden_dim=64)
    model.adapt(y)
    opt = (
        matnn.optimizers.Adam(learning_rate=1e-3)
        if optimizer == "adam"
        else matnn.optimizers.SGD(learning_rate=1e-2, momentum=0.9)
    )
    model.compile(optimizer=opt, loss="mse")
    return (
        model,
        {"x": subset, "batch_size": batch, "epochs": epochs, "shuffle": False, "collate_fn": collate_graphs},
        lambda m: m.predict(subset, batch_size=64, collate_fn=collate_graphs),
    )


def mlp_run(n: int, batch: int, epochs: int, optimizer: str) -> tuple:
    x, y = data(n)
    return build(optimizer), {"x": x, "y": y, "batch_size": batch, "epochs": epochs}, lambda m: m.predict(x[:512])


def run(n: int, batch: int, epochs: int, optimizer: str, model_name: str = "mlp") -> dict:
    import matnn
    from matnn.callbacks import EpochTimer
    from matnn.core import distributed

    matnn.set_num_threads(1)
    model, kwargs, predict = (cgcnn_run if model_name == "cgcnn" else mlp_run)(n, batch, epochs, optimizer)
    timer = EpochTimer()
    t0 = time.perf_counter()
    model.fit(**kwargs, verbose=0, device="cpu", callbacks=[timer])
    wall = time.perf_counter() - t0
    later = timer.times[1:] or timer.times
    return {
        "rank": distributed.rank(),
        "world": distributed.world_size(),
        "wall_s": wall,
        "samples_per_s": n / float(np.mean(later)),
        "epoch_s": list(timer.times),
        "loss": float(model.history.history["loss"][-1]),
        "weights": [w.astype(np.float64) for w in model.get_weights()] + [np.asarray(predict(model), np.float64)],
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=4096)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument(
        "--optimizer",
        choices=("adam", "sgd"),
        default="sgd",
        help="sgd: SGD+momentum, MSE (rounding differences stay rounding); adam: Adam 1e-4, MAE (ElemNet's "
        "recipe; Adam turns rounding noise on near-zero gradients into steps of size lr)",
    )
    ap.add_argument("--model", choices=("mlp", "cgcnn"), default="mlp")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker is not None:  # one rank under torchrun
        res = run(a.samples, a.batch, a.epochs, a.optimizer, a.model)
        if res["rank"] == 0:
            np.savez(a.worker, *res.pop("weights"))
            Path(a.worker + ".json").write_text(json.dumps(res))
        return 0

    one = run(a.samples, a.batch, a.epochs, a.optimizer, a.model)
    tmp = tempfile.mkdtemp()
    target = os.path.join(tmp, "two.npz")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), MATNN_NUM_THREADS="1", OMP_NUM_THREADS="1")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc-per-node=2",
            __file__,
            "--samples",
            str(a.samples),
            "--batch",
            str(a.batch),
            "--epochs",
            str(a.epochs),
            "--optimizer",
            a.optimizer,
            "--model",
            a.model,
            "--worker",
            target,
        ],
        env=env,
        check=True,
    )
    two = json.loads(Path(target + ".json").read_text())
    with np.load(target) as z:
        w2 = [z[k] for k in z.files]
    diffs = [float(np.max(np.abs(p - q))) for p, q in zip(one["weights"][:-1], w2[:-1], strict=True)]
    scale = max(float(np.max(np.abs(p))) for p in one["weights"][:-1])
    pred_diff = float(np.max(np.abs(one["weights"][-1] - w2[-1])))
    # ||Δw|| / ||w|| of each tensor (batch-norm running variances are far larger than weights; tensors that
    # are still ~0, such as biases that started at zero, are left out)
    rel = max(
        float(np.linalg.norm(p - q) / np.linalg.norm(p))
        for p, q in zip(one["weights"][:-1], w2[:-1], strict=True)
        if np.linalg.norm(p) > 1e-3
    )
    result = {
        "model": (
            "W1 MLP (ElemNet-shaped, 17 dense layers, 86 inputs)"
            if a.model == "mlp"
            else "CGCNN (atom_dim 32, 2 convolutions, graph batch norm), Materials Project structures, unshuffled DataLoader"
        ),
        "n_params": int(sum(w.size for w in one["weights"][:-1])),
        "n_samples": a.samples,
        "global_batch": a.batch,
        "epochs": a.epochs,
        "optimizer": (
            "SGD 1e-2 momentum 0.9, MSE loss"
            if a.optimizer == "sgd"
            else "Adam 1e-4, MAE loss"
            if a.model == "mlp"
            else "Adam 1e-3, MSE loss"
        ),
        "max_abs_weight_diff_1_vs_2_procs": max(diffs),
        "max_abs_weight": scale,
        "max_rel_l2_weight_diff_per_tensor": rel,
        "max_abs_prediction_diff": pred_diff,
        "final_loss_1_proc": one["loss"],
        "final_loss_2_procs": two["loss"],
        "samples_per_s_1_proc": one["samples_per_s"],
        "samples_per_s_2_procs": two["samples_per_s"],
        "speedup_2_vs_1": two["samples_per_s"] / one["samples_per_s"],
        "epoch_s_1_proc": one["epoch_s"],
        "epoch_s_2_procs": two["epoch_s"],
        "threads_per_process": 1,
        "device": "cpu (gloo)",
        "note": "measured on a 2-core machine shared with other jobs: timings are noisy and the speed-up is depressed",
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"ddp-{a.model}-{a.optimizer}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
