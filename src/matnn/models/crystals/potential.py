"""A message-passing interatomic potential: energy as a sum of atomic energies, forces and stress by autograd."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from matnn.core.exceptions import ConfigError, DataError
from matnn.core.registry import register_serializable
from matnn.data.crystals.batch import GraphBatch
from matnn.data.crystals.graph import GraphSpec
from matnn.models.crystals._base import _positive_int, constructor_options
from matnn.models.crystals.layers import CosineCutoff, GaussianExpansion, SchNetInteraction, ShiftedSoftplus
from matnn.models.crystals.scatter import scatter_sum
from matnn.models.model import Model

__all__ = ["InteratomicPotential", "GraphPotential"]


class InteratomicPotential(Model):
    """What every learned potential shares: ``E = Σ_i [ε(Z_i) + s · a_i]``, ``F = -∂E/∂r``, ``σ = (1/V) ∂E/∂ε``.

    A subclass supplies the network's atomic outputs ``a_i`` (:meth:`atomic_outputs`, dimensionless);
    this class adds the element reference energies ``ε(Z)`` (buffer ``atom_ref_``) and the scale ``s``
    (buffer ``energy_scale_``), both fitted by :meth:`adapt`, so the network learns only what
    composition does not explain. Forces and stress come from autograd through the positions and a
    homogeneous strain; :meth:`compute_loss` fits energy per atom, forces and (optionally) stress.

    Parameters
    ----------
    cutoff : float
        Neighbour radius in Å; all neighbours inside it are used (no cap, to keep E smooth).
    energy_weight, force_weight, stress_weight : float
        Loss = ``energy_weight``·MSE(E/N) [eV²/atom²] + ``force_weight``·MSE(F) [eV²/Å²]
        + ``stress_weight``·MSE(σ) [eV²/Å⁶].
    """

    inference_requires_grad = True

    def __init__(
        self, *, cutoff: float, energy_weight: float = 1.0, force_weight: float = 10.0, stress_weight: float = 0.0
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if not (isinstance(cutoff, (int, float)) and cutoff > 0):
            raise ConfigError(
                f"The 'cutoff' parameter of {name} must be a float in (0, inf) Å. Got {cutoff!r} instead."
            )
        for key, value in (
            ("energy_weight", energy_weight),
            ("force_weight", force_weight),
            ("stress_weight", stress_weight),
        ):
            if not (isinstance(value, (int, float)) and value >= 0):
                raise ConfigError(f"The '{key}' parameter of {name} must be a number >= 0. Got {value!r} instead.")
        self.cutoff = float(cutoff)
        self.energy_weight, self.force_weight, self.stress_weight = energy_weight, force_weight, stress_weight
        self.register_buffer("atom_ref_", torch.zeros(101))
        self.register_buffer("energy_scale_", torch.ones(()))

    @property
    def graph_spec(self) -> GraphSpec:
        return GraphSpec(cutoff=self.cutoff, max_neighbors=None)

    @classmethod
    def graph_spec_for(cls, **options: Any) -> GraphSpec:
        """The :attr:`graph_spec` of a potential built with ``options``, without building one."""
        return GraphSpec(cutoff=float(options.get("cutoff", constructor_options(cls)["cutoff"])), max_neighbors=None)

    @classmethod
    def for_data(
        cls, numbers: Sequence[np.ndarray], train_graphs: Sequence[Any], **options: Any
    ) -> InteratomicPotential:
        """A fresh potential for a data set: the atomic numbers of all its structures and the
        training graphs (built with :meth:`graph_spec_for`) are there for subclasses that size
        themselves from the data (:class:`MACEPotential`); this one passes ``options`` on."""
        return cls(**options)

    def atomic_outputs(self, x: GraphBatch, positions: torch.Tensor, cell: torch.Tensor) -> torch.Tensor:
        """The network's output per atom, shape (n_atoms,), differentiable in ``positions`` and ``cell``."""
        raise NotImplementedError

    def _energy(self, x: GraphBatch, positions: torch.Tensor, cell: torch.Tensor) -> torch.Tensor:
        e_atom = self.atomic_outputs(x, positions, cell) * self.energy_scale_ + self.atom_ref_[x.numbers]
        return scatter_sum(e_atom, x.batch, x.n_graphs)

    def _prepare(self, x: GraphBatch, with_stress: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        positions = x.positions
        if not positions.requires_grad:
            positions = positions.detach().requires_grad_(True)
        strain = None
        cell = x.cell
        if with_stress:
            # Apply a homogeneous strain (I + ε) to positions and cell; ∂E/∂ε at ε = 0 is V·σ.
            strain = torch.zeros_like(x.cell, requires_grad=True)
            positions = positions + torch.einsum("ak,akl->al", positions, strain[x.batch])
            cell = cell + torch.bmm(cell, strain)
        return positions, cell, strain

    def forward(self, x: GraphBatch) -> torch.Tensor:
        """Total energy per structure in eV, shape (n_graphs, 1).

        When gradients are enabled, the position leaf (and strain) used are kept on ``x`` as
        ``x.grad_inputs`` so that :meth:`compute_loss` can take forces from the same graph.
        """
        if torch.is_grad_enabled():
            leaf = x.positions if x.positions.requires_grad else x.positions.detach().requires_grad_(True)
            x.positions = leaf
            pos, cell, strain = self._prepare(x, with_stress=self.stress_weight > 0)
            x.grad_inputs = (leaf, strain)  # type: ignore[attr-defined]
            return self._energy(x, pos, cell).unsqueeze(-1)
        return self._energy(x, x.positions, x.cell).unsqueeze(-1)

    def energy_forces(
        self, x: GraphBatch, *, stress: bool = False, create_graph: bool = False
    ) -> dict[str, torch.Tensor]:
        """Energy (n_graphs,) eV, forces (n_atoms, 3) eV/Å and optionally stress (n_graphs, 3, 3) eV/Å³."""
        with torch.enable_grad():
            leaf = x.positions.detach().requires_grad_(True)
            x = dataclasses.replace(x, positions=leaf)  # leave the caller's batch untouched
            pos, cell, strain = self._prepare(x, with_stress=stress)
            energy = self._energy(x, pos, cell)
            inputs = [leaf] + ([strain] if stress else [])
            grads = torch.autograd.grad(energy.sum(), inputs, create_graph=create_graph)
        out = {"energy": energy if create_graph else energy.detach(), "forces": -grads[0]}
        if stress:
            volume = torch.linalg.det(x.cell).abs().view(-1, 1, 1)
            out["stress"] = grads[1] / volume
        return out

    # ------------------------------------------------------------------ training
    def compute_loss(
        self, x: GraphBatch, y: Any, y_pred: torch.Tensor, sample_weight: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Weighted MSE of energy per atom, forces and (optionally) stress (see class docstring)."""
        if not isinstance(y, dict) or "energy" not in y or "forces" not in y:
            raise DataError(
                f"{type(self).__name__} needs targets y = {{'energy': (n_graphs,), 'forces': (n_atoms, 3)[, 'stress']}}."
            )
        leaf, strain = getattr(x, "grad_inputs", (None, None))
        if leaf is None:
            raise DataError("compute_loss() needs the batch that forward() was just called on, with gradients enabled.")
        energy = y_pred.reshape(-1)
        n_atoms = x.n_atoms.to(energy.dtype)
        wants_stress = self.stress_weight > 0 and "stress" in y and strain is not None
        inputs = [leaf] + ([strain] if wants_stress else [])
        grads = torch.autograd.grad(energy.sum(), inputs, create_graph=True)
        forces = -grads[0]
        w_graph = None if sample_weight is None else sample_weight.reshape(-1).to(energy.dtype)
        e_err = ((energy - y["energy"].reshape(-1).to(energy.dtype)) / n_atoms) ** 2
        f_err = (forces - y["forces"].to(forces.dtype)).pow(2).mean(-1)
        if w_graph is not None:
            e_err = e_err * w_graph
            f_err = f_err * w_graph[x.batch]
        loss = self.energy_weight * e_err.mean() + self.force_weight * f_err.mean()
        if wants_stress:
            volume = torch.linalg.det(x.cell).abs().view(-1, 1, 1)
            s_err = (grads[1] / volume - y["stress"].to(energy.dtype)).pow(2).mean((-1, -2))
            loss = loss + self.stress_weight * (s_err * w_graph if w_graph is not None else s_err).mean()
        return loss

    def adapt(
        self, numbers: Sequence[np.ndarray], energies: Sequence[float], forces: Sequence[np.ndarray] | None = None
    ) -> InteratomicPotential:
        """Fit reference energies per element and the energy scale from training data.

        Parameters
        ----------
        numbers : list of int arrays
            Atomic numbers of each training structure.
        energies : array of shape (n_structures,)
            Total energies in eV.
        forces : list of arrays of shape (n_atoms, 3), optional
            Forces in eV/Å; used by subclasses that scale by them (:class:`MACEPotential`).

        ``atom_ref_[Z]`` solves the least-squares problem ``E ≈ Σ_Z count_Z · ε_Z`` (ridge 1e-8 for
        elements whose counts are collinear); ``energy_scale_`` is the std of the residual per atom
        (floored at 10 meV), so the network's atomic outputs start at the right size.
        """
        energies = np.asarray(energies, dtype=np.float64).reshape(-1)
        if len(numbers) != len(energies) or len(energies) == 0:
            raise DataError(
                f"adapt() needs one energy per structure; got {len(numbers)} structures and {len(energies)} energies."
            )
        elements = np.unique(np.concatenate([np.asarray(z) for z in numbers]))
        counts = np.stack([np.bincount(np.asarray(z), minlength=101)[elements] for z in numbers]).astype(np.float64)
        a = counts.T @ counts + 1e-8 * np.eye(len(elements))
        ref = np.linalg.solve(a, counts.T @ energies)
        resid = (energies - counts @ ref) / counts.sum(1)
        ref_full = np.zeros(101)
        ref_full[elements] = ref
        self.atom_ref_.copy_(torch.as_tensor(ref_full, dtype=self.atom_ref_.dtype))
        self.energy_scale_.fill_(float(max(resid.std(), 0.01)))
        return self


@register_serializable("matnn>GraphPotential")
class GraphPotential(InteratomicPotential):
    """SchNet-style potential: ``E = Σ_i [ε(Z_i) + s · NN(h_i)]``, ``F = -∂E/∂r``, ``σ = (1/V) ∂E/∂ε``.

    Every atom starts from an element embedding; ``n_interactions`` continuous-filter convolutions
    (:class:`~matnn.models.crystals.layers.SchNetInteraction`) pass messages along all edges within
    ``cutoff``, damped smoothly to zero there; a small network maps each atom to its output
    ``NN(h_i)``. References, scale, forces, stress and the loss are
    :class:`InteratomicPotential`'s: forces are exactly conservative, which is what keeps an MD
    run's energy constant, and training differentiates the forces again (double backward).

    Parameters
    ----------
    dim : int, default=64
        Width of the atom vectors.
    n_interactions : int, default=3
    cutoff : float, default=5.0
        Neighbour radius in Å (all neighbours are used: no cap, to keep E smooth).
    n_rbf : int, default=32
        Gaussians expanding distances over [0, cutoff].
    energy_weight, force_weight, stress_weight : float, default=1.0, 10.0, 0.0
        See :class:`InteratomicPotential`.

    Input: :class:`~matnn.data.crystals.batch.GraphBatch` built with :attr:`graph_spec`.
    Output of ``forward``/``predict``: total energy per structure, eV, shape (n_graphs, 1).
    :meth:`energy_forces` also returns forces (n_atoms, 3) eV/Å and stress (n_graphs, 3, 3) eV/Å³.

    References
    ----------
    K. T. Schütt et al., "SchNet – A deep learning architecture for molecules and materials",
    J. Chem. Phys. 148, 241722 (2018).
    """

    def __init__(
        self,
        *,
        dim: int = 64,
        n_interactions: int = 3,
        cutoff: float = 5.0,
        n_rbf: int = 32,
        energy_weight: float = 1.0,
        force_weight: float = 10.0,
        stress_weight: float = 0.0,
    ) -> None:
        super().__init__(
            cutoff=cutoff, energy_weight=energy_weight, force_weight=force_weight, stress_weight=stress_weight
        )
        for name, value in (("dim", dim), ("n_interactions", n_interactions), ("n_rbf", n_rbf)):
            _positive_int("GraphPotential", name, value)
        self.dim, self.n_interactions, self.n_rbf = dim, n_interactions, n_rbf
        self.embedding = nn.Embedding(101, dim)
        self.rbf = GaussianExpansion(0.0, cutoff, n_rbf)
        self.fcut = CosineCutoff(cutoff)
        self.interactions = nn.ModuleList([SchNetInteraction(dim, n_rbf) for _ in range(n_interactions)])
        self.atom_energy = nn.Sequential(nn.Linear(dim, dim // 2), ShiftedSoftplus(), nn.Linear(dim // 2, 1))

    def atomic_outputs(self, x: GraphBatch, positions: torch.Tensor, cell: torch.Tensor) -> torch.Tensor:
        vec = x.edge_vectors(positions, cell)
        # sqrt has an infinite slope at 0; edges are never of zero length, the clamp guards padding.
        d = vec.pow(2).sum(-1).clamp_min(1e-12).sqrt()
        rbf, fc = self.rbf(d), self.fcut(d)
        h = self.embedding(x.numbers)
        for block in self.interactions:
            h = block(h, rbf, fc, x.edge_index)
        return self.atom_energy(h).squeeze(-1)

    def get_config(self) -> dict[str, Any]:
        return {
            "dim": self.dim,
            "n_interactions": self.n_interactions,
            "cutoff": self.cutoff,
            "n_rbf": self.n_rbf,
            "energy_weight": self.energy_weight,
            "force_weight": self.force_weight,
            "stress_weight": self.stress_weight,
        }
