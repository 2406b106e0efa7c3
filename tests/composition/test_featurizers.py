"""Featurizers agree with matminer (the reference implementation) and with hand calculations."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from matnn.data.composition import (
    ALL_ELEMENTS,
    ELEMNET_ELEMENTS,
    MAGPIE_PROPERTIES,
    ElementFraction,
    FormulaError,
    MagpieFeaturizer,
    element_fractions,
    element_property_table,
    feature_labels,
    featurize,
    magpie_features,
)

pd = pytest.importorskip("pandas")

# Formulas that exercise every branch: single elements, ties for the mode (equal and
# numerically close amounts), parentheses, fractional and tiny amounts, repeated elements,
# elements whose Magpie entries are imputed (Z > 100).
TRICKY = [
    "Fe",
    "O2",
    "NaCl",
    "Fe2O3",
    "Ag(W3Br7)2",
    "FeOFe",
    "Li0.5Co0.5O",
    "Mg1.00001Al1O3",
    "Fe0.620C0.000953Mn0.000521Si0.00102Cr0.000110Ni0.192Mo0.0176V0.000112Nb0.0000616Co0.146Al0.00318Ti0.0185",
    "He",
    "Og2Fe",
    "Lr",
    "UO2",
    "(NH4)2SO4",
    "Ca5(PO4)3F",
    "Ba0.5Sr0.5Co0.8Fe0.2O3",
    "H2O",
    "C60",
    "K0.3MoO3",
]


def _matminer_magpie(formulas):
    from matminer.featurizers.composition import ElementProperty
    from pymatgen.core import Composition

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ep = ElementProperty.from_preset("magpie")
        return np.array([ep.featurize(Composition(f)) for f in formulas]), ep.feature_labels()


def _check_equal(ours, ref):
    # "within 1e-6": absolute for O(1) features, relative for large ones (melting points ~1e3 K).
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-6)


def test_magpie_matches_matminer_on_tricky_formulas():
    ref, labels = _matminer_magpie(TRICKY)
    ours = magpie_features(TRICKY)
    assert ours.shape == (len(TRICKY), 132)
    assert MagpieFeaturizer().feature_labels() == labels
    _check_equal(ours, ref)


def test_magpie_matches_matminer_on_1200_real_formulas(shared_datasets):
    comp = shared_datasets / "composition"
    formulas = (
        pd.read_csv(comp / "matbench_expt_gap.csv").formula.sample(700, random_state=0).tolist()
        + pd.read_csv(comp / "matbench_steels_yield.csv").formula.tolist()
        + pd.read_csv(comp / "oqmd_formation_enthalpy_val.csv").formula.sample(200, random_state=0).tolist()
    )
    assert len(formulas) >= 1000
    ref, _ = _matminer_magpie(formulas)
    _check_equal(magpie_features(formulas), ref)


def test_mode_tie_takes_smallest_value_like_matminer():
    # NaCl: equal amounts -> mode is the smaller property value (Na's Z = 11, not Cl's 17).
    X = MagpieFeaturizer(properties=["Number"], stats=["mode", "mean", "avg_dev"]).featurize(["NaCl", "Na2Cl"])
    assert X[0, 0] == 11 and X[0, 1] == 14 and X[0, 2] == 3
    assert X[1, 0] == 11 and np.isclose(X[1, 1], (2 * 11 + 17) / 3)


def test_element_fractions_order_and_values():
    assert len(ELEMNET_ELEMENTS) == 86 and len(set(ELEMNET_ELEMENTS)) == 86
    assert ELEMNET_ELEMENTS[0] == "H" and ELEMNET_ELEMENTS[-1] == "Pu"
    for absent in ("He", "Ne", "Ar", "Po", "At", "Rn", "Fr", "Ra", "Am"):
        assert absent not in ELEMNET_ELEMENTS
    X = element_fractions(["Fe2O3", "Ag(W3Br7)2"])
    assert X.shape == (2, 86)
    np.testing.assert_allclose(X.sum(axis=1), 1.0)
    assert X[0, ELEMNET_ELEMENTS.index("Fe")] == pytest.approx(0.4)
    assert X[0, ELEMNET_ELEMENTS.index("O")] == pytest.approx(0.6)
    assert X[1, ELEMNET_ELEMENTS.index("Br")] == pytest.approx(14 / 21)


def test_element_fractions_match_matminer_columns():
    from matminer.featurizers.composition import ElementFraction as MMElementFraction
    from pymatgen.core import Composition

    mm = MMElementFraction()
    labels = mm.feature_labels()
    formulas = [f for f in TRICKY if all(e in ELEMNET_ELEMENTS for e in Composition(f).get_el_amt_dict())]
    ref = np.array([mm.featurize(Composition(f)) for f in formulas])
    cols = [labels.index(e) for e in ELEMNET_ELEMENTS]
    np.testing.assert_allclose(element_fractions(formulas), ref[:, cols], atol=1e-12)


def test_unsupported_element_names_row_and_element():
    with pytest.raises(FormulaError, match=r"row 1: formula 'HeO' contains element 'He'") as info:
        ElementFraction().featurize(["Fe2O3", "HeO"])
    assert info.value.element == "He" and info.value.row == 1
    # Magpie covers every element (matminer imputes missing entries), so HeO is fine there.
    assert np.isfinite(magpie_features(["HeO"])).all()


def test_featurize_feature_sets_and_labels():
    X = featurize(["Fe2O3", "NaCl"], "magpie+fractions")
    assert X.shape == (2, 132 + 86)
    assert len(feature_labels("magpie+fractions")) == 218
    np.testing.assert_array_equal(X[:, :132], magpie_features(["Fe2O3", "NaCl"]))
    with pytest.raises(KeyError, match="Unknown feature set 'magpi'"):
        featurize(["Fe"], "magpi")


def test_element_property_table_comes_from_matminer():
    from matminer.utils.data import MagpieData
    from pymatgen.core import Element

    elements, props, values = element_property_table()
    assert elements == list(ALL_ELEMENTS) and props == list(MAGPIE_PROPERTIES) and values.shape == (118, 22)
    md = MagpieData()
    for sym in ("H", "Fe", "U", "Og"):
        for j, p in enumerate(props):
            assert values[elements.index(sym), j] == pytest.approx(md.get_elemental_property(Element(sym), p))
    els, props2, sub = element_property_table(["Electronegativity", "FirstIonizationEnergy"], ["O", "Fe"])
    assert els == ["O", "Fe"] and sub.shape == (2, 2) and sub[0, 0] > sub[1, 0]  # O more electronegative
    _, _, raw = element_property_table(["Number"], impute_nan=False)
    assert np.isnan(raw[-1, 0])  # matminer's table stops before Og; imputed only on request
    with pytest.raises(KeyError, match="Unknown Magpie property"):
        element_property_table(["Electronegativty"])
