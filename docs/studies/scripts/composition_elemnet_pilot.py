"""Pilot for the long ElemNet CPU run: which batch size / learning rate learns fastest per CPU second?

Every configuration trains the published ElemNet architecture on the OQMD *training* file for the
same wall-clock budget; the score is the MAE on a validation split carved from that training file
(10 %, seed 0).  The OQMD val file is not read here, so choosing the long run's settings from this
pilot does not look at the numbers we report.

Run (one core, under the shared-machine rule):
    bench/heavy.sh .venv/bin/python docs/studies/scripts/composition_elemnet_pilot.py --minutes 10 --out runs/composition/elemnet_pilot
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import matnn
from matnn.callbacks import Callback, EarlyStopping
from matnn.data.composition import ELEMNET_ELEMENTS, load_formula_csv
from matnn.data.splits import validation_split
from matnn.models.composition.elemnet import build_elemnet

CONFIGS = [
    {"batch_size": 32, "learning_rate": 1e-4},  # as published
    {"batch_size": 128, "learning_rate": 3e-4},
    {"batch_size": 256, "learning_rate": 5e-4},
    {"batch_size": 512, "learning_rate": 1e-3},
]


class TimeLimit(Callback):
    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def on_train_begin(self, logs=None):
        self.t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if time.perf_counter() - self.t0 > self.seconds:
            self.model.stop_training = True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/datasets/composition/oqmd_formation_enthalpy_train.csv")
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--out", default="runs/composition/elemnet_pilot")
    args = ap.parse_args()
    matnn.set_num_threads(1)
    table = load_formula_csv(args.data, allowed_elements=ELEMNET_ELEMENTS, max_abs_target=5.0)
    X = table.features("fractions").astype(np.float32)
    y = table.y.astype(np.float32)[:, None]
    tr, va = validation_split(len(y), 0.1, 0)
    results = []
    for cfg in CONFIGS:
        matnn.set_seed(0)
        model = build_elemnet()
        model.compile(optimizer=matnn.optimizers.Adam(learning_rate=cfg["learning_rate"]), loss="mae")
        t0 = time.perf_counter()
        hist = model.fit(
            X[tr],
            y[tr],
            validation_data=(X[va], y[va]),
            epochs=10_000,
            batch_size=cfg["batch_size"],
            callbacks=[TimeLimit(args.minutes * 60), EarlyStopping(patience=10_000, restore_best_weights=True)],
            verbose=0,
        )
        row = {
            **cfg,
            "epochs": len(hist.history["loss"]),
            "seconds": time.perf_counter() - t0,
            "best_val_mae": float(min(hist.history["val_loss"])),
            "val_mae_per_epoch": [round(v, 5) for v in hist.history["val_loss"]],
        }
        print(json.dumps(row), flush=True)
        results.append(row)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "pilot.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
