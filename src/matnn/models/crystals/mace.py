"""MACE (``mace-torch``) as a matnn potential, trained from scratch on matnn's graphs.

``mace-torch`` is optional (``pip install "matnn[mace]"``). It is used here for its network only:
no pretrained weights are loaded (they cannot be downloaded on our machines), the graphs, the
element references, the loss, the training loop, the MD check and saving are matnn's, so a MACE
model trains with ``matnn crystals potential --model mace`` exactly like the SchNet-style one.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from matnn.core.exceptions import ConfigError
from matnn.core.registry import register_serializable
from matnn.data.crystals.batch import GraphBatch
from matnn.models.crystals._base import _positive_int
from matnn.models.crystals.potential import InteratomicPotential

__all__ = ["MACEPotential", "mace_available"]


def mace_available() -> bool:
    """True when ``mace-torch`` (and its e3nn) is installed; nothing is imported."""
    import importlib.util

    return importlib.util.find_spec("mace") is not None and importlib.util.find_spec("e3nn") is not None


def _import_mace() -> tuple[Any, Any]:
    """``mace.modules`` and ``e3nn.o3``, imported without leaving side effects on the process.

    Importing ``mace`` sets ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``, which e3nn needs to read its
    constants with torch >= 2.6 but which would also turn off the safe loading of every later
    ``torch.load`` in the process; the variable is restored once both are imported. mace also
    prints a notice about an optional GPU library at import.
    """
    key = "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"
    before = os.environ.get(key)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            # mace first: importing it sets the variable that e3nn's import needs (kept out of import sorting)
            from mace import modules  # noqa: I001
            from e3nn import o3
    except ImportError as err:
        raise ConfigError('MACEPotential needs mace-torch: pip install "matnn[mace]" (or mace-torch).') from err
    finally:
        if before is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = before
    return modules, o3


def _atomic_numbers(elements: Sequence[int | str]) -> list[int]:
    from ase.data import atomic_numbers

    out = []
    for e in elements:
        z = atomic_numbers.get(e) if isinstance(e, str) else int(e)
        if z is None or not 0 < z < 101:
            raise ConfigError(
                f"MACEPotential: unknown element {e!r}; give symbols such as 'Cu' or atomic numbers 1-100."
            )
        out.append(int(z))
    if not out:
        raise ConfigError("MACEPotential needs the elements it will see, e.g. elements=['Cu', 'Au'].")
    return sorted(set(out))


@register_serializable("matnn>MACEPotential")
class MACEPotential(InteratomicPotential):
    """A MACE network (Batatia et al., NeurIPS 2022) giving the atomic outputs of an :class:`InteratomicPotential`.

    MACE builds equivariant many-body messages: edge directions enter as spherical harmonics up to
    ``max_ell``, neighbour features are combined into products of up to ``correlation`` atoms
    (body order ``correlation + 1``), and ``n_interactions`` such layers are stacked. Its
    per-atom interaction energies are this potential's atomic outputs; element references, scale,
    forces, stress and loss are :class:`InteratomicPotential`'s. MACE's own element energies and
    scale/shift are set to 0 and 1 so they do not duplicate ours.

    Parameters
    ----------
    elements : list of str or int
        Every element the model will see (one-hot input over this list).
    channels : int, default=32
        Feature channels per irrep (MACE's "128x0e+128x1o" is ``channels=128, max_L=1``).
    max_L : int, default=1
        Highest angular momentum of the hidden features (0 = invariant, 1 = with vectors).
    max_ell : int, default=3
        Highest spherical harmonic of the edge directions.
    correlation : int, default=3
        Body order minus one of the symmetric products.
    n_interactions : int, default=2
    cutoff : float, default=5.0
        Neighbour radius in Å (all neighbours; MACE's polynomial envelope makes E smooth at it).
    n_bessel : int, default=8
        Radial Bessel functions.
    avg_num_neighbors : float, default=40.0
        Normalises summed messages; set it from the training graphs (edges per atom), as the
        potential workflow does.
    energy_weight, force_weight, stress_weight : float
        See :class:`InteratomicPotential`.

    Input: :class:`~matnn.data.crystals.batch.GraphBatch` built with :attr:`graph_spec`.
    Output of ``forward``/``predict``: total energy per structure, eV, shape (n_graphs, 1).

    References
    ----------
    I. Batatia, D. P. Kovács, G. N. C. Simm, C. Ortner, G. Csányi, "MACE: Higher Order Equivariant
    Message Passing Neural Networks for Fast and Accurate Force Fields", NeurIPS 2022.
    """

    def __init__(
        self,
        elements: Sequence[int | str],
        *,
        channels: int = 32,
        max_L: int = 1,
        max_ell: int = 3,
        correlation: int = 3,
        n_interactions: int = 2,
        cutoff: float = 5.0,
        n_bessel: int = 8,
        avg_num_neighbors: float = 40.0,
        energy_weight: float = 1.0,
        force_weight: float = 10.0,
        stress_weight: float = 0.0,
    ) -> None:
        super().__init__(
            cutoff=cutoff, energy_weight=energy_weight, force_weight=force_weight, stress_weight=stress_weight
        )
        for name, value in (
            ("channels", channels),
            ("max_ell", max_ell),
            ("correlation", correlation),
            ("n_interactions", n_interactions),
            ("n_bessel", n_bessel),
        ):
            _positive_int("MACEPotential", name, value)
        if max_L not in (0, 1, 2, 3):
            raise ConfigError(f"The 'max_L' parameter of MACEPotential must be 0, 1, 2 or 3. Got {max_L!r} instead.")
        if not (isinstance(avg_num_neighbors, (int, float)) and avg_num_neighbors > 0):
            raise ConfigError(
                f"The 'avg_num_neighbors' parameter of MACEPotential must be > 0. Got {avg_num_neighbors!r} instead."
            )
        modules, o3 = _import_mace()
        self.elements = _atomic_numbers(elements)
        self.channels, self.max_L, self.max_ell, self.correlation = channels, max_L, max_ell, correlation
        self.n_interactions, self.n_bessel, self.avg_num_neighbors = n_interactions, n_bessel, float(avg_num_neighbors)
        # Maps atomic number → position in the one-hot input; -1 for elements the model does not know.
        index = torch.full((101,), -1, dtype=torch.long)
        index[self.elements] = torch.arange(len(self.elements))
        self.register_buffer("element_index_", index, persistent=False)
        hidden = " + ".join(f"{channels}x{l}{'e' if l % 2 == 0 else 'o'}" for l in range(max_L + 1))
        block = modules.interaction_classes["RealAgnosticResidualInteractionBlock"]
        with warnings.catch_warnings():  # e3nn's TorchScript code generation warns about annotations
            warnings.simplefilter("ignore")
            self.mace = modules.ScaleShiftMACE(
                r_max=self.cutoff,
                num_bessel=n_bessel,
                num_polynomial_cutoff=5,
                max_ell=max_ell,
                interaction_cls=block,
                interaction_cls_first=block,
                num_interactions=n_interactions,
                num_elements=len(self.elements),
                hidden_irreps=o3.Irreps(hidden),
                MLP_irreps=o3.Irreps("16x0e"),
                atomic_energies=np.zeros(len(self.elements)),
                avg_num_neighbors=self.avg_num_neighbors,
                atomic_numbers=self.elements,
                correlation=correlation,
                gate=torch.nn.functional.silu,
                atomic_inter_scale=1.0,
                atomic_inter_shift=0.0,
            )

    @classmethod
    def for_data(cls, numbers: Sequence[np.ndarray], train_graphs: Sequence[Any], **options: Any) -> MACEPotential:
        """A MACE network for every element in ``numbers`` (the atomic numbers of all structures of the
        data), its message normalisation ``avg_num_neighbors`` (unless given) the mean number of edges per
        atom of ``train_graphs``."""
        per_atom = sum(g.edge_index.shape[1] for g in train_graphs) / max(1, sum(len(g.numbers) for g in train_graphs))
        options.setdefault("avg_num_neighbors", max(1.0, float(per_atom)))
        elements = sorted({int(z) for zs in numbers for z in np.asarray(zs).reshape(-1)})
        return cls(elements, **options)

    def atomic_outputs(self, x: GraphBatch, positions: torch.Tensor, cell: torch.Tensor) -> torch.Tensor:
        species = self.element_index_[x.numbers]
        if bool((species < 0).any()):
            unknown = sorted({int(z) for z in x.numbers[species < 0]})
            raise ConfigError(
                f"MACEPotential was built for atomic numbers {self.elements}; the structures contain {unknown}."
            )
        if not positions.requires_grad:  # MACE marks positions as requiring grad: keep the caller's tensor untouched
            positions = positions.detach()
        i = x.edge_index[0]
        data = {
            "positions": positions,
            "node_attrs": torch.nn.functional.one_hot(species, len(self.elements)).to(positions.dtype),
            "edge_index": x.edge_index,  # MACE: row 0 sender, row 1 receiver; vector x_1 - x_0 + shift, as ours
            "shifts": torch.einsum("ek,ekl->el", x.shifts, cell[x.batch[i]]),
            "unit_shifts": x.shifts,
            "cell": cell.reshape(-1, 3),
            "batch": x.batch,
            "ptr": torch.cat([x.n_atoms.new_zeros(1), torch.cumsum(x.n_atoms, 0)]),
        }
        out = self.mace(data, training=self.training, compute_force=False)
        return out["node_energy"].to(positions.dtype)

    def adapt(
        self, numbers: Sequence[np.ndarray], energies: Sequence[float], forces: Sequence[np.ndarray] | None = None
    ) -> MACEPotential:
        """As :meth:`InteratomicPotential.adapt`, but with forces the scale is their RMS (eV/Å × 1 Å).

        That is MACE's own default ("rms_forces_scaling"): its freshly initialised outputs vary
        slowly with position, and scaling them by the typical per-atom energy residual (often
        ~10 meV) leaves the initial forces, and with them the force gradients, far too small to
        learn from in the first epochs.
        """
        super().adapt(numbers, energies)
        if forces is not None and len(forces):
            rms = float(
                np.sqrt(np.mean(np.concatenate([np.asarray(f, dtype=np.float64).reshape(-1) for f in forces]) ** 2))
            )
            self.energy_scale_.fill_(max(rms, 0.01))
        return self

    def get_config(self) -> dict[str, Any]:
        return {
            "elements": list(self.elements),
            "channels": self.channels,
            "max_L": self.max_L,
            "max_ell": self.max_ell,
            "correlation": self.correlation,
            "n_interactions": self.n_interactions,
            "cutoff": self.cutoff,
            "n_bessel": self.n_bessel,
            "avg_num_neighbors": self.avg_num_neighbors,
            "energy_weight": self.energy_weight,
            "force_weight": self.force_weight,
            "stress_weight": self.stress_weight,
        }
