"""Run a trained :class:`~matnn.models.crystals.GraphPotential` inside ASE (MD, relaxations, phonons)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from ase.calculators.calculator import Calculator, all_changes

from matnn.data.crystals.batch import batch_graphs
from matnn.data.crystals.graph import build_graph
from matnn.data.crystals.structures import from_ase

__all__ = ["MatnnCalculator"]


class MatnnCalculator(Calculator):
    """ASE calculator: energy (eV), forces (eV/Å) and stress (eV/Å³) from a matnn potential.

    The neighbour graph is rebuilt at every call (pymatgen's neighbour search takes well under a
    millisecond for ~100 atoms), so atoms may move arbitrarily far.

    Parameters
    ----------
    model : GraphPotential
    dtype : torch.dtype, default=torch.float64
        The model is copied to this precision: double precision keeps the energy of long MD runs
        from wandering through float32 round-off.
    device : str, optional
        Default: the model's device.

    Examples
    --------
    >>> atoms.calc = MatnnCalculator(model)               # doctest: +SKIP
    >>> VelocityVerlet(atoms, 1 * units.fs).run(1000)      # doctest: +SKIP
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def __init__(self, model: Any, *, dtype: torch.dtype = torch.float64, device: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model = copy.deepcopy(model).to(dtype=dtype)
        if device is not None:
            from matnn.config import resolve_device

            self.model.to(resolve_device(device))
        self.model.eval()
        self.dtype = dtype
        self.device = next(self.model.parameters()).device

    def calculate(self, atoms: Any = None, properties: Any = ("energy",), system_changes: Any = all_changes) -> None:
        super().calculate(atoms, properties, system_changes)
        crystal = from_ase(self.atoms, with_labels=False)
        graph = build_graph(crystal, self.model.graph_spec)
        batch = batch_graphs([graph], dtype=self.dtype).to(self.device)
        with_stress = "stress" in properties  # the strain derivative costs extra: only when asked
        out = self.model.energy_forces(batch, stress=with_stress)
        energy = float(out["energy"][0])
        self.results = {
            "energy": energy,
            "free_energy": energy,
            "forces": out["forces"].detach().cpu().numpy().astype(np.float64),
        }
        if with_stress:
            s = out["stress"][0].detach().cpu().numpy()
            # ASE's Voigt order: xx, yy, zz, yz, xz, xy
            self.results["stress"] = np.array([s[0, 0], s[1, 1], s[2, 2], s[1, 2], s[0, 2], s[0, 1]], dtype=np.float64)
