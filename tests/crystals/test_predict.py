"""``matnn crystals predict``: a trained run's model on new structures, from files or a folder of them."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import matnn
from matnn.cli.main import main
from matnn.data.crystals import Crystal, read_structures, to_pymatgen, write_jsonl
from matnn.data.crystals.dataset import CrystalGraphDataset, load_graphs
from matnn.workflows.crystals import predict_property, train_property_model
from matnn.workflows.crystals._common import predict_dataset

_SMALL = {
    "atom_dim": 16,
    "n_conv": 1,
    "hidden_dim": 16,
    "cutoff": 6.0,
    "max_neighbors": 8,
}


@pytest.fixture
def trained_run(tmp_path, structure_file):
    """A 2-epoch CGCNN run with its own graph settings (cutoff 6 Å, 8 neighbours) in ``tmp_path/run``."""
    run = train_property_model(
        structure_file,
        target="zbar",
        epochs=2,
        batch_size=8,
        seed=0,
        out=tmp_path / "run",
        cache_dir=False,
        verbose=False,
        model_kwargs=_SMALL,
    )
    return tmp_path / "run", run


def _csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_predictions_are_the_models_own_and_the_runs_test_predictions(
    tmp_path, trained_run, structure_file, rng, make_crystal
):
    run_dir, run = trained_run
    new = [make_crystal(rng, n_atoms=3) for _ in range(7)]
    new_file = write_jsonl(
        tmp_path / "new.jsonl",
        [Crystal(c.numbers, c.positions, c.cell, id=f"n{k}") for k, c in enumerate(new)],
    )
    assert (
        main(
            [
                "crystals",
                "predict",
                "--model",
                str(run_dir),
                "--data",
                str(new_file),
                "--out",
                str(tmp_path / "p"),
                "--no-cache",
                "--quiet",
            ]
        )
        == 0
    )
    rows = _csv(tmp_path / "p" / "predictions.csv")
    assert list(rows[0]) == ["id", "zbar_pred"] and [r["id"] for r in rows] == [f"n{k}" for k in range(7)]
    metrics = json.loads((tmp_path / "p" / "metrics.json").read_text())
    assert metrics["n_structures"] == 7 and metrics["model"] == "cgcnn" and metrics["target"] == "zbar"
    assert (metrics["graph_cutoff_A"], metrics["graph_max_neighbors"]) == (
        6.0,
        8,
    ) and "mae" not in metrics

    # The same numbers as the saved model predicting on graphs built with its own settings.
    model = matnn.load_model(run_dir / "model.matnn")
    store = load_graphs(
        write_jsonl(
            tmp_path / "new_t.jsonl",
            [Crystal(c.numbers, c.positions, c.cell, targets={"zbar": 0.0}) for c in new],
        ),
        model.graph_spec,
        cache_dir=False,
        verbose=False,
    )
    own = predict_dataset(model, CrystalGraphDataset(store, "zbar")).reshape(-1)
    np.testing.assert_allclose([float(r["zbar_pred"]) for r in rows], own, rtol=1e-5, atol=1e-6)

    # On the training file: the test structures get the run's own test predictions, and it is scored.
    again = predict_property(run_dir, structure_file, cache_dir=False, verbose=False)
    by_id = dict(zip(again.ids, again.y_pred, strict=True))
    np.testing.assert_allclose([by_id[i] for i in run.test_ids], run.y_pred, rtol=1e-5, atol=1e-6)
    assert again.metrics["n_scored"] == 30
    assert again.metrics["mae"] == pytest.approx(float(np.mean(np.abs(again.y_pred - again.y_true))))


def test_a_folder_of_cif_and_poscar_files_predicts_like_the_jsonl(tmp_path, trained_run, structure_file):
    run_dir, _ = trained_run
    from_jsonl = predict_property(run_dir, structure_file, cache_dir=False, verbose=False)
    folder = tmp_path / "cifs"
    folder.mkdir()
    crystals = read_structures(structure_file)[:3]
    for c in crystals[:2]:
        to_pymatgen(c).to(filename=str(folder / f"{c.id}.cif"))
    to_pymatgen(crystals[2]).to(filename=str(folder / "POSCAR"), fmt="poscar")
    got = predict_property(run_dir, folder, out=tmp_path / "pf", verbose=False)
    assert got.ids == ["POSCAR", crystals[0].id, crystals[1].id] and got.y_true is None
    expected = [from_jsonl.y_pred[from_jsonl.ids.index(c.id)] for c in (crystals[2], crystals[0], crystals[1])]
    np.testing.assert_allclose(got.y_pred, expected, rtol=1e-4, atol=1e-5)  # CIF stores coordinates rounded
    assert (tmp_path / "pf" / "predictions.csv").exists() and got.metrics["n_structures"] == 3


def test_missing_run_wrong_file_or_a_potential_are_one_line_errors(tmp_path, trained_run, structure_file, capsys):
    from matnn.models.crystals import GraphPotential

    run_dir, _ = trained_run
    (tmp_path / "pot").mkdir()
    GraphPotential(dim=8, n_interactions=1).save(tmp_path / "pot" / "model.matnn")
    (tmp_path / "notes.txt").write_text("not a structure")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "metrics.json").write_text(json.dumps({"status": "interrupted"}))
    cases = [
        (tmp_path / "nothing", structure_file, "no such run folder"),
        (tmp_path / "half", structure_file, "not complete"),
        (run_dir, tmp_path / "notes.txt", "notes.txt"),
        (run_dir, tmp_path / "absent.jsonl", "does not exist"),
        (tmp_path / "pot", structure_file, "not a crystal property model"),
    ]
    for model_dir, data, words in cases:
        code = main(
            [
                "crystals",
                "predict",
                "--model",
                str(model_dir),
                "--data",
                str(data),
                "--out",
                str(tmp_path / "x"),
                "--no-cache",
                "--quiet",
            ]
        )
        err = capsys.readouterr().err
        assert code == 2 and words in err and len(err.strip().splitlines()) == 1, err


def test_predict_flags_structures_beyond_the_training_data(trained_run, tmp_path, capsys):
    run_dir, _ = trained_run
    assert (run_dir / "training_range.json").is_file()
    huge = Crystal([8, 14], [[0, 0, 0], [10.0, 10.0, 10.0]], 20.0 * np.eye(3), id="sparse", targets={"zbar": 1.0})
    path = write_jsonl(tmp_path / "far.jsonl", [huge])
    capsys.readouterr()
    res = predict_property(run_dir, path, cache_dir=False, verbose=False)
    assert res.metrics["n_beyond_training"] == 1 and res.metrics["beyond_training_ids"] == ["sparse"]
    assert "1 of 1 structure(s) lie beyond the training data" in capsys.readouterr().err
