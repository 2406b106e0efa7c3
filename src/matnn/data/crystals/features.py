"""Atom (node) features for crystal graphs.

``'cgcnn'`` (default) follows Xie & Grossman (PRL 120, 145301, 2018, Table I): each element becomes a
vector of one-hot blocks describing its place in the periodic table and binned physical properties.
We rebuild it from pymatgen's element data (and ASE's covalent radii) instead of shipping CGCNN's
``atom_init.json``, so every entry has a documented source:

=========================  ======  ==========================================================
block                      length  values (source)
=========================  ======  ==========================================================
group                      18      1–18; lanthanides/actinides count as group 3 (pymatgen ``Element.group``)
period                     7       1–7 (``Element.row``)
block                      4       s, p, d, f (``Element.block``)
valence electrons          12      1–12; electrons outside the noble-gas core minus filled inner d¹⁰/f¹⁴
                                   shells, capped at 12 (``Element.full_electronic_structure``)
electronegativity          10+1    Pauling, 10 equal bins over 0.7–4.0, +1 "unknown" (noble gases) (``Element.X``)
covalent radius            10+1    Å, 10 bins over 0.2–2.5 (``ase.data.covalent_radii``)
first ionization energy    10+1    eV, 10 bins over 3.5–25 (``Element.ionization_energies[0]``)
electron affinity          10+1    eV, 10 bins over −3–3.7 (``Element.electron_affinity``)
molar volume               10+1    cm³/mol, 10 log-spaced bins over 2–75 (``Element.molar_volume``)
=========================  ======  ==========================================================

96 numbers in total (CGCNN: 92), each block one-hot; values outside a range fall into the end bins;
a missing value sets the block's "unknown" slot.  ``'onehot'`` is simply the atomic number as a
100-long one-hot vector (the model then learns an element embedding, as MEGNet does).

The table is computed once per process (about 0.2 s) and stored inside each model as a buffer, so a
saved model predicts without pymatgen installed.
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np

from matnn.core.exceptions import require, unknown_name

__all__ = ["atom_feature_table", "ATOM_FEATURES", "CGCNN_BLOCKS"]

MAX_Z = 100
ATOM_FEATURES = ("cgcnn", "onehot")

# (name, number of bins, low, high, log-spaced) for the binned continuous properties.
_BINNED = (
    ("electronegativity", 10, 0.7, 4.0, False),
    ("covalent_radius", 10, 0.2, 2.5, False),
    ("first_ionization_energy", 10, 3.5, 25.0, False),
    ("electron_affinity", 10, -3.0, 3.7, False),
    ("molar_volume", 10, 2.0, 75.0, True),
)
CGCNN_BLOCKS = (("group", 18), ("period", 7), ("block", 4), ("valence_electrons", 12)) + tuple(
    (name, n + 1) for name, n, *_ in _BINNED
)


def _bin(value: float | None, n: int, lo: float, hi: float, log: bool) -> np.ndarray:
    out = np.zeros(n + 1)
    if value is None or not math.isfinite(value):
        out[n] = 1.0  # unknown
        return out
    if log:
        value, lo, hi = math.log(max(value, 1e-12)), math.log(lo), math.log(hi)
    k = int(np.clip(math.floor((value - lo) / (hi - lo) * n), 0, n - 1))
    out[k] = 1.0
    return out


def _onehot(k: int, n: int) -> np.ndarray:
    out = np.zeros(n)
    out[int(np.clip(k, 0, n - 1))] = 1.0
    return out


_NOBLE_Z = (0, 2, 10, 18, 36, 54, 86)


def _valence_electrons(el) -> int:
    """Electrons outside the previous noble-gas core, without inner filled d10/f14 shells (1..12)."""
    core = max(z for z in _NOBLE_Z if z < el.Z)
    shells = el.full_electronic_structure  # [(n, 'l', count), ...] in filling order
    # Subshells beyond the core are the last ones in the list holding Z - core electrons.
    outer, left = [], el.Z - core
    for n, l, c in reversed(shells):
        if left <= 0:
            break
        outer.append((n, l, c))
        left -= c
    n_sp = max((n for n, l, _ in outer if l in "sp"), default=0)
    count = sum(c for n, l, c in outer if not ((l == "d" and c == 10 or l == "f" and c == 14) and n < n_sp))
    return max(1, min(12, count))


@functools.cache
def _cgcnn_table() -> np.ndarray:
    pmg = require("pymatgen.core", "crystals")
    from ase.data import covalent_radii

    rows = [np.zeros(sum(n for _, n in CGCNN_BLOCKS))]  # row 0: no element
    blocks = {"s": 0, "p": 1, "d": 2, "f": 3}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pymatgen warns for every missing property
        for z in range(1, MAX_Z + 1):
            el = pmg.Element.from_Z(z)

            def num(getter):
                try:
                    v = getter()
                    return None if v is None else float(v)
                except Exception:  # pymatgen raises several types for missing data
                    return None

            props = {
                "electronegativity": num(lambda: el.X),
                "covalent_radius": float(covalent_radii[z]),
                "first_ionization_energy": num(lambda: el.ionization_energies[0]),
                "electron_affinity": num(lambda: el.electron_affinity),
                "molar_volume": num(lambda: el.molar_volume),
            }
            parts = [
                _onehot(el.group - 1, 18),
                _onehot(el.row - 1, 7),
                _onehot(blocks[el.block], 4),
                _onehot(_valence_electrons(el) - 1, 12),
            ]
            parts += [_bin(props[name], n, lo, hi, log) for name, n, lo, hi, log in _BINNED]
            rows.append(np.concatenate(parts))
    return np.stack(rows).astype(np.float32)


def atom_feature_table(kind: str = "cgcnn") -> np.ndarray:
    """Feature vectors for Z = 0..100 (row 0 is all zeros).

    Parameters
    ----------
    kind : {'cgcnn', 'onehot'}, default='cgcnn'

    Returns
    -------
    ndarray of shape (101, n_features), float32
        ``n_features`` is 96 for 'cgcnn' and 100 for 'onehot'. Index it with atomic numbers.
    """
    if kind == "cgcnn":
        return _cgcnn_table().copy()
    if kind == "onehot":
        table = np.zeros((MAX_Z + 1, MAX_Z), dtype=np.float32)
        table[np.arange(1, MAX_Z + 1), np.arange(MAX_Z)] = 1.0
        return table
    raise unknown_name("atom feature set", kind, ATOM_FEATURES)
