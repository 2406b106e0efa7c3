"""Run one area's benchmark scripts, each writing its raw JSON to ``bench/out/<area>/``.

    python bench/run.py AREA [--quick] [--only NAME ...] [--no-pin]

AREA is one of core, battery, composition, crystals, microstructure, dynamics. Every script runs
through ``bench/heavy.sh`` (pinned to one core, one thread, queued behind other heavy jobs) unless
``--no-pin``. ``--quick`` runs each script with small options and writes to ``bench/out/quick/<area>/``
(ignored by git) so that a smoke run never replaces a recorded figure. After a full run, rebuild the
table with ``python bench/results.py``. Benchmarks measured through the ``matnn`` CLI (ElemNet, CGCNN,
the microstructure networks, ...) are one command each, listed in ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Step:
    """One benchmark script: its raw-file name, arguments for the full and the quick run."""

    name: str
    script: str
    full: list[str] = field(default_factory=list)
    quick: list[str] = field(default_factory=list)
    pin: str = "0"  # bench/heavy.sh core, or "--both"
    out_flag: str | None = "--out"  # None: the path is the script's first positional argument


STEPS: dict[str, list[Step]] = {
    "core": [
        Step(
            "fit-speed",
            "bench/core/fit_speed.py",
            ["--repeats", "7"],
            ["--workloads", "W1", "--repeats", "1"],
        )
    ],
    "battery": [
        Step(
            "fleet",
            "bench/battery/fleet.py",
            ["--demo"],
            ["--cells", "4"],
            pin="--both",
        ),
        Step(
            "severson",
            "bench/battery/severson.py",
            [],
            ["--seeds", "1", "--cv-repeats", "1"],
        ),
        Step(
            "fullcnn",
            "bench/battery/fullcnn.py",
            [],
            ["--smoke", "--seeds", "1", "--folds", "2", "--timing-steps", "2"],
        ),
    ],
    "composition": [
        Step(
            "featurizer-speed",
            "bench/composition/featurizer_speed.py",
            ["--n", "5000"],
            ["--n", "200"],
        )
    ],
    "crystals": [
        Step("graphs", "bench/crystals/graphs.py", [], ["--train-batches", "2"]),
        Step(
            "jit-compile",
            "bench/crystals/jit_compile.py",
            ["--models", "cgcnn,megnet"],
            ["--models", "cgcnn", "--batches", "2"],
        ),
        Step("rf-magpie", "bench/crystals/composition_baseline.py", [], ["--trees", "5"]),
        Step(
            "potential-schnet-e120",
            "bench/crystals/potential.py",
            ["--seeds", "0", "1", "2"],
            ["--seeds", "0", "--epochs", "2"],
        ),
    ],
    "microstructure": [
        Step(
            "solver",
            "bench/microstructure/solver.py",
            ["--n", "500", "--n-taufactor", "20"],
            ["--n", "20", "--n-taufactor", "2"],
        )
    ],
    "dynamics": [
        Step("tools", "bench/dynamics/tools.py", [], [], out_flag=None),
        Step(
            "reproductions-seed0",
            "bench/dynamics/reproductions.py",
            ["--out", "/tmp/matnn_bench_dynamics", "--seed", "0"],
            ["--out", "/tmp/matnn_bench_dynamics", "--names", "linearity-width"],
            out_flag="--json",
        ),
    ],
}


def command(step: Step, area: str, quick: bool, pin: bool) -> list[str]:
    """The command line of one step (through bench/heavy.sh when ``pin``)."""
    out = Path("bench", "out", "quick/" + area if quick else area, f"{step.name}.json")  # relative to ROOT
    argv = [sys.executable, step.script, *(step.quick if quick else step.full)]
    argv += [step.out_flag, str(out)] if step.out_flag else [str(out)]
    return ["bench/heavy.sh", step.pin, *argv] if pin else argv


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("area", choices=list(STEPS))
    ap.add_argument(
        "--quick",
        action="store_true",
        help="small options; results go to bench/out/quick/AREA/",
    )
    ap.add_argument("--only", nargs="+", default=None, help="run only these steps (raw-file names)")
    ap.add_argument("--no-pin", action="store_true", help="do not go through bench/heavy.sh")
    args = ap.parse_args(argv)
    failed = []
    for step in STEPS[args.area]:
        if args.only and step.name not in args.only:
            continue
        cmd = command(step, args.area, args.quick, not args.no_pin)
        print("+", " ".join(cmd), flush=True)
        if subprocess.run(cmd, cwd=ROOT, check=False).returncode != 0:
            failed.append(step.name)
    if failed:
        print("failed:", ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
