"""The fundamentals demos by name, and ``run_all`` which runs every one into its own folder.

Each demo is a ``run_demo(out_dir, *, seed, ...)`` function in its topic module; it writes a PNG
figure and ``metrics.json`` and returns the metrics.  :data:`CHECKS` states, for each demo, what
the numbers must show for the lesson to hold (closed form = gradient descent, ...); ``run_all``
evaluates them and reports which passed.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from matnn.core.exceptions import unknown_name

__all__ = ["DEMOS", "CHECKS", "run_demo", "run_all", "evaluate_checks"]

#: demo name → (module, one-line description)
DEMOS: dict[str, tuple[str, str]] = {
    "linear-regression": ("matnn.fundamentals.linear_regression", "closed form vs gradient descent on the MSE"),
    "logistic-regression": ("matnn.fundamentals.logistic_regression", "log loss + gradient descent, decision boundary"),
    "perceptron": ("matnn.fundamentals.perceptron", "Rosenblatt's rule: converges on separable data, not on XOR"),
    "activations": ("matnn.fundamentals.activations", "activation functions, derivatives, softmax temperature"),
    "backprop": ("matnn.fundamentals.backprop", "backpropagation term by term in NumPy = autograd"),
    "capacity": ("matnn.fundamentals.capacity", "underfitting vs overfitting as capacity grows"),
    "approximation": ("matnn.fundamentals.approximation", "universal approximation in 1-D and its limits"),
    "hopfield": ("matnn.fundamentals.hopfield", "Hopfield memory: Hebbian storage, energy descent, capacity 0.138 N"),
    "rbm": ("matnn.fundamentals.rbm", "restricted Boltzmann machine trained by contrastive divergence on digits"),
}

Check = Callable[[Mapping[str, Any]], "bool | None"]

#: demo name → {check description: predicate on the demo's metrics}
CHECKS: dict[str, dict[str, Check]] = {
    "linear-regression": {
        "closed form = gradient descent (|Δ| < 1e-6)": lambda m: (
            max(m["abs_diff_slope"], m["abs_diff_intercept"]) < 1e-6
        ),
        "normal equations = gradient descent, 3 features (|Δ| < 1e-6)": lambda m: (
            m["multi_max_abs_diff_normal_eq_vs_gd"] < 1e-6
        ),
        "normal equations = scikit-learn (|Δ| < 1e-9)": lambda m: m["multi_max_abs_diff_normal_eq_vs_sklearn"] < 1e-9,
    },
    "logistic-regression": {
        "gradient descent = scikit-learn unregularised (|Δ| < 1e-5)": lambda m: m["max_abs_diff_vs_sklearn"] < 1e-5,
    },
    "perceptron": {
        "converges on separable data": lambda m: bool(m["separable_converged"]) and m["separable_accuracy"] == 1.0,
        "mistakes within Novikoff's bound": lambda m: m["separable_mistakes"] <= m["separable_novikoff_bound"],
        "reports non-convergence on XOR": lambda m: not m["xor_converged"] and m["xor_epochs"] == m["max_epochs"],
    },
    "activations": {
        "every derivative = autograd (|Δ| < 1e-12)": lambda m: (
            max(
                v for k, v in m.items() if k.endswith("_error_vs_autograd") or k.endswith("_error_vs_finite_difference")
            )
            < 1e-12
        ),
    },
    "backprop": {
        "hand-written gradients = autograd (|Δ| < 1e-8, float64)": lambda m: (
            max(m["max_abs_grad_diff_vs_autograd_init"], m["max_abs_grad_diff_vs_autograd_trained"]) < 1e-8
        ),
        "training lowers the cost tenfold": lambda m: m["cost_final"] < 0.1 * m["cost_initial"],
    },
    "capacity": {
        "polynomial validation error is U-shaped": lambda m: bool(m["poly_val_u_shaped"]),
        "polynomial training error falls with degree": lambda m: (
            m[f"poly_train_mse_deg{max(_degrees(m))}"] < m["poly_train_mse_deg0"]
        ),
        # None = not applicable (run with networks=False / --no-networks).
        "width-1 network underfits (wider fits training data better)": lambda m: (
            m["net_train_mse_width_max"] < m["net_train_mse_width_min"] if "net_repeats" in m else None
        ),
        "network trained long overfits (validation rises, training falls)": lambda m: (
            bool(m["net_time_overfits"]) if "net_repeats" in m else None
        ),
    },
    "approximation": {
        "all four fit inside the range (RMSE < 0.05)": lambda m: m["in_range_rmse_max"] < 0.05,
        "they disagree outside (spread ≥ 10× inside)": lambda m: m["spread_ratio_out_over_in"] >= 10.0,
    },
    "hopfield": {
        "energy never rises at any single-unit update": lambda m: m["energy_max_increase_per_update"] <= 0.0,
        "every stored digit recalled exactly from its corrupted cue": lambda m: (
            m["digits_recalled_exactly"] == m["digits_stored"]
        ),
        "capacity extrapolated to N → ∞ within 0.03 of 0.138": lambda m: (
            abs(m["capacity_extrapolated_load"] - 0.138) < 0.03
        ),
        "recall works at P/N = 0.08 and fails at 0.24": lambda m: (
            m["capacity_fraction_retrieved_at_0_08"] > 0.9 and m["capacity_fraction_retrieved_at_0_24"] < 0.2
        ),
    },
    "rbm": {
        "reconstruction error < 0.04 per pixel (untrained ≈ 0.25)": lambda m: (
            m["reconstruction_mse_per_pixel_train"] < 0.04
        ),
        "free energy of the training data falls": lambda m: (
            m["free_energy_train_final_kT"] < m["free_energy_train_first_epoch_kT"]
        ),
        "held-out data within 3 kT of training data (no overfitting)": lambda m: (
            abs(m["free_energy_gap_test_minus_train_kT"]) < 3.0
        ),
    },
}


def _degrees(m: Mapping[str, Any]) -> list[int]:
    return [int(k.removeprefix("poly_train_mse_deg")) for k in m if k.startswith("poly_train_mse_deg")]


def _module(name: str):
    if name not in DEMOS:
        raise unknown_name("fundamentals demo", name, [*DEMOS, "all"])
    return importlib.import_module(DEMOS[name][0])


def run_demo(name: str, out_dir: str | Path, *, seed: int = 0, **options: Any) -> dict[str, Any]:
    """Run one demo by name (e.g. ``'backprop'``) into ``out_dir``; return its metrics."""
    return _module(name).run_demo(out_dir, seed=seed, **options)


def evaluate_checks(name: str, metrics: Mapping[str, Any]) -> dict[str, bool]:
    """Evaluate :data:`CHECKS` for one demo's metrics.

    A missing metric counts as a failed check; a check that does not apply to this run (its
    predicate returns ``None``, e.g. network checks with ``--no-networks``) is left out.
    """
    out = {}
    for desc, pred in CHECKS.get(name, {}).items():
        try:
            result = pred(metrics)
        except (KeyError, TypeError, ValueError):
            result = False
        if result is not None:
            out[desc] = bool(result)
    return out


def run_all(
    out_dir: str | Path, *, seed: int = 0, demos: list[str] | None = None, show_progress: bool = True
) -> dict[str, Any]:
    """Run every demo (or ``demos``) into ``out_dir/<demo>/`` and write a summary.

    Writes ``out_dir/metrics.json`` (flat: ``<demo>_<metric>`` with '-' turned into '_', plus
    ``<demo>_wall_time_s``, ``<demo>_checks_passed`` and ``all_checks_passed``) and
    ``out_dir/summary.md`` (each demo's checks, headline numbers and figure).
    """
    from matnn.utils.io import atomic_write, write_metrics
    from matnn.utils.progress import progress

    out = Path(out_dir)
    names = list(demos) if demos is not None else list(DEMOS)
    for n in names:
        _module(n)  # fail early on an unknown name
    summary: dict[str, Any] = {"seed": seed}
    lines = [
        "# matnn fundamentals: summary",
        "",
        f"Seed {seed}. Each demo wrote a figure and `metrics.json` into its folder.",
        "",
    ]
    all_ok = True
    for name in progress(names, desc="fundamentals", enabled=show_progress):
        t0 = time.perf_counter()
        metrics = run_demo(name, out / name, seed=seed)
        wall = time.perf_counter() - t0
        checks = evaluate_checks(name, metrics)
        ok = all(checks.values())
        all_ok &= ok
        prefix = name.replace("-", "_")
        for k, v in metrics.items():
            summary[f"{prefix}_{k}"] = v
        summary[f"{prefix}_wall_time_s"] = round(wall, 3)
        summary[f"{prefix}_checks_passed"] = ok
        figures = sorted(p.name for p in (out / name).glob("*.png"))
        lines += [
            f"## {name} — {DEMOS[name][1]}",
            "",
            f"Wall time {wall:.1f} s. Figure(s): " + ", ".join(f"[{f}]({name}/{f})" for f in figures),
            "",
        ]
        lines += [f"- {'PASS' if passed else 'FAIL'}: {desc}" for desc, passed in checks.items()]
        lines.append("")
    summary["all_checks_passed"] = all_ok
    lines.insert(3, f"**All checks passed: {'yes' if all_ok else 'NO'}.**")
    lines.insert(4, "")
    with atomic_write(out / "summary.md", "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    write_metrics(out, summary)
    return summary
