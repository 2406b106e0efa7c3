"""``matnn design electrode``: recipe → microstructure → DFN campaign → surrogate → NSGA-II → DFN check.

Stages (each callable on its own):

1. :func:`matnn.design.electrode.sobol_recipes` — a Sobol design of ``n`` recipes;
2. :class:`Campaign` — maps each recipe to an electrode, measures tortuosity per porosity bin on
   packed-particle images, runs the DFN on a :class:`~matnn.core.engines.Executor` (serial, local
   Dask cluster or a scheduler address) and caches every record the moment it arrives
   (``DIR/cache/<recipe hash>.json``, atomic writes), so a killed campaign resumes where it stopped;
3. :func:`fit_surrogates` — a matnn ensemble and a scikit-learn baseline, scored on a held-out set;
4. :func:`design_electrode` — NSGA-II on the surrogate, every front recipe re-simulated with the DFN,
   NSGA-II directly on the DFN at a small budget, hypervolumes at a common reference point, and
   ``DIR/report.md`` + ``metrics.json`` + figures.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import ConfigError
from matnn.core.validation import Interval, Options, check, fraction, positive
from matnn.design.electrode.dfn import CellSpec, evaluate_recipe
from matnn.design.electrode.mapping import Materials, electrode_from_recipe
from matnn.design.electrode.microstructure import (
    ImageSpec,
    TortuosityTable,
    measure_bin,
)
from matnn.design.electrode.recipe import (
    RECIPE_VARIABLES,
    Recipe,
    RecipeSpace,
    recipe_key,
    sobol_recipes,
)
from matnn.design.electrode.surrogate import RATE_TRANSFORMS, REFINE_ROUNDS

__all__ = ["Campaign", "design_electrode", "fit_surrogates", "objectives"]

OBJECTIVES: tuple[str, ...] = ("energy_density_wh_l", "rate_fraction")


def objectives(records: Sequence[dict[str, Any]]) -> np.ndarray:
    """Objective matrix (n, 2) of campaign records: energy density (Wh/L), rate fraction; NaN where failed."""
    return np.array(
        [[np.nan if r.get(k) is None else float(r[k]) for k in OBJECTIVES] for r in records],
        dtype=float,
    )


class Campaign:
    """DFN evaluations of recipes, cached per recipe in ``out_dir/cache`` and fanned out on ``executor``.

    Parameters
    ----------
    out_dir : path
        Campaign folder; records go to ``out_dir/cache/<key>.json``, tortuosity bins to
        ``out_dir/cache/tortuosity.json``.
    executor : Executor
        An entered :class:`~matnn.core.engines.Executor`.
    cell, materials, image_spec : optional
        Fixed cell and rates, material constants, imaging of the porosity bins; all enter the cache key.
    seed : int
        Image seed base.
    simulate : callable, optional
        Task function ``(recipe, bin entry, cell, materials) -> record`` (default: the DFN).
    show_progress : bool
        Progress bar / lines with done, failed and ETA.
    """

    def __init__(
        self,
        out_dir: str | Path,
        executor: Any,
        *,
        cell: CellSpec | None = None,
        materials: Materials | None = None,
        image_spec: ImageSpec | None = None,
        seed: int = 0,
        simulate: Callable[[Any], dict[str, Any]] | None = None,
        show_progress: bool = True,
    ) -> None:
        from matnn.utils.io import ensure_dir

        self.cache_dir = ensure_dir(Path(out_dir) / "cache")
        self.executor = executor
        self.cell = cell or CellSpec()
        self.materials = materials or Materials()
        self.table = TortuosityTable(
            image_spec or ImageSpec(),
            path=self.cache_dir / "tortuosity.json",
            seed=seed,
        )
        self.simulate = simulate or evaluate_recipe
        self.show_progress = show_progress
        self.new_simulations = 0
        self.cache_hits = 0
        self._context = (
            asdict(self.cell),
            asdict(self.materials),
            asdict(self.table.spec),
            seed,
        )

    def key(self, recipe: Recipe) -> str:
        return recipe_key(recipe, *self._context)

    def _path(self, recipe: Recipe) -> Path:
        return self.cache_dir / f"{self.key(recipe)}.json"

    def cached(self, recipe: Recipe) -> dict[str, Any] | None:
        """The cached record of ``recipe``, or None."""
        from matnn.utils.io import read_json

        path = self._path(recipe)
        if not path.exists():
            return None
        try:
            return read_json(path)
        except ValueError:  # a torn file cannot exist (atomic writes), but be safe: recompute
            return None

    def _porosity(self, recipe: Recipe) -> float | None:
        from matnn.core.exceptions import DataError

        try:
            return electrode_from_recipe(recipe, self.materials).porosity
        except DataError:
            return None

    def fill_tortuosity(self, porosities: Sequence[float]) -> None:
        """Measure the missing porosity bins on the executor (images are the slow part of stage 2)."""
        todo = self.table.missing(porosities)
        if not todo:
            return
        job = functools.partial(measure_bin, spec=self.table.spec, seed=self.table.seed)
        from matnn.utils.progress import progress

        bar = progress(total=len(todo), desc="tortuosity bins", enabled=self.show_progress)
        for _, entry in self.executor.as_completed(job, todo):
            self.table.add([entry])
            bar.update(1)
        bar.close()

    def evaluate(self, recipes: Sequence[Recipe], desc: str = "DFN designs") -> list[dict[str, Any]]:
        """Records of ``recipes`` in order: cached ones read back, the rest simulated and cached as they finish."""
        from matnn.utils.io import write_json
        from matnn.utils.progress import progress

        records: list[dict[str, Any] | None] = [self.cached(r) for r in recipes]
        todo = [i for i, rec in enumerate(records) if rec is None]
        self.cache_hits += len(recipes) - len(todo)
        if not todo:
            return records  # type: ignore[return-value]
        porosity = {i: self._porosity(recipes[i]) for i in todo}
        self.fill_tortuosity([p for p in porosity.values() if p is not None])
        tasks = [
            (
                recipes[i],
                {} if porosity[i] is None else self.table.lookup(porosity[i]),
                self.cell,
                self.materials,
            )
            for i in todo
        ]  # a recipe the mapping refuses is reported by the task itself
        bar = progress(total=len(todo), desc=desc, enabled=self.show_progress)
        failed = 0
        for j, rec in self.executor.as_completed(self.simulate, tasks):
            i = todo[j]
            rec = {**rec, "key": self.key(recipes[i])}
            write_json(self._path(recipes[i]), rec)  # cached the moment it exists
            records[i] = rec
            self.new_simulations += 1
            failed += rec.get("status") != "ok"
            bar.set_postfix_str(f"failed {failed}")
            bar.update(1)
        bar.close()
        return records  # type: ignore[return-value]


def fit_surrogates(
    x_unit: np.ndarray,
    y: np.ndarray,
    *,
    members: int = 5,
    epochs: int = 400,
    baseline: str = "gp",
    test_fraction: float = 0.2,
    seed: int = 0,
    rate_transform: str = "none",
) -> dict[str, Any]:
    """Train the matnn ensemble and the baseline on a seeded split of (x_unit (n, 4), y (n, 2)); score the held-out part.

    ``rate_transform="logit"`` trains the ensemble on the logit of the rate fraction (column 1); its
    predictions are mapped back, so they stay fractions. The baseline always sees raw values.
    Returns ``{"ensemble", "baseline", "train", "test", "scores"}`` with per-objective R² and MAPE (%)
    of both models on the test rows.
    """
    from matnn.data.splits import holdout_split
    from matnn.design.electrode.surrogate import regression_scores
    from matnn.design.registry import DESIGN_MODELS

    check("fit_surrogates", "rate_transform", rate_transform, Options(RATE_TRANSFORMS))
    train, test = holdout_split(len(x_unit), test_fraction, seed)
    ens = _ensemble(members, epochs, seed, rate_transform).fit(x_unit[train], y[train])
    base = DESIGN_MODELS.build(baseline, x_unit[train], y[train], seed=seed)
    scores = {
        "ensemble": regression_scores(y[test], ens.predict(x_unit[test])),
        "baseline": regression_scores(y[test], base.predict(x_unit[test])),
    }
    return {
        "ensemble": ens,
        "baseline": base,
        "train": train,
        "test": test,
        "scores": scores,
    }


def _ensemble(members: int, epochs: int, seed: int, rate_transform: str) -> Any:
    from matnn.design.electrode.surrogate import EnsembleSurrogate

    cols = (OBJECTIVES.index("rate_fraction"),) if rate_transform == "logit" else ()
    return EnsembleSurrogate(members=members, epochs=epochs, seed=seed, logit_columns=cols)


def _knee(f: np.ndarray) -> int:
    """Index of the knee of a 2-objective front ``f`` (k, 2), maximised objectives: farthest from the chord."""
    if len(f) < 3:
        return int(np.argmax(f[:, 0]))
    z = (f - f.min(axis=0)) / np.maximum(np.ptp(f, axis=0), 1e-12)
    a, b = z[np.argmax(z[:, 0])], z[np.argmax(z[:, 1])]
    u, w = b - a, z - a
    d = np.abs(u[0] * w[:, 1] - u[1] * w[:, 0]) / max(float(np.linalg.norm(u)), 1e-12)
    return int(np.argmax(d))


def design_electrode(
    out_dir: str | Path,
    *,
    n: int = 256,
    seed: int = 0,
    workers: int = 1,
    scheduler: str | None = None,
    members: int = 5,
    epochs: int = 400,
    baseline: str = "gp",
    test_fraction: float = 0.2,
    pop_size: int = 64,
    generations: int = 60,
    direct_pop_size: int = 16,
    direct_generations: int = 6,
    rate_transform: str = "none",
    refine_rounds: int = REFINE_ROUNDS,
    space: RecipeSpace | None = None,
    cell: CellSpec | None = None,
    materials: Materials | None = None,
    image_spec: ImageSpec | None = None,
    connect_timeout_s: float = 10.0,
    show_progress: bool = True,
) -> dict[str, Any]:
    """Run the whole inverse-design loop into ``out_dir`` and return the flat metrics (also ``metrics.json``).

    Parameters
    ----------
    n : int
        Sobol recipes in the training campaign (>= 8: the surrogate needs a held-out part).
    workers, scheduler, connect_timeout_s
        Where the DFN runs (see :class:`~matnn.core.engines.Executor`).
    members, epochs, baseline, test_fraction
        Surrogate ensemble size and training length, baseline ``"gp"`` or ``"rf"``, held-out share.
    pop_size, generations
        NSGA-II on the surrogate.
    direct_pop_size, direct_generations
        NSGA-II run directly on the DFN (``direct_pop_size * direct_generations`` DFN calls).
    rate_transform : {"none", "logit"}
        Train the ensemble on the raw rate fraction or on its logit (see :func:`fit_surrogates`).
    refine_rounds : int, default=REFINE_ROUNDS (2)
        Rounds of active refinement: the DFN-checked front recipes join the training set, the ensemble is
        refit, NSGA-II reruns on it and its new front is checked with the DFN. The reported front is the
        last one; every checked front counts in ``dfn_calls_surrogate_route``.
    """
    from matnn.core.engines import Executor
    from matnn.design.electrode.search import hypervolume, nondominated, nsga2
    from matnn.design.electrode.surrogate import regression_scores
    from matnn.utils.io import ensure_dir, write_json, write_metrics

    check("design_electrode", "n", n, Interval(int, 8, None))
    check("design_electrode", "baseline", baseline, Options(("gp", "rf")))
    check("design_electrode", "test_fraction", test_fraction, fraction())
    check("design_electrode", "members", members, positive(int))
    check("design_electrode", "direct_generations", direct_generations, positive(int))
    check("design_electrode", "direct_pop_size", direct_pop_size, Interval(int, 4, None))
    check("design_electrode", "rate_transform", rate_transform, Options(RATE_TRANSFORMS))
    check("design_electrode", "refine_rounds", refine_rounds, Interval(int, 0, None))
    space = space or RecipeSpace()
    out = ensure_dir(out_dir)
    recipes = sobol_recipes(n, space, seed=seed)

    with Executor(workers=workers, scheduler=scheduler, connect_timeout_s=connect_timeout_s) as ex:
        campaign = Campaign(
            out,
            ex,
            cell=cell,
            materials=materials,
            image_spec=image_spec,
            seed=seed,
            show_progress=show_progress,
        )
        t0 = time.perf_counter()
        records = campaign.evaluate(recipes, "DFN campaign")
        campaign_seconds = time.perf_counter() - t0
        y_all = objectives(records)
        ok = np.all(np.isfinite(y_all), axis=1)
        failed = [r for r in records if r.get("status") != "ok"]
        if ok.sum() < 8:
            raise ConfigError(f"Only {int(ok.sum())} of {n} designs solved; a surrogate needs at least 8.")
        x_all = np.array([r.as_array() for r in recipes])
        x_unit, y = space.to_unit(x_all[ok]), y_all[ok]

        # Stage 5: surrogates on a held-out split.
        fits = fit_surrogates(
            x_unit,
            y,
            members=members,
            epochs=epochs,
            baseline=baseline,
            test_fraction=test_fraction,
            seed=seed,
            rate_transform=rate_transform,
        )
        ens = fits["ensemble"]
        route_keys = {campaign.key(r) for r in recipes}  # distinct recipes the route simulates
        x_train, y_train = x_unit[fits["train"]], y[fits["train"]]
        rounds: list[dict[str, Any]] = []
        for rnd in range(refine_rounds + 1):
            # Stage 6a: NSGA-II on the surrogate (maximise both: minimise the negatives).
            sur = nsga2(
                lambda x, ens=ens: -ens.predict(space.to_unit(x)),
                space.lower,
                space.upper,
                pop_size=pop_size,
                generations=generations,
                seed=seed,
            )
            front_recipes = [Recipe.from_array(x) for x in sur.x_front]
            keys = [campaign.key(r) for r in front_recipes]
            repeats = sum(k in route_keys for k in keys)  # already simulated: in-sample for a refit surrogate
            route_keys.update(keys)
            f_pred, f_std = ens.predict(space.to_unit(sur.x_front), return_std=True)
            front_records = campaign.evaluate(front_recipes, "DFN check of the front")
            f_dfn = objectives(front_records)
            rel_err = np.abs(f_pred - f_dfn) / np.abs(f_dfn)
            checked = np.all(np.isfinite(f_dfn), axis=1)
            rounds.append(
                {
                    "front_size": len(front_recipes),
                    "front_repeats_checked": repeats,
                    "training_size": len(x_train),
                    "error_median_energy": float(np.nanmedian(rel_err[:, 0])),
                    "error_median_power": float(np.nanmedian(rel_err[:, 1])),
                }
            )
            if rnd < refine_rounds:  # active refinement: the checked front joins the training set, refit
                x_train = np.vstack([x_train, space.to_unit(sur.x_front[checked])])
                y_train = np.vstack([y_train, f_dfn[checked]])
                ens = _ensemble(members, epochs, seed, rate_transform).fit(x_train, y_train)
        confirmed = np.flatnonzero(checked)[nondominated(-f_dfn[checked])]
        if refine_rounds:  # the surrogate that made the final front, on the same held-out designs
            fits["scores"]["ensemble"] = regression_scores(y[fits["test"]], ens.predict(x_unit[fits["test"]]))

        # Stage 6b: NSGA-II directly on the DFN, small budget.
        direct_records: list[dict[str, Any]] = []

        def dfn_batch(x: np.ndarray) -> np.ndarray:
            recs = campaign.evaluate([Recipe.from_array(v) for v in x], "DFN direct NSGA-II")
            direct_records.extend(recs)
            return -objectives(recs)

        t1 = time.perf_counter()
        direct = nsga2(
            dfn_batch,
            space.lower,
            space.upper,
            pop_size=direct_pop_size,
            generations=direct_generations,
            seed=seed,
        )
        direct_seconds = time.perf_counter() - t1
    f_direct_all = objectives(direct_records)
    direct_front = nondominated(-f_direct_all)

    # Hypervolume at a common reference point: objectives normalised by the campaign's range, reference at
    # the campaign's worst value of each objective (in the maximised sense).
    lo, hi = np.nanmin(y_all, axis=0), np.nanmax(y_all, axis=0)

    def norm_min(
        f: np.ndarray,
    ) -> np.ndarray:  # 0 = campaign best, 1 = campaign worst (minimisation)
        return (hi - f) / (hi - lo)

    ref = np.ones(2)
    hv_sur = hypervolume(norm_min(f_dfn[confirmed]), ref)
    hv_sur_all = hypervolume(norm_min(np.vstack([y, f_dfn[checked]])), ref)
    hv_direct = hypervolume(norm_min(f_direct_all[direct_front]), ref)
    hv_campaign = hypervolume(norm_min(y), ref)

    front_table = _front_table(front_recipes, f_dfn, confirmed)
    finding = _finding(space, [front_recipes[i] for i in confirmed])
    s_e, s_b = fits["scores"]["ensemble"], fits["scores"]["baseline"]
    dfn_seconds = [r["seconds"] for r in records if r.get("seconds") is not None and r.get("status") == "ok"]
    metrics = {
        "n_designs": n,
        "n_failed": len(failed),
        "surrogate_r2_energy": float(s_e["r2"][0]),
        "surrogate_r2_power": float(s_e["r2"][1]),
        "surrogate_mape_energy_pct": float(s_e["mape_pct"][0]),
        "surrogate_mape_power_pct": float(s_e["mape_pct"][1]),
        "baseline": baseline,
        "baseline_r2_energy": float(s_b["r2"][0]),
        "baseline_r2_power": float(s_b["r2"][1]),
        "baseline_mape_energy_pct": float(s_b["mape_pct"][0]),
        "baseline_mape_power_pct": float(s_b["mape_pct"][1]),
        "n_test": len(fits["test"]),
        "front_size": len(front_recipes),
        "front_confirmed_size": len(confirmed),
        "front_failed": int((~checked).sum()),
        # the worse objective's median: a pooled median would hide a bad objective behind a good one
        "front_error_median": max(rounds[-1]["error_median_energy"], rounds[-1]["error_median_power"]),
        "front_error_median_energy": rounds[-1]["error_median_energy"],
        "front_error_median_power": rounds[-1]["error_median_power"],
        "front_error_max": float(np.nanmax(rel_err)),
        "hypervolume_surrogate_route": hv_sur,
        "hypervolume_surrogate_route_with_campaign": hv_sur_all,
        "hypervolume_direct_dfn": hv_direct,
        "hypervolume_campaign": hv_campaign,
        "hypervolume_ratio_surrogate_over_direct": hv_sur / hv_direct if hv_direct > 0 else None,
        "rate_transform": rate_transform,
        "refine_rounds": refine_rounds,
        "front_repeats_checked": rounds[-1]["front_repeats_checked"],
        **{
            f"front_error_median_{k}_round{i}": r[f"error_median_{k}"]
            for i, r in enumerate(rounds)
            for k in ("energy", "power")
        },
        "dfn_calls_surrogate_route": len(route_keys),
        "dfn_calls_direct": int(direct.n_evals),
        "campaign_seconds": campaign_seconds,
        "direct_search_seconds": direct_seconds,
        "dfn_seconds_per_design_median": float(np.median(dfn_seconds)) if dfn_seconds else None,
        "new_dfn_simulations": campaign.new_simulations,
        "cache_hits": campaign.cache_hits,
        "workers": workers if scheduler is None else None,
        "finding_much_active_material": finding["much_am"],
        "finding_intermediate_solid_content": finding["mid_sc"],
        "finding_intermediate_calendering": finding["mid_cal"],
    }
    write_json(
        out / "front.json",
        {
            "recipes": [r.as_dict() for r in front_recipes],
            "predicted": f_pred,
            "predicted_std": f_std,
            "dfn": np.where(np.isfinite(f_dfn), f_dfn, None).tolist(),
            "confirmed": confirmed,
            "table": front_table,
            "rounds": rounds,
        },
    )
    write_json(
        out / "failed.json",
        [
            {
                "recipe": r["recipe"],
                "error": r.get("error"),
                "attempts": r.get("attempts"),
            }
            for r in failed + [front_records[i] for i in np.flatnonzero(~checked)]
        ],
    )
    _figures(
        out,
        space,
        x_all[ok],
        y,
        f_pred,
        f_dfn,
        confirmed,
        f_direct_all[direct_front],
        front_recipes,
    )
    _report(out, metrics, front_table, finding, failed, space, cell or CellSpec())
    write_metrics(out, metrics)
    return metrics


def _front_table(front: list[Recipe], f_dfn: np.ndarray, confirmed: np.ndarray) -> list[dict[str, Any]]:
    """Energy end, knee and power end of the DFN-confirmed front."""
    if len(confirmed) == 0:
        return []
    f = f_dfn[confirmed]
    picks = {
        "energy end": int(np.argmax(f[:, 0])),
        "knee": _knee(f),
        "power end": int(np.argmax(f[:, 1])),
    }
    rows = []
    for label, k in picks.items():
        i = int(confirmed[k])
        e = electrode_from_recipe(front[i])
        rows.append(
            {
                "point": label,
                **front[i].as_dict(),
                "porosity": e.porosity,
                "thickness_um": e.thickness_m * 1e6,
                "energy_density_wh_l": float(f_dfn[i, 0]),
                "rate_fraction": float(f_dfn[i, 1]),
            }
        )
    return rows


def _finding(space: RecipeSpace, front: list[Recipe]) -> dict[str, Any]:
    """Does the confirmed front sit at high AM fraction and intermediate solid content and calendering?"""
    if not front:
        return {
            "much_am": None,
            "mid_sc": None,
            "mid_cal": None,
            "unit_medians": {},
            "unit_ranges": {},
        }
    u = space.to_unit(np.array([r.as_array() for r in front]))
    med = dict(zip(RECIPE_VARIABLES, np.median(u, axis=0).tolist(), strict=True))
    rng = {k: (float(a), float(b)) for k, a, b in zip(RECIPE_VARIABLES, u.min(axis=0), u.max(axis=0), strict=True)}
    return {
        "much_am": bool(med["am_fraction"] >= 2 / 3),
        "mid_sc": bool(0.15 <= med["solid_content"] <= 0.85),
        "mid_cal": bool(0.15 <= med["calendering"] <= 0.85),
        "unit_medians": med,
        "unit_ranges": rng,
    }


_LABELS = {
    "am_fraction": "AM mass fraction",
    "solid_content": "slurry solid content",
    "calendering": "calendering degree",
    "coating_um": "wet coating (µm)",
}


def _figures(
    out: Path,
    space: RecipeSpace,
    x_ok: np.ndarray,
    y: np.ndarray,
    f_pred: np.ndarray,
    f_dfn: np.ndarray,
    confirmed: np.ndarray,
    f_direct_front: np.ndarray,
    front: list[Recipe],
) -> None:
    from matnn.utils.plotting import plt, save_figure

    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    ax.scatter(y[:, 0], y[:, 1], s=10, c="0.75", label="Sobol campaign (DFN)")
    for p, d in zip(f_pred, f_dfn, strict=True):
        if np.all(np.isfinite(d)):
            ax.plot([p[0], d[0]], [p[1], d[1]], c="tab:blue", lw=0.5, alpha=0.5)
    ax.scatter(
        f_pred[:, 0],
        f_pred[:, 1],
        s=22,
        facecolors="none",
        edgecolors="tab:blue",
        label="front, surrogate",
    )
    ax.scatter(f_dfn[:, 0], f_dfn[:, 1], s=12, c="tab:blue", label="same recipes, DFN")
    if len(confirmed):
        c = f_dfn[confirmed][np.argsort(f_dfn[confirmed, 0])]
        ax.plot(c[:, 0], c[:, 1], c="tab:blue", lw=1.2)
    if len(f_direct_front):
        ax.scatter(
            f_direct_front[:, 0],
            f_direct_front[:, 1],
            marker="x",
            c="tab:red",
            s=28,
            label="NSGA-II directly on DFN",
        )
    ax.set_xlabel("stack energy density at low rate (Wh/L)")
    ax.set_ylabel("capacity fraction at high rate")
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("Pareto front: surrogate vs DFN check")
    save_figure(fig, out / "pareto_front.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    cols = list(RECIPE_VARIABLES)
    u_all = space.to_unit(x_ok)
    for row in u_all:
        ax.plot(range(4), row, c="0.85", lw=0.4)
    if front:
        u = space.to_unit(np.array([r.as_array() for r in front]))
        e = f_dfn[:, 0]
        finite = np.isfinite(e)
        norm = plt.Normalize(np.nanmin(e) if finite.any() else 0, np.nanmax(e) if finite.any() else 1)
        cmap = plt.get_cmap("viridis")
        for row, val in zip(u, e, strict=True):
            ax.plot(
                range(4),
                row,
                c=cmap(norm(val)) if np.isfinite(val) else "tab:red",
                lw=1.2,
            )
        sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
        fig.colorbar(sm, ax=ax, label="DFN energy density (Wh/L)")
    ax.set_xticks(
        range(4),
        [f"{_LABELS[c]}\n[{getattr(space, c)[0]:g}, {getattr(space, c)[1]:g}]" for c in cols],
        fontsize=8,
    )
    ax.set_ylabel("position in range (0 = low, 1 = high)")
    ax.set_title("Front recipes (coloured) over the campaign (grey)")
    save_figure(fig, out / "parallel_coordinates.png")
    plt.close(fig)


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.0f}"
    return str(v)


def _report(
    out: Path,
    m: dict[str, Any],
    table: list[dict[str, Any]],
    finding: dict[str, Any],
    failed: list[dict[str, Any]],
    space: RecipeSpace,
    cell: CellSpec,
) -> None:
    from matnn.utils.io import atomic_write

    lines = [
        "# Electrode inverse design",
        "",
        (
            f"Cathode (NMC811 | PVDF | carbon black) in PyBaMM's {cell.parameter_set} cell; DFN at {cell.low_rate:g}C and "
            f"{cell.high_rate:g}C. Objectives: stack energy density at {cell.low_rate:g}C (Wh/L) and the capacity fraction "
            f"delivered at {cell.high_rate:g}C. Tortuosity measured on packed-particle images, one per porosity bin."
        ),
        "",
        "## Campaign",
        "",
        (
            f"- {m['n_designs']} Sobol recipes, {m['n_failed']} failed (listed in `failed.json`), "
            f"{m['campaign_seconds']:.0f} s wall time; median DFN time per design "
            f"{_fmt(m['dfn_seconds_per_design_median'])} s (two discharges)."
        ),
        "- recipe space: " + ", ".join(f"{_LABELS[k]} {v[0]:g}–{v[1]:g}" for k, v in space.as_dict().items()),
        "",
        "## Surrogate (held-out set)",
        "",
        "| model | R² energy | R² rate fraction | MAPE energy (%) | MAPE rate fraction (%) |",
        "|---|---|---|---|---|",
        (
            f"| matnn ensemble | {_fmt(m['surrogate_r2_energy'])} | {_fmt(m['surrogate_r2_power'])} | "
            f"{_fmt(m['surrogate_mape_energy_pct'])} | {_fmt(m['surrogate_mape_power_pct'])} |"
        ),
        (
            f"| {m['baseline']} baseline | {_fmt(m['baseline_r2_energy'])} | {_fmt(m['baseline_r2_power'])} | "
            f"{_fmt(m['baseline_mape_energy_pct'])} | {_fmt(m['baseline_mape_power_pct'])} |"
        ),
        "",
        f"{m['n_test']} held-out designs.",
        "",
        "## Pareto front",
        "",
        "![Pareto front](pareto_front.png)",
        "",
        (
            f"NSGA-II on the surrogate gave {m['front_size']} front recipes; each was re-simulated with the DFN "
            f"({m['front_failed']} failed). Median relative surrogate error on the front, per objective: energy "
            f"{100 * m['front_error_median_energy']:.2f} %, rate fraction {100 * m['front_error_median_power']:.2f} % "
            f"(`front_error_median`, the larger: {100 * m['front_error_median']:.2f} %; max {100 * m['front_error_max']:.1f} %). "
            f"Surrogate target: rate fraction {'on the logit scale' if m['rate_transform'] == 'logit' else 'raw'}; "
            f"{m['refine_rounds']} round(s) of active refinement"
            + (
                f" (the checked front joined the training set each round; {m['front_repeats_checked']} of the last "
                "front's recipes had been simulated before). "
                if m["refine_rounds"]
                else ". "
            )
            + f"{m['front_confirmed_size']} of them are non-dominated under the DFN (the DFN-confirmed front)."
        ),
        "",
        "| route | DFN calls | hypervolume |",
        "|---|---|---|",
        (
            f"| surrogate (campaign + front check) | {m['dfn_calls_surrogate_route']} | {_fmt(m['hypervolume_surrogate_route'])} "
            f"(with campaign points: {_fmt(m['hypervolume_surrogate_route_with_campaign'])}) |"
        ),
        f"| NSGA-II directly on the DFN | {m['dfn_calls_direct']} | {_fmt(m['hypervolume_direct_dfn'])} |",
        f"| Sobol campaign alone | {m['n_designs']} | {_fmt(m['hypervolume_campaign'])} |",
        "",
        (
            "Hypervolume of the DFN-evaluated points, objectives scaled to the campaign's range, reference point at "
            "the campaign's worst energy density and worst rate fraction."
        ),
        "",
        "### Recipes along the confirmed front",
        "",
        "| point | AM fraction | solid content | calendering | wet coating (µm) | porosity | thickness (µm) | Wh/L | rate fraction |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table:
        lines.append(
            f"| {r['point']} | {r['am_fraction']:.3f} | {r['solid_content']:.3f} | {r['calendering']:.3f} | "
            f"{r['coating_um']:.0f} | {r['porosity']:.3f} | {r['thickness_um']:.0f} | "
            f"{r['energy_density_wh_l']:.0f} | {r['rate_fraction']:.3f} |"
        )
    med = finding.get("unit_medians", {})
    verdict = {
        True: "holds",
        False: "does not hold",
        None: "cannot be judged (empty front)",
    }
    lines += [
        "",
        "![Parallel coordinates](parallel_coordinates.png)",
        "",
        "## Qualitative finding of arXiv:2307.05521",
        "",
        "The paper finds Pareto-optimal cathodes at a high active-material content and intermediate slurry solid "
        "content and calendering degree. Median position of the confirmed front in each range (0 = low end, 1 = high end): "
        + ", ".join(f"{_LABELS[k]} {v:.2f}" for k, v in med.items())
        + ".",
        "",
        f"- much active material (median ≥ 0.67 of the range): {verdict[finding['much_am']]};",
        f"- intermediate solid content (median in 0.15–0.85): {verdict[finding['mid_sc']]};",
        f"- intermediate calendering (median in 0.15–0.85): {verdict[finding['mid_cal']]}.",
        "",
        (
            "Caveats: in this model the carbon–binder domain only dilutes the active material (no electronic-"
            "conductivity penalty at low carbon), which favours high AM content by construction. Solid content acts "
            "only through the dried porosity (an assumed monotonic relation) and calendering only through the "
            "porosity, so neither can have an optimum of its own: they set the porosity, while the coating "
            "thickness moves the design along the energy–power trade-off."
        ),
        "",
    ]
    if failed:
        lines += ["## Failed designs", "", "| recipe | error |", "|---|---|"]
        for r in failed[:20]:
            rec = ", ".join(f"{k}={v:.4g}" for k, v in r["recipe"].items())
            lines.append(f"| {rec} | {str(r.get('error'))[:160]} |")
        lines.append("")
    with atomic_write(out / "report.md", "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
