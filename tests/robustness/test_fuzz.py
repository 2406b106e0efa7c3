"""Property-based fuzzing of the places where outside data enters matnn.

Each property states that whatever arrives, the only exceptions are matnn's own (which the CLI prints as one
line, exit 2) and every output is finite. Examples are generated deterministically (``derandomize``), so a
failure reproduces; ``-m slow`` runs ten times as many.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matnn.core.exceptions import MatnnError

_SCALE = 10 if os.environ.get("MATNN_FUZZ_SLOW") else 1


def FAST(n: int) -> settings:
    """Deterministic settings with ``n`` examples (times ten under MATNN_FUZZ_SLOW=1)."""
    return settings(max_examples=n * _SCALE, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

ELEMENTS = ["H", "Li", "C", "N", "O", "Na", "Mg", "Al", "Si", "P", "S", "Fe", "Co", "Ni", "Cu", "Zn", "Ag", "W", "Br"]
_amount = st.one_of(st.just(""), st.integers(0, 10**9).map(str),
                    st.floats(0, 1e9, allow_nan=False, allow_subnormal=False).map(lambda f: f"{f:.6g}"),
                    st.sampled_from(["1e307", "-1", "0.0", "nan", "inf", "1e-320", ".", "e5"]))
_piece = st.tuples(st.sampled_from(ELEMENTS + ["Xx", "q", "(", ")", " ", "2", "Fe("]), _amount).map("".join)
FORMULAS = st.one_of(st.lists(_piece, min_size=0, max_size=6).map("".join), st.text(max_size=20))


@FAST(3000)
@given(FORMULAS)
def test_formula_parser_returns_finite_amounts_or_a_matnn_error(formula):
    from matnn.data.composition.parsing import MAX_AMOUNT, parse_formula

    try:
        amounts = parse_formula(formula)
    except MatnnError:
        return
    assert amounts and all(0 < a <= MAX_AMOUNT and math.isfinite(a) for a in amounts.values())


@FAST(1500)
@given(st.lists(FORMULAS, min_size=1, max_size=4))
def test_element_fractions_are_finite_rows_summing_to_one(formulas):
    from matnn.data.composition.featurizers import element_fractions

    try:
        x = element_fractions(formulas)
    except MatnnError:
        return
    assert x.shape[0] == len(formulas) and np.isfinite(x).all()
    np.testing.assert_allclose(x.sum(axis=1), 1.0, rtol=1e-6)


_yaml_scalar = st.one_of(st.integers(-5, 10**6), st.floats(allow_nan=True, allow_subnormal=False), st.text(max_size=12), st.booleans(), st.none())
_yaml_doc = st.dictionaries(st.sampled_from(["command", "out", "seed", "epochs", "model", "train", "test", "threads",
                                             "quiet", "x", "hidden"]),
                            st.one_of(_yaml_scalar, st.sampled_from(["composition train", "battery train",
                                                                     "fundamentals perceptron", "crystals train"]),
                                      st.lists(_yaml_scalar, max_size=3)), max_size=6)


@FAST(1500)
@given(st.one_of(st.binary(max_size=80), _yaml_doc.map(lambda d: __import__("yaml").safe_dump(d).encode())))
def test_experiment_files_validate_or_raise_a_matnn_error(tmp_path_factory, blob):
    from matnn.cli.experiment import load_experiment

    path = tmp_path_factory.mktemp("exp") / "x.yaml"
    path.write_bytes(blob)
    try:
        argv = load_experiment(path)
    except MatnnError:
        return
    assert all(isinstance(a, str) for a in argv)


_COMMANDS = [["fundamentals", "perceptron"], ["composition", "train"], ["battery", "train"], ["crystals", "train"],
             ["images", "digits"], ["microstructure", "train"], ["run"]]
_tokens = st.lists(st.one_of(st.sampled_from(["--out", "--seed", "--epochs", "--model", "--threads", "--quiet", "-1",
                                               "0", "1e9", "nan", "inf", "dense", "x.csv", "--", "--help-me", "=",
                                               "--batch-size", "--learning-rate", "0.5"]),
                             st.text(max_size=6)), max_size=6)


@FAST(2500)
@given(st.sampled_from(_COMMANDS), _tokens)
def test_the_argument_layer_parses_or_exits_2(command, tokens):
    from matnn.cli.main import build_parser

    parser = _PARSER.get("p") or _PARSER.setdefault("p", build_parser())
    try:
        parser.parse_args([*command, *tokens])
    except SystemExit as exc:
        assert exc.code == 2


_PARSER: dict = {}


@FAST(1000)
@given(st.binary(max_size=200))
def test_battery_npz_loader_refuses_garbage_with_a_matnn_error(tmp_path_factory, blob):
    from matnn.data.battery.npz import load_npz

    path = tmp_path_factory.mktemp("npz") / "cells.npz"
    path.write_bytes(blob)
    with pytest.raises(MatnnError):
        load_npz(path)


@FAST(1000)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=False), st.complex_numbers(max_magnitude=1e3, allow_subnormal=False)),
                min_size=4, max_size=4))
def test_battery_npz_loader_never_accepts_non_finite_or_complex_capacity(tmp_path_factory, values):
    from matnn.data.battery.npz import load_npz

    qdlin = np.full((2, 200, 99), 1.0, dtype=np.float32).astype(np.asarray(values).dtype)
    qdlin[0, :2, :2] = np.asarray(values).reshape(2, 2)
    path = tmp_path_factory.mktemp("npz") / "cells.npz"
    np.savez(path, qdlin=qdlin, cycle_life=np.array([500.0, 600.0]))
    try:
        ds = load_npz(path)
    except MatnnError:
        return
    assert np.isrealobj(ds.qdlin) and np.isfinite(ds.qdlin).all()


def test_the_default_run_generates_at_least_ten_thousand_cases():
    counts = [int(n) for n in re.findall(r"^@FAST\((\d+)\)$", Path(__file__).read_text(), flags=re.M)]
    assert len(counts) == Path(__file__).read_text().count("\n@given(") and sum(counts) >= 10_000
