"""Formula parsing edge cases and the table loader's invalid-row, outlier and duplicate policies."""

from __future__ import annotations

import numpy as np
import pytest

from matnn.core.exceptions import DataError, MatnnError
from matnn.data.composition import (
    ELEMNET_ELEMENTS,
    FormulaError,
    composition_key,
    load_formula_csv,
    load_tabular_csv,
    parse_formula,
    parse_formulas,
)


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("Fe2O3", {"Fe": 2, "O": 3}),
        ("Ag(W3Br7)2", {"Ag": 1, "W": 6, "Br": 14}),
        ("Ca5(PO4)3F", {"Ca": 5, "P": 3, "O": 12, "F": 1}),
        ("FeOFe", {"Fe": 2, "O": 1}),
        ("Fe0.620C0.000953Mn0.000521", {"Fe": 0.62, "C": 0.000953, "Mn": 0.000521}),
        ("Fe0O2", {"O": 2}),  # a zero amount drops the element
        ("  NaCl ", {"Na": 1, "Cl": 1}),
    ],
)
def test_parse_formula_edge_cases(formula, expected):
    got = parse_formula(formula)
    assert got.keys() == expected.keys()
    for k, v in expected.items():
        assert got[k] == pytest.approx(v)


@pytest.mark.parametrize(
    ("formula", "pattern"),
    [
        ("", "empty formula"),
        (None, "empty formula"),
        ("Fe2O3+", "cannot parse formula 'Fe2O3\\+'"),
        ("fe2o3", "cannot parse formula 'fe2o3'"),
        ("NaCl·H2O", "cannot parse"),
        ("Xx2O", "'Xx', which is not a chemical element"),
        ("Fe-1O", "cannot parse"),
        ("Fe0", "contains no atoms"),
    ],
)
def test_parse_formula_errors_are_clear(formula, pattern):
    with pytest.raises(FormulaError, match=pattern) as info:
        parse_formula(formula, row=7)
    assert isinstance(info.value, (DataError, ValueError, MatnnError))
    assert "row 7" in str(info.value)


def test_parse_formula_rejects_elements_outside_the_allowed_set():
    with pytest.raises(FormulaError, match="element 'He', which is not among the 86 supported") as info:
        parse_formula("HeFe", allowed=ELEMNET_ELEMENTS)
    assert info.value.element == "He"


def test_parse_formulas_collects_invalid_rows_and_keeps_order():
    parsed, invalid = parse_formulas(
        ["Fe2O3", "Qq", "NaCl", "HeO", "Fe2O3"], allowed=ELEMNET_ELEMENTS, on_error="collect"
    )
    assert parsed.formulas == ["Fe2O3", "NaCl", "Fe2O3"]
    assert [(b.row, b.element) for b in invalid] == [(1, "Qq"), (3, "He")]
    assert parsed.z.shape == parsed.amounts.shape == (3, 2)
    np.testing.assert_allclose(parsed.fractions.sum(axis=1), 1.0)
    with pytest.raises(FormulaError, match="row 3: .*'He'"):
        parse_formulas(["Fe2O3", "NaCl", "Cu", "HeO"], allowed=ELEMNET_ELEMENTS)


def test_composition_key_normalises():
    assert composition_key(parse_formula("Fe2O3")) == composition_key(parse_formula("Fe4O6"))
    assert composition_key(parse_formula("Fe2O3")) != composition_key(parse_formula("Fe3O4"))


BAD_CSV = """formula,target
Fe2O3,-1.5
Fe4O6,-1.7
NaCl·H2O,1
HeO,0.5
LiF,abc
,3
SiO2,-250
Ag(W3Br7)2,0.1
Fe2O3,-1.6
"""


@pytest.fixture()
def bad_csv(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(BAD_CSV)
    return p


def test_loader_reports_invalid_rows_with_file_and_line(bad_csv):
    with pytest.raises(DataError) as info:
        load_formula_csv(bad_csv, allowed_elements=ELEMNET_ELEMENTS)
    msg = str(info.value)
    assert "bad.csv: 4 unusable row(s)" in msg
    assert "line 4, column 'formula', value 'NaCl·H2O'" in msg
    assert "line 5, column 'formula', value 'HeO'" in msg and "'He'" in msg
    assert "line 6, column 'target', value 'abc'" in msg
    # A blank cell is shown as empty text, not as pandas' NaN.
    assert "line 7, column 'formula', value ''" in msg and "nan" not in msg
    assert "--drop-invalid" in msg


def test_loader_drops_counts_filters_and_merges(bad_csv):
    t = load_formula_csv(bad_csv, allowed_elements=ELEMNET_ELEMENTS, drop_invalid=True, max_abs_target=5.0)
    r = t.report
    assert r["n_rows_read"] == 9 and r["n_invalid_dropped"] == 4 and r["n_outliers_dropped"] == 1
    # Fe2O3, Fe4O6 and Fe2O3 again are one composition: merged to the mean target.
    assert r["duplicate_groups"] == 1 and r["n_duplicate_rows_removed"] == 2
    assert t.formulas == ["Fe2O3", "Ag(W3Br7)2"]
    np.testing.assert_allclose(t.y, [-1.6, 0.1])
    assert r["duplicate_target_mad"] == pytest.approx(np.mean(np.abs(np.array([-1.5, -1.7, -1.6]) + 1.6)))


@pytest.mark.parametrize(
    ("policy", "formulas", "ys"),
    [
        ("first", ["Fe2O3", "Ag(W3Br7)2"], [-1.5, 0.1]),
        ("keep", ["Fe2O3", "Fe4O6", "Ag(W3Br7)2", "Fe2O3"], [-1.5, -1.7, 0.1, -1.6]),
    ],
)
def test_loader_duplicate_policies(bad_csv, policy, formulas, ys):
    t = load_formula_csv(
        bad_csv, drop_invalid=True, max_abs_target=5.0, duplicates=policy, allowed_elements=ELEMNET_ELEMENTS
    )
    assert t.formulas == formulas
    np.testing.assert_allclose(t.y, ys)


def test_loader_duplicate_error_and_bad_options(bad_csv, tmp_path):
    with pytest.raises(DataError, match=r"1 composition\(s\) occur more than once .*line 2 'Fe2O3'"):
        load_formula_csv(bad_csv, drop_invalid=True, duplicates="error")
    with pytest.raises(DataError, match="duplicates must be one of"):
        load_formula_csv(bad_csv, duplicates="average")
    other = tmp_path / "cols.csv"
    other.write_text("composition,band_gap\nFe2O3,2.0\n")
    with pytest.raises(DataError, match=r"missing column\(s\) 'formula', 'target'; found 'composition', 'band_gap'"):
        load_formula_csv(other)
    t = load_formula_csv(other, formula_column="composition", target_column="band_gap")
    assert t.formulas == ["Fe2O3"] and t.y[0] == 2.0
    with pytest.raises(DataError, match="no such file"):
        load_formula_csv(tmp_path / "missing.csv")


def test_table_features_and_subset_stay_aligned(bad_csv):
    t = load_formula_csv(bad_csv, drop_invalid=True, duplicates="keep")
    X = t.features("magpie")
    sub = t.subset([2, 0])
    assert sub.formulas == [t.formulas[2], t.formulas[0]]
    np.testing.assert_array_equal(sub.features("magpie"), X[[2, 0]])
    np.testing.assert_array_equal(sub.y, t.y[[2, 0]])


def test_tabular_loader(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("a,b,y\n1,2,3\n4,5,6\n")
    X, y, cols = load_tabular_csv(p, target_column="y")
    assert cols == ["a", "b"] and X.shape == (2, 2) and list(y) == [3, 6]
    p.write_text("a,b,y\n1,x,3\n4,5,6\n")
    with pytest.raises(
        DataError, match="column 'b' has 1 missing or non-numeric value\\(s\\), first at line 2 \\('x'\\)"
    ):
        load_tabular_csv(p, target_column="y")
