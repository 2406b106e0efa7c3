"""Compositions: formula parsing, element lists and property tables, featurizers, table loaders.

pymatgen and matminer are imported lazily (only when a formula is parsed or a Magpie table is
read), so importing this package is cheap.
"""

from __future__ import annotations

from matnn.data.composition.elements import (
    ALL_ELEMENTS,
    ELEMNET_ELEMENTS,
    MAGPIE_PROPERTIES,
    MAGPIE_UNITS,
    atomic_number,
    element_property_table,
    magpie_property_names,
)
from matnn.data.composition.featurizers import (
    FEATURE_SETS,
    MAGPIE_STATS,
    ElementFraction,
    MagpieFeaturizer,
    element_fractions,
    feature_labels,
    featurize,
    magpie_features,
    required_elements,
)
from matnn.data.composition.loader import (
    DUPLICATE_POLICIES,
    ELEMNET_MAX_ABS_TARGET,
    CompositionTable,
    load_formula_csv,
    load_tabular_csv,
)
from matnn.data.composition.parsing import (
    FormulaError,
    InvalidFormula,
    ParsedFormulas,
    composition_key,
    parse_formula,
    parse_formulas,
)

__all__ = [
    "CompositionTable",
    "load_formula_csv",
    "load_tabular_csv",
    "DUPLICATE_POLICIES",
    "ELEMNET_MAX_ABS_TARGET",
    "ALL_ELEMENTS",
    "ELEMNET_ELEMENTS",
    "MAGPIE_PROPERTIES",
    "MAGPIE_UNITS",
    "MAGPIE_STATS",
    "FEATURE_SETS",
    "atomic_number",
    "element_property_table",
    "magpie_property_names",
    "ElementFraction",
    "MagpieFeaturizer",
    "element_fractions",
    "magpie_features",
    "featurize",
    "feature_labels",
    "required_elements",
    "FormulaError",
    "InvalidFormula",
    "ParsedFormulas",
    "composition_key",
    "parse_formula",
    "parse_formulas",
]
