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
    return settings(
        max_examples=n * _SCALE,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


ELEMENTS = ["H", "Li", "C", "N", "O", "Na", "Mg", "Al", "Si", "P", "S", "Fe", "Co", "Ni", "Cu", "Zn", "Ag", "W", "Br"]
_amount = st.one_of(
    st.just(""),
    st.integers(0, 10**9).map(str),
    st.floats(0, 1e9, allow_nan=False, allow_subnormal=False).map(lambda f: f"{f:.6g}"),
    st.sampled_from(["1e307", "-1", "0.0", "nan", "inf", "1e-320", ".", "e5"]),
)
_piece = st.tuples(st.sampled_from(ELEMENTS + ["Xx", "q", "(", ")", " ", "2", "Fe("]), _amount).map("".join)
FORMULAS = st.one_of(st.lists(_piece, min_size=0, max_size=6).map("".join), st.text(max_size=20))


@FAST(3900)
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


_yaml_scalar = st.one_of(
    st.integers(-5, 10**6),
    st.floats(allow_nan=True, allow_subnormal=False),
    st.text(max_size=12),
    st.booleans(),
    st.none(),
)
_yaml_doc = st.dictionaries(
    st.sampled_from(["command", "out", "seed", "epochs", "model", "train", "test", "threads", "quiet", "x", "hidden"]),
    st.one_of(
        _yaml_scalar,
        st.sampled_from(["composition train", "battery train", "fundamentals perceptron", "crystals train"]),
        st.lists(_yaml_scalar, max_size=3),
    ),
    max_size=6,
)


@FAST(600)
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


_COMMANDS = [
    ["fundamentals", "perceptron"],
    ["composition", "train"],
    ["battery", "train"],
    ["crystals", "train"],
    ["images", "digits"],
    ["microstructure", "train"],
    ["run"],
]
_tokens = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "--out",
                "--seed",
                "--epochs",
                "--model",
                "--threads",
                "--quiet",
                "-1",
                "0",
                "1e9",
                "nan",
                "inf",
                "dense",
                "x.csv",
                "--",
                "--help-me",
                "=",
                "--batch-size",
                "--learning-rate",
                "0.5",
            ]
        ),
        st.text(max_size=6),
    ),
    max_size=6,
)


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
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=False),
            st.complex_numbers(max_magnitude=1e3, allow_subnormal=False),
        ),
        min_size=4,
        max_size=4,
    )
)
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


# ---------------------------------------------------------------- file loaders: structured garbage
_FLOATS = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=False, width=32)
_DTYPES = st.sampled_from(["float32", "float64", "int16", "complex64", "<U4", "bool"])


@FAST(150)
@given(
    st.tuples(st.integers(1, 3), st.integers(2, 6), st.integers(2, 12)),
    _DTYPES,
    st.lists(_FLOATS, min_size=1, max_size=8),
    st.one_of(
        st.none(), st.lists(st.floats(-10, 1e31, allow_subnormal=False) | st.just(float("nan")), min_size=1, max_size=4)
    ),
    st.sampled_from([1.0, 1e30, -1.0, 1e4]),
)
def test_battery_npz_arrays_load_finite_and_bounded_or_raise(tmp_path_factory, shape, dtype, values, life, scale):
    from matnn.data.battery.dataset import MAX_CAPACITY_AH, MAX_CYCLE_LIFE
    from matnn.data.battery.npz import load_npz

    n, v, c = shape
    base = np.linspace(0.0, 1.0, v)[None, :, None] * np.ones((n, v, c)) * scale
    flat = base.reshape(-1)
    k = min(len(values), flat.size)
    flat[:k] = values[:k]
    with np.errstate(all="ignore"), __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore")  # NaN → int casts: whatever numpy makes of them is the input
        arrays = {"qdlin": flat.reshape(n, v, c).astype(dtype)}
    if life is not None:
        arrays["cycle_life"] = np.asarray(life, dtype=np.float64)
    path = tmp_path_factory.mktemp("npz") / "cells.npz"
    np.savez(path, **arrays)
    try:
        ds = load_npz(path, report=False)
    except MatnnError:
        return
    assert np.isrealobj(ds.qdlin) and np.isfinite(ds.qdlin).all() and np.abs(ds.qdlin).max() <= MAX_CAPACITY_AH
    known = ds.cycle_life[np.isfinite(ds.cycle_life)]
    assert ((known > 0) & (known <= MAX_CYCLE_LIFE)).all() and not np.isinf(ds.cycle_life).any()


_CELL = st.one_of(
    st.sampled_from(["Fe2O3", "NaCl", "1e308", "-1e16", "nan", "", '"', "H2O", "Xx", "1.5", "inf", "Fe,O"]),
    st.text(max_size=6),
)
_ROW = st.lists(_CELL, min_size=0, max_size=3).map(lambda cells: ",".join(cells))


@FAST(300)
@given(
    st.one_of(
        st.binary(max_size=120),
        st.lists(_ROW, min_size=0, max_size=5).map(lambda rows: ("formula,target\n" + "\n".join(rows)).encode()),
        st.lists(_ROW, min_size=0, max_size=4).map(lambda rows: "\n".join(rows).encode()),
    )
)
def test_formula_csv_loader_gives_finite_targets_or_a_matnn_error(tmp_path_factory, blob):
    from matnn.data.composition.loader import MAX_ABS_VALUE, load_formula_csv

    path = tmp_path_factory.mktemp("csv") / "data.csv"
    path.write_bytes(blob)
    try:
        table = load_formula_csv(path)
    except MatnnError:
        return
    assert len(table) > 0 and np.isfinite(table.y).all() and (np.abs(table.y) <= MAX_ABS_VALUE).all()


_NUM = st.one_of(
    st.floats(-3, 3, allow_subnormal=False), st.just(float("nan")), st.just(1e300), st.text(max_size=3), st.none()
)
_RECORD = st.fixed_dictionaries(
    {
        "lattice": st.one_of(
            st.just([[4, 0, 0], [0, 4, 0], [0, 0, 4]]),
            st.lists(st.lists(_NUM, min_size=3, max_size=3), min_size=3, max_size=3),
        ),
        "species": st.lists(st.sampled_from(["Na", "Cl", "O", "Xx", "Fe"]), min_size=0, max_size=3),
        "frac_coords": st.lists(
            st.lists(st.floats(0, 1, allow_subnormal=False), min_size=3, max_size=3), min_size=0, max_size=3
        ),
    },
    optional={"id": st.text(max_size=4), "targets": st.dictionaries(st.sampled_from(["e", "g"]), _NUM, max_size=2)},
)


@FAST(300)
@given(
    st.one_of(
        st.lists(_RECORD.map(lambda r: __import__("json").dumps(r)), min_size=0, max_size=3).map(
            lambda ls: "\n".join(ls).encode()
        ),
        st.binary(max_size=100),
    ),
    st.booleans(),
    st.integers(0, 60),
)
def test_structure_jsonl_and_gz_readers_give_valid_crystals_or_a_matnn_error(tmp_path_factory, blob, gz, cut):
    import gzip

    from matnn.data.crystals.structures import MIN_DISTANCE, _min_pair_distance, read_structures

    data = gzip.compress(blob, mtime=0) if gz else blob
    if cut and gz:
        data = data[: max(0, len(data) - cut)]  # truncated archive
    path = tmp_path_factory.mktemp("jsonl") / ("s.jsonl.gz" if gz else "s.jsonl")
    path.write_bytes(data)
    try:
        crystals = read_structures(path)
    except MatnnError:
        return
    for c in crystals:
        assert np.isfinite(c.positions).all() and np.isfinite(c.cell).all() and c.n_atoms > 0
        assert _min_pair_distance(c.positions, c.cell)[0] >= MIN_DISTANCE
        assert all(isinstance(v, float) and not math.isinf(v) for v in c.targets.values())


_POSCAR = "Si\n1.0\n{a} 0 0\n0 {a} 0\n0 0 {a}\nSi\n{n}\nDirect\n0 0 0\n{x} 0.25 0.25\n"


@FAST(60)
@given(
    st.one_of(
        st.binary(max_size=200).map(lambda b: ("x.cif", b)),
        st.text(max_size=200).map(lambda t: ("POSCAR", t.encode())),
        st.tuples(
            st.sampled_from(["5.43", "0", "-1", "nan", "1e9", "abc"]),
            st.sampled_from(["2", "1", "3", "0"]),
            st.sampled_from(["0.25", "0", "0.2500001", "x"]),
        ).map(lambda t: ("POSCAR", _POSCAR.format(a=t[0], n=t[1], x=t[2]).encode())),
    )
)
def test_cif_and_poscar_readers_give_valid_crystals_or_a_matnn_error(tmp_path_factory, named):
    import warnings

    from matnn.data.crystals.structures import read_structures

    name, blob = named
    path = tmp_path_factory.mktemp("struct") / name
    path.write_bytes(blob)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            crystals = read_structures(path)
        except MatnnError:
            return
    assert all(np.isfinite(c.positions).all() and c.n_atoms > 0 for c in crystals)


@FAST(200)
@given(
    st.one_of(
        st.binary(max_size=150).map(lambda b: (".png", b)),
        st.binary(max_size=150).map(lambda b: (".npy", b)),
        st.lists(_FLOATS, min_size=1, max_size=12).map(lambda v: (".npy", np.asarray(v))),
    )
)
def test_image_reader_gives_unit_grey_images_or_a_matnn_error(tmp_path_factory, item):
    from matnn.data.images.readers import read_image

    suffix, payload = item
    path = tmp_path_factory.mktemp("img") / f"im{suffix}"
    if isinstance(payload, np.ndarray):
        np.save(path, payload.reshape(-1, 1) if payload.size % 2 else payload.reshape(2, -1))
    else:
        path.write_bytes(payload)
    try:
        img = read_image(path)
    except MatnnError:
        return
    assert img.ndim == 2 and np.isfinite(img).all() and img.min() >= 0 and img.max() <= 1
