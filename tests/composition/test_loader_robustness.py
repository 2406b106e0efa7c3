"""The formula CSV loader refuses what it cannot read faithfully, in one line naming file and line."""

from __future__ import annotations

import pytest

from matnn.cli.main import main
from matnn.core.exceptions import DataError
from matnn.data.composition.loader import load_formula_csv, load_tabular_csv, read_csv_header

SAVED = __import__("pathlib").Path(__file__).parent / "data" / "saved_models" / "dense"


def test_duplicated_header_column_is_refused(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("formula,target,target\nFe2O3,1,2\n")
    with pytest.raises(DataError, match=r"line 1 names column 'target' twice \(columns 2 and 3\)"):
        load_formula_csv(path)
    with pytest.raises(DataError, match="twice"):
        load_tabular_csv(path, target_column="target")


def test_huge_target_is_reported_at_its_file_line(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("formula,target\nFe2O3,1\nNaCl,2\nMgO,1e308\n")
    with pytest.raises(DataError, match=r"line 4, column 'target', value 1e\+308: target magnitude beyond 1e\+15"):
        load_formula_csv(path)
    table = load_formula_csv(path, drop_invalid=True)
    assert len(table) == 2 and table.report["n_invalid_dropped"] == 1


def test_folder_binary_and_empty_files(tmp_path):
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(DataError, match="is a folder"):
        load_formula_csv(tmp_path / "d.csv")
    binary = tmp_path / "b.csv"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(DataError, match="binary file"):
        read_csv_header(binary)
    latin = tmp_path / "l.csv"
    latin.write_bytes(b"formula,target\n\xff\xfe\xfd,1\n" + b"x" * 10)
    with pytest.raises(DataError, match="not UTF-8"):
        read_csv_header(latin)
    empty = tmp_path / "e.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="is empty"):
        load_formula_csv(empty)


@pytest.mark.parametrize("content", [b"", b"\x00\x01garbage\x00" * 20])
@pytest.mark.parametrize("action", ["predict", "featurize"])
def test_cli_empty_or_binary_input_is_one_line(tmp_path, capsys, content, action):
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    extra = ["--model-dir", str(SAVED)] if action == "predict" else []
    code = main(["composition", action, *extra, "--data", str(path), "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and str(path) in err and "Traceback" not in err
    assert ("is empty" in err) if not content else ("binary file" in err)


def test_cli_folder_as_data_says_folder(tmp_path, capsys):
    code = main(["composition", "featurize", "--data", str(tmp_path), "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "is a folder" in err and "not found" not in err and "no such file" not in err


def test_predict_flags_formulas_far_outside_the_training_data(tmp_path, capsys):
    import json

    import numpy as np
    import pandas as pd

    from matnn.data.composition import ELEMNET_ELEMENTS

    rng = np.random.default_rng(0)
    els = ELEMNET_ELEMENTS[:20]  # light elements only
    formulas = sorted(
        {
            f"{els[a]}{els[b]}{i}"
            for a, b, i in zip(rng.integers(0, 20, 150), rng.integers(0, 20, 150), rng.integers(1, 4, 150), strict=True)
            if a != b
        }
    )
    frame = pd.DataFrame({"formula": formulas, "target": rng.normal(size=len(formulas))})
    frame.to_csv(tmp_path / "train.csv", index=False)
    run = tmp_path / "run"
    assert (
        main(
            [
                "composition",
                "train",
                "--train",
                str(tmp_path / "train.csv"),
                "--test",
                str(tmp_path / "train.csv"),
                "--model",
                "rf-magpie",
                "--n-estimators",
                "5",
                "--out",
                str(run),
                "--quiet",
            ]
        )
        == 0
    )
    assert (run / "model" / "training_range.json").is_file()
    pd.DataFrame({"formula": [formulas[0], "Pu2O3", "UO2"]}).to_csv(tmp_path / "new.csv", index=False)
    capsys.readouterr()
    assert (
        main(
            [
                "composition",
                "predict",
                "--model-dir",
                str(run),
                "--data",
                str(tmp_path / "new.csv"),
                "--out",
                str(tmp_path / "p"),
                "--quiet",
            ]
        )
        == 0
    )
    m = json.loads((tmp_path / "p" / "metrics.json").read_text())
    assert m["n_beyond_training"] == 2 and set(m["beyond_training_ids"]) == {"Pu2O3", "UO2"}
    assert "2 of 3 formula(s) lie beyond the training data" in capsys.readouterr().err
