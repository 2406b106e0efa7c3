"""A physics-based synthetic fleet of LFP/graphite cells aged by fast charging (PyBaMM).

This is the data matnn ships with: no file is needed to run the battery workflow end to end.
Every cell is an 18650 LFP/graphite cell (PyBaMM's ``Prada2013`` parameter set, A123 chemistry,
scaled to the 1.1 Ah of the Severson cells) cycled like the Severson et al. (2019) fleet: a
two-step fast charge ``C1`` to ``Q1`` then ``C2`` to 80 % state of charge, 1C CC-CV to 3.6 V,
4C discharge to 2.0 V with a CV hold, at 30 °C.

Ageing physics (PyBaMM single-particle model with three degradation submodels):

* **SEI growth**, solvent-diffusion limited (``"SEI": "solvent-diffusion limited"``): loss of
  lithium inventory (LLI) slowing down as the film thickens, plus film resistance;
* **lithium plating**, irreversible (``"lithium plating": "irreversible"``), driven by the
  negative electrode's potential during the fast charge;
* **loss of active material** in the negative electrode, current driven
  (``"loss of active material": "current-driven"``, rate ∝ (i / i_1C)²).

The knee comes from their coupling: LAM shrinks the graphite electrode, which then sits at a
higher stoichiometry and lower potential at the end of each fast charge, so plating accelerates
and LLI runs away (the "LAM-induced plating" pathway of Attia et al., JES 2022).  SEI and plating
constants of graphite come from ``OKane2022``; the plating rate constant, LAM rate and SEI
diffusivity vary from cell to cell (log-normal), as do porosity-related active-material fractions,
lithium inventory and contact resistance.

Reaching end of life (hundreds to thousands of cycles) by simulating every cycle would take hours
per cell.  Degradation is slow compared with one cycle, so time scales separate: the simulator
runs one *full* PyBaMM cycle (the cell's own charge policy and the 4C discharge) from the current
degradation state, reads the per-cycle increments of SEI thickness, active-material fraction and
lithium inventory, and advances the state by ``Δn`` cycles (forward Euler in cycle number,
"cycle skipping"; ``Δn`` ≤ 100 is chosen so that the capacity changes by at most 6 mAh and the
graphite fraction by at most 1 % per step).
Cycles 1, 2, 5, 10, 15, …, 100 are simulated (their Q(V) comes straight from PyBaMM 4C
discharges, recorded every 2 s; the cycles between are interpolated linearly in cycle number);
afterwards only the capacity is tracked, until it falls below 80 % of nominal (0.88 Ah), which
gives the cycle life.  Before each probe cycle the cell is
re-initialised at equilibrium at the bottom of discharge with the electrode stoichiometries that
the lithium inventory and electrode capacities imply (electrode state of health at 2.0 V).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import ConfigError, DataError, require
from matnn.data.battery.dataset import NOMINAL_CAPACITY_AH, BatteryDataset

__all__ = ["FleetConfig", "CellSpec", "sample_cells", "simulate_cell", "simulate_fleet", "default_cache_dir"]

SIMULATOR_VERSION = "2"
_F = 96485.33212  # Faraday constant, C/mol
_HEADER = "matnn synthetic fleet"


@dataclass(frozen=True)
class FleetConfig:
    """Settings of a synthetic fleet (every field enters the cache key).

    Parameters
    ----------
    n_cells : int, default=48
        Number of cells.
    seed : int, default=0
        Seed of the cell-to-cell variation and the measurement noise.
    first_cycle, last_cycle : int, default=2, 100
        Cycles whose Q(V) is recorded (Severson: 2 to 100).
    n_voltages : int, default=200
        Points of the uniform voltage grid 3.6 V → 2.0 V.
    max_cycles : int, default=3000
        Cells still above 80 % capacity here are reported with this (censored) life.
    noise_ah : float, default=1e-4
        Standard deviation (Ah) of Gaussian measurement noise added to each Q(V) point.
    variation : float, default=1.0
        Scale of all cell-to-cell variation (0 gives identical cells except for the charge policy).
    model : {"SPM", "SPMe"}, default="SPM"
        PyBaMM model; SPM is about 4× faster and adequate at these rates for LFP.
    record_every : int, default=5
        Cycles 1..last_cycle are simulated every ``record_every`` cycles (plus first_cycle, 10 and
        last_cycle); Q(V) of the cycles in between is interpolated linearly in cycle number.
    """

    n_cells: int = 48
    seed: int = 0
    first_cycle: int = 2
    last_cycle: int = 100
    n_voltages: int = 200
    max_cycles: int = 3000
    noise_ah: float = 1e-4
    variation: float = 1.0
    model: str = "SPM"
    record_every: int = 5

    def __post_init__(self) -> None:
        if self.n_cells < 1:
            raise ConfigError(f"FleetConfig.n_cells must be a positive integer. Got {self.n_cells!r} instead.")
        if not 1 <= self.first_cycle < self.last_cycle:
            raise ConfigError(
                f"FleetConfig needs 1 <= first_cycle < last_cycle. Got {self.first_cycle!r} and {self.last_cycle!r}."
            )
        if self.max_cycles <= self.last_cycle:
            raise ConfigError(
                f"FleetConfig.max_cycles must exceed last_cycle ({self.last_cycle}). Got {self.max_cycles!r}."
            )
        if self.model not in {"SPM", "SPMe"}:
            raise ConfigError(f"FleetConfig.model must be 'SPM' or 'SPMe'. Got {self.model!r} instead.")
        if self.noise_ah < 0 or self.variation < 0:
            raise ConfigError("FleetConfig.noise_ah and FleetConfig.variation must be >= 0.")

    def key(self) -> str:
        """Short hash of the settings and the simulator version (the cache file name)."""
        blob = json.dumps({**asdict(self), "n_cells": 0, "version": SIMULATOR_VERSION}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class CellSpec:
    """One simulated cell: its fast-charge policy and manufacturing/ageing variation.

    Rates are C-rates of the 1.1 Ah nominal capacity; ``q1`` is a state-of-charge fraction.
    """

    index: int
    c1: float
    q1: float
    c2: float
    eps_n_factor: float = 1.0
    eps_p_factor: float = 1.0
    lithium_factor: float = 1.0
    contact_resistance_ohm: float = 0.012
    sei_diffusivity_factor: float = 1.0
    plating_factor: float = 1.0
    lam_factor: float = 1.0
    noise_seed: int = 0

    @property
    def policy(self) -> str:
        """Severson-style policy name, e.g. ``'6.0C(30%)-3.6C'``."""
        return f"{self.c1:.1f}C({100 * self.q1:.0f}%)-{self.c2:.1f}C"

    @property
    def charge_time_min(self) -> float:
        """Time from 0 to 80 % state of charge in minutes."""
        return 60.0 * (self.q1 / self.c1 + (0.8 - self.q1) / self.c2)


# Base constants (calibrated once so the default fleet spans ~300 to ~2,000 cycles, see docs/battery.md).
_BASE = {
    "sei_diffusivity": 2.5e-21,  # m2/s; 10x OKane2022's graphite value (these cells age at ~35 C under fast charge)
    "plating_rate": 5.0e-13,  # m/s; OKane2022 has 1e-9 (NMC811/graphite), which would plate ~0.2 Ah per fast charge here
    "lam_rate": 1.0e-8,  # 1/s at the 1C current density, current-driven LAM of graphite
    "lam_exponent": 2.0,
}


def sample_cells(config: FleetConfig) -> list[CellSpec]:
    """Draw the policies and the cell-to-cell variation of a fleet.

    Policies follow Severson's design: ``C1`` in [3.6, 8] C until ``Q1`` in [5, 70] % SOC, then
    ``C2`` in [3, 6] C to 80 % SOC.  Variation factors are log-normal around 1.
    """
    rng = np.random.default_rng(config.seed)
    s = config.variation
    cells = []
    for i in range(config.n_cells):
        c1 = float(np.round(rng.uniform(3.6, 8.0), 1))
        q1 = float(np.round(rng.uniform(0.05, 0.70), 2))
        c2 = float(np.round(rng.uniform(3.0, 6.0), 1))
        cells.append(
            CellSpec(
                index=i,
                c1=c1,
                q1=q1,
                c2=c2,
                eps_n_factor=float(1.0 + 0.015 * s * rng.standard_normal()),
                eps_p_factor=float(1.0 + 0.015 * s * rng.standard_normal()),
                lithium_factor=float(1.0 + 0.007 * s * rng.standard_normal()),
                contact_resistance_ohm=float(0.012 * np.exp(0.2 * s * rng.standard_normal())),
                sei_diffusivity_factor=float(np.exp(0.25 * s * rng.standard_normal())),
                plating_factor=float(np.exp(0.5 * s * rng.standard_normal())),
                lam_factor=float(np.exp(0.5 * s * rng.standard_normal())),
                noise_seed=int(rng.integers(2**31)),
            )
        )
    return cells


# ---------------------------------------------------------------------------------------------
# PyBaMM set-up (per worker process)
# ---------------------------------------------------------------------------------------------
_INPUTS = (
    "Initial SEI thickness [m]",
    "Negative electrode active material volume fraction",
    "Initial concentration in negative electrode [mol.m-3]",
    "Initial concentration in positive electrode [mol.m-3]",
)


def _parameter_values() -> Any:
    """Prada2013 (LFP/graphite A123) scaled to 1.1 Ah, with OKane2022's graphite SEI/plating constants."""
    pybamm = require("pybamm", "battery")
    p = pybamm.ParameterValues("Prada2013")
    okane = pybamm.ParameterValues("OKane2022")
    words = ("sei", "plating", "plated", "lithium metal", "dead lithium", "solvent", "ec ")
    extra = {k: okane[k] for k in okane.keys() if any(w in k.lower() for w in words) and k not in p.keys()}
    p.update(extra, check_already_exists=False)
    width = float(p["Electrode width [m]"]) * NOMINAL_CAPACITY_AH / float(p["Nominal cell capacity [A.h]"])

    def lam_rate(i, T):  # current-driven LAM; negative = loss
        i_1c = pybamm.InputParameter("1C current density [A.m-2]")
        return -pybamm.InputParameter("LAM rate [s-1]") * (abs(i) / i_1c) ** _BASE["lam_exponent"]

    p.update(
        {
            "Electrode width [m]": width,
            "Nominal cell capacity [A.h]": NOMINAL_CAPACITY_AH,
            "Ambient temperature [K]": 303.15,
            "Initial temperature [K]": 303.15,
            # Graphite and LFP solid diffusivities 10x Prada2013's: with the published values the
            # 4C discharge delivers only ~50 % of capacity, the Severson cells deliver ~95 %.
            "Negative particle diffusivity [m2.s-1]": 10 * float(p["Negative particle diffusivity [m2.s-1]"]),
            "Positive particle diffusivity [m2.s-1]": 10 * float(p["Positive particle diffusivity [m2.s-1]"]),
            "Upper voltage cut-off [V]": 3.8,
            "Lower voltage cut-off [V]": 1.9,
            "Negative electrode current-driven LAM rate": lam_rate,
            "Lithium plating kinetic rate constant [m.s-1]": "[input]",
            "SEI solvent diffusivity [m2.s-1]": "[input]",
            "Positive electrode active material volume fraction": "[input]",
            "Contact resistance [Ohm]": "[input]",
            **{k: "[input]" for k in _INPUTS},
        },
        check_already_exists=False,
    )
    return p


def _electrode_constants(p: Any) -> dict[str, float]:
    base = {}
    pybamm = require("pybamm", "battery")
    ref = pybamm.ParameterValues("Prada2013")
    area = float(ref["Electrode height [m]"]) * float(p["Electrode width [m]"])
    for d, D in (("n", "Negative"), ("p", "Positive")):
        base[f"eps_{d}"] = float(ref[f"{D} electrode active material volume fraction"])
        base[f"cmax_{d}"] = float(ref[f"Maximum concentration in {D.lower()} electrode [mol.m-3]"])
        # capacity per unit active-material fraction (Ah)
        base[f"q_{d}_per_eps"] = float(ref[f"{D} electrode thickness [m]"]) * area * base[f"cmax_{d}"] * _F / 3600.0
    x100 = float(ref["Initial concentration in negative electrode [mol.m-3]"]) / base["cmax_n"]
    y100 = float(ref["Initial concentration in positive electrode [mol.m-3]"]) / base["cmax_p"]
    base["q_li"] = x100 * base["eps_n"] * base["q_n_per_eps"] + y100 * base["eps_p"] * base["q_p_per_eps"]
    base["i_1c"] = NOMINAL_CAPACITY_AH / area  # A/m2
    base["u_n"] = ref["Negative electrode OCP [V]"]
    base["u_p"] = ref["Positive electrode OCP [V]"]
    return base


def bottom_stoichiometries(
    q_li: float, q_n: float, q_p: float, u_n: Any, u_p: Any, voltage: float = 2.0
) -> tuple[float, float]:
    """Electrode stoichiometries (x in graphite, y in LFP) at open-circuit ``voltage``.

    Solves ``U_p(y) − U_n(x) = voltage`` with lithium conservation ``x q_n + y q_p = q_li``
    (all in Ah).  When the voltage cannot be reached the bound closest to it is returned.
    """
    from scipy.optimize import brentq

    lo = max(0.0, (q_li - q_p) / q_n) + 1e-9
    hi = min(1.0, q_li / q_n) - 1e-9

    def f(x: float) -> float:
        y = (q_li - x * q_n) / q_p
        return float(u_p(y) - u_n(x)) - voltage

    if f(lo) >= 0:
        x = lo
    elif f(hi) <= 0:
        x = hi
    else:
        x = brentq(f, lo, hi, xtol=1e-10)
    return x, (q_li - x * q_n) / q_p


_WORKER: dict[str, Any] = {}
_INITIAL_SEI_M = 5e-9  # OKane2022's initial SEI thickness (m)
_STEP_AH = 0.006  # capacity change allowed per extrapolation step (Ah)
_STEP_LAM = 0.01  # relative change of the graphite active-material fraction allowed per step


def _worker_init() -> None:
    from matnn.config import set_num_threads

    set_num_threads(1)


def _setup() -> tuple[Any, dict[str, float]]:
    if "params" not in _WORKER:
        import warnings

        warnings.filterwarnings("ignore")
        p = _parameter_values()
        _WORKER["params"] = p
        _WORKER["const"] = _electrode_constants(p)
    return _WORKER["params"], _WORKER["const"]


def _experiment() -> Any:
    """One Severson cycle whose fast-charge currents and switch capacities are input parameters.

    Making the policy an input lets each worker build and discretise the model once and reuse it
    for every cell (building costs ~2 s, a cycle ~30 ms).
    """
    pybamm = require("pybamm", "battery")
    i1 = pybamm.InputParameter("Charge current 1 [A]")
    i2 = pybamm.InputParameter("Charge current 2 [A]")
    q1 = pybamm.InputParameter("Charge switch capacity [A.h]")
    q2 = pybamm.InputParameter("Fast-charge capacity [A.h]")
    # "Discharge capacity [A.h]" counts from 0 at the start of the cycle and falls while charging.
    end1 = pybamm.step.CustomTermination("first fast-charge step done", lambda v: q1 + v["Discharge capacity [A.h]"])
    end2 = pybamm.step.CustomTermination("fast charge done", lambda v: q2 + v["Discharge capacity [A.h]"])
    return pybamm.Experiment(
        [
            (
                pybamm.step.current(-i1, termination=[end1, "> 3.6 V"], duration=3600),
                pybamm.step.current(-i2, termination=[end2, "> 3.6 V"], duration=3600),
                "Charge at 1C until 3.6 V",
                "Hold at 3.6 V until C/20",
                "Rest for 5 minutes",
                "Discharge at 4C until 2.0 V (2 second period)",  # dense Q(V); the default period is 1 min
                "Hold at 2.0 V until C/50",
                "Rest for 5 minutes",
            )
        ]
    )


def _simulation(model_name: str) -> Any:
    """The worker's cached PyBaMM simulation (built on first use)."""
    key = f"sim_{model_name}"
    if key not in _WORKER:
        pybamm = require("pybamm", "battery")
        params, _ = _setup()
        model = getattr(pybamm.lithium_ion, model_name)(
            {
                "SEI": "solvent-diffusion limited",
                "SEI porosity change": "false",
                "lithium plating": "irreversible",
                "loss of active material": ("current-driven", "none"),
                "contact resistance": "true",
            }
        )
        _WORKER[key] = pybamm.Simulation(
            model, parameter_values=params, experiment=_experiment(), solver=pybamm.IDAKLUSolver()
        )
    return _WORKER[key]


_V = {
    "sei": "X-averaged negative SEI thickness [m]",
    "eps": "X-averaged negative electrode active material volume fraction",
    "lli_sei": "Loss of capacity to negative SEI [A.h]",
    "lli_pl": "Loss of capacity to negative lithium plating [A.h]",
}


def simulate_cell(spec: CellSpec, config: FleetConfig = FleetConfig()) -> dict[str, Any]:
    """Age one cell to end of life; return its Q(V) curves, cycle life and capacity trajectory.

    Returns
    -------
    dict
        ``qdlin`` (n_voltages, n_cycles) Ah on the 3.6 → 2.0 V grid for cycles
        ``first_cycle..last_cycle``; ``cycle_life`` (cycles to 0.88 Ah); ``traj_cycle`` and
        ``traj_capacity_ah`` (capacity at each simulated cycle); ``lli_sei_ah``, ``lli_plating_ah``
        and ``lam_n`` at end of life; ``wall_s``.
    """
    require("pybamm", "battery")
    t_start = time.perf_counter()
    params, c = _setup()
    sim = _simulation(config.model)
    eps_p = c["eps_p"] * spec.eps_p_factor
    q_p = eps_p * c["q_p_per_eps"]
    state = {
        "sei": _INITIAL_SEI_M,
        "eps_n": c["eps_n"] * spec.eps_n_factor,
        "q_li": c["q_li"] * spec.lithium_factor,
    }
    fixed = {
        "Positive electrode active material volume fraction": eps_p,
        "Contact resistance [Ohm]": spec.contact_resistance_ohm,
        "SEI solvent diffusivity [m2.s-1]": _BASE["sei_diffusivity"] * spec.sei_diffusivity_factor,
        "Lithium plating kinetic rate constant [m.s-1]": _BASE["plating_rate"] * spec.plating_factor,
        "LAM rate [s-1]": _BASE["lam_rate"] * spec.lam_factor,
        "1C current density [A.m-2]": c["i_1c"],
        "Charge current 1 [A]": spec.c1 * NOMINAL_CAPACITY_AH,
        "Charge current 2 [A]": spec.c2 * NOMINAL_CAPACITY_AH,
        "Charge switch capacity [A.h]": spec.q1 * NOMINAL_CAPACITY_AH,
        "Fast-charge capacity [A.h]": 0.8 * NOMINAL_CAPACITY_AH,
    }
    grid = np.linspace(3.6, 2.0, config.n_voltages)
    n_rec = config.last_cycle - config.first_cycle + 1
    qdlin = np.zeros((config.n_voltages, n_rec))
    lli_sei = lli_pl = 0.0

    def probe() -> dict[str, Any]:
        q_n = state["eps_n"] * c["q_n_per_eps"]
        x0, y0 = bottom_stoichiometries(state["q_li"], q_n, q_p, c["u_n"], c["u_p"], 2.0)
        inputs = {
            **fixed,
            "Initial SEI thickness [m]": state["sei"],
            "Negative electrode active material volume fraction": state["eps_n"],
            "Initial concentration in negative electrode [mol.m-3]": x0 * c["cmax_n"],
            "Initial concentration in positive electrode [mol.m-3]": y0 * c["cmax_p"],
        }
        sol = sim.solve(inputs=inputs)
        cyc = sol.cycles[-1]
        steps = cyc.steps
        if len(steps) < 8 or any(s is None or type(s).__name__ == "EmptySolution" for s in steps[5:7]):
            raise DataError(
                f"PyBaMM could not complete a cycle of simulated cell {spec.index} ({spec.policy}); "
                f"state {state}. Try another seed or --model SPMe."
            )
        dis = steps[5]
        v = dis["Voltage [V]"].entries
        qd = dis["Discharge capacity [A.h]"].entries
        qd = qd - qd[0]
        # capacity as Severson measured it: the 4C discharge plus the CV hold at 2.0 V
        capacity = float(steps[6]["Discharge capacity [A.h]"].entries[-1] - dis["Discharge capacity [A.h]"].entries[0])
        # Q(V) on the grid: Q is 0 above the first voltage after the IR drop, flat below the last.
        order = np.argsort(v)
        q_on_grid = np.interp(grid, v[order], qd[order], left=qd[-1], right=0.0)
        out = {"q": q_on_grid, "capacity": capacity}
        for k, name in _V.items():
            e = np.asarray(sol[name].entries)
            e = e.reshape(-1, e.shape[-1]).mean(axis=0) if e.ndim > 1 else e
            out[k] = float(e[-1] - e[0])
        return out

    rng = np.random.default_rng(spec.noise_seed)
    traj_n: list[float] = []
    traj_q: list[float] = []
    n = 1
    life = float(config.max_cycles)
    step_n = 1
    # Early cycles are probed every `record_every` cycles (and at first_cycle, 10 and last_cycle);
    # Q(V) of the cycles between is interpolated linearly in cycle number: the degradation state
    # changes by well under 0.1 % of capacity over 5 cycles, so this is exact to the noise level.
    early = {1, config.first_cycle, config.last_cycle, *range(0, config.last_cycle + 1, config.record_every)}
    early.discard(0)
    early_cycles = sorted(c for c in early if c <= config.last_cycle)
    rec_n: list[int] = []
    rec_q: list[np.ndarray] = []
    while n <= config.max_cycles:
        r = probe()
        traj_n.append(n)
        traj_q.append(r["capacity"])
        if n <= config.last_cycle:
            rec_n.append(n)
            rec_q.append(r["q"])
        if r["capacity"] < 0.8 * NOMINAL_CAPACITY_AH:
            if len(traj_n) > 1:
                n0, q0 = traj_n[-2], traj_q[-2]
                frac = (q0 - 0.8 * NOMINAL_CAPACITY_AH) / max(q0 - r["capacity"], 1e-12)
                life = n0 + frac * (n - n0)
            else:
                life = float(n)
            break
        if n < config.last_cycle:
            step_n = min(c for c in early_cycles if c > n) - n
        else:
            # capacity change per cycle from the lithium lost and the last two capacities
            dq = r["lli_sei"] + r["lli_pl"]
            if len(traj_q) > 1 and traj_n[-1] > traj_n[-2]:
                dq = max(dq, (traj_q[-2] - traj_q[-1]) / (traj_n[-1] - traj_n[-2]))
            step_n = _STEP_AH / max(dq, 1e-9)
            # LAM changes the capacity only once graphite limits it (the knee), so its own rate bounds the step too
            step_n = min(step_n, _STEP_LAM * state["eps_n"] / max(-r["eps"], 1e-15))
            step_n = int(np.clip(step_n, 1, 100))
            step_n = min(step_n, config.max_cycles + 1 - n) or 1
        state["sei"] += step_n * r["sei"]
        state["eps_n"] += step_n * r["eps"]
        state["q_li"] -= step_n * (r["lli_sei"] + r["lli_pl"])
        lli_sei += step_n * r["lli_sei"]
        lli_pl += step_n * r["lli_pl"]
        n += step_n
    if len(rec_n) < 2 or rec_n[-1] < config.last_cycle:
        raise DataError(
            f"Simulated cell {spec.index} ({spec.policy}) reached end of life before cycle {config.last_cycle}; "
            "lower the variation or the ageing rates."
        )
    rec = np.stack(rec_q, axis=1)  # (n_voltages, n_probed)
    wanted = np.arange(config.first_cycle, config.last_cycle + 1)
    for j in range(config.n_voltages):
        qdlin[j] = np.interp(wanted, rec_n, rec[j])
    if config.noise_ah > 0:
        qdlin = qdlin + config.noise_ah * rng.standard_normal(qdlin.shape)
    return {
        "qdlin": qdlin,
        "cycle_life": float(np.round(life)),
        "traj_cycle": np.asarray(traj_n, dtype=float),
        "traj_capacity_ah": np.asarray(traj_q, dtype=float),
        "lli_sei_ah": lli_sei,
        "lli_plating_ah": lli_pl,
        "lam_n": 1.0 - state["eps_n"] / (c["eps_n"] * spec.eps_n_factor),
        "wall_s": time.perf_counter() - t_start,
    }


def _run_one(args: tuple[CellSpec, FleetConfig]) -> tuple[int, dict[str, Any]]:
    """Simulate one cell; a failure comes back as ``{"error": message}`` instead of killing the fleet."""
    spec, config = args
    try:
        return spec.index, simulate_cell(spec, config)
    except Exception as exc:  # PyBaMM solver failures, cells dying before the last recorded cycle
        return spec.index, {"error": f"{type(exc).__name__}: {exc}"[:500]}


def default_cache_dir() -> Path:
    """``$MATNN_CACHE_DIR`` or ``$XDG_CACHE_HOME/matnn`` or ``~/.cache/matnn``."""
    env = os.environ.get("MATNN_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "matnn"


def simulate_fleet(
    config: FleetConfig | None = None,
    *,
    cache_dir: str | os.PathLike | None = None,
    use_cache: bool = True,
    workers: int | None = None,
    show_progress: bool = True,
    scheduler: str | None = None,
) -> BatteryDataset:
    """Simulate (or load from cache) a fleet and return it as a :class:`BatteryDataset`.

    Each finished cell is checkpointed to ``<cache_dir>/fleet-<key>/cell_NNNN.npz``, so an
    interrupted run resumes where it stopped; the same settings reuse the cells already simulated
    (a larger ``n_cells`` with the same seed extends a smaller fleet).

    Parameters
    ----------
    config : FleetConfig, optional
        Fleet settings (default 48 cells, seed 0).
    cache_dir : path, optional
        Cache folder (default :func:`default_cache_dir`).
    use_cache : bool, default=True
        False simulates every cell again (results still written to the cache).
    workers : int, optional
        Worker processes of a local Dask cluster (default :func:`matnn.config.get_num_workers`), each
        single-threaded; 1 simulates in this process.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``) to simulate on instead.

    Returns
    -------
    BatteryDataset
        ``qdlin`` of shape (n_cells, n_voltages, n_cycles), cycle lives, and metadata columns
        ``c1``, ``q1``, ``c2``, ``charge_time_min`` and the ageing factors of each cell.
    """
    from matnn.config import get_num_workers
    from matnn.core.engines import Executor
    from matnn.utils.io import atomic_save_npz, ensure_dir
    from matnn.utils.progress import progress

    require("pybamm", "battery")
    config = config or FleetConfig()
    specs = sample_cells(config)
    folder = ensure_dir(Path(cache_dir) if cache_dir is not None else default_cache_dir()) / f"fleet-{config.key()}"
    ensure_dir(folder)
    results: dict[int, dict[str, Any]] = {}
    if use_cache:
        for spec in specs:
            f = folder / f"cell_{spec.index:04d}.npz"
            if f.exists():
                try:
                    with np.load(f) as z:
                        results[spec.index] = {k: z[k] for k in z.files}
                except Exception:  # a corrupt checkpoint is simply recomputed
                    pass
    todo = [s for s in specs if s.index not in results]
    failed: dict[int, str] = {}
    n_workers = min(get_num_workers(workers), max(1, len(todo)))
    bar = progress(total=len(specs), desc="simulating cells (PyBaMM)", enabled=show_progress)
    if results:
        bar.update(len(results))
    if todo:
        jobs = [(s, config) for s in todo]

        def store(idx: int, res: dict[str, Any]) -> None:
            if "error" in res:
                failed[idx] = res["error"]
            else:
                results[idx] = res
                atomic_save_npz(folder / f"cell_{idx:04d}.npz", **{k: np.asarray(v) for k, v in res.items()})
            bar.update(1)

        if n_workers == 1 and scheduler is None:
            _worker_init()
        # one task per cell on matnn's executor (a local Dask cluster, or the cluster at ``scheduler``); each
        # cell is cached the moment it finishes, so a killed fleet resumes from its cache
        with Executor(workers=n_workers, scheduler=scheduler, threads_per_worker=1) as ex:
            for _, (idx, res) in ex.as_completed(_run_one, jobs):
                store(idx, res)
    bar.close()
    if not results:
        raise DataError(f"Every simulated cell failed; first error: {next(iter(failed.values()), 'none')}")
    kept = [s for s in specs if s.index in results]
    ds = _assemble(kept, results, config, folder)
    for idx, msg in sorted(failed.items()):
        ds.qc_report.append(f"simulated cell {idx} ({specs[idx].policy}) failed and was left out: {msg}")
    return ds


def _assemble(
    specs: list[CellSpec], results: dict[int, dict[str, Any]], config: FleetConfig, folder: Path
) -> BatteryDataset:
    n = len(specs)
    qdlin = np.stack([np.asarray(results[s.index]["qdlin"]) for s in specs])
    life = np.array([float(results[s.index]["cycle_life"]) for s in specs])
    max_len = max(len(results[s.index]["traj_cycle"]) for s in specs)
    traj_n = np.full((n, max_len), np.nan)
    traj_q = np.full((n, max_len), np.nan)
    for i, s in enumerate(specs):
        k = len(results[s.index]["traj_cycle"])
        traj_n[i, :k] = results[s.index]["traj_cycle"]
        traj_q[i, :k] = results[s.index]["traj_capacity_ah"]
    meta: dict[str, np.ndarray] = {
        "policy": np.array([s.policy for s in specs]),
        "c1": np.array([s.c1 for s in specs]),
        "q1": np.array([s.q1 for s in specs]),
        "c2": np.array([s.c2 for s in specs]),
        "charge_time_min": np.array([s.charge_time_min for s in specs]),
        "plating_factor": np.array([s.plating_factor for s in specs]),
        "lam_factor": np.array([s.lam_factor for s in specs]),
        "sei_diffusivity_factor": np.array([s.sei_diffusivity_factor for s in specs]),
        "lli_sei_ah": np.array([float(results[s.index]["lli_sei_ah"]) for s in specs]),
        "lli_plating_ah": np.array([float(results[s.index]["lli_plating_ah"]) for s in specs]),
        "lam_n_eol": np.array([float(results[s.index]["lam_n"]) for s in specs]),
        "sim_wall_s": np.array([float(results[s.index]["wall_s"]) for s in specs]),
        "traj_cycle": traj_n,
        "traj_capacity_ah": traj_q,
    }
    censored = int(np.sum(life >= config.max_cycles))
    notes = [f"{_HEADER}: {n} cells, settings {asdict(config)}, cache {folder}"]
    if censored:
        notes.append(
            f"{censored} cells did not reach 80 % capacity by cycle {config.max_cycles}; their life is censored at that value."
        )
    return BatteryDataset(
        qdlin=qdlin,
        cycle_life=life,
        voltage=np.linspace(3.6, 2.0, config.n_voltages),
        cycles=np.arange(config.first_cycle, config.last_cycle + 1),
        cell_ids=[f"sim{s.index:04d}" for s in specs],
        metadata=meta,
        qc_report=notes,
        source=f"pybamm fleet (seed {config.seed})",
    )
