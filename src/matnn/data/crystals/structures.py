"""A light, validated crystal record and readers for the file formats users bring.

:class:`Crystal` holds NumPy arrays only (atomic numbers, Cartesian positions, lattice), so that
thousands of them cost little memory and graph building never has to go through heavier objects.
Converters connect it to the field's libraries: :func:`from_pymatgen` / :func:`to_pymatgen`
(``pymatgen.core.Structure``) and :func:`from_ase` / :func:`to_ase` (``ase.Atoms``).

Readers
-------
:func:`read_structures` reads

* ``.jsonl`` / ``.jsonl.gz``: one JSON object per line with ``lattice`` (3×3, Å, rows are lattice
  vectors), ``species`` (element symbols), ``frac_coords`` (n×3) or ``cart_coords`` (n×3, Å),
  optional ``id`` and ``targets`` (name → number), optional ``energy`` (eV), ``forces`` (n×3, eV/Å),
  ``stress`` (3×3, eV/Å³). This is the format of ``shared/datasets/structures``;
* ``.json``: a pymatgen ``Structure.as_dict()`` or a list of them;
* CIF, POSCAR/CONTCAR, and anything else pymatgen's ``Structure.from_file`` understands;
* ``.extxyz`` / ``.xyz`` / ``.traj``: every frame through ``ase.io.read`` (energies, forces and stress
  attached by a calculator are kept);
* a folder: every file in it (not hidden, in name order), each in one of the formats above, e.g. a
  folder of CIF or POSCAR files.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import DataError, require
from matnn.utils.messages import one_line

__all__ = [
    "Crystal",
    "read_structures",
    "iter_jsonl",
    "write_jsonl",
    "from_pymatgen",
    "to_pymatgen",
    "from_ase",
    "to_ase",
    "symbol_to_number",
]

# Largest atomic number matnn's element tables cover (H .. Fm).
MAX_Z = 100
#: Two atoms closer than this (Å) sit on the same site: a duplicated atom or a unit error (the shortest real
#: bond, H–H, is 0.74 Å).
MIN_DISTANCE = 0.5


def _min_pair_distance(positions: np.ndarray, cell: np.ndarray) -> tuple[float, int, int]:
    """Smallest periodic distance between two atoms, or between an atom and its own image (``i == j``).

    Pairs use the minimum image in fractional space (exact for orthogonal cells; for skewed cells it
    can only overestimate, so nothing is refused wrongly). Returns ``(distance Å, i, j)``.
    """
    # An atom and its own images: the shortest of the 13 lattice vectors n·cell with n in {-1, 0, 1}³.
    shifts = np.array([(a, b, c) for a in (0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1) if (a, b, c) > (0, 0, 0)])
    best = (float(np.linalg.norm(shifts @ cell, axis=1).min()), 0, 0)
    n = len(positions)
    if n < 2:
        return best
    frac = np.linalg.solve(cell.T, positions.T).T
    chunk = max(1, 4_000_000 // (3 * n))  # bound the temporary to ~100 MB for very large cells
    for a in range(0, n - 1, chunk):
        df = frac[a : a + chunk, None, :] - frac[None, :, :]
        df -= np.round(df)
        d = np.linalg.norm(df @ cell, axis=2)
        rows = np.arange(a, min(a + chunk, n))
        d[np.arange(len(rows))[:, None] >= (np.arange(n)[None, :] - a)] = np.inf  # keep j > i only
        k = int(np.argmin(d))
        if d.flat[k] < best[0]:
            best = (float(d.flat[k]), int(rows[k // n]), int(k % n))
    return best


@dataclass
class Crystal:
    """One periodic structure with optional labels.

    Parameters
    ----------
    numbers : ndarray of shape (n_atoms,), int
        Atomic numbers (1–100).
    positions : ndarray of shape (n_atoms, 3), float
        Cartesian coordinates in Å.
    cell : ndarray of shape (3, 3), float
        Lattice vectors as rows, in Å.
    id : str, optional
        An identifier (e.g. an mp-id).
    targets : dict of str to float
        Scalar labels (``formation_energy_per_atom`` in eV/atom, ``band_gap`` in eV, ...).
    energy : float, optional
        Total energy in eV (for interatomic potentials).
    forces : ndarray of shape (n_atoms, 3), optional
        Forces in eV/Å.
    stress : ndarray of shape (3, 3), optional
        Stress in eV/Å³ (ASE sign convention: positive = tensile, σ = (1/V) ∂E/∂ε).
    """

    numbers: np.ndarray
    positions: np.ndarray
    cell: np.ndarray
    id: str | None = None
    targets: dict[str, float] = field(default_factory=dict)
    energy: float | None = None
    forces: np.ndarray | None = None
    stress: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.numbers = np.asarray(self.numbers, dtype=np.int64).reshape(-1)
        self.positions = np.asarray(self.positions, dtype=np.float64).reshape(-1, 3)
        self.cell = np.asarray(self.cell, dtype=np.float64).reshape(3, 3)
        if self.forces is not None:
            self.forces = np.asarray(self.forces, dtype=np.float64).reshape(-1, 3)
        if self.stress is not None:
            self.stress = _stress_3x3(self.stress)

    @property
    def n_atoms(self) -> int:
        return int(self.numbers.shape[0])

    @property
    def volume(self) -> float:
        """Cell volume in Å³."""
        return float(abs(np.linalg.det(self.cell)))

    @property
    def frac_coords(self) -> np.ndarray:
        """Fractional coordinates, shape (n_atoms, 3)."""
        return np.linalg.solve(self.cell.T, self.positions.T).T

    def validate(self, where: str = "structure") -> Crystal:
        """Check shapes and values; raise :class:`DataError` naming ``where`` and the field."""
        n = self.numbers.shape[0]
        if n == 0:
            raise DataError(f"{where}: a structure needs at least one atom; got none.")
        if self.positions.shape != (n, 3):
            raise DataError(
                f"{where}: 'positions' must have shape ({n}, 3) to match {n} atoms; got {self.positions.shape}."
            )
        bad = (self.numbers < 1) | (self.numbers > MAX_Z)
        if bad.any():
            raise DataError(f"{where}: atomic numbers must be in 1..{MAX_Z}; got {self.numbers[bad][:5].tolist()}.")
        for name in ("positions", "cell"):
            arr = getattr(self, name)
            if not np.all(np.isfinite(arr)):
                raise DataError(f"{where}: field '{name}' contains NaN or inf.")
        vol = np.linalg.det(self.cell)
        if not abs(vol) > 1e-6:
            raise DataError(
                f"{where}: the lattice is singular (volume {vol:.3g} Å³); rows must be three independent vectors in Å."
            )
        dmin, i, j = _min_pair_distance(self.positions, self.cell)
        if dmin < MIN_DISTANCE:
            what = (
                f"atom {i} is {dmin:.3g} Å from its own periodic image (a lattice vector is too short)"
                if i == j
                else f"atoms {i} and {j} are {dmin:.3g} Å apart"
            )
            raise DataError(
                f"{where}: {what}; atoms closer than {MIN_DISTANCE} Å sit on the same site "
                "(a duplicated atom, or coordinates in the wrong unit)."
            )
        if self.forces is not None and self.forces.shape != (n, 3):
            raise DataError(f"{where}: 'forces' must have shape ({n}, 3); got {self.forces.shape}.")
        for key, val in self.targets.items():
            if np.isinf(val):  # NaN means "missing" and is allowed; the dataset drops it per target
                raise DataError(
                    f"{where}: target '{key}' is {val!r}; targets must be finite numbers (or null when missing)."
                )
        return self

    def copy(self) -> Crystal:
        return Crystal(
            self.numbers.copy(),
            self.positions.copy(),
            self.cell.copy(),
            self.id,
            dict(self.targets),
            self.energy,
            None if self.forces is None else self.forces.copy(),
            None if self.stress is None else self.stress.copy(),
        )


def _stress_3x3(stress: Any) -> np.ndarray:
    s = np.asarray(stress, dtype=np.float64).reshape(-1)
    if s.size == 9:
        return s.reshape(3, 3)
    if s.size == 6:  # Voigt order xx yy zz yz xz xy (ASE)
        xx, yy, zz, yz, xz, xy = s
        return np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])
    raise DataError(f"'stress' must have 6 (Voigt) or 9 components; got {s.size}.")


_SYMBOLS: dict[str, int] | None = None


def symbol_to_number(symbol: str, where: str = "structure") -> int:
    """Atomic number of an element symbol ('Fe' → 26); a clear error for anything else."""
    global _SYMBOLS
    if _SYMBOLS is None:
        from ase.data import chemical_symbols

        _SYMBOLS = {s: z for z, s in enumerate(chemical_symbols) if 0 < z <= MAX_Z}
    try:
        return _SYMBOLS[symbol]
    except (KeyError, TypeError):
        # pymatgen writes species with oxidation states ('Fe2+') in some files: strip them.
        if isinstance(symbol, str):
            bare = symbol.rstrip("+-0123456789.")
            if bare in _SYMBOLS:
                return _SYMBOLS[bare]
        from matnn.core.exceptions import close_matches

        hint = close_matches(str(symbol), _SYMBOLS)
        extra = f" Did you mean {', '.join(map(repr, hint))}?" if hint else ""
        raise DataError(f"{where}: unknown element symbol {symbol!r} (allowed: H..Fm).{extra}") from None


def _record_to_crystal(rec: Mapping[str, Any], where: str) -> Crystal:
    try:
        species = rec["species"]
        lattice = rec["lattice"]
    except KeyError as exc:
        raise DataError(
            f"{where}: missing field {exc.args[0]!r}; each record needs 'lattice' (3x3, Å), 'species' and "
            "'frac_coords' or 'cart_coords'."
        ) from None
    if isinstance(lattice, Mapping):  # pymatgen Lattice.as_dict()
        lattice = lattice.get("matrix")
    try:
        cell = np.asarray(lattice, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{where}: field 'lattice' must be a 3x3 list of numbers in Å.") from None
    if cell.shape != (3, 3):
        raise DataError(f"{where}: field 'lattice' must be 3x3 (rows are lattice vectors, Å); got shape {cell.shape}.")
    numbers = np.array([symbol_to_number(s, where) for s in species], dtype=np.int64)
    if "frac_coords" in rec:
        frac = np.asarray(rec["frac_coords"], dtype=np.float64)
        if frac.shape != (len(numbers), 3):
            raise DataError(f"{where}: field 'frac_coords' must have shape ({len(numbers)}, 3); got {frac.shape}.")
        pos = frac @ cell
    elif "cart_coords" in rec:
        pos = np.asarray(rec["cart_coords"], dtype=np.float64)
        if pos.shape != (len(numbers), 3):
            raise DataError(f"{where}: field 'cart_coords' must have shape ({len(numbers)}, 3); got {pos.shape}.")
    else:
        raise DataError(f"{where}: needs 'frac_coords' or 'cart_coords'.")
    targets = {}
    raw_targets = rec.get("targets") or {}
    if not isinstance(raw_targets, Mapping):
        raise DataError(f"{where}: field 'targets' must map names to numbers; got {type(raw_targets).__name__}.")
    for k, v in raw_targets.items():
        if v is None:
            targets[k] = float("nan")  # missing label: kept as NaN, filtered by the dataset per target
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            targets[k] = float(v)
        else:  # a string or list would otherwise vanish and the structure be dropped without a word
            ident = f" of structure {rec.get('id')!r}" if rec.get("id") is not None else ""
            raise DataError(f"{where}: target {k!r}{ident} is {v!r}; targets must be numbers (or null when missing).")
    crystal = Crystal(
        numbers,
        pos,
        cell,
        id=None if rec.get("id") is None else str(rec.get("id")),
        targets=targets,
        energy=None if rec.get("energy") is None else float(rec["energy"]),
        forces=rec.get("forces"),
        stress=rec.get("stress"),
    )
    crystal.validate(where)
    return crystal


def _open_text(path: Path):
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a structure file.")
    if not path.is_file():
        raise DataError(f"Structure file {path} does not exist.")
    if path.suffix == ".gz":
        with open(path, "rb") as fh:
            if fh.read(2) != b"\x1f\x8b":
                raise DataError(f"{path} is not gzip-compressed (its name ends in .gz); rename or compress it.")
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` of a text file (gzip when the name ends in .gz); read errors become one-line
    DataErrors naming the file and line (truncated or corrupt gzip, binary or non-UTF-8 bytes)."""
    import zlib

    lineno = 0
    try:
        with _open_text(path) as fh:
            for lineno, line in enumerate(fh, start=1):
                yield lineno, line
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(
            f"{path}: the gzip data is truncated or corrupt after line {lineno} ({type(exc).__name__}: {exc})."
        ) from None
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}, line {lineno + 1}: not UTF-8 text (byte {exc.start}: {exc.object[exc.start : exc.start + 1]!r}); "
            "is it a binary file?"
        ) from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({type(exc).__name__}: {exc}).") from None


def iter_jsonl(path: str | os.PathLike) -> Iterator[Crystal]:
    """Yield :class:`Crystal` records from a ``.jsonl`` or ``.jsonl.gz`` file (see module docstring).

    Raises
    ------
    DataError
        Unreadable or corrupt file, a malformed record (file, line, id and field named), or a file with
        no records at all.
    """
    path = Path(path)
    n = 0
    for lineno, line in text_lines(path):
        if not line.strip():
            continue
        where = f"{path}, line {lineno}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: not valid JSON ({exc.msg}).") from None
        except RecursionError:
            raise DataError(f"{where}: JSON nested too deeply.") from None
        if not isinstance(rec, dict):
            raise DataError(f"{where}: each line must be a JSON object; got {type(rec).__name__}.")
        n += 1
        yield _record_to_crystal(rec, where)
    if n == 0:
        raise DataError(
            f"{path} holds no records (the file is empty or blank); expected one JSON object per line with "
            "'lattice' (3x3, Å), 'species' and 'frac_coords' or 'cart_coords'."
        )


def write_jsonl(path: str | os.PathLike, crystals: Iterable[Crystal]) -> Path:
    """Write crystals in the ``.jsonl`` format :func:`read_structures` reads (gzip when the name ends in .gz)."""
    from ase.data import chemical_symbols

    from matnn.utils.io import atomic_write

    path = Path(path)
    lines = []
    for c in crystals:
        rec: dict[str, Any] = {
            "id": c.id,
            "lattice": c.cell.tolist(),
            "species": [chemical_symbols[z] for z in c.numbers],
            "frac_coords": c.frac_coords.tolist(),
            "targets": {k: (None if not np.isfinite(v) else float(v)) for k, v in c.targets.items()},
        }
        if c.energy is not None:
            rec["energy"] = float(c.energy)
        if c.forces is not None:
            rec["forces"] = c.forces.tolist()
        if c.stress is not None:
            rec["stress"] = c.stress.tolist()
        lines.append(json.dumps(rec))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return path


def from_pymatgen(structure: Any, **labels: Any) -> Crystal:
    """Convert a ``pymatgen.core.Structure`` (ordered) into a :class:`Crystal`."""
    if not getattr(structure, "is_ordered", True):
        raise DataError("Disordered structures (partial occupancies) cannot be turned into graphs; order them first.")
    numbers = [site.specie.Z for site in structure]
    return Crystal(numbers, structure.cart_coords, structure.lattice.matrix, **labels).validate()


def to_pymatgen(crystal: Crystal) -> Any:
    """Convert a :class:`Crystal` into a ``pymatgen.core.Structure``."""
    core = require("pymatgen.core", "crystals")
    return core.Structure(crystal.cell, crystal.numbers.tolist(), crystal.positions, coords_are_cartesian=True)


def from_ase(atoms: Any, *, id: str | None = None, with_labels: bool = True) -> Crystal:
    """Convert ``ase.Atoms`` into a :class:`Crystal` (energy/forces/stress copied if a calculator has them)."""
    if not all(atoms.pbc):
        raise DataError(
            "Only fully periodic structures are supported (atoms.pbc must be (True, True, True)); "
            f"got pbc={tuple(bool(p) for p in atoms.pbc)}. Put molecules in a large periodic box."
        )
    crystal = Crystal(atoms.numbers, atoms.positions, np.asarray(atoms.cell), id=id)
    if with_labels and atoms.calc is not None:
        res = getattr(atoms.calc, "results", {}) or {}
        if "energy" in res:
            crystal.energy = float(res["energy"])
        if "forces" in res:
            crystal.forces = np.asarray(res["forces"], dtype=np.float64)
        if "stress" in res:
            crystal.stress = _stress_3x3(res["stress"])
    return crystal.validate()


def to_ase(crystal: Crystal) -> Any:
    """Convert a :class:`Crystal` into ``ase.Atoms`` (periodic in all directions)."""
    ase = require("ase", "crystals")
    return ase.Atoms(numbers=crystal.numbers, positions=crystal.positions, cell=crystal.cell, pbc=True)


def read_structures(path: str | os.PathLike) -> list[Crystal]:
    """Read every structure in ``path``, a file or a folder of files (format chosen by extension, see the
    module docstring).

    Raises
    ------
    DataError
        When the file is missing, unreadable, or a record is malformed (the message names the file,
        line and field).
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"Structure file {path} does not exist.")
    name = path.name.lower()
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            raise DataError(f"{path}: the folder holds no structure files.")
        crystals = [c for f in files for c in read_structures(f)]
    elif name.endswith(".jsonl") or name.endswith(".jsonl.gz"):
        crystals = list(iter_jsonl(path))
    elif name.endswith(".json") or name.endswith(".json.gz"):
        text = "".join(line for _, line in text_lines(path))
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno}).") from None
        except RecursionError:
            raise DataError(f"{path}: JSON nested too deeply.") from None
        items = data if isinstance(data, list) else [data]
        crystals = []
        for k, item in enumerate(items):
            where = f"{path}, entry {k}"
            if isinstance(item, dict) and "sites" in item:  # pymatgen Structure.as_dict()
                core = require("pymatgen.core", "crystals")
                try:
                    s = core.Structure.from_dict(item)
                except Exception as exc:  # pymatgen raises many types on bad dicts
                    raise DataError(f"{where}: not a valid pymatgen Structure dict ({one_line(exc)}).") from None
                crystals.append(from_pymatgen(s, id=item.get("id")))
            elif isinstance(item, dict):
                crystals.append(_record_to_crystal(item, where))
            else:
                raise DataError(f"{where}: expected a structure object, got {type(item).__name__}.")
    elif name.endswith((".extxyz", ".xyz", ".traj")):
        aseio = require("ase.io", "crystals")
        try:
            frames = aseio.read(str(path), index=":")
        except Exception as exc:
            raise DataError(f"{path}: ASE could not read it ({one_line(exc)}).") from None
        crystals = [from_ase(a, id=f"{path.name}:{k}") for k, a in enumerate(frames)]
    else:
        core = require("pymatgen.core", "crystals")
        try:
            s = core.Structure.from_file(str(path))
        except Exception as exc:
            raise DataError(
                f"{path}: pymatgen could not read it as CIF/POSCAR ({one_line(exc)}). Supported: .jsonl[.gz], .json, CIF, "
                "POSCAR/CONTCAR, .extxyz/.xyz/.traj."
            ) from None
        crystals = [from_pymatgen(s, id=path.stem)]
    if not crystals:
        raise DataError(f"{path}: no structures found.")
    return crystals
