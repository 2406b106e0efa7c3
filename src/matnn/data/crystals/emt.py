"""Training data for interatomic potentials, generated here with ASE's EMT calculator.

EMT (effective medium theory, Jacobsen et al. 1996) is a cheap many-body potential for the fcc
metals Al, Cu, Ag, Au, Ni, Pd, Pt and their alloys.  It is not DFT, but it gives exact, consistent
energies, forces and stresses for any configuration in milliseconds — the right stand-in to learn
how to fit a potential without downloading data or weights.

:func:`generate_emt_dataset` builds fcc supercells of random alloys of the requested elements and
perturbs them four ways:

* ``rattled`` — every atom displaced by Gaussian noise (σ 0.02–0.15 Å);
* ``strained`` — a random symmetric strain (each component up to ±4 %) plus small rattling;
* ``vacancy`` — one or two atoms removed, then rattled;
* ``md`` — frames of short Langevin molecular-dynamics runs at 300–1200 K (EMT forces).

Each :class:`~matnn.data.crystals.structures.Crystal` carries ``energy`` (eV), ``forces`` (eV/Å),
``stress`` (eV/Å³) and ``targets['energy_per_atom']``; its ``id`` is ``"<kind>-<n>"``, and all
frames of one MD run share the group ``"md<r>"`` (``id = "md<r>-<frame>"``) so that a split can keep
correlated frames together (:func:`group_of`).
"""

from __future__ import annotations

import functools
import re

import numpy as np

from matnn.core.exceptions import ConfigError, require
from matnn.data.crystals.structures import Crystal, from_ase

__all__ = [
    "EMT_ELEMENTS",
    "parse_system",
    "emt_lattice_constant",
    "generate_emt_dataset",
    "random_alloy",
    "group_of",
    "thermalize",
]

EMT_ELEMENTS = ("Al", "Cu", "Ag", "Au", "Ni", "Pd", "Pt")


def parse_system(system: str) -> list[str]:
    """Split a system name such as ``'CuAu'`` or ``'Cu-Ni-Pd'`` into EMT elements.

    Raises
    ------
    ConfigError
        For elements EMT does not parameterise (allowed: Al, Cu, Ag, Au, Ni, Pd, Pt).
    """
    parts = re.findall(r"[A-Z][a-z]?", str(system))
    if not parts or "".join(parts) != re.sub(r"[^A-Za-z]", "", str(system)):
        raise ConfigError(
            f"The system {system!r} is not a list of element symbols such as 'CuAu' or 'Cu-Ni'. Allowed elements: {', '.join(EMT_ELEMENTS)}."
        )
    bad = [p for p in parts if p not in EMT_ELEMENTS]
    if bad:
        raise ConfigError(
            f"EMT has no parameters for {', '.join(bad)} in system {system!r}. Allowed elements: {', '.join(EMT_ELEMENTS)}."
        )
    return list(dict.fromkeys(parts))


@functools.cache
def emt_lattice_constant(element: str) -> float:
    """fcc lattice constant (Å) minimising the EMT energy of ``element``."""
    require("ase", "crystals")
    from ase.build import bulk
    from ase.calculators.emt import EMT
    from ase.data import atomic_numbers, reference_states
    from scipy.optimize import minimize_scalar

    a0 = reference_states[atomic_numbers[element]]["a"]

    def energy(a: float) -> float:
        atoms = bulk(element, "fcc", a=a, cubic=True)
        atoms.calc = EMT()
        return float(atoms.get_potential_energy())

    res = minimize_scalar(energy, bounds=(0.9 * a0, 1.1 * a0), method="bounded", options={"xatol": 1e-5})
    return float(res.x)


def random_alloy(
    elements: list[str], rng: np.random.Generator, *, supercell: int = 2, fractions: np.ndarray | None = None
):
    """A random-occupancy fcc ``supercell``³ conventional cell (4·supercell³ atoms), Vegard lattice constant."""
    from ase.build import bulk
    from ase.data import atomic_numbers

    if fractions is None:
        fractions = rng.dirichlet(np.ones(len(elements))) if len(elements) > 1 else np.ones(1)
    atoms = bulk(elements[0], "fcc", a=1.0, cubic=True).repeat(supercell)
    n = len(atoms)
    counts = np.floor(fractions * n).astype(int)
    counts[np.argmax(fractions)] += n - counts.sum()
    species = np.repeat(np.arange(len(elements)), counts)
    rng.shuffle(species)
    atoms.numbers = [atomic_numbers[elements[k]] for k in species]
    a = float(np.dot(counts / n, [emt_lattice_constant(e) for e in elements]))
    atoms.set_cell(atoms.cell * a, scale_atoms=True)
    return atoms


def thermalize(atoms, temperature_K: float, rng: np.random.Generator) -> None:
    """Maxwell–Boltzmann momenta at ``temperature_K`` (seeded), across ASE versions."""
    try:
        from ase.md.velocitydistribution import thermalize_momenta  # ASE >= 3.29
    except ImportError:  # older ASE
        from ase.md.velocitydistribution import MaxwellBoltzmannDistribution as _mb

        _mb(atoms, temperature_K=temperature_K, rng=rng)
    else:
        thermalize_momenta(atoms, temperature_K, rng=rng)


def _label(atoms, kind_id: str) -> Crystal:
    from ase.calculators.emt import EMT

    atoms.calc = EMT()
    atoms.get_potential_energy()
    atoms.get_forces()
    atoms.get_stress()
    crystal = from_ase(atoms, id=kind_id)
    crystal.targets["energy_per_atom"] = crystal.energy / crystal.n_atoms
    return crystal


def generate_emt_dataset(
    system: str = "CuAu",
    *,
    n_rattled: int = 100,
    n_strained: int = 60,
    n_vacancy: int = 40,
    n_md_runs: int = 4,
    md_frames: int = 40,
    md_interval: int = 10,
    md_timestep_fs: float = 2.0,
    md_temperatures_K: tuple[float, ...] = (300.0, 600.0, 900.0, 1200.0),
    supercell: int = 2,
    seed: int = 0,
    verbose: bool = True,
) -> list[Crystal]:
    """Generate labelled configurations of ``system`` with EMT (see module docstring).

    Parameters
    ----------
    system : str, default='CuAu'
        Elements to alloy, from Al, Cu, Ag, Au, Ni, Pd, Pt.
    n_rattled, n_strained, n_vacancy : int
        Number of single configurations of each kind.
    n_md_runs, md_frames, md_interval : int
        Langevin runs (cycling through ``md_temperatures_K``), frames kept per run, MD steps between
        kept frames (after ``md_interval * 5`` steps of equilibration).
    md_timestep_fs : float, default=2.0
    supercell : int, default=2
        Repeats of the 4-atom conventional fcc cell per direction (2 → 32 atoms).
    seed : int, default=0
        Everything random (compositions, occupancies, displacements, MD noise) derives from it.

    Returns
    -------
    list of Crystal
        ``n_rattled + n_strained + n_vacancy + n_md_runs * md_frames`` labelled structures.
    """
    require("ase", "crystals")
    from ase import units
    from ase.calculators.emt import EMT
    from ase.md.langevin import Langevin

    from matnn.utils.progress import progress

    elements = parse_system(system)
    for name, value in (
        ("n_rattled", n_rattled),
        ("n_strained", n_strained),
        ("n_vacancy", n_vacancy),
        ("n_md_runs", n_md_runs),
        ("md_frames", md_frames),
    ):
        if not isinstance(value, int) or value < 0:
            raise ConfigError(
                f"The '{name}' parameter of generate_emt_dataset must be an integer >= 0. Got {value!r} instead."
            )
    if not isinstance(supercell, int) or supercell < 1:
        raise ConfigError(f"The 'supercell' parameter must be a positive integer. Got {supercell!r} instead.")
    rng = np.random.default_rng(seed)
    out: list[Crystal] = []
    total = n_rattled + n_strained + n_vacancy + n_md_runs
    bar = progress(total=total, desc=f"EMT data for {''.join(elements)}", enabled=verbose)
    for k in range(n_rattled):
        atoms = random_alloy(elements, rng, supercell=supercell)
        atoms.positions += rng.normal(0.0, rng.uniform(0.02, 0.15), atoms.positions.shape)
        out.append(_label(atoms, f"rattled-{k}"))
        bar.update(1)
    for k in range(n_strained):
        atoms = random_alloy(elements, rng, supercell=supercell)
        eps = rng.uniform(-0.04, 0.04, (3, 3))
        eps = 0.5 * (eps + eps.T)
        atoms.set_cell(atoms.cell.array @ (np.eye(3) + eps), scale_atoms=True)
        atoms.positions += rng.normal(0.0, 0.03, atoms.positions.shape)
        out.append(_label(atoms, f"strained-{k}"))
        bar.update(1)
    for k in range(n_vacancy):
        atoms = random_alloy(elements, rng, supercell=supercell)
        for _ in range(int(rng.integers(1, 3))):
            del atoms[int(rng.integers(len(atoms)))]
        atoms.positions += rng.normal(0.0, 0.05, atoms.positions.shape)
        out.append(_label(atoms, f"vacancy-{k}"))
        bar.update(1)
    for r in range(n_md_runs):
        temperature = md_temperatures_K[r % len(md_temperatures_K)]
        atoms = random_alloy(elements, rng, supercell=supercell)
        if r % 2 == 1 and len(atoms) > 4:  # every other run has a vacancy to diffuse
            del atoms[int(rng.integers(len(atoms)))]
        atoms.calc = EMT()
        thermalize(atoms, temperature, rng)
        dyn = Langevin(
            atoms,
            md_timestep_fs * units.fs,
            temperature_K=temperature,
            friction=0.02,
            fixcm=False,
            rng=np.random.RandomState(int(rng.integers(2**31))),
        )
        dyn.run(5 * md_interval)
        for f in range(md_frames):
            dyn.run(md_interval)
            out.append(_label(atoms.copy(), f"md{r}-{f}"))
        bar.update(1)
    bar.close()
    return out


def group_of(crystal_id: str) -> str:
    """Split group of an id from :func:`generate_emt_dataset`: ``'md2-17'`` → ``'md2'``; others are their own group."""
    return crystal_id.split("-")[0] if crystal_id.startswith("md") else crystal_id
