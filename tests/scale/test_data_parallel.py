"""Data-parallel ``fit`` on two CPU processes (gloo on 127.0.0.1) against one process.

Each test starts the two ranks of ``ddp_worker.py`` as subprocesses with torchrun's variables set by
hand (no torchrun agent: a rank can then be killed alone and the other one observed).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import ddp_worker  # noqa: E402

# A bias before batch norm has a zero gradient up to rounding, which Adam amplifies: the BN model has none.

# float32 training, 4 epochs x 4 Adam steps: 2 ranks sum the gradient in another order than 1 process
ATOL = 2e-5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _launch(out: Path, mode: str, world: int = 2, timeout: float = 120.0) -> list[subprocess.CompletedProcess]:
    port = _free_port()
    procs = []
    for rank in range(world):
        env = dict(
            os.environ,
            RANK=str(rank),
            LOCAL_RANK=str(rank),
            WORLD_SIZE=str(world),
            MASTER_ADDR="127.0.0.1",
            MASTER_PORT=str(port),
            MATNN_NUM_THREADS="1",
            MATNN_DIST_TIMEOUT_S="20",
            PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
        )
        procs.append(
            subprocess.Popen(
                [sys.executable, str(HERE / "ddp_worker.py"), str(out), mode],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    done = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=timeout)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    return done


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ddp")
    runs = _launch(out, "train")
    for r in runs:
        assert r.returncode == 0, r.stderr[-2000:]
    return out


def _reference(tag: str, batch_norm: bool, tmp_path: Path) -> tuple[list[np.ndarray], np.ndarray]:
    model = ddp_worker.build(batch_norm)
    h = ddp_worker.fit(model, tmp_path, tag)
    return ddp_worker.weights(model), np.array(h.history["val_loss"])


@pytest.mark.parametrize("tag,batch_norm", [("mlp", False), ("bn", True), ("loader", False)])
def test_two_processes_end_at_the_weights_of_one(two_ranks, tmp_path, tag, batch_norm):
    ref, ref_val = _reference(tag, batch_norm, tmp_path)
    for rank in (0, 1):
        with np.load(two_ranks / f"weights_rank{rank}.npz") as z:
            got = [z[f"{tag}_{i}"] for i in range(len(ref))]
            val = z[f"{tag}_val_loss"]
        for a, b in zip(got, ref, strict=True):
            np.testing.assert_allclose(a, b, atol=ATOL, rtol=0)
        # the validation score is all-reduced: the same on every rank, and equal to one process's
        np.testing.assert_allclose(val, ref_val, rtol=1e-5)


def test_only_rank_zero_writes(two_ranks):
    written = sorted(p.name for p in two_ranks.glob("log_*.csv"))
    assert written == ["log_bn_rank0.csv", "log_loader_rank0.csv", "log_mlp_rank0.csv"]


def test_killed_rank_stops_the_others_and_the_run_resumes(two_ranks, tmp_path):
    killed = _launch(tmp_path, "kill")
    assert killed[1].returncode == 9
    assert killed[0].returncode == 2, killed[0].stderr[-2000:]
    last = killed[0].stderr.strip().splitlines()[-1]
    assert "Data-parallel training stopped on rank 0 of 2" in last and "resume" in last
    assert (tmp_path / "backup" / "training_state.pt").exists()  # written by rank 0 after epoch 1

    resumed = _launch(tmp_path, "resume")
    for r in resumed:
        assert r.returncode == 0, r.stderr[-2000:]
    assert not (tmp_path / "backup").exists()  # finished: the backup is removed
    # the resumed run ends where an uninterrupted two-process run ends
    with np.load(two_ranks / "weights_rank0.npz") as z, np.load(tmp_path / "resumed_rank1.npz") as r:
        for i in range(len(r.files)):
            np.testing.assert_allclose(r[f"mlp_{i}"], z[f"mlp_{i}"], atol=1e-6, rtol=0)
