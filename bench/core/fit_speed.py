"""Fit speed: matnn ``fit`` against two plain-PyTorch loops, in one process, on identical data.

Workloads:
  W1  MLP 86→1024→512→256→128→64→32→1 (ReLU, dropout 0.1), regression, 20,000 samples, batch 32
  W2  1D CNN on length-1000 sequences (Conv1D 16 k7 → pool 4 → Conv1D 32 k5 → pool 4 → Conv1D 64 k3
      → global average → Dense 1), 2,000 samples, batch 32
  W3  LeNet-style CNN on scikit-learn's 8×8 digits (1,797 images), batch 32

References, written as a PyTorch user would:
  dataloader  ``DataLoader(TensorDataset(x, y), batch_size, shuffle=True)``, ``torch.optim.Adam`` with
              default settings, ``loss.item()`` accumulated per batch;
  slicing     tensors on the device, a ``randperm`` per epoch and index slicing, same optimizer.

Each variant trains the same architecture (weights copied from one initialisation) for the same
epochs; variants are interleaved over ``--repeats`` rounds and the median samples/second is reported.

Usage: python bench/core/fit_speed.py [--workloads W1 W2 W3] [--epochs N] [--repeats R] [--device auto]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

import matnn
from matnn.layers import (
    Conv1D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePooling1D,
    MaxPooling1D,
    MaxPooling2D,
)


# ------------------------------------------------------------------ workloads
def w1_data(rng):
    x = rng.random((20000, 86), dtype=np.float32)
    x /= x.sum(1, keepdims=True)
    y = (x @ rng.normal(size=86) + 0.1 * rng.normal(size=20000)).astype(np.float32)[:, None]
    return x, y, "mse"


def w1_matnn():
    layers = []
    for i, units in enumerate([1024, 512, 256, 128, 64, 32]):
        layers += [Dense(units, activation="relu", **({"input_shape": (86,)} if i == 0 else {})), Dropout(0.1)]
    return matnn.Sequential([*layers, Dense(1)])


def w1_torch():
    mods, fan_in = [], 86
    for units in [1024, 512, 256, 128, 64, 32]:
        mods += [nn.Linear(fan_in, units), nn.ReLU(), nn.Dropout(0.1)]
        fan_in = units
    return nn.Sequential(*mods, nn.Linear(fan_in, 1))


def w2_data(rng):
    n, length = 2000, 1000
    t = np.linspace(0, 1, length, dtype=np.float32)
    freq = rng.uniform(2, 20, size=(n, 1)).astype(np.float32)
    x = np.sin(2 * np.pi * freq * t) + 0.1 * rng.normal(size=(n, length)).astype(np.float32)
    return x[..., None].astype(np.float32), (freq / 20).astype(np.float32), "mse"


def w2_matnn():
    return matnn.Sequential(
        [
            Conv1D(16, 7, activation="relu", input_shape=(1000, 1)),
            MaxPooling1D(4),
            Conv1D(32, 5, activation="relu"),
            MaxPooling1D(4),
            Conv1D(64, 3, activation="relu"),
            GlobalAveragePooling1D(),
            Dense(1),
        ]
    )


class _W2Torch(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2, self.c3 = nn.Conv1d(1, 16, 7), nn.Conv1d(16, 32, 5), nn.Conv1d(32, 64, 3)
        self.out = nn.Linear(64, 1)

    def forward(self, x):  # x: (n, 1, 1000) channels-first, the native torch layout
        x = nn.functional.max_pool1d(torch.relu(self.c1(x)), 4)
        x = nn.functional.max_pool1d(torch.relu(self.c2(x)), 4)
        x = torch.relu(self.c3(x)).mean(-1)
        return self.out(x)


def w3_data(rng):
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[..., None]
    y = np.eye(10, dtype=np.float32)[d.target]
    return x, y, "categorical_crossentropy"


def w3_matnn():
    return matnn.Sequential(
        [
            Conv2D(6, 3, padding="same", activation="relu", input_shape=(8, 8, 1)),
            MaxPooling2D(2),
            Conv2D(16, 3, activation="relu"),
            Flatten(),
            Dense(120, activation="relu"),
            Dense(84, activation="relu"),
            Dense(10, activation="softmax"),
        ]
    )


class _W3Torch(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 6, 3, padding=1), nn.Conv2d(6, 16, 3)
        self.f1, self.f2, self.f3 = nn.Linear(64, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):  # (n, 1, 8, 8)
        x = nn.functional.max_pool2d(torch.relu(self.c1(x)), 2)
        x = torch.relu(self.c2(x)).permute(0, 2, 3, 1).flatten(1)  # flatten in the same (H, W, C) order
        return torch.softmax(self.f3(torch.relu(self.f2(torch.relu(self.f1(x))))), -1)


WORKLOADS = {
    "W1": (w1_data, w1_matnn, w1_torch, None),
    "W2": (w2_data, w2_matnn, _W2Torch, (0, 2, 1)),
    "W3": (w3_data, w3_matnn, _W3Torch, (0, 3, 1, 2)),
}


def copy_weights(src: matnn.Sequential, dst: nn.Module) -> None:
    """Give the torch reference the same initial weights as the matnn model."""
    s = [p for p in src.parameters()]
    d = [p for p in dst.parameters()]
    assert len(s) == len(d) and all(a.shape == b.shape for a, b in zip(s, d, strict=True))
    with torch.no_grad():
        for a, b in zip(s, d, strict=True):
            b.copy_(a)


def torch_loss(name):
    if name == "mse":
        return nn.functional.mse_loss
    return lambda p, y: -(y * torch.log(p.clamp(1e-7, 1 - 1e-7))).sum(-1).mean()


# ------------------------------------------------------------------ timed variants
def run_matnn(model, x, y, loss, epochs, batch, device):
    t0 = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=batch, verbose=0, device=device)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def run_dataloader(model, x, y, loss, epochs, batch, device):
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=batch, shuffle=True
    )
    t0 = time.perf_counter()
    for _ in range(epochs):
        model.train()
        total = 0.0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            opt.zero_grad()
            out = loss(model(xb), yb)
            out.backward()
            opt.step()
            total += out.item() * len(xb)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def run_slicing(model, x, y, loss, epochs, batch, device):
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    n = len(xt)
    t0 = time.perf_counter()
    for _ in range(epochs):
        model.train()
        total = 0.0
        perm = torch.randperm(n, device=device)
        for i in range(0, n, batch):
            idx = perm[i : i + batch]
            xb, yb = xt[idx], yt[idx]
            opt.zero_grad()
            out = loss(model(xb), yb)
            out.backward()
            opt.step()
            total += out.item() * len(idx)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def bench(name: str, epochs: int, repeats: int, device: torch.device, seed: int) -> dict:
    data_fn, make_matnn, make_torch, perm = WORKLOADS[name]
    rng = np.random.default_rng(seed)
    x, y, loss_name = data_fn(rng)
    x_torch = np.ascontiguousarray(x.transpose(perm)) if perm else x
    matnn.set_seed(seed)
    m = make_matnn()
    m.compile(optimizer=matnn.optimizers.Adam(1e-3), loss=loss_name)
    t_dl, t_sl = make_torch(), make_torch()
    copy_weights(m, t_dl)
    copy_weights(m, t_sl)
    lf = torch_loss(loss_name)
    # one warm-up epoch each (allocator, kernels, optimizer state)
    run_matnn(m, x, y, lf, 1, 32, device)
    run_dataloader(t_dl, x_torch, y, lf, 1, 32, device)
    run_slicing(t_sl, x_torch, y, lf, 1, 32, device)
    times = {"matnn": [], "dataloader": [], "slicing": []}
    for _ in range(repeats):
        times["matnn"].append(run_matnn(m, x, y, lf, epochs, 32, device))
        times["dataloader"].append(run_dataloader(t_dl, x_torch, y, lf, epochs, 32, device))
        times["slicing"].append(run_slicing(t_sl, x_torch, y, lf, epochs, 32, device))
    n = len(x) * epochs
    sps = {k: n / statistics.median(v) for k, v in times.items()}
    return {
        "workload": name,
        "samples": len(x),
        **{f"{k}_samples_per_s": v for k, v in sps.items()},
        "ratio_vs_dataloader": sps["matnn"] / sps["dataloader"],
        "ratio_vs_slicing": sps["matnn"] / sps["slicing"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workloads", nargs="+", default=["W1", "W2", "W3"], choices=list(WORKLOADS))
    ap.add_argument("--epochs", type=int, default=1, help="epochs per timed run")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="bench/out/core/fit-speed.json", help="raw result (JSON)")
    args = ap.parse_args()
    matnn.set_num_threads(args.threads)
    device = matnn.config.resolve_device(args.device)
    print(f"device={device} threads={torch.get_num_threads()} torch={torch.__version__}")
    print(f"{'workload':8} {'matnn/s':>10} {'dataloader/s':>13} {'slicing/s':>10} {'vs DL':>7} {'vs slicing':>10}")
    results: dict = {"repeats": args.repeats, "epochs": args.epochs, "device": str(device)}
    for name in args.workloads:
        r = bench(name, args.epochs, args.repeats, device, args.seed)
        results[name] = r
        print(
            f"{name:8} {r['matnn_samples_per_s']:10.0f} {r['dataloader_samples_per_s']:13.0f} {r['slicing_samples_per_s']:10.0f} "
            f"{r['ratio_vs_dataloader']:6.2f}x {r['ratio_vs_slicing']:9.2f}x",
            flush=True,
        )
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: benchmeta
    from benchmeta import write_result

    write_result(args.out, results)


if __name__ == "__main__":
    main()
