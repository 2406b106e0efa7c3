"""Electrode → performance: PyBaMM's Doyle–Fuller–Newman model of the cathode in a fixed cell.

The cell is PyBaMM's ``Chen2020`` parameter set (LG M50: NMC811 | graphite, LiPF6 in EC:EMC;
Chen et al., J. Electrochem. Soc. 167, 080534, 2020). Per design only the cathode changes: its
thickness, porosity, active-material volume fraction and its electrolyte Bruggeman exponent (from the
measured tortuosity). The graphite anode is resized to keep the capacity ratio N/P fixed
(``np_ratio``), so the cathode stays the limiting electrode whatever its loading; separator and
current collectors are Chen2020's.

The cathode's nominal areal capacity is ``Q = ε_am L c_max F (θ_end - θ_0)`` with Chen2020's
stoichiometry window (θ_0 = 17038/63104 at 100 % SOC to θ_end = 0.9084), and a C-rate ``C`` means the
current ``C · Q``. Each design is discharged at ``low_rate`` and ``high_rate`` from 100 % SOC to 2.5 V.

Objectives
----------
``energy_density_wh_l``
    Energy of the low-rate discharge per stack volume, Wh/L, the stack being the repeating unit
    ``L_neg + L_sep + L_pos + (t_cc,neg + t_cc,pos)/2`` (double-sided electrodes).
``rate_fraction``
    Capacity delivered at the high rate over the capacity at the low rate.

The model is discretised once per design (thickness changes the mesh) with ``mesh_points`` finite
volumes per domain and solved for the two currents as an input parameter. A failed solve (an
exception, or a discharge that stopped before the cut-off) is retried once with looser tolerances on
PyBaMM's CasADi solver; if that fails too, the design is returned with ``status="failed"`` and the error.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any

from matnn.core.exceptions import require
from matnn.core.validation import Interval, Options, fraction, positive, validate
from matnn.design.electrode.mapping import Electrode

__all__ = [
    "CellSpec",
    "evaluate_recipe",
    "nominal_areal_capacity",
    "simulate_electrode",
]

FARADAY = 96485.33212  # C/mol
_THETA_POS_END = 0.9084  # Chen2020 positive stoichiometry at 0 % SOC
_THETA_NEG_END = 0.0279  # Chen2020 negative stoichiometry at 0 % SOC
_MODEL: list[Any] = []  # one DFN model object per process, copied per design


@dataclass(frozen=True)
class CellSpec:
    """The fixed cell and the two discharges every design sees.

    Parameters
    ----------
    parameter_set : str, default="Chen2020"
    low_rate, high_rate : float
        C-rates of the two constant-current discharges (default C/5 and 3C).
    np_ratio : float, default=1.1
        Anode-to-cathode capacity ratio used to size the anode.
    mesh_points : int, default=10
        Finite volumes per electrode domain and per particle radius (separator: half).
    rtol, atol : float
        Tolerances of the first solve (the retry uses 100x looser ones).
    """

    parameter_set: str = "Chen2020"
    low_rate: float = 0.2
    high_rate: float = 3.0
    np_ratio: float = 1.1
    mesh_points: int = 10
    rtol: float = 1e-6
    atol: float = 1e-6

    def __post_init__(self) -> None:
        validate(
            "CellSpec",
            asdict(self),
            {
                "parameter_set": Options(("Chen2020",), lower=False),
                "low_rate": positive(),
                "high_rate": positive(),
                "np_ratio": Interval(float, 1, None),
                "mesh_points": Interval(int, 4, None),
                "rtol": fraction(),
                "atol": fraction(),
            },
        )
        if not self.low_rate < self.high_rate:
            from matnn.core.exceptions import ConfigError

            raise ConfigError(
                f"'low_rate' of CellSpec must be below 'high_rate' ({self.high_rate:g}); got {self.low_rate!r}"
            )


def _parameter_values(cell: CellSpec) -> Any:
    pybamm = require("pybamm", "design")
    return pybamm.ParameterValues(cell.parameter_set)


def nominal_areal_capacity(electrode: Electrode, pv: Any) -> float:
    """Nominal areal capacity of the cathode, A·h/m² (stoichiometry window of the module docstring)."""
    c_max = pv["Maximum concentration in positive electrode [mol.m-3]"]
    theta0 = pv["Initial concentration in positive electrode [mol.m-3]"] / c_max
    return electrode.eps_am * electrode.thickness_m * c_max * FARADAY * (_THETA_POS_END - theta0) / 3600.0


def _negative_thickness(q_areal: float, pv: Any, np_ratio: float) -> float:
    c_max = pv["Maximum concentration in negative electrode [mol.m-3]"]
    theta0 = pv["Initial concentration in negative electrode [mol.m-3]"] / c_max
    eps = pv["Negative electrode active material volume fraction"]
    return np_ratio * q_areal * 3600.0 / (eps * c_max * FARADAY * (theta0 - _THETA_NEG_END))


def _discharges(electrode: Electrode, bruggeman: float, cell: CellSpec, loose: bool) -> dict[str, Any]:
    pybamm = require("pybamm", "design")
    import numpy as np

    pybamm.set_logging_level("ERROR")
    if not _MODEL:
        _MODEL.append(pybamm.lithium_ion.DFN())
    pv = _parameter_values(cell)
    area = pv["Electrode height [m]"] * pv["Electrode width [m]"]
    q_areal = nominal_areal_capacity(electrode, pv)
    l_neg = _negative_thickness(q_areal, pv, cell.np_ratio)
    pv.update(
        {
            "Positive electrode thickness [m]": electrode.thickness_m,
            "Positive electrode porosity": electrode.porosity,
            "Positive electrode active material volume fraction": electrode.eps_am,
            "Positive electrode Bruggeman coefficient (electrolyte)": bruggeman,
            "Negative electrode thickness [m]": l_neg,
            "Nominal cell capacity [A.h]": q_areal * area,
            "Current function [A]": "[input]",
        }
    )
    n = cell.mesh_points
    var_pts = {"x_n": n, "x_s": max(3, n // 2), "x_p": n, "r_n": n, "r_p": n}
    if loose:
        solver = pybamm.CasadiSolver(mode="safe", rtol=cell.rtol * 100, atol=cell.atol * 100)
    else:
        solver = pybamm.IDAKLUSolver(rtol=cell.rtol, atol=cell.atol)
    sim = pybamm.Simulation(_MODEL[0].new_copy(), parameter_values=pv, var_pts=var_pts, solver=solver)
    v_min = pv["Lower voltage cut-off [V]"]
    out: dict[str, Any] = {}
    for label, rate in (("low", cell.low_rate), ("high", cell.high_rate)):
        current = rate * q_areal * area
        sol = sim.solve([0.0, 1.5 * 3600.0 / rate], inputs={"Current function [A]": current})
        t = sol["Time [s]"].entries
        v = sol["Voltage [V]"].entries
        if not (np.all(np.isfinite(v)) and v[-1] <= v_min + 1e-3):
            raise RuntimeError(
                f"{label}-rate discharge stopped at {v[-1]:.3f} V before the {v_min:g} V cut-off ({sol.termination})"
            )
        capacity = current * float(t[-1]) / 3600.0  # A·h (constant current)
        energy = current * float(np.sum(0.5 * (v[1:] + v[:-1]) * np.diff(t))) / 3600.0  # W·h
        out[label] = {
            "capacity_ah": capacity,
            "energy_wh": energy,
            "mean_voltage_v": energy / capacity,
        }
    stack_m = (
        l_neg
        + pv["Separator thickness [m]"]
        + electrode.thickness_m
        + 0.5 * (pv["Negative current collector thickness [m]"] + pv["Positive current collector thickness [m]"])
    )
    return {
        "energy_density_wh_l": out["low"]["energy_wh"] / (area * stack_m) / 1000.0,
        "rate_fraction": out["high"]["capacity_ah"] / out["low"]["capacity_ah"],
        "capacity_low_mah_cm2": out["low"]["capacity_ah"] / area * 1e3 / 1e4,
        "capacity_high_mah_cm2": out["high"]["capacity_ah"] / area * 1e3 / 1e4,
        "mean_voltage_low_v": out["low"]["mean_voltage_v"],
        "nominal_mah_cm2": q_areal * 1e3 / 1e4,
        "negative_thickness_um": l_neg * 1e6,
        "stack_thickness_um": stack_m * 1e6,
    }


def simulate_electrode(electrode: Electrode, tau: float, cell: CellSpec | None = None) -> dict[str, Any]:
    """Discharge one cathode design at the low and the high rate; never raises for a failed solve.

    Parameters
    ----------
    electrode : Electrode
    tau : float
        Pore-phase tortuosity factor (>= 1); enters as the Bruggeman exponent ``1 - ln τ / ln ε``.
    cell : CellSpec, optional

    Returns
    -------
    dict
        ``status`` (``"ok"`` or ``"failed"``), ``attempts`` (1 or 2), ``seconds``, ``bruggeman``, the
        objectives and diagnostics of the module docstring (``None`` when failed) and ``error``.
    """
    from matnn.design.electrode.microstructure import bruggeman_exponent

    cell = cell or CellSpec()
    b = bruggeman_exponent(electrode.porosity, tau)
    t0 = time.perf_counter()
    errors = []
    for attempt, loose in enumerate((False, True), start=1):
        try:
            result = _discharges(electrode, b, cell, loose)
        except Exception as exc:  # noqa: BLE001 -- any solver failure: retry once, then report it with the design
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300])
            continue
        if all(math.isfinite(v) for v in result.values()):
            return {
                "status": "ok",
                "attempts": attempt,
                "seconds": time.perf_counter() - t0,
                "bruggeman": b,
                "error": "; ".join(errors) or None,
                **result,
            }
        errors.append("non-finite result")
    return {
        "status": "failed",
        "attempts": 2,
        "seconds": time.perf_counter() - t0,
        "bruggeman": b,
        "error": " | retry: ".join(errors),
        "energy_density_wh_l": None,
        "rate_fraction": None,
    }


def evaluate_recipe(
    task: tuple[Any, dict[str, float], CellSpec, Any],
) -> dict[str, Any]:
    """One campaign task: ``(recipe, tortuosity bin entry, cell, materials)`` → a JSON-ready record.

    The record holds the recipe, the electrode it maps to, the tortuosity and surface area used, and
    :func:`simulate_electrode`'s output; a recipe the mapping refuses is a ``"failed"`` record too.
    """
    from matnn.core.exceptions import DataError
    from matnn.design.electrode.mapping import electrode_from_recipe

    recipe, entry, cell, materials = task
    record: dict[str, Any] = {
        "recipe": recipe.as_dict(),
        "tau": entry.get("tau"),
        "ssa_per_m": entry.get("ssa_per_m"),
    }
    try:
        electrode = electrode_from_recipe(recipe, materials)
    except DataError as exc:
        return {
            **record,
            "status": "failed",
            "attempts": 0,
            "error": str(exc),
            "energy_density_wh_l": None,
            "rate_fraction": None,
        }
    return {
        **record,
        "electrode": electrode.as_dict(),
        **simulate_electrode(electrode, float(entry["tau"]), cell),
    }
