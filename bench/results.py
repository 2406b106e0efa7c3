"""Build ``bench/RESULTS.md`` from the raw benchmark results in ``bench/out/<area>/*.json``.

    python bench/results.py            # rewrite bench/RESULTS.md
    python bench/results.py --check    # exit 1 (with a diff) if RESULTS.md differs from what bench/out gives

Every figure in RESULTS.md is a placeholder below, filled from a raw JSON file: ``{key.sub:fmt}`` reads
``data["key"]["sub"]`` of the benchmark's file and formats it with Python's format spec ``fmt``;
``{@alias.key:fmt}`` reads another file of the same benchmark; ``{a|b}`` takes the first key present;
``{key/60:fmt}`` divides and ``{key*1000:fmt}`` multiplies (a unit change); ``{key>=1.7}`` and
``{key<=0.02}`` write ``met`` or ``not met`` (a target checked against the figure, after any unit
change); ``{_derived.x}`` reads a value a benchmark's ``derive`` function computes from its raw files
(a ratio, the best of several entries); ``{_meta.date}`` etc. read the block that
``bench/benchmeta.write_result`` adds (date, hardware, command). Nothing measured is typed into this
file, so RESULTS.md cannot drift from bench/out: rerun a benchmark, then rerun this script.
Texts here describe recipes, targets and published anchors (literature values), never measurements.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
RESULTS = BENCH / "RESULTS.md"
_FIELD = re.compile(r"\{(@[A-Za-z0-9_]+\.)?([A-Za-z0-9_.|\-]+)([/*][0-9]+)?(?:(<=|>=)([0-9.eE+\-]+))?(:[^{}]*)?\}")


@dataclass
class Bench:
    """One benchmark: a raw file (``src``, relative to bench/out), text with placeholders, a table."""

    title: str
    src: str
    recipe: str
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    notes: str = ""
    also: dict[str, str] = field(default_factory=dict)  # alias -> other raw file of this benchmark
    # figures computed from the raw files (alias -> data), read as {_derived.key}
    derive: Callable[[dict[str, Any]], dict[str, Any]] | None = None


def _lookup(data: Any, path: str, where: str) -> Any:
    for part in path.split("."):
        if isinstance(data, list):
            data = data[int(part)]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            raise KeyError(f"{where}: no '{path}' (missing '{part}')")
    return data


def fill(text: str, files: dict[str, Any], where: str) -> str:
    """Replace every ``{path:fmt}`` placeholder in ``text`` by the formatted raw value."""

    def one(m: re.Match) -> str:
        alias = (m.group(1) or "@.")[1:-1]
        paths = m.group(2).split("|")  # alternatives: the first key present is used
        for i, path in enumerate(paths):
            try:
                value = _lookup(files[alias], path, f"{where} ({alias or 'main file'})")
                break
            except KeyError:
                if i == len(paths) - 1:
                    raise
        if m.group(3):  # unit change, e.g. {train_time_s/60:.1f} for minutes
            factor = float(m.group(3)[1:])
            value = float(value) / factor if m.group(3)[0] == "/" else float(value) * factor
        if m.group(4):  # a target: {speedup>=1.7} -> met / not met
            bound = float(m.group(5))
            ok = float(value) >= bound if m.group(4) == ">=" else float(value) <= bound
            return "met" if ok else "not met"
        spec = (m.group(6) or ":")[1:]
        if spec and isinstance(value, str):
            value = float(value) if "." in value or "e" in value else int(value)
        text = format(value, spec) if spec else str(value)
        return re.sub(
            r"e([+-])0*(\d)",
            lambda e: "e" + e.group(1).replace("+", "") + e.group(2),
            text,
        )

    return _FIELD.sub(one, text)


def _load(rel: str) -> dict:
    return json.loads((OUT / rel).read_text(encoding="utf-8"))


def render_bench(b: Bench) -> str:
    files = {"": _load(b.src), **{k: _load(v) for k, v in b.also.items()}}
    if b.derive:
        files[""] = {**files[""], "_derived": b.derive(files)}
    where = f"{b.title} [{b.src}]"
    meta = files[""].get("_meta", {})
    raw = ", ".join(f"`bench/out/{s}`" for s in [b.src, *b.also.values()])
    lines = [f"### {b.title}", "", f"Recipe: {fill(b.recipe, files, where)}", ""]
    lines += [f"Command: `{meta['command']}`", ""]
    lines += [f"Hardware: {meta['hardware']}. Measured: {meta['date']}. Raw: {raw}."]
    for key in ("source", "note"):
        if meta.get(key):
            lines[-1] += f" {key.capitalize()}: {meta[key]}."
    lines.append("")
    if b.header:
        lines.append("| " + " | ".join(b.header) + " |")
        lines.append("|" + "|".join(" --- " for _ in b.header) + "|")
        for row in b.rows:
            lines.append("| " + " | ".join(fill(c, files, where) for c in row) + " |")
        lines.append("")
    if b.notes:
        lines += [fill(b.notes.strip(), files, where), ""]
    return "\n".join(lines)


HEADER = """# Benchmark results

The current figure of every matnn benchmark, with the recipe in force, the command that measured it, the
hardware and the date of the measurement. This file is generated from the raw results in `bench/out/`
by `python bench/results.py`; `tests/test_bench_results.py` fails if the two disagree. How to run each
benchmark: `bench/README.md`. How the recipes were chosen (each with the rule written before its run):
`docs/studies/`. A target is reported whether it is met or not.

Unless stated otherwise, "the CI box" is a 2-core x86-64 machine (AMD EPYC), 24 GB RAM, no GPU, Python 3.11,
torch 2.13.0+cpu, one core pinned through `bench/heavy.sh` with one torch thread. Speed ratios compare
matnn with a plain-PyTorch reference in the same process on identical data. Timings on this shared
machine move by a few per cent between runs.
"""

_SAMPLERS = ["tpe", "random", "cmaes", "gp", "sac"]
_FUNCTIONS = [("branin", "Branin (2-d)"), ("hartmann6", "Hartmann-6"), ("noisy", "noisy 3-parameter")]


def _sampler_winners(files: dict[str, Any]) -> dict[str, Any]:
    """Per test function the samplers with the lowest and second-lowest mean final regret; the most frequent winner."""
    out: dict[str, Any] = {}
    wins: dict[str, int] = {}
    for fn, _ in _FUNCTIONS:
        entries = files[""]["results"][fn]
        ranked = sorted(_SAMPLERS, key=lambda s: entries[s]["final_regret_mean"])
        out[fn] = {"best": ranked[0], "second": ranked[1]}
        wins[ranked[0]] = wins.get(ranked[0], 0) + 1
    best = max(wins, key=wins.get)
    return {**out, "overall": best, "overall_wins": wins[best]}


_TASKS = [
    ("", "digits", "LeNet, 8x8 digits: validation accuracy (higher is better)", ".4f"),
    ("expt_gap", "expt_gap", "dense, Matbench expt_gap: 3-fold CV MAE, eV (lower is better)", ".4f"),
    ("dqnet", "dqnet", "battery dqnet: 3-fold CV RMSE on the training cells, cycles (lower is better)", ".2f"),
]


def _at(alias: str) -> str:
    """Placeholder prefix of a benchmark's file: none for its main file, ``@alias.`` for the others."""
    return f"@{alias}." if alias else ""


def _task_winners(files: dict[str, Any]) -> dict[str, Any]:
    """Per real task: the best sampler by mean final score, a tie when within the larger std; SAC's claim."""
    out: dict[str, Any] = {}
    for alias, task, _, _ in _TASKS:
        d = files[alias]
        res, sign = d["samplers"], (-1.0 if d["direction"] == "maximize" else 1.0)
        ranked = sorted(_SAMPLERS, key=lambda s: sign * res[s]["final_best_mean"])
        a, b = res[ranked[0]], res[ranked[1]]
        tie = abs(a["final_best_mean"] - b["final_best_mean"]) < max(a["final_best_std"], b["final_best_std"])
        sac, tpe = res["sac"], res["tpe"]
        sac_tie = abs(sac["final_best_mean"] - a["final_best_mean"]) < max(sac["final_best_std"], a["final_best_std"])
        holds = ranked[0] == "sac" or (sac_tie and sign * sac["final_best_mean"] < sign * tpe["final_best_mean"])
        out[task] = {
            "best": ranked[0],
            "second": ranked[1],
            "verdict": f"tie with {ranked[1]} (within one std)" if tie else "wins",
            "sac_claim": "holds" if holds else "does not hold",
        }
        pr = d.get("pruning")
        if pr:
            t = pr["pruned_seconds_to_unpruned_best_mean"]
            out[task]["pruned_to_best"] = "never" if t is None else f"{t:.0f} s"
            out[task]["n_pruned"] = res["tpe+median"]["n_pruned"]
    return out


def _electrode_loop_derived(files: dict[str, Any]) -> dict[str, Any]:
    """The front error as reported: the larger of the two per-objective medians (not a pooled median)."""
    d = files[""]
    return {"front_worse": max(d["loop_front_error_median_energy"], d["loop_front_error_median_power"])}


_FRONT_VARIANTS = (
    ("baseline", "unchanged loop (raw rate fraction, no refinement)"),
    ("logit", "attempt 1: logit target"),
    ("refine2", "attempt 2: 2 rounds of active refinement"),
)


def _electrode_front_derived(files: dict[str, Any]) -> dict[str, Any]:
    """Per variant: the rate-fraction target it used, and whether it met the pre-registered rule."""
    runs = files[""]["runs"]
    out = {}
    for key, _ in _FRONT_VARIANTS:
        r = runs[key]
        out[key] = {
            "target": r["options"].get("rate_transform", "none"),
            "rounds": r["options"].get("refine_rounds", 0),
            "met": "met" if r["meets_target"] else "not met",
        }
    return out


def _electrode_direct_derived(files: dict[str, Any]) -> dict[str, Any]:
    """Where the direct search reaches the route's hypervolume (or that it does not, within its budget)."""
    c = files[""]["comparison"]

    def reach(key: str) -> str:
        return f"{c[key]:,} calls" if c[key] is not None else f"not within {c['direct_calls_max']:,} calls"

    claim = c["claim_95pct_at_10x_holds"]
    return {
        "reach_route": reach("direct_calls_to_reach_route_hv"),
        "reach_95": reach("direct_calls_to_reach_95pct_route_hv"),
        "exceed": reach("direct_calls_to_exceed_route_hv_over_095"),
        "claim": "not tested (budget below 10×)" if claim is None else ("met" if claim else "not met"),
        "calls_ratio": c["direct_calls_at_10x_or_max"] / c["route_dfn_calls"],
    }


def _ddp_derived(files: dict[str, Any]) -> dict[str, Any]:
    """Per run: optimizer steps, weight difference relative to the largest weight, relative final-loss difference."""
    out = {}
    for key, alias in (("sgd", ""), ("sgd256", "sgd256"), ("adam", "adam"), ("cgcnn", "cgcnn")):
        d = files[alias]
        steps = -(-d["n_samples"] // d["global_batch"]) * d["epochs"]
        out[key] = {
            "steps": steps,
            "steps_x_lr": steps * 1e-4,  # Adam's step is about lr per weight, whatever the gradient's size
            "weight_rel": d["max_abs_weight_diff_1_vs_2_procs"] / d["max_abs_weight"],
            "loss_rel": abs(d["final_loss_2_procs"] - d["final_loss_1_proc"]) / abs(d["final_loss_1_proc"]),
        }
    return out


def _seeds_derived(files: dict[str, Any]) -> dict[str, Any]:
    """Whether 1 and 2 workers gave the same RMSE for every seed, as yes/no."""
    return {
        k: {"identical": "yes" if files[a]["rmse_per_seed_identical"] else "no"}
        for k, a in (("dqnet", ""), ("cnn", "cnn"))
    }


AREAS: list[tuple[str, str, list[Bench]]] = [
    (
        "Core",
        "",
        [
            Bench(
                "Fit speed against plain PyTorch loops",
                "core/fit-speed.json",
                "`Model.fit` against two plain-PyTorch loops on identical data and initial weights: *DataLoader* = "
                "`DataLoader(TensorDataset)` + `torch.optim.Adam` + `loss.item()` per batch; *slicing* = tensors "
                "pre-placed, `randperm` + index slicing, same optimizer. Median of {repeats} interleaved one-epoch runs "
                "after a warm-up epoch.",
                [
                    "workload",
                    "matnn samples/s",
                    "DataLoader loop",
                    "slicing loop",
                    "matnn ÷ DataLoader",
                    "matnn ÷ slicing",
                ],
                [
                    [
                        f"{w} {desc}",
                        f"{{{w}.matnn_samples_per_s:,}}",
                        f"{{{w}.dataloader_samples_per_s:,}}",
                        f"{{{w}.slicing_samples_per_s:,}}",
                        f"**{{{w}.ratio_vs_dataloader:.2f}}×**",
                        f"**{{{w}.ratio_vs_slicing:.2f}}×**",
                    ]
                    for w, desc in [
                        ("W1", "MLP 86→1024→…→1, dropout 0.1, 20k samples, batch 32"),
                        ("W2", "1D CNN, length-1000 sequences, 2k samples, batch 32"),
                        ("W3", "LeNet-style CNN, sklearn 8×8 digits, batch 32"),
                    ]
                ],
                "Target: ≥ 1.5× the DataLoader loop and never slower than the slicing loop. Met on W1; never slower "
                "than slicing on all three; the DataLoader ratio is not met on W2 and W3. W2 is bound by the "
                "convolution kernels (`conv1d`/`max_pool1d` forward and backward are most of a step, and matnn runs "
                "the same torch kernels), so removing per-step overhead buys little there. On Intel CPUs the W1 figure "
                "depends on flushing denormal floats, which matnn does by default (`MATNN_FLUSH_DENORMAL`; "
                "docs/studies/cpu-denormals.md).",
            ),
        ],
    ),
    (
        "Battery",
        "Severson et al. 2019 cells (`../shared/datasets/severson`) and a synthetic PyBaMM fleet.",
        [
            Bench(
                "Synthetic PyBaMM fleet and `matnn battery demo`",
                "battery/fleet.json",
                "48 cells simulated to 80 % capacity from an empty cache (`FleetConfig(n_cells=48, seed=0)`), then the "
                "demo: 32 training / 16 test cells split stratified by life, 8 models × {@one.demo_metrics.seeds} seeds"
                " (test RMSE in cycles, mean ± std over seeds).",
                ["figure", "value", "target"],
                [
                    [
                        "fleet wall time, 2 worker processes",
                        (
                            "**{fleet_wall_s:.1f} s** ({cpu_s_per_cell_mean:.1f} CPU-s and "
                            "~{probes_per_cell_mean:.0f} PyBaMM cycles per cell)"
                        ),
                        "≤ 300 s",
                    ],
                    [
                        "fleet wall time, 1 worker",
                        "{@one.fleet_wall_s:.1f} s (identical lives)",
                        "",
                    ],
                    [
                        "cycle lives",
                        (
                            "{cycle_life_min:,.0f} – {cycle_life_max:,.0f} cycles, median {cycle_life_median:,.0f} "
                            "(10–90 %: {cycle_life_p10_p90.0:,.0f}–{cycle_life_p10_p90.1:,.0f}), {n_censored} censored"
                        ),
                        "several hundred to ~2,000",
                    ],
                    [
                        "corr(log10 var ΔQ_{100−10}, log10 life)",
                        "{corr_logvar_loglife:.2f}",
                        "(Severson cells: −0.93)",
                    ],
                    [
                        "`matnn battery demo` total wall, one core",
                        ("**{@one.demo_wall_s:.1f} s** (simulation {@one.demo_metrics.simulation_wall_s:.1f} s)"),
                        "≤ 600 s on 2 cores",
                    ],
                ]
                + [
                    [
                        f"demo test RMSE, {label}",
                        f"{{@one.demo_metrics.{k}_rmse:.1f}} ± {{@one.demo_metrics.{k}_rmse_std:.1f}}",
                        "",
                    ]
                    for k, label in [
                        ("variance", "variance"),
                        ("discharge", "discharge"),
                        ("elastic_net", "elastic net"),
                        ("ridge", "ridge"),
                        ("plsr", "PLSR"),
                        ("pcr", "PCR"),
                        ("cnn", "tutorial CNN"),
                        ("dqnet", "dqnet"),
                    ]
                ],
                "In this physics the early signal sits in the low-voltage tail of ΔQ(V) (loss of graphite), not in its "
                "variance, which the plateau shift dominates; Severson's one-feature models fail here while the "
                "full-curve models work.",
                also={"one": "battery/fleet-1worker.json"},
            ),
            Bench(
                "Severson cycle life: train (41 cells) → test1 (43 cells)",
                "battery/severson.json",
                "every model is scored by 5-fold CV on the 41 training cells only (2 repeats); the network with the "
                "lowest CV RMSE (`{selected_network}`) and the best classical model by CV (`{selected_classical}`) are "
                "the selected ones. Each model is then fitted on all training cells with seeds 0–9 and scored on test1 "
                "(RMSE in cycles, mean ± std over seeds; for classical models the seed only changes the inner CV folds). "
                "The 42-cell column leaves out test1 index 21 (life 148 cycles), as the published anchors do; it "
                "chooses nothing.",
                [
                    "model",
                    "CV RMSE, train (cycles)",
                    "test1 RMSE, 43 cells",
                    "test1, 42 cells",
                    "MAPE (%)",
                    "RMSE of seed-mean",
                    "published (43 / 42 cells)",
                    "target",
                ],
                [
                    [
                        label,
                        f"{{cv.{k}.cv_rmse:.1f}}",
                        f"{{test1.{k}.rmse:.1f}} ± {{test1.{k}.rmse_std:.1f}}",
                        f"{{test1.{k}.rmse_excl_anomalous:.1f}} ± {{test1.{k}.rmse_excl_anomalous_std:.1f}}",
                        f"{{test1.{k}.mape:.1f}}",
                        f"{{test1.{k}.rmse_of_seed_mean:.1f}}",
                        pub,
                        tgt,
                    ]
                    for k, label, pub, tgt in [
                        ("variance", "variance (Severson)", "138 / 138", "138 ± 3"),
                        (
                            "discharge",
                            "**discharge** (Severson's 6 features, elastic net): selected classical",
                            "91 / 86",
                            "≤ 100",
                        ),
                        ("elastic_net", "elastic net, log10 \\|ΔQ(V)\\|", "", ""),
                        ("ridge", "ridge, log10 \\|ΔQ(V)\\|", "", ""),
                        ("plsr", "PLSR, log10 \\|ΔQ(V)\\|", "– / 100 (Attia 2021)", ""),
                        ("pcr", "PCR, log10 \\|ΔQ(V)\\|", "– / 97 (Attia 2021)", ""),
                        ("cnn", "tutorial CNN", "", ""),
                        (
                            "dqnet",
                            "**dqnet** (residual CNN ensemble on the CV-chosen base): selected network",
                            "Attia CNN – / 72",
                            "≤ 80 (aim 70)",
                        ),
                    ]
                ]
                + [
                    [
                        "dqnet, scalars + log\\|ΔQ\\| curve (variant)",
                        "{cv.dqnet_curve.cv_rmse:.1f}",
                        "not selected",
                        "",
                        "",
                        "",
                        "",
                        "",
                    ]
                ],
                "Targets: variance model 138 ± 3 met; best classical ≤ 100 not met ({test1.discharge.rmse:.1f}); best "
                "network ≤ 80 not met ({test1.dqnet.rmse:.1f}). The `discharge` features are computed from `qdlin` only "
                "(capacity = Q at 2.0 V of the 4C curve, without the CV hold Severson used), the likely reason for the "
                "gap to the paper's 91. The secondary test set is not available; no test number chose anything. "
                "Model-selection studies: docs/studies/battery-model-selection.md, docs/studies/battery-attia-linear.md.",
            ),
            Bench(
                "Attia et al. 2021's CNN on the full ΔQ image (`--model fullcnn`)",
                "battery/fullcnn.json",
                "Attia's LeNet on ΔQ_k(V) = Q_k − Q_10 for all 99 recorded cycles at 100 voltages (1,026,989 parameters), "
                "full-batch Adam lr 1e-4, L2 1e-3 as coupled weight decay, no early stopping; seeds 0–9 of 20,000 steps "
                "(the published count, also the count 5-fold CV on the training cells selects: "
                "{selected_steps:,}). Predictions after 5k/10k/15k steps of the same runs are information only.",
                [
                    "steps",
                    "CV RMSE, 41 training cells (5 folds, pooled)",
                    "test1 RMSE, 43 cells",
                    "test1, 42 cells",
                    "MAPE (%)",
                    "training RMSE",
                ],
                [
                    [
                        f"{lab}",
                        f"{{cv_rmse_by_steps.{n}:.1f}}",
                        f"{{test1.fullcnn_{n}.rmse:.1f}} ± {{test1.fullcnn_{n}.rmse_std:.1f}}",
                        f"{{test1.fullcnn_{n}.rmse_excl_anomalous:.1f}} ± {{test1.fullcnn_{n}.rmse_excl_anomalous_std:.1f}}",
                        f"{{test1.fullcnn_{n}.mape:.1f}}",
                        f"{{test1.fullcnn_{n}.rmse_train:.1f}}",
                    ]
                    for n, lab in [
                        (5000, "5,000"),
                        (10000, "10,000"),
                        (15000, "15,000"),
                        (20000, "**20,000 (published and CV-selected)**"),
                    ]
                ]
                + [
                    [
                        "step time, matnn vs plain PyTorch (full batch, 41 cells)",
                        (
                            "{timing.s_per_step_matnn:.4f} s vs {timing.s_per_step_torch:.4f} s "
                            "(ratio {timing.ratio_matnn_over_torch:.2f}, {timing.steps} steps; measured {_meta.timing_date|_meta.date})"
                        ),
                        "",
                        "",
                        "",
                        "",
                    ]
                ],
                "Per seed at 20,000 steps (43 cells): {test1.fullcnn_20000.rmse_per_seed}. Attia et al. report 63–87 "
                "(mean 72.4) on 42 cells for their ten starts; the ≤ 80 target is not met. The published 72 rests on an "
                "unrepaired cycler glitch in one test1 cell that matnn repairs on load "
                "(docs/studies/battery-fullcnn.md). A seed is 12–15 min of one core.",
            ),
        ],
    ),
    (
        "Composition",
        (
            "OQMD formation enthalpy (`../shared/datasets/composition`, |y| ≤ 5 eV/atom, train file → "
            "val file) and Matbench v0.1. No test-set number chose any model or setting."
        ),
        [
            Bench(
                "Magpie featurizer against matminer",
                "composition/featurizer-speed.json",
                "{n_formulas:,} distinct OQMD formulas in one process, both including pymatgen parsing: matminer "
                '`ElementProperty.from_preset("magpie").featurize` in a loop against matnn\'s `magpie_features` on the list.',
                ["figure", "value", "target"],
                [
                    ["matminer, µs per formula", "{matminer_us_per_formula:,}", ""],
                    [
                        "matnn, µs per formula (statistics alone)",
                        "{matnn_us_per_formula} ({matnn_statistics_only_us_per_formula})",
                        "",
                    ],
                    ["speed-up", "**{speedup}×**", "≥ 20×"],
                    [
                        "largest relative difference to matminer (132 columns)",
                        "{max_scaled_difference}",
                        "≤ 1e-6",
                    ],
                ],
            ),
            Bench(
                "ElemNet on OQMD (train file → val file)",
                "composition/elemnet-oqmd.json",
                "{recipe}. Early stopping watches one dropout-on pass on 10 % of the train file; predictions are the "
                "mean of 10 seeded dropout-on passes.",
                ["figure", "value", "target"],
                [
                    [
                        "val-file MAE (eV/atom), {metrics.n_test:,} rows",
                        "**{metrics.mae:.4f}** (RMSE {metrics.rmse:.3f}, R² {metrics.r2:.3f})",
                        "≤ 0.050 (aim ≤ 0.040)",
                    ],
                    [
                        "MAE on rows in chemical systems absent from training ({metrics.n_test_new_system:,} rows) / seen systems",
                        "{metrics.mae_new_system:.4f} / {metrics.mae_seen_system:.4f}",
                        "",
                    ],
                    ["training rows", "{metrics.n_train:,}", ""],
                    [
                        "wall time, both runs",
                        "{_meta.training_wall_s_both_runs:,} s",
                        "",
                    ],
                ],
                "Target ≤ 0.050 met; the aim ≤ 0.040 is not. How the recipe came about (dropout kept on at inference, "
                "epoch budget, continuation): docs/studies/composition-elemnet.md.",
            ),
            Bench(
                "Random forest on Magpie features, OQMD",
                "composition/rf-magpie-oqmd.json",
                "`matnn composition train --model rf-magpie --n-estimators 100 --max-abs-target 5 --no-save-model --seed 0`, "
                "on a random 50,000-row subset and on all rows of the train file.",
                ["training rows", "val-file MAE (eV/atom)", "RMSE", "R²", "wall time"],
                [
                    [
                        "{rf_50k.n_train:,}",
                        "{rf_50k.mae}",
                        "{rf_50k.rmse}",
                        "{rf_50k.r2}",
                        "{rf_50k.wall_time_s:.0f} s",
                    ],
                    [
                        "{rf_full.n_train:,}",
                        "**{rf_full.mae}**",
                        "{rf_full.rmse}",
                        "{rf_full.r2}",
                        "{rf_full.wall_time_s:.0f} s",
                    ],
                    ["predict the training mean", "{baseline_mean_mae}", "", "", ""],
                ],
            ),
            Bench(
                "Depth study (ElemNet's Fig. 3) on a 10k-row subset",
                "composition/depth-study.json",
                "dense networks of 1–24 layers (ElemNet's widths), Monte Carlo dropout (10 passes), {n_train:,} training "
                "rows, {n_test:,} test rows of the val file; the validation split picks the depth.",
                ["dense layers", "weights", "test MAE", "val MAE", "epochs"],
                [
                    [
                        f"{{table.{i}.depth}}",
                        f"{{table.{i}.n_params:,}}",
                        f"{{table.{i}.test_mae:.3f}}",
                        f"{{table.{i}.val_mae:.4f}}",
                        f"{{table.{i}.epochs_trained}}",
                    ]
                    for i in range(8)
                ]
                + [
                    [
                        "RF on Magpie (100 trees, same rows)",
                        "",
                        "{rf_magpie_mae:.3f}",
                        "",
                        "",
                    ]
                ],
                "The validation split picks depth {best_depth} (val {best_depth_val_mae:.4f}, test {best_depth_test_mae:.3f}); "
                "the error falls up to 5–17 layers and is flat beyond, the shape of the paper's curve.",
            ),
            Bench(
                "Matbench-style 5-fold CV",
                "composition/matbench.json",
                "`matnn composition cv --data <task>.csv --model <model> --folds 5 --seed 0` (KFold shuffle, random_state "
                "18012019). `auto` = nested model selection: on each outer training fold it scores rf-magpie, rf-median, "
                "hgb and dense by inner 5-fold CV (hold-out: `--selection-folds 1`) and refits the winner. Identical "
                "normalised compositions are merged (expt_gap: 4,601 rows).",
                ["task", "model", "MAE, mean ± std over folds", "target", "wall time"],
                [
                    [
                        "expt_gap (eV)",
                        "rf-magpie (500 trees)",
                        "{expt_gap_rf-magpie.mae:.3f} ± {expt_gap_rf-magpie.mae_std:.3f}",
                        "(RF-Magpie reference 0.446)",
                        "{expt_gap_rf-magpie.wall_time_s:.0f} s",
                    ],
                    [
                        "expt_gap (eV)",
                        "**auto**",
                        "**{expt_gap_auto.mae:.3f} ± {expt_gap_auto.mae_std:.3f}** ({expt_gap_auto.chosen})",
                        "≤ 0.40",
                        "{expt_gap_auto.wall_time_s:.0f} s",
                    ],
                    [
                        "expt_gap (eV)",
                        "auto, hold-out selection",
                        "{expt_gap_auto_holdout.mae:.3f} ± {expt_gap_auto_holdout.mae_std:.3f}",
                        "",
                        "{expt_gap_auto_holdout.wall_time_s:.0f} s",
                    ],
                    [
                        "steels_yield (MPa)",
                        "rf-magpie (500 trees)",
                        "{steels_yield_rf-magpie.mae:.1f} ± {steels_yield_rf-magpie.mae_std:.1f}",
                        "(RF-Magpie reference 104)",
                        "{steels_yield_rf-magpie.wall_time_s:.0f} s",
                    ],
                    [
                        "steels_yield (MPa)",
                        "**auto**",
                        "**{steels_yield_auto.mae:.1f} ± {steels_yield_auto.mae_std:.1f}** ({steels_yield_auto.chosen})",
                        "≤ 100",
                        "{steels_yield_auto.wall_time_s:.0f} s",
                    ],
                    [
                        "steels_yield (MPa)",
                        "auto, hold-out selection",
                        "{steels_yield_auto_holdout.mae:.1f} ± {steels_yield_auto_holdout.mae_std:.1f}",
                        "",
                        "{steels_yield_auto_holdout.wall_time_s:.0f} s",
                    ],
                ],
                "Both targets met. Best published: expt_gap 0.287, steels 80, not reached. The selection caveats "
                "(how the candidate list and the inner-CV default were set) are in docs/studies/composition-matbench-auto.md.",
            ),
        ],
    ),
    (
        "Crystals",
        (
            "MP formation energy (`../shared/datasets/structures/mp_formation_train.jsonl.gz`, 29,391 "
            "structures). Split for every formation-energy row: the seeded (seed 0) hold-out fifth, 5,878 test "
            "structures; the networks train on 22,337 structures and choose their best epoch on 1,176 (5 %)."
        ),
        [
            Bench(
                "CGCNN, one network",
                "crystals/cgcnn.json",
                "CGCNN (3 gated graph convolutions, {n_params:,} parameters), batch {batch_size}, AdamW with a cosine "
                "schedule from the default peak learning rate {learning_rate} and weight decay {weight_decay}, MAE loss, "
                "{epochs} epochs, `--jit-compile`, weight seed {seed}, BatchNorm statistics recalibrated after training.",
                ["figure", "value", "target"],
                [
                    [
                        "test MAE (eV/atom)",
                        "**{mae:.4f}** (RMSE {rmse:.3f}, R² {r2:.3f})",
                        "≤ 0.045",
                    ],
                    [
                        "validation MAE (after recalibration) / training MAE",
                        "{val_mae_final:.4f} / {train_mae:.3f}",
                        "",
                    ],
                    [
                        "epochs, best epoch, time per epoch",
                        "{epochs}, {best_epoch}, {epoch_time_s:.1f} s",
                        "",
                    ],
                ],
                "Target not met. Published anchors (README of the data set): CGCNN 0.039 (46,744 materials, ~28k "
                "training). How the recipe was chosen: docs/studies/cgcnn-learning-rate.md, "
                "docs/studies/cgcnn-weight-decay.md, docs/studies/cgcnn-depth-and-width.md, docs/studies/cgcnn-epochs.md, "
                "docs/studies/cgcnn-batchnorm-recalibration.md.",
            ),
            Bench(
                "CGCNN ensemble (six members)",
                "crystals/cgcnn-ensemble.json",
                "mean prediction of the {n_members} CGCNNs kept in `bench/models/cgcnn-ensemble/` (seeds, epochs and "
                "learning rates in its README), each with BatchNorm recalibrated.",
                ["figure", "value", "target"],
                [
                    [
                        "test MAE (eV/atom)",
                        "**{mae:.4f}** (RMSE {rmse:.3f}, R² {r2:.3f})",
                        "(≤ 0.045 is for one CGCNN)",
                    ],
                    [
                        "validation MAE: ensemble / best member",
                        "{val_mae:.4f} / {best_member_val_mae:.4f}",
                        "",
                    ],
                    [
                        "members' test MAE, mean ± std",
                        "{member_mae_mean:.4f} ± {member_mae_std:.4f}",
                        "",
                    ],
                ],
                "How the ensemble grew, and each member's rule: docs/studies/cgcnn-ensembles.md.",
            ),
            Bench(
                "MEGNet-style network",
                "crystals/megnet.json",
                "MEGNet-style model with the crystals defaults (learning rate 2e-3, weight decay 1e-5), {epochs} epochs.",
                [
                    "test MAE (eV/atom)",
                    "RMSE",
                    "R²",
                    "target",
                    "time per epoch",
                    "epochs",
                ],
                [
                    [
                        "{mae:.4f}",
                        "{rmse:.3f}",
                        "{r2:.3f}",
                        "≤ 0.035",
                        "{epoch_time_s:.1f} s",
                        "{epochs}",
                    ]
                ],
                "Target not met. Published anchors: MEGNet 0.028 and M3GNet 0.019 (69k structures); Matbench mp_e_form "
                "best 0.017 (132k).",
            ),
            Bench(
                "Composition-only random forest on the same split",
                "crystals/rf-magpie.json",
                "random forest on Magpie features ({trees} trees, max_features 1/3), fitted on all 23,513 non-test structures.",
                [
                    "test MAE (eV/atom)",
                    "RMSE",
                    "R²",
                    "fit time",
                    "predict the training mean",
                ],
                [
                    [
                        "{mae:.4f}",
                        "{rmse:.3f}",
                        "{r2:.3f}",
                        "{fit_s/60:.1f} min",
                        "{mean_predictor_mae:.3f}",
                    ]
                ],
                "Composition-only anchors: CrabNet 0.086, RF-Magpie 0.117 (Matbench).",
            ),
            Bench(
                "`jit_compile` (torch.compile) per training step",
                "crystals/jit-compile.json",
                "{batches} batches of 64 MP graphs; eager `Model.fit` is the reference in the same process.",
                [
                    "network",
                    "eager ms/step",
                    "`jit_compile=True` ms/step",
                    "speed-up",
                    "largest relative loss difference",
                ],
                [
                    [
                        "CGCNN",
                        "{cgcnn_eager_ms_per_step:.1f}",
                        "{cgcnn_jit_ms_per_step:.1f}",
                        "**{cgcnn_speedup:.2f}×**",
                        "{cgcnn_max_rel_loss_diff:.1e}",
                    ],
                    [
                        "MEGNet-style",
                        "{megnet_eager_ms_per_step:.1f}",
                        "{megnet_jit_ms_per_step:.1f}",
                        "**{megnet_speedup:.2f}×**",
                        "{megnet_max_rel_loss_diff:.1e}",
                    ],
                ],
                "The first compilation in a fresh environment costs about a minute per network; with torch's kernel "
                "cache warm it cost {cgcnn_compile_overhead_s:.1f} s (CGCNN) and {megnet_compile_overhead_s:.1f} s "
                "(MEGNet-style). Compiling pays because the eager step is a chain of elementwise passes over "
                "(n_edges, 128–256) tensors that inductor fuses.",
            ),
            Bench(
                "Crystal graphs",
                "crystals/graphs.json",
                "{n_graphs:,} structures, cutoff 8 Å, 12 nearest neighbours + ties ({mean_edges_per_atom:.1f} edges per atom).",
                ["figure", "value"],
                [
                    [
                        "building (read JSON + pymatgen neighbour search + packing)",
                        "{build_graphs_per_s:,.0f} graphs/s ({build_s:.0f} s for the file)",
                    ],
                    [
                        "neighbour backend: pymatgen vs ASE `primitive_neighbor_list`",
                        "{neighbors_pymatgen_graphs_per_s:,.0f} vs {neighbors_ase_graphs_per_s:,.0f} graphs/s",
                    ],
                    [
                        "cache size, load time",
                        "{cache_mb:.0f} MB, {cache_load_s:.2f} s",
                    ],
                    [
                        "collation into `GraphBatch`",
                        "{collate_graphs_per_s:,.0f} graphs/s",
                    ],
                    [
                        "training step (batch 64): CGCNN / MEGNet-style",
                        "{cgcnn_train_graphs_per_s:.0f} / {megnet_train_graphs_per_s:.0f} graphs/s",
                    ],
                ],
                "Graph building is under 1 % of an epoch after the first run.",
            ),
            Bench(
                "CuAu interatomic potential from EMT data (SchNet-style, default recipe)",
                "crystals/potential-schnet-e120.json",
                "`matnn crystals potential --system {system}` with defaults ({epochs} epochs, stress weight 100), seeds "
                "0–2; each seed regenerates the 360 configurations and the split; mean ± std.",
                ["quantity", "value"],
                [
                    [
                        "energy MAE, held-out structures (meV/atom)",
                        "{energy_mae_mev_atom_mean} ± {energy_mae_mev_atom_std}",
                    ],
                    [
                        "force MAE, held-out structures, per component (meV/Å; mean EMT force ≈ 530)",
                        "{force_mae_mev_A_mean} ± {force_mae_mev_A_std}",
                    ],
                    [
                        "NVE energy drift, learned potential, 108 atoms, 1 ps, 2 fs, start 300 K (meV/atom/ps)",
                        "{md_drift_mev_atom_ps_mean} ± {md_drift_mev_atom_ps_std}",
                    ],
                    [
                        "same start with EMT itself (the integrator's own drift)",
                        "{md_drift_emt_mev_atom_ps_mean} ± {md_drift_emt_mev_atom_ps_std}",
                    ],
                    [
                        "total-energy scatter about the drift line (meV/atom)",
                        "{md_fluct_mev_atom_mean} ± {md_fluct_mev_atom_std}",
                    ],
                    [
                        "force MAE against EMT on the last MD frame, 108-atom cell never trained on (meV/Å)",
                        "{md_emt_force_mae_mev_A_mean} ± {md_emt_force_mae_mev_A_std}",
                    ],
                    [
                        "time per seed",
                        "{train_time_s_mean/60:.1f} min training + {md_wall_s_mean:.0f} s MD",
                    ],
                ],
            ),
            Bench(
                "MACE against the SchNet-style potential, 40 epochs",
                "crystals/potential-mace-e40.json",
                "`matnn crystals potential --system CuAu --epochs 40 --model mace|schnet`, defaults otherwise. MACE "
                "(mace-torch, 32×0e+32×1o, ℓ ≤ 3, correlation 3, 2 layers; {n_params:,} parameters, its own learning-rate "
                "default 1e-2) against SchNet-style ({@sch.n_params:,} parameters); SchNet seeds 0–2 were run on {@sch._meta.hardware}.",
                [
                    "quantity (40 epochs)",
                    "MACE, seeds 0 / 1",
                    "SchNet-style, seeds 0 / 1 / 2",
                ],
                [
                    [
                        "energy MAE, held-out (meV/atom)",
                        "**{energy_mae_mev_atom_mean:.1f} / {seed1.energy_mae_mev_atom}**",
                        "{@sch.per_seed.seed0.energy_mae_mev_atom:.1f} / {@sch.per_seed.seed1.energy_mae_mev_atom:.1f} / {@sch.per_seed.seed2.energy_mae_mev_atom:.1f}",
                    ],
                    [
                        "force MAE, held-out (meV/Å)",
                        "**{force_mae_mev_A_mean:.1f} / {seed1.force_mae_mev_A}**",
                        "{@sch.per_seed.seed0.force_mae_mev_A:.1f} / {@sch.per_seed.seed1.force_mae_mev_A:.1f} / {@sch.per_seed.seed2.force_mae_mev_A:.1f}",
                    ],
                    [
                        "force MAE against EMT, last MD frame (108 atoms)",
                        "**{md_emt_force_mae_mev_A_mean:.1f} / {seed1.md_emt_force_mae_mev_A}**",
                        "{@sch.per_seed.seed0.md_emt_force_mae_mev_A:.1f} / {@sch.per_seed.seed1.md_emt_force_mae_mev_A:.1f} / {@sch.per_seed.seed2.md_emt_force_mae_mev_A:.1f}",
                    ],
                    [
                        "NVE drift, learned potential (meV/atom/ps)",
                        "{md_drift_mev_atom_ps_mean:.4f} / {seed1.md_drift_mev_atom_ps}",
                        "{@sch.per_seed.seed0.md_drift_mev_atom_ps:.4f} / {@sch.per_seed.seed1.md_drift_mev_atom_ps:.4f} / {@sch.per_seed.seed2.md_drift_mev_atom_ps:.4f}",
                    ],
                    [
                        "time per epoch, one AMD core",
                        "{epoch_time_s_mean:.1f} s",
                        "{@sch._meta.amd_epoch_time_s:.1f} s",
                    ],
                    [
                        "500-step MD, 108 atoms, one AMD core",
                        "{md_wall_s_mean:.0f} s",
                        "{@sch._meta.amd_md_wall_s:.0f} s",
                    ],
                ],
                "Seed by seed MACE has the lower error on every quantity; both conserve energy. MACE costs about 15× "
                "more per epoch on a CPU; the SchNet-style potential at its default 120 epochs (previous table) reaches "
                "MACE's 40-epoch errors in a tenth of MACE's time.",
                also={"sch": "crystals/potential-schnet-e40.json"},
            ),
        ],
    ),
    (
        "Microstructure and images",
        "",
        [
            Bench(
                "Diffusion solver against TauFactor",
                "microstructure/solver.json",
                "finite-volume solve (percolation filter + assembly + banded Cholesky + flux) on 64×64 porespy images "
                "of the data-set distribution; TauFactor on a subset in the same process.",
                ["figure", "value", "target"],
                [
                    [
                        "ms per image (banded Cholesky; SuperLU path)",
                        "**{ms_per_image_banded:.2f}** ({ms_per_image_sparse:.2f})",
                        "≤ 5 ms",
                    ],
                    [
                        "TauFactor on the same images, ms per image (matnn)",
                        "{ms_per_image_taufactor:.1f} ({ms_per_image_ours_same_images:.2f}: {speedup_vs_taufactor:.1f}× faster)",
                        "",
                    ],
                    [
                        "τ relative difference to TauFactor, median / max",
                        "{tau_rel_diff_vs_taufactor_median:.1e} / {tau_rel_diff_vs_taufactor_max:.1e}",
                        "agree",
                    ],
                ],
            ),
            Bench(
                "Tortuosity data set",
                "microstructure/generate.json",
                "{n_images:,} percolating 64×64 images (porespy blobs, porosity U(0.45, 0.9)), seed 0; a rerun gives a byte-identical array set.",
                ["figure", "value"],
                [
                    ["candidates, acceptance", "{n_candidates:,}, {acceptance:.0%}"],
                    [
                        "τ range, porosity range",
                        "{tau_min}–{tau_max}, {porosity_min}–{porosity_max}",
                    ],
                    [
                        "time per kept image (porespy + percolation + solve), wall",
                        "{ms_per_kept_image} ms, {wall_s} s",
                    ],
                ],
            ),
            Bench(
                "CNN for ln τ",
                "microstructure/tortuosity-cnn.json",
                "image + connectivity-mask CNN, {epochs} epochs (the CLI default is 40), 4,000 held-out images; a new "
                "split and new weights per seed (0, 1, 2).",
                ["figure", "value", "target"],
                [
                    [
                        "test R² of ln τ",
                        "**{test_r2_ln_tau_mean} ± {test_r2_ln_tau_std}** ({test_r2_ln_tau_per_seed})",
                        "≥ 0.97 on ≥ 2,000 images",
                    ],
                    [
                        "MAE of ln τ / R² on τ itself",
                        "{mae_ln_tau_mean} ± {mae_ln_tau_std} / {r2_tau_mean} ± {r2_tau_std}",
                        "",
                    ],
                    [
                        "porosity-only baseline (isotonic), test R² of ln τ",
                        "{porosity_baseline_r2_mean} ± {porosity_baseline_r2_std} (MAE {porosity_baseline_mae})",
                        "CNN clearly better",
                    ],
                    [
                        "image-only CNN (`--no-connectivity`), seed 0",
                        "{image_only_r2_seed0}",
                        "",
                    ],
                    ["wall time per seed", "{wall_min} min", ""],
                ],
                "Met with little margin at 12 epochs.",
            ),
            Bench(
                "Through-plane concentration profile",
                "microstructure/profile.json",
                "encoder–decoder from image to the through-plane profile c / c_inlet; 4,000 generated images, seed 0, 30 epochs.",
                ["figure", "value"],
                [
                    [
                        "RMSE on 800 held-out images",
                        "**{rmse:.4f}** (MAE {mae:.3f}, max {max_abs_error:.2f}, R² over points {r2_points:.3f})",
                    ],
                    [
                        "mean profile / straight line RMSE",
                        "{mean_profile_rmse:.4f} / {straight_line_rmse:.4f}",
                    ],
                    ["wall time", "{wall_s} s"],
                ],
            ),
            Bench(
                "Inpainting of missing pixels",
                "microstructure/inpaint.json",
                "200 held-out maps; a CNN with map and mask channels, Adam, 60 epochs, against the neighbour mean and "
                "the lecture's setting (SGD 0.25, batch 1, 5 epochs).",
                ["method", "MSE on missing pixels"],
                [
                    [
                        "neighbour-mean baseline (lecture ≈ 1.6e-4)",
                        "{baseline_mse:.2e}",
                    ],
                    [
                        "lecture setting: test MSE / final training loss",
                        "{lecture_setting_test_mse:.2e} / {lecture_setting_train_loss:.2e}",
                    ],
                    [
                        "matnn CNN",
                        "**{cnn_test_mse:.2e}** ({cnn_gain_vs_baseline}× below the baseline)",
                    ],
                ],
                "The lecture's map amplitude is not given; noise std 0.1 matches its baseline.",
            ),
            Bench(
                "Convolution lab and digits",
                "microstructure/images-conv-lab.json",
                "NumPy convolution, padding and pooling against torch; a lines toy at unseen positions, 5 seeds; "
                "LeNet on sklearn's 8×8 digits, 5 seeds, a stratified 360-image test split per seed.",
                ["figure", "value", "target"],
                [
                    [
                        "NumPy conv/pad/pool against torch, max abs diff",
                        "{conv_max_abs_diff_vs_torch:.1e}",
                        "equal",
                    ],
                    [
                        "worked example (3×3 kernel on a binary patch)",
                        "{worked_example}",
                        "31",
                    ],
                    [
                        "lines toy, test accuracy: dense / CNN",
                        "{lines_dense_acc_mean} ± {lines_dense_acc_std} / {lines_cnn_acc_mean} ± {lines_cnn_acc_std}",
                        "dense fails, CNN succeeds",
                    ],
                    [
                        "LeNet on digits, test accuracy",
                        "**{@dig.lenet_acc_mean} ± {@dig.lenet_acc_std}** ({@dig.lenet_acc_per_seed})",
                        "≥ 0.990",
                    ],
                    [
                        "the lecture's dropout CNN, same splits",
                        "{@dig.lecture_cnn_acc_mean} ± {@dig.lecture_cnn_acc_std}",
                        "",
                    ],
                ],
                also={"dig": "microstructure/images-digits.json"},
            ),
        ],
    ),
    (
        "Training dynamics",
        "",
        [
            Bench(
                "Every claim at seed 0 (`matnn dynamics all`)",
                "dynamics/all-claims.json",
                "every reproduction at its default (full) size, seed 0, one command; `reproduced` is computed from the "
                "signature in docs/dynamics.md. {n_reproduced} of {n_total} reproduced in {wall_time_s:.0f} s.",
                ["reproduction", "reproduced", "key numbers", "wall time (s; budget 180)"],
                [
                    [
                        f"`{k}`",
                        f"{{claims.{k}.reproduced}}",
                        f"{{claims.{k}.key_numbers}}",
                        f"{{claims.{k}.wall_time_s}}",
                    ]
                    for k in [
                        "catapult",
                        "sgd-catapults",
                        "quadratic-model",
                        "linearity-width",
                        "hessian-scaling",
                        "dag-linearity",
                        "relu-conditioning",
                        "label-noise",
                        "sgd-interpolation",
                        "catapult-subspace",
                        "relu-angles",
                        "quadratic-generalisation",
                        "weak-assembly",
                        "nonlinear-output",
                        "rsc-condition",
                    ]
                ],
            ),
            Bench(
                "Reproductions over three seeds (`matnn dynamics all --seed S`)",
                "dynamics/reproductions.json",
                "each reproduction at its default (full) size, seeds 0, 1, 2; `reproduced` is computed from the "
                "signature in docs/dynamics.md. Mean ± std over the seeds.",
                [
                    "reproduction",
                    "measured",
                    "reference",
                    "wall time per seed (s; budget 180)",
                ],
                [
                    [
                        f"`{k}`",
                        f"{{reproductions.{k}.measured}}",
                        f"{{reproductions.{k}.reference}}",
                        f"{{reproductions.{k}.wall_s_per_seed.0}} / {{reproductions.{k}.wall_s_per_seed.1}} / {{reproductions.{k}.wall_s_per_seed.2}}",
                    ]
                    for k in [
                        "catapult",
                        "sgd-catapults",
                        "quadratic-model",
                        "linearity-width",
                        "hessian-scaling",
                        "dag-linearity",
                        "relu-conditioning",
                        "label-noise",
                        "sgd-interpolation",
                    ]
                ],
                "Reproduced per seed: {n_reproduced_per_seed} of 9. Total per seed: {total_wall_s_per_seed} s on one "
                "core. `dag-linearity` is the weakest match: ‖H_f‖·√k rises mildly with k, within the stated "
                "max/min ≤ 2.",
            ),
            Bench(
                "Dynamics tools against plain PyTorch",
                "dynamics/tools.json",
                "two-layer ReLU network, d = 20, m = 2048 (43,008 weights), n = 128, one process.",
                ["measurement", "value"],
                [
                    [
                        "empirical NTK, loop of `autograd.grad` per sample (reference)",
                        "{ntk_autograd_loop_ms:.0f} ms",
                    ],
                    [
                        "`empirical_ntk` (vmap/jacrev Jacobian contraction)",
                        "{ntk_jacobian_ms:.0f} ms: {ntk_jacobian_speedup:.1f}× faster, rel. diff {ntk_jacobian_rel_diff:.1e}",
                    ],
                    [
                        '`empirical_ntk(method="ntk-vp")` (never stores J; for memory)',
                        "{ntk_vp_ms:.0f} ms: {ntk_vp_speedup:.2f}×, rel. diff {ntk_vp_rel_diff:.1e}",
                    ],
                    [
                        "loss-Hessian top eigenvalue: Lanczos / power on ‖Hv‖",
                        "{hessian_top_lanczos:.5f} / {hessian_top_power:.5f}, {hessian_top_lanczos_hvps} / {hessian_top_power_hvps} HVPs, {hessian_top_lanczos_s:.2f} s",
                    ],
                    [
                        "m = 64: dense `eigvalsh` vs Lanczos",
                        "{dense_m64_top:.6f} / {lanczos_m64_top:.6f} (dense H: {dense_m64_build_s:.1f} s to build; Lanczos: {lanczos_m64_hvps} HVPs)",
                    ],
                    [
                        "±λ spectrum, exact λ = {pm_exact:.6f}",
                        "Rayleigh-quotient power iteration {pm_rayleigh:.6f} (wrong); power on ‖Hv‖ {pm_power.0:.6f}, {pm_power.1:.6f} ({pm_power_hvps} HVPs); Lanczos {pm_lanczos.0:.6f}, {pm_lanczos.1:.6f} ({pm_lanczos_hvps} HVPs)",
                    ],
                ],
            ),
        ],
    ),
    (
        "Design",
        "Measured while the 2-core development machine was shared by other jobs: times are noisy and speed "
        "ratios are depressed.",
        [
            Bench(
                "Samplers of `matnn tune` on test functions",
                "design/tune-samplers.json",
                "every sampler of `matnn tune` (`make_sampler(name, seed)`, Optuna {settings.optuna}) minimises "
                "Branin (2-d), Hartmann-6 and a noisy 3-parameter function (log-scaled float, log-scaled int, "
                "categorical; Gaussian noise sd 0.1), {settings.trials} trials, {settings.seeds} seeds. Final simple "
                "regret = noise-free value of the best observed trial after the last trial minus the optimum, mean "
                "± std over seeds (lower is better). Time per suggestion = wall time per trial (the objectives cost "
                "microseconds), one core of the shared machine.",
                ["function", *_SAMPLERS, "lowest mean regret (target: say which wins)"],
                [
                    [
                        label,
                        *[
                            f"{{results.{fn}.{s}.final_regret_mean:.3g}} ± {{results.{fn}.{s}.final_regret_std:.2g}}"
                            for s in _SAMPLERS
                        ],
                        f"**{{_derived.{fn}.best}}**, then {{_derived.{fn}.second}}",
                    ]
                    for fn, label in _FUNCTIONS
                ]
                + [
                    [
                        f"ms per suggestion, {label}",
                        *[f"{{results.{fn}.{s}.seconds_per_suggestion_mean*1000:.1f}}" for s in _SAMPLERS],
                        "",
                    ]
                    for fn, label in _FUNCTIONS
                ],
                "Target (say which sampler wins): the lowest mean final regret, function by function, is in the last "
                "column; `{_derived.overall}` wins on {_derived.overall_wins} of 3 functions. Read each mean against "
                "its spread over only {settings.seeds} seeds, and against the time per suggestion. `sac` is an "
                "option, not a default (docs/design.md).",
                derive=_sampler_winners,
            ),
            Bench(
                "Samplers of `matnn tune` on real tasks",
                "design/tune-tasks-digits.json",
                "each search is `matnn tune` itself (in one process, no final retraining) on a real matnn task whose "
                "trials cost seconds, {settings.trials} trials, {settings.seeds} search seeds per sampler, no pruner, "
                "no test set read. Tasks (`bench/design/tune_tasks.py`): LeNet on scikit-learn's 8x8 digits (5 "
                "epochs, no augmentation, one seed; validation accuracy on a fifth of the training images; space: "
                "learning rate, batch size, dropout); a dense network on Magpie features of Matbench expt_gap "
                "(3-fold CV MAE on a 1,500-row subset, 15 epochs; space: learning rate, hidden layers, dropout, "
                "weight decay); the battery dqnet (one member, 60 epochs; 3-fold CV RMSE on the 41 Severson "
                "training cells; space: learning rate, weight decay, batch size). Cells: mean ± std over seeds of "
                "the best validation score after the last trial. The rule for calling a winner and for the paper's "
                "claim was written before the runs: docs/studies/tune-samplers-real-tasks.md. One command per task: "
                "`--task digits`, `--task expt_gap`, `--task dqnet`.",
                ["task", *_SAMPLERS, "best mean (rule: a tie when within one std)", "SAC beats TPE as claimed"],
                [
                    [
                        label,
                        *[
                            f"{{{_at(a)}samplers.{s}.final_best_mean:{fmt}}} ± {{{_at(a)}samplers.{s}.final_best_std:{fmt}}}"
                            for s in _SAMPLERS
                        ],
                        f"**{{_derived.{t}.best}}** {{_derived.{t}.verdict}}",
                        f"{{_derived.{t}.sac_claim}}",
                    ]
                    for a, t, label, fmt in _TASKS
                ]
                + [
                    [
                        f"s per trial, {t}",
                        *[f"{{{_at(a)}samplers.{s}.seconds_per_trial_mean:.2f}}" for s in _SAMPLERS],
                        "",
                        "",
                    ]
                    for a, t, _, _ in _TASKS
                ],
                "Seconds per trial include the sampler's suggestion (milliseconds for tpe, random and cmaes; "
                "tens to hundreds of milliseconds for sac and gp, see the test-function table) and were measured while other "
                "benchmarks shared the machine. Best-so-far curves (mean ± std over seeds) of every sampler: "
                "`bench/out/design/tune-tasks.png` (`--plot-only` redraws it).",
                also={"expt_gap": "design/tune-tasks-expt_gap.json", "dqnet": "design/tune-tasks-dqnet.json"},
                derive=_task_winners,
            ),
            Bench(
                "Pruning: time to reach the unpruned search's best",
                "design/tune-tasks-digits.json",
                "TPE with Optuna's median pruner (2 start-up trials, 2 warm-up epochs, reporting the validation "
                "loss or accuracy after every epoch) against TPE without a pruner, the same {settings.trials} "
                "trials and search seeds on each task of the table above. Time = wall time from the search's "
                "start until its best validation score first equals or beats the unpruned search's final best "
                "(mean over the seeds where it does; `reached` counts them).",
                [
                    "task",
                    "unpruned: time to its best / whole search",
                    "pruned: whole search (trials pruned)",
                    "pruned: reached the unpruned best",
                    "pruned: time to it",
                ],
                [
                    [
                        t,
                        f"{{{_at(a)}pruning.unpruned_seconds_to_best_mean:.0f}} s / "
                        f"{{{_at(a)}pruning.unpruned_total_s_mean:.0f}} s",
                        f"{{{_at(a)}pruning.pruned_total_s_mean:.0f}} s ({{_derived.{t}.n_pruned}} of "
                        f"{{{_at(a)}settings.seeds}} × {{{_at(a)}settings.trials}})",
                        f"{{{_at(a)}pruning.reached}} of {{{_at(a)}pruning.seeds}} seeds",
                        f"**{{_derived.{t}.pruned_to_best}}**",
                    ]
                    for a, t, _, _ in _TASKS
                ],
                also={"expt_gap": "design/tune-tasks-expt_gap.json", "dqnet": "design/tune-tasks-dqnet.json"},
                derive=_task_winners,
            ),
            Bench(
                "A tuned result against its hand-tuned figure: dqnet",
                "design/tune-dqnet.json",
                "`matnn tune` of `battery cv --model dqnet --folds 5 --repeats 2 --seed 0` (the protocol behind the "
                "registry recipe's CV figure in the Severson table) on the 41 training cells: TPE, seed 0, no "
                "pruner, {trials} trials over learning rate [2e-4, 5e-3] (log), weight decay [1e-3, 1e-1] (log) "
                "and batch size 4, 8 or 16, everything else the registry recipe. The winner and the registry "
                "recipe are re-scored by the same CV on fresh repeats (`--seed 2`), then the winner is trained "
                "with seeds 0–9 and scored once on test1 (43 cells). Rule, written before the search: "
                "docs/studies/battery-dqnet-tuned.md.",
                ["figure", "registry recipe (chosen by hand on CV)", "tuned by `matnn tune`"],
                [
                    [
                        "recipe",
                        "learning rate 1e-3, weight decay 1e-2, batch 8",
                        "learning rate {best_options.learning_rate:.2e}, weight decay "
                        "{best_options.weight_decay:.2e}, batch {best_options.batch_size}",
                    ],
                    [
                        "CV RMSE, 5-fold × 2 repeats, seed 0 (the search's score; cycles)",
                        "{hand_tuned_cv_rmse:.1f}",
                        "**{best_cv_rmse:.1f}** (best of {trials} trials)",
                    ],
                    [
                        "CV RMSE, fresh repeats (seed 2)",
                        "{fresh_cv_rmse_registry:.1f} ± {fresh_cv_rmse_registry_std:.1f}",
                        "**{fresh_cv_rmse_tuned:.1f}** ± {fresh_cv_rmse_tuned_std:.1f}",
                    ],
                    [
                        "test1 RMSE, 43 cells, 10 seeds (scored once)",
                        "{hand_tuned_test1_rmse:.1f} ± {hand_tuned_test1_rmse_std:.1f}",
                        "**{test1_rmse:.1f}** ± {test1_rmse_std:.1f}",
                    ],
                ],
                "Beats the hand-tuned recipe on validation (search score below the registry's CV figure and "
                "fresh-repeat score below the registry recipe's): **{_derived.beats}**. Search time "
                "{search_seconds/60:.0f} min on the shared machine. The registry recipe is unchanged: the test "
                "figure only reports.",
                derive=lambda files: {"beats": "yes" if files[""]["beats_on_validation"] else "no"},
            ),
            Bench(
                "Workers sharing one PostgreSQL study",
                "design/tune-workers.json",
                "worker processes (`tests/design/_tune_worker.py`) run one Optuna study stored in PostgreSQL until "
                "it holds the requested trials (12 in all, each sleeping 2 s), first 1 worker, then 2. The objective "
                "sleeps instead of computing, so the figure is the coordination overhead of the shared study, not "
                "the CPU scaling of a model.",
                ["figure", "value", "target"],
                [
                    ["1 worker", "{workers_1.trials_per_hour:,.0f} trials/hour ({workers_1.wall_s:.1f} s)", ""],
                    ["2 workers", "{workers_2.trials_per_hour:,.0f} trials/hour ({workers_2.wall_s:.1f} s)", ""],
                    ["ratio 2 / 1 workers", "**{speedup:.2f}×**", "≥ 1.7×: {speedup>=1.7}"],
                ],
            ),
            Bench(
                "Electrode inverse design (`matnn design electrode`)",
                "design/electrode-campaign.json",
                "recipe → microstructure → DFN (two discharges per design, coarse mesh, tortuosity looked up from "
                "{tortuosity_bins} precomputed porosity bins) → neural surrogate → NSGA-II, as in docs/design.md. "
                "DFN time: {dfn_timing_designs} Sobol designs timed serially in one process after a warm-up design. "
                "Throughput: {scaling_designs} designs serially and on a 2-worker local Dask cluster, workers warmed "
                "by one design each, cluster start timed apart. Full loop: {loop_n_designs} Sobol designs on 2 "
                "workers, surrogate scored on {loop_n_test} held-out designs against a GP baseline, the surrogate "
                "front checked with the DFN, and NSGA-II run directly on the DFN for comparison. Hypervolumes are "
                "taken on the campaign's normalised range (reference: its worst energy and worst rate fraction). "
                "Load average {load_average_start:.1f} at the start (other jobs on the 2-core machine depress the "
                "speed ratio).",
                ["figure", "value", "target"],
                [
                    [
                        "DFN seconds per design, serial, after warm-up",
                        "**median {dfn_seconds_per_design_median:.2f} s**, max {dfn_seconds_per_design_max:.2f} s, "
                        "{dfn_timing_failed} failed",
                        "one run ≤ 2 s: {dfn_seconds_per_design_median<=2}",
                    ],
                    [
                        "DFN seconds per design inside the full loop (2 workers)",
                        "median {loop_dfn_seconds_per_design_median:.2f} s",
                        "≤ 2 s: {loop_dfn_seconds_per_design_median<=2}",
                    ],
                    [
                        "designs/min, 1 worker → 2 Dask workers",
                        "{workers1_designs_per_min:.0f} → {workers2_designs_per_min:.0f} (**×{speedup_2_workers:.2f}**; "
                        "cluster start {workers2_startup_seconds:.1f} s and warm-up {workers2_warmup_seconds:.1f} s "
                        "not counted; load average {workers2_load_average:.1f})",
                        "",
                    ],
                    [
                        "full loop, N = {loop_n_designs}, 2 workers",
                        "**{loop_seconds/60:.1f} min** (campaign {loop_campaign_seconds/60:.1f} min, direct NSGA-II "
                        "on the DFN {loop_direct_search_seconds/60:.1f} min), {loop_n_failed} failed designs",
                        "≤ 10 min on 2 cores: {loop_seconds/60<=10}",
                    ],
                    [
                        "surrogate R², energy / rate fraction",
                        "**{loop_surrogate_r2_energy:.4f} / {loop_surrogate_r2_power:.4f}** (GP baseline "
                        "{loop_baseline_r2_energy:.4f} / {loop_baseline_r2_power:.4f}; MAPE "
                        "{loop_surrogate_mape_energy_pct:.2f} % / {loop_surrogate_mape_power_pct:.1f} %)",
                        "≥ 0.98: energy {loop_surrogate_r2_energy>=0.98}, rate fraction "
                        "{loop_surrogate_r2_power>=0.98}",
                    ],
                    [
                        "front: DFN check of the surrogate's Pareto recipes, median relative error (the larger of "
                        "the two objectives' medians)",
                        "**{_derived.front_worse*100:.1f} %** (energy {loop_front_error_median_energy*100:.2f} %, "
                        "rate fraction {loop_front_error_median_power*100:.1f} %; max "
                        "{loop_front_error_max*100:.0f} %); {loop_front_size} recipes, {loop_front_confirmed_size} "
                        "non-dominated under the DFN",
                        "median ≤ 2 %: {_derived.front_worse<=0.02} (energy "
                        "{loop_front_error_median_energy<=0.02}, rate fraction {loop_front_error_median_power<=0.02})",
                    ],
                    [
                        "hypervolume, surrogate route / direct DFN NSGA-II",
                        "{loop_hypervolume_surrogate_route:.3f} / {loop_hypervolume_direct_dfn:.3f} = "
                        "**{hypervolume_ratio:.2f}**",
                        "≥ 0.95: {hypervolume_ratio>=0.95}",
                    ],
                    [
                        "DFN calls, surrogate route / direct",
                        "{loop_dfn_calls_surrogate_route} / {loop_dfn_calls_direct} = **{dfn_calls_ratio:.2f}**",
                        "≥ 10× fewer (≤ 0.10): {dfn_calls_ratio<=0.1}",
                    ],
                    [
                        "paper's finding: much active material / intermediate solid content / intermediate calendering",
                        "{loop_finding_much_active_material} / {loop_finding_intermediate_solid_content} / "
                        "{loop_finding_intermediate_calendering}",
                        "",
                    ],
                ],
                "The direct NSGA-II search's budget is a setting of the recipe ({loop_dfn_calls_direct} DFN calls) "
                "and the surrogate route spends N campaign designs + the front "
                "checks ({loop_dfn_calls_surrogate_route}; {loop_refine_rounds} refinement round(s)): it compares "
                "the two fronts at these unequal budgets; the "
                '10× saving is tested in "Electrode design: surrogate route against NSGA-II on the DFN" below, '
                'and the rate-fraction error in "Electrode design: front error". The run\'s report, figures, '
                "front and metrics: `bench/out/design/electrode_n256/`.",
                derive=_electrode_loop_derived,
            ),
            Bench(
                "Electrode design: front error, two pre-registered attempts",
                "design/electrode-front-error.json",
                "the loop of `matnn design electrode` at N = 256, seed 0, one worker, sharing one campaign cache, "
                "run unchanged and with the two attempts of docs/studies/electrode-front-error.md (rule written "
                "before the runs): the rate fraction learnt on the logit scale, then 2 rounds of active refinement "
                "(the DFN-checked front joins the training set; refit; new front; DFN check), with the logit target "
                "only if attempt 1 lowered the rate-fraction error (here: `{attempt2_rate_transform}`). Target: the "
                "median relative error of each objective on the DFN-checked front ≤ 2 %, held-out R² ≥ 0.98. "
                "Timings are from a shared machine.",
                [
                    "run",
                    "front error energy / rate fraction (median)",
                    "max",
                    "R² energy / rate fraction",
                    "DFN calls (route)",
                    "hypervolume (route)",
                    "target",
                ],
                [
                    [
                        label,
                        f"{{runs.{k}.front_error_median_energy*100:.2f}} % / "
                        f"**{{runs.{k}.front_error_median_power*100:.1f}} %**",
                        f"{{runs.{k}.front_error_max*100:.0f}} %",
                        f"{{runs.{k}.surrogate_r2_energy:.4f}} / {{runs.{k}.surrogate_r2_power:.4f}}",
                        f"{{runs.{k}.dfn_calls_surrogate_route}}",
                        f"{{runs.{k}.hypervolume_surrogate_route:.3f}}",
                        f"{{_derived.{k}.met}}",
                    ]
                    for k, label in _FRONT_VARIANTS
                ],
                "Rounds of attempt 2 (rate-fraction median error per checked front): "
                "{runs.refine2.front_error_median_power_round0*100:.1f} % → "
                "{runs.refine2.front_error_median_power_round1*100:.1f} % → "
                "{runs.refine2.front_error_median_power_round2*100:.1f} %; {runs.refine2.front_repeats_checked} "
                "of its last front's {runs.refine2.front_size} recipes had been simulated in an earlier round. "
                "Per-run reports and figures: `bench/out/design/electrode_front_<run>/`.",
                derive=_electrode_front_derived,
            ),
            Bench(
                "Electrode design: surrogate route against NSGA-II on the DFN",
                "design/electrode-direct.json",
                "NSGA-II run directly on the DFN (population {pop_size}, seed {seed}, one worker, serial), for up "
                "to {generations_planned} generations or {time_limit_min:.0f} minutes; after every generation the "
                "hypervolume of all points evaluated so far, scaled as in the loop (the N = {n_campaign} Sobol "
                "campaign's range, reference (1, 1)). Compared with the surrogate route of "
                "`{route_metrics}` (its DFN-confirmed front). Claim tested: the route reaches ≥ 95 % of the direct "
                "search's hypervolume with ≥ 10× fewer DFN calls. Figure: "
                "`bench/out/design/electrode_hv_vs_calls.png`. Measured on a shared machine (load average "
                "{load_average_start:.1f} at the start, {load_average_end:.1f} at the end).",
                ["figure", "value", "target"],
                [
                    [
                        "surrogate route",
                        "hypervolume **{comparison.route_hypervolume:.3f}** with {comparison.route_dfn_calls} DFN calls",
                        "",
                    ],
                    [
                        "direct search at the route's calls",
                        "{comparison.direct_hypervolume_at_route_calls:.3f} ({comparison.direct_calls_at_route_calls} "
                        "calls)",
                        "",
                    ],
                    [
                        "direct search at 10× the route's calls (or its whole budget)",
                        "{comparison.direct_hypervolume_at_10x_or_max:.3f} ({comparison.direct_calls_at_10x_or_max:,} "
                        "calls, {_derived.calls_ratio:.1f}×; {seconds_per_call:.2f} s per call)",
                        "",
                    ],
                    [
                        "hypervolume ratio route / direct at that budget",
                        "**{comparison.hypervolume_ratio_route_over_direct_at_10x:.3f}**",
                        "≥ 0.95 with ≥ 10× fewer calls: {_derived.claim}",
                    ],
                    [
                        "calls the direct search needs to reach 95 % of the route's hypervolume / all of it / the "
                        "route's ÷ 0.95 (beyond which the route holds < 95 % of the direct search's)",
                        "{_derived.reach_95} / **{_derived.reach_route}** / {_derived.exceed}",
                        "",
                    ],
                    [
                        "direct search, whole run",
                        "hypervolume {comparison.direct_hypervolume_max:.3f} after {comparison.direct_calls_max:,} calls",
                        "",
                    ],
                ],
                derive=_electrode_direct_derived,
            ),
        ],
    ),
    (
        "Scale",
        "2 CPU processes or Dask workers against 1, one thread each, on the 2-core development machine while it "
        "was shared by other jobs: the second process rarely found a free core, so every speed ratio below is "
        "depressed (a ratio below 1 means no free core, not a slower method). Ranges over repeated runs: "
        "`bench/scale/README.md`.",
        [
            Bench(
                "Data-parallel `fit`: 2 processes (gloo) against 1",
                "scale/ddp-mlp-sgd.json",
                "the same global batch, seed and data in one process and in `torchrun --standalone --nproc-per-node "
                "2` (DDP, gloo, one thread per process); final weights and predictions compared, samples/s over the "
                "epochs after the first. Rows: W1 MLP (ElemNet's 17 layers, {n_params:,} weights, {n_samples:,} "
                "synthetic compositions, batch {global_batch}, {epochs} epochs) with SGD+momentum and with Adam "
                "(`{@adam._meta.command}`); CGCNN ({@cgcnn.n_params:,} weights, {@cgcnn.n_samples} Materials Project "
                "structures, batch {@cgcnn.global_batch}, synchronised graph batch norm; "
                "`{@cgcnn._meta.command}`).",
                [
                    "run",
                    "max abs weight diff (÷ largest \\|w\\|)",
                    "max rel. L2 diff per tensor",
                    "max abs prediction diff",
                    "final loss 1 / 2 processes",
                    "equivalence within float32 tolerance",
                    "samples/s 1 → 2 processes",
                    "ratio (target ≥ 1.6×)",
                ],
                [
                    [
                        label,
                        f"{{{p}max_abs_weight_diff_1_vs_2_procs:.1e}} ({{_derived.{k}.weight_rel:.0e}})",
                        f"{{{p}max_rel_l2_weight_diff_per_tensor:.1e}}",
                        f"{{{p}max_abs_prediction_diff:.1e}}",
                        f"{{{p}final_loss_1_proc:.6f}} / {{{p}final_loss_2_procs:.6f}}",
                        verdict,
                        f"{{{p}samples_per_s_1_proc:,.0f}} → {{{p}samples_per_s_2_procs:,.0f}}",
                        f"**{{{p}speedup_2_vs_1:.2f}}×**: {{{p}speedup_2_vs_1>=1.6}}",
                    ]
                    for k, p, label, verdict in [
                        (
                            "sgd",
                            "",
                            "W1 MLP, SGD+momentum, {_derived.sgd.steps} steps",
                            "met: float32 rounding (losses agree to {_derived.sgd.loss_rel:.0e})",
                        ),
                        (
                            "sgd256",
                            "@sgd256.",
                            "W1 MLP, SGD+momentum, batch {@sgd256.global_batch}, {_derived.sgd256.steps} steps",
                            "met: float32 rounding (losses agree to {_derived.sgd256.loss_rel:.0e})",
                        ),
                        (
                            "adam",
                            "@adam.",
                            "W1 MLP, Adam 1e-4, MAE, {_derived.adam.steps} steps",
                            "not in the strict sense: Adam magnifies rounding on near-zero gradients, bound steps × lr "
                            "= {_derived.adam.steps_x_lr:.1e} (losses agree to {_derived.adam.loss_rel:.0e})",
                        ),
                        (
                            "cgcnn",
                            "@cgcnn.",
                            "CGCNN, SGD+momentum, {_derived.cgcnn.steps} steps",
                            "met: float32 rounding, largest on batch-norm running variances (losses agree to "
                            "{_derived.cgcnn.loss_rel:.0e})",
                        ),
                    ]
                ],
                "The first row is compute-bound (a large global batch): there 2 processes reach the target; at batch 256 "
                "each step's all-reduce of every gradient dominates, and CGCNN's small graphs spend their time in "
                "per-step collectives (synchronised batch norm). "
                "Two processes sum the gradient in another order than one, so the weights agree to float32 rounding, "
                "not bit for bit; the equivalence column is a judgement on the figures beside it. The CUDA/NCCL path "
                "has not been measured.",
                also={
                    "sgd256": "scale/ddp-mlp-sgd-batch256.json",
                    "adam": "scale/ddp-mlp-adam.json",
                    "cgcnn": "scale/ddp-cgcnn-sgd.json",
                },
                derive=_ddp_derived,
            ),
            Bench(
                "Seeds on Dask: `matnn battery train --seeds 10`",
                "scale/battery-seeds-dqnet.json",
                "the whole command (data loading and, for 2 workers, the local Dask cluster's start) with `--workers "
                "1` (in process) and `--workers 2`, on the Severson training/test1 cells; the two `metrics.json` are "
                "compared seed by seed. Rows: `--model dqnet` (this command) and `--model cnn` "
                "(`{@cnn._meta.command}`).",
                [
                    "model",
                    "wall time, 1 → 2 workers",
                    "seeds/min, 1 → 2 workers",
                    "ratio (target ≥ 1.7×)",
                    "ratio without cluster start",
                    "RMSE per seed identical",
                ],
                [
                    [
                        label,
                        f"{{{p}wall_s_1_worker:.0f}} s → {{{p}wall_s_2_workers:.0f}} s (cluster start "
                        f"{{{p}local_cluster_start_s_2_workers:.1f}} s)",
                        f"{{{p}seeds_per_min_1_worker:.1f}} → {{{p}seeds_per_min_2_workers:.1f}}",
                        f"**{{{p}speedup_2_vs_1:.2f}}×**: {{{p}speedup_2_vs_1>=1.7}}",
                        f"{{{p}speedup_2_vs_1_without_cluster_start:.2f}}×",
                        f"{{_derived.{k}.identical}} (test RMSE {{{p}rmse_cycles:.1f}} cycles)",
                    ]
                    for k, p, label in [("dqnet", "", "dqnet"), ("cnn", "@cnn.", "tutorial CNN")]
                ],
                "The wall time includes the cluster's start (worker processes importing torch and matnn), which a "
                "run of a few seconds per seed pays in full; the last ratio column leaves it out. Identical RMSE "
                "per seed means that the number of workers does not change the results.",
                also={"cnn": "scale/battery-seeds-cnn.json"},
                derive=_seeds_derived,
            ),
        ],
    ),
]


def render() -> str:
    """The full text of RESULTS.md from the raw files."""
    parts = [HEADER]
    for area, intro, benches in AREAS:
        parts.append(f"## {area}\n")
        if intro:
            parts.append(intro + "\n")
        parts.extend(render_bench(b) for b in benches)
    return "\n".join(parts).rstrip() + "\n"


def referenced_files() -> set[str]:
    """Every raw file RESULTS.md is built from (relative to bench/out)."""
    return {s for _, _, benches in AREAS for b in benches for s in [b.src, *b.also.values()]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--check",
        action="store_true",
        help="compare instead of writing; exit 1 on any difference",
    )
    args = ap.parse_args(argv)
    text = render()
    if not args.check:
        RESULTS.write_text(text, encoding="utf-8")
        print(f"wrote {RESULTS}")
        return 0
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    if current == text:
        print("bench/RESULTS.md matches bench/out")
        return 0
    sys.stdout.writelines(
        difflib.unified_diff(
            current.splitlines(True),
            text.splitlines(True),
            "RESULTS.md",
            "from bench/out",
        )
    )
    print(
        "\nbench/RESULTS.md differs from bench/out: run `python bench/results.py`",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
