"""Is ElemNet's generalisation gap on OQMD a matnn training fault? Same net, same data, matnn fit vs plain torch.

Usage: python docs/studies/scripts/composition_elemnet_torch_check.py [--data ../shared/datasets/composition/oqmd_formation_enthalpy_train.csv]

50,000 random rows (seed 0) of the OQMD training file, 45,000 to fit and 5,000 to validate; ElemNet as
published, Adam 1e-3, batch 512, MAE, 8 epochs; prints per-epoch training and validation MAE (eV/atom) of
matnn's fit and of a plain-PyTorch copy of the same architecture.
"""

import argparse
import time

import numpy as np
import torch
import torch.nn as nn

import matnn
from matnn.data.composition.loader import load_formula_csv
from matnn.models.composition.elemnet import build_elemnet

torch.set_num_threads(1)
ap = argparse.ArgumentParser()
ap.add_argument("--data", default="../shared/datasets/composition/oqmd_formation_enthalpy_train.csv")
t = load_formula_csv(ap.parse_args().data, max_abs_target=5.0)
X = t.features("fractions").astype(np.float32)
y = t.y.astype(np.float32)
rng = np.random.default_rng(0)
idx = rng.permutation(len(y))[:50000]
X, y = X[idx], y[idx]
tr, va = np.arange(45000), np.arange(45000, 50000)
print("X", X.shape, "rows/elements nonzero", (X > 0).sum(1).mean(), flush=True)
EP = 8
matnn.set_seed(0)
m = build_elemnet()
m.compile(optimizer=matnn.optimizers.Adam(1e-3), loss="mae")
t0 = time.time()
h = m.fit(X[tr], y[tr, None], validation_data=(X[va], y[va, None]), epochs=EP, batch_size=512, verbose=0)
print(
    "matnn  train",
    [round(v, 4) for v in h.history["loss"]],
    "\n       val",
    [round(v, 4) for v in h.history["val_loss"]],
    round(time.time() - t0),
    "s",
    flush=True,
)
# the same net in plain torch (copy matnn's architecture: Linear sizes and dropout positions)
layers = []
for mod in m.modules():
    n = type(mod).__name__
    if n == "Dense":
        layers += [nn.Linear(mod.weight.shape[1], mod.weight.shape[0])] + (
            [nn.ReLU()] if mod.weight.shape[0] != 1 else []
        )
    elif n == "Dropout":
        layers.append(nn.Dropout(mod.rate))
net = nn.Sequential(*layers)
torch.manual_seed(0)
opt = torch.optim.Adam(net.parameters(), 1e-3)
xt, yt = torch.from_numpy(X), torch.from_numpy(y)[:, None]
for ep in range(EP):
    net.train()
    perm = torch.randperm(45000)
    tot = 0
    for i in range(0, 45000, 512):
        b = perm[i : i + 512]
        opt.zero_grad()
        l = (net(xt[b]) - yt[b]).abs().mean()
        l.backward()
        opt.step()
        tot += l.item() * len(b)
    net.eval()
    with torch.no_grad():
        v = (net(xt[45000:]) - yt[45000:]).abs().mean().item()
    print("torch ep", ep + 1, "train", round(tot / 45000, 4), "val", round(v, 4), flush=True)
