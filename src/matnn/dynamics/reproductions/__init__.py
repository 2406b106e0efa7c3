"""Reproductions of published training-dynamics results, each a function ``run(out, seed=...) -> metrics``.

==========================  =========================================================================
name                        claim (paper)
==========================  =========================================================================
catapult                    GD spikes then converges for 2/λ₀ < η < ~4/λ₀ (Lewkowycz et al. 2020)
sgd-catapults               smaller batches: more catapults, better AGOP alignment (Zhu et al. 2023)
quadratic-model             the quadratic model catapults like the network, the linear one diverges
linearity-width             NTK change ∝ 1/√m only with a linear output layer (Liu, Zhu, Belkin 2020)
hessian-scaling             ‖H_f‖ ∝ 1/√m at init; not with a nonlinear output layer
dag-linearity               random-DAG networks: ‖H_f‖·√(in-degree) ≈ constant (Zhu, Liu, Belkin 2022)
relu-conditioning           ReLU NTK far better conditioned than linear, improving with depth (Liu & Hui 2023)
label-noise                 clean-priority learning: U-shaped clean test error (Liu, Abedsoltan, Belkin 2023)
sgd-interpolation           SGD(batch 1)/GD iteration ratio grows far slower than n (Liu et al. 2023)
catapult-subspace           the catapult's loss spike lives in the top NTK eigenspace (Zhu et al. 2023)
relu-angles                 ReLU enlarges gradient-feature angles of close inputs; linear nets do not (Liu & Hui 2023)
quadratic-generalisation    at catapult learning rates the quadratic model's test loss tracks the network's
weak-assembly               ‖H_f‖ ∝ 1/√(#sub-models) for weak sub-models, O(1) if one dominates (Liu, Zhu, Belkin 2022)
nonlinear-output            tanh output: NTK moves O(1), GD still fits the data (Liu, Zhu, Belkin 2020)
rsc-condition               RSC ratio max‖H_f‖/‖mean ∇f‖² along GD shrinks with width (Banerjee et al. 2023)
==========================  =========================================================================

Every run writes ``metrics.json`` (flat keys, ``reproduced`` computed from the stated ``signature``) and a
PNG figure into its output folder; :func:`run_all` runs them all and writes a summary table.
"""

from __future__ import annotations

import csv
import importlib
import io
import os
import time
from pathlib import Path
from typing import Any

from matnn.core.exceptions import unknown_name
from matnn.utils.io import atomic_write, ensure_dir, read_json, write_metrics

__all__ = ["REPRODUCTIONS", "run_reproduction", "run_all", "describe"]

# name -> module under matnn.dynamics.reproductions, and the metric keys shown in the summary table.
REPRODUCTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "catapult": ("catapult", ("lambda0", "eta1p5x_peak_loss", "eta1p5x_final_loss", "eta1p5x_lambda_final")),
    "sgd-catapults": (
        "sgd_catapults",
        (
            "batch256_catapults_mean",
            "batch4_catapults_mean",
            "batch256_alignment_mean",
            "batch4_alignment_mean",
            "batch256_test_mse_mean",
            "batch4_test_mse_mean",
        ),
    ),
    "quadratic-model": ("quadratic_model", ("network_peak_loss", "quadratic_peak_loss", "linear_diverged")),
    "linearity-width": ("linearity_width", ("linear_output_slope", "tanh_output_slope")),
    "hessian-scaling": (
        "hessian_scaling",
        (
            "relu_2layer_slope",
            "tanh_3layer_slope",
            "relu_2layer_tanh_output_slope",
            "relu_2layer_max_rel_error_vs_exact",
        ),
    ),
    "dag-linearity": ("dag_linearity", ("slope_loglog", "scaled_norm_max_over_min")),
    "relu-conditioning": (
        "relu_conditioning",
        ("gram_condition_number", "linear_depth1_cond_mean", "relu_depth1_cond_mean", "relu_depth5_cond_mean"),
    ),
    "label-noise": (
        "label_noise",
        ("test_error_initial", "test_error_min", "test_error_final", "grad_ratio_initial", "grad_ratio_final"),
    ),
    "sgd-interpolation": (
        "sgd_interpolation",
        ("n64_ratio_mean", "n256_ratio_mean", "n1024_ratio_mean", "ratio_slope_loglog"),
    ),
    "catapult-subspace": (
        "catapult_subspace",
        ("top_fraction_at_init", "top_fraction_at_peak", "top_loss_growth_to_peak", "rest_loss_growth_to_peak"),
    ),
    "relu-angles": (
        "relu_angles",
        (
            "linear_depth1_ratio_max",
            "relu_depth1_ratio_min",
            "relu_depth3_ratio_min",
            "relu_depth1_max_rel_error_vs_infinite_width",
        ),
    ),
    "quadratic-generalisation": (
        "quadratic_generalisation",
        (
            "catapult_network_test_loss_mean",
            "catapult_quadratic_test_loss_mean",
            "catapult_max_quadratic_vs_network_test_gap",
            "subcritical_max_test_gap",
            "catapult_linear_all_diverged",
        ),
    ),
    "weak-assembly": (
        "weak_assembly",
        ("weak_slope", "weak_max_share_slope", "dominated_slope", "dominated_max_share_largest_s"),
    ),
    "nonlinear-output": (
        "nonlinear_output",
        (
            "tanh_output_final_loss_ratio_max",
            "tanh_output_ntk_rel_change_min",
            "tanh_output_lambda_min_path_ratio_min",
            "tanh_over_linear_change_largest_width",
        ),
    ),
    "rsc-condition": ("rsc_condition", ("rho_slope", "rho_widest_over_narrowest", "hessian_slope")),
}


def _module(name: str):
    if name not in REPRODUCTIONS:
        raise unknown_name("reproduction", name, REPRODUCTIONS)
    return importlib.import_module(f"matnn.dynamics.reproductions.{REPRODUCTIONS[name][0]}")


def describe(name: str) -> dict[str, str]:
    """Title, signature and module docstring of a reproduction."""
    mod = _module(name)
    return {"name": name, "title": mod.TITLE, "signature": mod.SIGNATURE, "doc": (mod.__doc__ or "").strip()}


def run_reproduction(
    name: str, out: str | os.PathLike, *, seed: int = 0, show_progress: bool = True, **options: Any
) -> dict[str, Any]:
    """Run one reproduction into ``out`` (``metrics.json`` + PNG) and return its metrics.

    Parameters
    ----------
    name : str
        One of :data:`REPRODUCTIONS`.
    out : path
        Output folder (created).
    seed : int, default=0
        Seeds data, initial weights and batch order; same seed → same numbers on CPU.
    **options
        Keyword arguments of that reproduction's ``run`` (sizes, widths, learning-rate ratios).
    """
    mod = _module(name)
    metrics = mod.run(ensure_dir(out), seed=seed, show_progress=show_progress, **options)
    metrics["seed"] = seed
    write_metrics(out, metrics)
    return metrics


def _run_task(task: tuple[str, str, int, bool]) -> dict[str, Any]:
    name, sub, seed, show_progress = task
    return run_reproduction(name, sub, seed=seed, show_progress=show_progress)


def run_all(
    out: str | os.PathLike,
    *,
    seed: int = 0,
    names: list[str] | None = None,
    resume: bool = True,
    show_progress: bool = True,
    workers: int = 1,
    scheduler: str | None = None,
) -> dict[str, Any]:
    """Run every reproduction into ``out/<name>/`` and write ``summary.md``, ``summary.csv`` and ``metrics.json``.

    With ``resume`` a reproduction whose ``metrics.json`` already exists for the same seed is not rerun
    (an interrupted ``all`` continues where it stopped). ``workers``/``scheduler`` run the reproductions
    as tasks of :class:`matnn.core.engines.Executor` (a local Dask cluster, or the one at ``scheduler``,
    whose workers must see ``out``); each is seeded, so the results equal a serial run's.
    """
    from matnn.core.engines import Executor

    out = ensure_dir(out)
    rows = []
    summary: dict[str, Any] = {"seed": seed}
    t0 = time.perf_counter()
    order = names or list(REPRODUCTIONS)
    results: dict[str, dict[str, Any]] = {}
    for name in order:
        done = out / name / "metrics.json"
        if resume and done.exists():
            old = read_json(done)
            if old.get("seed") == seed:
                results[name] = old
    todo = [n for n in order if n not in results]
    with Executor(workers=workers, scheduler=scheduler) as ex:
        tasks = [(n, str(out / n), seed, show_progress and ex.serial) for n in todo]
        for i, metrics in ex.as_completed(_run_task, tasks):
            results[todo[i]] = metrics
    for name in order:
        metrics = results[name]
        summary[f"{name}_reproduced"] = bool(metrics["reproduced"])
        summary[f"{name}_wall_time_s"] = metrics.get("wall_time_s")
        keys = REPRODUCTIONS[name][1]
        headline = "; ".join(f"{k} = {_fmt(metrics.get(k))}" for k in keys)
        rows.append(
            {
                "reproduction": name,
                "reproduced": bool(metrics["reproduced"]),
                "wall_time_s": metrics.get("wall_time_s"),
                "key numbers": headline,
                "signature": metrics.get("signature", ""),
            }
        )
    summary["n_reproduced"] = sum(r["reproduced"] for r in rows)
    summary["n_total"] = len(rows)
    summary["wall_time_s"] = round(time.perf_counter() - t0, 2)
    _write_tables(out, rows)
    write_metrics(out, summary)
    return summary


def _fmt(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _write_tables(out: Path, rows: list[dict[str, Any]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    with atomic_write(out / "summary.csv") as fh:
        fh.write(buf.getvalue())
    lines = ["| reproduction | reproduced | wall time [s] | key numbers |", "|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['reproduction']} | {'yes' if r['reproduced'] else 'NO'} | {_fmt(r['wall_time_s'])} | {r['key numbers']} |"
        )
    lines.append("")
    lines.append("Signatures (the `reproduced` criterion of each run):")
    lines.append("")
    for r in rows:
        lines.append(f"- **{r['reproduction']}**: {r['signature']}")
    with atomic_write(out / "summary.md") as fh:
        fh.write("\n".join(lines) + "\n")
