"""Seeds per minute of ``matnn battery train --seeds N`` serially and on a 2-worker Dask LocalCluster.

    PYTHONPATH=src python bench/scale/seeds_bench.py [--seeds 10] [--model cnn]

Runs the command twice on the Severson training/test cells (``../shared/datasets/severson``), with
``--workers 1`` (in-process) and ``--workers 2``, checks that the two ``metrics.json`` agree (RMSE per
seed bit for bit), and writes ``bench/out/scale/battery-seeds-<model>.json``. The wall time includes the
cluster's start (worker processes importing torch and matnn), which a short run pays in full.
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

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out" / "scale"
DATA = Path(os.environ.get("MATNN_SHARED_DATASETS", ROOT.parent / "shared" / "datasets")) / "severson"


def run(seeds: int, model: str, workers: int, out: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), MATNN_NUM_THREADS="1")
    cmd = [
        sys.executable,
        "-m",
        "matnn",
        "battery",
        "train",
        "--train",
        str(DATA / "train.npz"),
        "--test",
        str(DATA / "test1.npz"),
        "--model",
        model,
        "--seeds",
        str(seeds),
        "--workers",
        str(workers),
        "--out",
        str(out),
        "--quiet",
    ]
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def cluster_start_s(workers: int) -> float:
    """Seconds to start a LocalCluster of ``workers`` processes and set matnn up in each (the fixed cost)."""
    sys.path.insert(0, str(ROOT / "src"))
    from matnn.core.engines import Executor

    t0 = time.perf_counter()
    with Executor(workers=workers) as ex:
        ex.map(abs, [-1] * workers)  # matnn imported in every worker
        elapsed = time.perf_counter() - t0
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--model", default="cnn")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    wall = {w: run(a.seeds, a.model, w, tmp / f"w{w}") for w in (1, 2)}
    startup = cluster_start_s(2)
    m = {w: json.loads((tmp / f"w{w}" / "metrics.json").read_text()) for w in (1, 2)}
    result = {
        "command": f"matnn battery train --model {a.model} --seeds {a.seeds} --workers W",
        "seeds": a.seeds,
        "wall_s_1_worker": wall[1],
        "wall_s_2_workers": wall[2],
        "seeds_per_min_1_worker": 60 * a.seeds / wall[1],
        "seeds_per_min_2_workers": 60 * a.seeds / wall[2],
        "speedup_2_vs_1": wall[1] / wall[2],
        "local_cluster_start_s_2_workers": startup,
        "speedup_2_vs_1_without_cluster_start": wall[1] / max(wall[2] - startup, 1e-9),
        "rmse_per_seed_identical": m[1]["rmse_per_seed"] == m[2]["rmse_per_seed"],
        "rmse_identical": m[1]["rmse"] == m[2]["rmse"],
        "rmse_cycles": m[1]["rmse"],
        "note": "wall time of the whole command (data loading, cluster start); 2-core machine shared with other "
        "jobs: timings are noisy and the speed-up is depressed",
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"battery-seeds-{a.model}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
