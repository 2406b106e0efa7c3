"""One rank of the small data-parallel runs in ``test_data_parallel.py`` (also importable for the 1-process reference).

Usage: ``python ddp_worker.py OUT MODE`` with torchrun's variables set; MODE is ``train`` (fit the two
models, write this rank's final weights), ``kill`` (rank 1 dies in the middle of epoch 2) or ``resume``.
Exit code 2 with one line on stderr on a matnn error, like the CLI.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

EPOCHS = 4
BATCH = 16  # the global batch: 8 per rank on 2 ranks


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 6)).astype(np.float32)  # 60 = 3 full batches + one of 12 (6 per rank)
    y = (x @ rng.normal(size=(6, 1)) + 0.1 * rng.normal(size=(60, 1))).astype(np.float32)
    return x, y


def build(batch_norm: bool):
    import matnn
    from matnn.layers import Activation, BatchNormalization, Dense

    matnn.set_seed(0)
    layers = (
        [Dense(12, use_bias=False), BatchNormalization(), Activation("relu")]
        if batch_norm
        else [Dense(12, activation="relu")]
    )
    model = matnn.Sequential([*layers, Dense(1)])
    model.compile(optimizer=matnn.optimizers.Adam(learning_rate=1e-2), loss="mse", metrics=["mae"])
    return model


def fit(model, out: Path, tag: str, callbacks: list | None = None):
    import torch

    import matnn
    from matnn.core import distributed

    x, y = data()
    rank = distributed.rank()
    cbs = [matnn.callbacks.CSVLogger(out / f"log_{tag}_rank{rank}.csv")] + list(callbacks or [])
    if tag == "loader":  # the DataLoader path (DistributedSampler); unshuffled, so one process sees the same batches
        ds = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
        return model.fit(
            ds,
            batch_size=BATCH,
            epochs=EPOCHS,
            shuffle=False,
            verbose=2,
            device="cpu",
            callbacks=cbs,
            validation_data=torch.utils.data.TensorDataset(torch.from_numpy(x[:20]), torch.from_numpy(y[:20])),
        )
    return model.fit(
        x, y, batch_size=BATCH, epochs=EPOCHS, validation_split=0.2, verbose=2, device="cpu", callbacks=cbs
    )


def seed_task(seed: int) -> list[np.ndarray]:
    """One seed's fit (a Dask task in ``test_executor.py``): the final weights, float32 as trained."""
    import matnn

    model = build(False)
    matnn.set_seed(seed)  # the weights are created at the first batch, so the seed picks them and the shuffling
    x, y = data()
    model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0, device="cpu")
    return model.get_weights()


def weights(model) -> list[np.ndarray]:
    return [w.astype(np.float64) for w in model.get_weights()]


def main(out: Path, mode: str) -> int:
    os.environ.setdefault("MATNN_NUM_THREADS", "1")
    import matnn
    from matnn.core import distributed
    from matnn.core.exceptions import MatnnError

    matnn.set_num_threads(1)
    rank = distributed.rank()
    try:
        if mode == "train":
            results = {}
            for tag, bn in (("mlp", False), ("bn", True), ("loader", False)):
                model = build(bn)
                h = fit(model, out, tag)
                results.update({f"{tag}_{i}": w for i, w in enumerate(weights(model))})
                results[f"{tag}_val_loss"] = np.array(h.history["val_loss"])
            np.savez(out / f"weights_rank{rank}.npz", **results)
            return 0
        model = build(False)
        cbs = [matnn.callbacks.BackupAndRestore(out / "backup")]
        if mode == "kill" and rank == 1:

            def die(batch: int, logs: dict) -> None:
                if len(model.history.epoch) == 1 and batch == 1:  # middle of the second epoch
                    os._exit(9)

            cbs.append(matnn.callbacks.LambdaCallback(on_train_batch_end=die))
        fit(model, out, mode, cbs)
        np.savez(out / f"resumed_rank{rank}.npz", **{f"mlp_{i}": w for i, w in enumerate(weights(model))})
        return 0
    except MatnnError as exc:
        print(f"rank {rank}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2]))
