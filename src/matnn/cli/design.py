"""``matnn design ...`` commands: inverse design loops.

``matnn design electrode --out DIR`` runs recipe → microstructure → DFN campaign → surrogate → NSGA-II → DFN check
(:mod:`matnn.workflows.design.electrode`, imported lazily so ``matnn --help`` stays fast).
"""

from __future__ import annotations

import argparse
from typing import Any

from matnn.cli.common import add_action, area_parser, non_negative_int, positive_float, positive_int
from matnn.design.electrode.surrogate import RATE_TRANSFORMS, REFINE_ROUNDS
from matnn.design.registry import DESIGN_MODELS

_ENSEMBLE = DESIGN_MODELS.get("ensemble")

HELP = "inverse design: electrode recipe -> microstructure -> DFN -> surrogate -> NSGA-II Pareto front"


def _electrode(args: argparse.Namespace) -> dict[str, Any]:
    from matnn.design.electrode.dfn import CellSpec
    from matnn.design.electrode.microstructure import ImageSpec
    from matnn.design.electrode.recipe import RecipeSpace
    from matnn.workflows.design.electrode import design_electrode

    ranges = {
        k: tuple(v)
        for k in ("am_fraction", "solid_content", "calendering", "coating_um")
        if (v := getattr(args, k)) is not None
    }
    m = design_electrode(
        args.out,
        n=args.n,
        seed=args.seed,
        workers=args.workers,
        scheduler=args.scheduler,
        connect_timeout_s=args.connect_timeout,
        members=args.members,
        epochs=args.epochs,
        baseline=args.baseline,
        pop_size=args.pop_size,
        generations=args.generations,
        direct_pop_size=args.direct_pop_size,
        direct_generations=args.direct_generations,
        rate_transform=args.rate_transform,
        refine_rounds=args.refine_rounds,
        space=RecipeSpace(**ranges),
        cell=CellSpec(
            low_rate=args.low_rate,
            high_rate=args.high_rate,
            mesh_points=args.mesh_points,
        ),
        image_spec=ImageSpec(size=args.image_size, seeds=args.image_seeds),
        show_progress=not args.quiet,
    )
    if not args.quiet:
        print(
            f"{m['n_designs']} designs ({m['n_failed']} failed) in {m['campaign_seconds']:.0f} s; surrogate R2 energy "
            f"{m['surrogate_r2_energy']:.3f}, rate fraction {m['surrogate_r2_power']:.3f}; front {m['front_size']} "
            f"recipes, median DFN-check error {100 * m['front_error_median']:.1f} % (worse objective); hypervolume surrogate route "
            f"{m['hypervolume_surrogate_route']:.3f} ({m['dfn_calls_surrogate_route']} DFN calls) vs direct "
            f"{m['hypervolume_direct_dfn']:.3f} ({m['dfn_calls_direct']})"
        )
        print(f"report.md, figures and metrics.json in {args.out}")
    return m


def register(subparsers: argparse._SubParsersAction) -> None:
    actions = area_parser(subparsers, "design", HELP)
    p = add_action(
        actions,
        "electrode",
        _electrode,
        "cathode inverse design (arXiv:2307.05521-style): Sobol recipes -> mass balances -> tortuosity "
        "from images -> PyBaMM DFN -> matnn surrogate -> NSGA-II, front re-checked with the DFN",
    )
    g = p.add_argument_group("campaign")
    g.add_argument(
        "--n",
        type=positive_int,
        default=256,
        help="Sobol recipes in the DFN campaign (default 256, >= 8)",
    )
    g.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        help="local Dask worker processes (default 1: serial)",
    )
    g.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="address of a running Dask scheduler (tcp://host:8786), e.g. a dask-jobqueue SLURM cluster",
    )
    g.add_argument(
        "--connect-timeout",
        type=positive_float,
        default=10.0,
        help="seconds to wait for --scheduler",
    )
    g.add_argument(
        "--low-rate",
        type=positive_float,
        default=0.2,
        help="C-rate of the energy discharge (default 0.2)",
    )
    g.add_argument(
        "--high-rate",
        type=positive_float,
        default=3.0,
        help="C-rate of the power discharge (default 3)",
    )
    g.add_argument(
        "--mesh-points",
        type=positive_int,
        default=10,
        help="DFN finite volumes per domain (default 10)",
    )
    g.add_argument(
        "--image-size",
        type=positive_int,
        default=40,
        help="edge of the 3D tortuosity images, voxels",
    )
    g.add_argument(
        "--image-seeds",
        type=positive_int,
        default=2,
        help="images per porosity bin (default 2)",
    )
    r = p.add_argument_group("recipe space (LOW HIGH)")
    r.add_argument(
        "--am-fraction",
        nargs=2,
        type=float,
        metavar=("LOW", "HIGH"),
        help="active-material mass fraction (0.90 0.97)",
    )
    r.add_argument(
        "--solid-content",
        nargs=2,
        type=float,
        metavar=("LOW", "HIGH"),
        help="slurry solid content (0.55 0.75)",
    )
    r.add_argument(
        "--calendering",
        nargs=2,
        type=float,
        metavar=("LOW", "HIGH"),
        help="thickness reduction (0 0.30)",
    )
    r.add_argument(
        "--coating-um",
        nargs=2,
        type=float,
        metavar=("LOW", "HIGH"),
        help="wet coating thickness, µm (80 250)",
    )
    s = p.add_argument_group("surrogate and search")
    s.add_argument(
        "--members",
        type=positive_int,
        default=_ENSEMBLE.default("members"),
        help=f"networks in the surrogate ensemble (default {_ENSEMBLE.default('members')})",
    )
    s.add_argument(
        "--epochs",
        type=positive_int,
        default=_ENSEMBLE.default("epochs"),
        help=f"training epochs per network (default {_ENSEMBLE.default('epochs')})",
    )
    s.add_argument(
        "--baseline",
        choices=DESIGN_MODELS.names("baseline"),
        default="gp",
        help="scikit-learn baseline: " + DESIGN_MODELS.describe("baseline") + " (default gp)",
    )
    s.add_argument(
        "--pop-size",
        type=positive_int,
        default=64,
        help="NSGA-II population on the surrogate",
    )
    s.add_argument(
        "--generations",
        type=positive_int,
        default=60,
        help="NSGA-II generations on the surrogate",
    )
    s.add_argument(
        "--rate-transform",
        choices=RATE_TRANSFORMS,
        default=RATE_TRANSFORMS[0],
        help="train the surrogate on the raw rate fraction or on its logit (predictions mapped back)",
    )
    s.add_argument(
        "--refine-rounds",
        type=non_negative_int,
        default=REFINE_ROUNDS,
        help="rounds of active refinement: the DFN-checked front joins the training set, refit, search, check again",
    )
    s.add_argument(
        "--direct-pop-size",
        type=positive_int,
        default=16,
        help="NSGA-II population directly on the DFN",
    )
    s.add_argument(
        "--direct-generations",
        type=positive_int,
        default=6,
        help="NSGA-II generations directly on the DFN",
    )
