"""The ASE calculator and energy conservation in constant-energy MD."""

from __future__ import annotations

import numpy as np
import torch

from matnn.data.crystals.emt import random_alloy
from matnn.models.crystals import GraphPotential
from matnn.models.crystals.calculator import MatnnCalculator
from matnn.workflows.crystals.potential import md_energy_drift


def _potential():
    torch.manual_seed(0)
    model = GraphPotential(dim=16, n_interactions=2, cutoff=4.5, n_rbf=12)
    model.adapt([np.array([29, 79])], [-3.0])
    model.energy_scale_.fill_(10.0)
    return model


class _ScaledForces(MatnnCalculator):
    """Forces that are *not* the gradient of the energy (to show the check can fail)."""

    def calculate(self, atoms=None, properties=("energy",), system_changes=None):
        super().calculate(atoms, properties, system_changes or [])
        self.results["forces"] = 1.3 * self.results["forces"]


def test_calculator_matches_the_model_and_ase_stress_convention():
    model = _potential()
    atoms = random_alloy(["Cu", "Au"], np.random.default_rng(0), supercell=1)
    atoms.rattle(0.1, seed=1)
    atoms.calc = MatnnCalculator(model)
    e0 = atoms.get_potential_energy()
    stress = atoms.get_stress(voigt=False)
    # σ = (1/V) ∂E/∂ε, checked through ASE's own cell scaling.
    h = 1e-6
    eps = np.zeros((3, 3))
    eps[0, 0] = h
    plus, minus = atoms.copy(), atoms.copy()
    plus.set_cell(atoms.cell.array @ (np.eye(3) + eps), scale_atoms=True)
    minus.set_cell(atoms.cell.array @ (np.eye(3) - eps), scale_atoms=True)
    plus.calc, minus.calc = MatnnCalculator(model), MatnnCalculator(model)
    fd = (plus.get_potential_energy() - minus.get_potential_energy()) / (2 * h) / atoms.get_volume()
    np.testing.assert_allclose(stress[0, 0], fd, rtol=1e-5, atol=1e-9)
    assert np.isfinite(e0)


def test_nve_md_conserves_energy_only_with_conservative_forces():
    model = _potential()
    atoms = random_alloy(["Cu", "Au"], np.random.default_rng(3), supercell=2)
    atoms.rattle(0.15, seed=2)  # start away from the ideal lattice so potential and kinetic energy exchange
    good = md_energy_drift(atoms, MatnnCalculator(model), steps=60, timestep_fs=1.0, temperature_K=600.0, seed=0)
    bad = md_energy_drift(atoms, _ScaledForces(model), steps=60, timestep_fs=1.0, temperature_K=600.0, seed=0)
    exchanged = np.ptp(good["e_kin"])
    spread_good = np.ptp(good["e_tot"])
    spread_bad = np.ptp(bad["e_tot"])
    assert exchanged > 5e-4  # eV/atom: the atoms really move and trade potential for kinetic energy
    assert spread_good < 0.02 * exchanged, (spread_good, exchanged)
    assert spread_bad > 10 * spread_good, (spread_bad, spread_good)
