"""Element lists and elemental property tables shared by the composition featurizers.

The property values are **matminer's shipped Magpie tables** (``matminer/utils/data_files/
magpie_elementdata/*.table``, Ward et al., npj Comput. Mater. 2, 16028, 2016), read through
``matminer.utils.data.MagpieData`` so that missing entries are imputed exactly as matminer does
(mean over the elements that have a value).  Nothing is retyped here.

Public API
----------
``ELEMNET_ELEMENTS``
    The 86 elements of ElemNet's input vector, in ElemNet's order (``elements_tl`` in the
    original ``data_utils.py``): H to Pu without the noble gases He, Ne, Ar, the radioactive
    Po, At, Rn, Fr, Ra, and anything heavier than Pu.  Kr and Xe *are* included.
``MAGPIE_PROPERTIES``
    The 22 elemental properties of matminer's ``ElementProperty.from_preset("magpie")``.
``ALL_ELEMENTS``
    H … Og (Z = 1 … 118), index ``Z - 1``.
:func:`element_property_table`
    ``(elements, properties, values)`` for any Magpie property, e.g. as atom features for graphs.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from matnn.core.exceptions import require, unknown_name

__all__ = [
    "ALL_ELEMENTS",
    "ELEMNET_ELEMENTS",
    "MAGPIE_PROPERTIES",
    "MAGPIE_UNITS",
    "element_property_table",
    "magpie_property_names",
    "atomic_number",
]

# fmt: off
ALL_ELEMENTS: tuple[str, ...] = (
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl", "Ar",
    "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As", "Se", "Br",
    "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te",
    "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm",
    "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn",
    "Fr", "Ra", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr",
    "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og",
)

#: ElemNet's 86 input elements, in ElemNet's column order (Jha et al., Sci. Rep. 8, 17593, 2018).
ELEMNET_ELEMENTS: tuple[str, ...] = (
    "H", "Li", "Be", "B", "C", "N", "O", "F", "Na", "Mg", "Al", "Si", "P", "S", "Cl", "K", "Ca", "Sc",
    "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr",
    "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te", "I", "Xe", "Cs",
    "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf",
    "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Ac", "Th", "Pa", "U", "Np", "Pu",
)
# fmt: on

#: The 22 properties of matminer's ``ElementProperty.from_preset("magpie")``, in its order.
MAGPIE_PROPERTIES: tuple[str, ...] = (
    "Number", "MendeleevNumber", "AtomicWeight", "MeltingT", "Column", "Row", "CovalentRadius",
    "Electronegativity", "NsValence", "NpValence", "NdValence", "NfValence", "NValence",
    "NsUnfilled", "NpUnfilled", "NdUnfilled", "NfUnfilled", "NUnfilled", "GSvolume_pa",
    "GSbandgap", "GSmagmom", "SpaceGroupNumber",
)  # fmt: skip

#: Units of the Magpie properties (from matminer's magpie_elementdata_feature_descriptions.txt).
MAGPIE_UNITS: dict[str, str] = {
    "Number": "atomic number Z",
    "MendeleevNumber": "Pettifor/Mendeleev ordering index",
    "AtomicWeight": "g/mol",
    "MeltingT": "K",
    "Column": "periodic-table group (rare earths listed as 3)",
    "Row": "periodic-table period",
    "CovalentRadius": "pm",
    "Electronegativity": "Pauling scale",
    "NsValence": "electrons", "NpValence": "electrons", "NdValence": "electrons", "NfValence": "electrons",
    "NValence": "electrons",
    "NsUnfilled": "unfilled states", "NpUnfilled": "unfilled states", "NdUnfilled": "unfilled states",
    "NfUnfilled": "unfilled states", "NUnfilled": "unfilled states",
    "GSvolume_pa": "Å^3/atom (DFT, OQMD ground state)",
    "GSbandgap": "eV (DFT, OQMD ground state)",
    "GSmagmom": "μB/atom (DFT, OQMD ground state)",
    "SpaceGroupNumber": "space group of the elemental ground state",
}  # fmt: skip

_Z_OF = {symbol: i + 1 for i, symbol in enumerate(ALL_ELEMENTS)}


def atomic_number(symbol: str) -> int:
    """Atomic number of an element symbol (``'Fe'`` → 26); raises for unknown symbols."""
    try:
        return _Z_OF[symbol]
    except KeyError:
        raise unknown_name("element", symbol, ALL_ELEMENTS) from None


@functools.lru_cache(maxsize=2)
def _magpie_data(impute_nan: bool):
    data = require("matminer.utils.data", "composition")
    return data.MagpieData(impute_nan=impute_nan)


def magpie_property_names() -> list[str]:
    """Every scalar property in matminer's Magpie tables (``OxidationStates`` is a list and excluded)."""
    props = _magpie_data(True).all_elemental_props
    return sorted(p for p in props if p != "OxidationStates")


@functools.lru_cache(maxsize=32)
def _table(properties: tuple[str, ...], impute_nan: bool) -> np.ndarray:
    source = _magpie_data(impute_nan).all_elemental_props
    allowed = [p for p in source if p != "OxidationStates"]
    values = np.empty((len(ALL_ELEMENTS), len(properties)), dtype=np.float64)
    for j, prop in enumerate(properties):
        if prop not in allowed:
            raise unknown_name("Magpie property", prop, allowed)
        column = source[prop]
        values[:, j] = [float(column[symbol]) for symbol in ALL_ELEMENTS]
    values.setflags(write=False)
    return values


def element_property_table(
    properties: Sequence[str] | None = None,
    elements: Sequence[str] | None = None,
    *,
    impute_nan: bool = True,
) -> tuple[list[str], list[str], np.ndarray]:
    """Elemental property table from matminer's Magpie data.

    Parameters
    ----------
    properties : sequence of str, optional
        Magpie property names (see :func:`magpie_property_names`); default the 22
        :data:`MAGPIE_PROPERTIES` of the ``"magpie"`` preset.
    elements : sequence of str, optional
        Element symbols, in the row order wanted; default all 118 (:data:`ALL_ELEMENTS`, row
        ``Z - 1``).
    impute_nan : bool, default=True
        Replace missing entries by the property's mean over the elements that have a value, as
        matminer does; with ``False`` missing entries stay NaN.

    Returns
    -------
    elements : list of str, length n_elements
    properties : list of str, length n_properties
    values : ndarray of shape (n_elements, n_properties), float64
        Read-only copy-on-demand table; units in :data:`MAGPIE_UNITS`.

    Examples
    --------
    >>> els, props, v = element_property_table(["Electronegativity"], ["O", "Fe"])  # doctest: +SKIP
    >>> v[:, 0]  # doctest: +SKIP
    array([3.44, 1.83])
    """
    props = tuple(MAGPIE_PROPERTIES if properties is None else properties)
    table = _table(props, bool(impute_nan))
    if elements is None:
        return list(ALL_ELEMENTS), list(props), table.copy()
    rows = [atomic_number(e) - 1 for e in elements]
    return list(elements), list(props), table[rows].copy()
