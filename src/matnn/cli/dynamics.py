"""``matnn dynamics <reproduction> --out DIR`` and ``matnn dynamics all --out DIR``.

Each action is a thin wrapper over :func:`matnn.dynamics.reproductions.run_reproduction` (imported
lazily); the tools themselves are the Python API in :mod:`matnn.dynamics`.
"""

from __future__ import annotations

import argparse
from typing import Any

from matnn.cli.common import add_action, add_executor_args, area_parser

HELP = "training dynamics: NTK, Hessian, AGOP tools and reproductions of published results"

# Kept in sync with matnn.dynamics.reproductions.REPRODUCTIONS (a test checks it); listed here so that
# `matnn --help` does not import torch-heavy modules.
_ACTIONS = {
    "catapult": "GD catapult: loss spikes then converges for 2/λ₀ < η < ~4/λ₀; larger η diverges (Lewkowycz et al. 2020)",
    "sgd-catapults": "smaller SGD batches: more catapults, higher AGOP alignment, lower test error (Zhu et al. 2023)",
    "quadratic-model": "quadratic (NQM) model catapults like the network while the linear model diverges (Zhu et al. 2022)",
    "linearity-width": "relative NTK change falls like 1/√width only with a linear output layer (Liu, Zhu, Belkin 2020)",
    "hessian-scaling": "model Hessian norm ∝ 1/√width at init; not with a tanh output layer (Liu, Zhu, Belkin 2020)",
    "dag-linearity": "random-DAG networks: ‖H_f‖·√(in-degree) roughly constant (Zhu, Liu, Belkin 2022)",
    "relu-conditioning": "ReLU NTK far better conditioned than a linear network's, improving with depth (Liu & Hui 2023)",
    "label-noise": "labels 30 percent flipped: U-shaped clean test error, ‖g_clean‖/‖g_noisy‖ decays to ~1 (Liu, Abedsoltan, Belkin 2023)",
    "sgd-interpolation": "iterations SGD(batch 1)/GD grow far slower than n (Liu, Drusvyatskiy, Belkin, Davis, Ma 2023)",
    "catapult-subspace": "the catapult's loss spike lies in the top eigenvectors of the NTK (Zhu, Liu, Radhakrishnan, Belkin 2023)",
    "relu-angles": "ReLU enlarges the angle between gradient features of close inputs; a linear network keeps it (Liu & Hui 2023)",
    "quadratic-generalisation": "at catapult learning rates the quadratic model's test loss tracks the network's; the linear model diverges (Zhu et al. 2022)",
    "weak-assembly": "assembling s weak sub-models: ‖H_f‖ ∝ 1/√s; stays O(1) when one sub-model dominates (Liu, Zhu, Belkin 2022)",
    "nonlinear-output": "a tanh output layer keeps the NTK moving, yet GD drives the loss to ~0 (Liu, Zhu, Belkin 2020)",
    "rsc-condition": "RSC ratio max‖H_f‖/‖mean ∇f‖² along the GD path shrinks with width (Banerjee, Cisneros-Velarde, Zhu, Belkin 2023)",
}


def _handler(name: str):
    def handle(args: argparse.Namespace) -> dict[str, Any]:
        from matnn.dynamics.reproductions import run_reproduction

        metrics = run_reproduction(name, args.out, seed=args.seed, show_progress=not args.quiet)
        if not args.quiet:
            verdict = "REPRODUCED" if metrics["reproduced"] else "NOT reproduced"
            print(f"{name}: {verdict} in {metrics['wall_time_s']:.1f} s — signature: {metrics['signature']}")
            print(f"  metrics.json and figure written to {args.out}")
        return metrics

    return handle


def _handle_all(args: argparse.Namespace) -> dict[str, Any]:
    from matnn.dynamics.reproductions import run_all

    summary = run_all(
        args.out,
        seed=args.seed,
        resume=not args.no_resume,
        show_progress=not args.quiet,
        workers=args.workers,
        scheduler=args.scheduler,
    )
    if not args.quiet:
        print((args.out / "summary.md").read_text(encoding="utf-8"))
        print(
            f"{summary['n_reproduced']}/{summary['n_total']} reproduced. Details in {args.out}/summary.md, summary.csv, metrics.json."
        )
    return summary


def register(subparsers: argparse._SubParsersAction) -> None:
    actions = area_parser(subparsers, "dynamics", HELP)
    for name, text in _ACTIONS.items():
        add_action(actions, name, _handler(name), text)
    p = add_action(actions, "all", _handle_all, "run every reproduction into OUT/<name>/ and write summary.md/.csv")
    p.add_argument(
        "--no-resume", action="store_true", help="rerun reproductions whose metrics.json already exists for this seed"
    )
    add_executor_args(p, "reproductions")
