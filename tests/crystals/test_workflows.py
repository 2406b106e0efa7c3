"""The crystal workflows and ``matnn crystals ...`` commands, end to end on small inputs."""

from __future__ import annotations

import gzip
import itertools
import json

import numpy as np
import pytest

import matnn
from matnn.cli.main import main
from matnn.data.crystals import write_jsonl
from matnn.models.crystals.mace import mace_available
from matnn.models.crystals.registry import CRYSTAL_MODELS


def _metrics(out):
    return json.loads((out / "metrics.json").read_text())


def test_cli_train_writes_metrics_figures_and_model(tmp_path, structure_file, capsys):
    out = tmp_path / "run"
    code = main(
        [
            "crystals",
            "train",
            "--data",
            str(structure_file),
            "--target",
            "zbar",
            "--model",
            "cgcnn",
            "--epochs",
            "3",
            "--batch-size",
            "8",
            "--out",
            str(out),
            "--no-cache",
            "--quiet",
        ]
    )
    assert code == 0
    m = _metrics(out)
    assert {"mae", "rmse", "r2", "n_test"} <= set(m) and m["n_test"] == 6
    for f in ("parity.png", "learning_curves.png", "model.matnn", "predictions.csv", "history.csv"):
        assert (out / f).exists(), f
    import matnn

    model = matnn.load_model(out / "model.matnn")
    assert model.graph_spec.cutoff == 8.0 and model.metadata["target"] == "zbar"


def test_cli_train_megnet_with_separate_test_file(tmp_path, structure_file, rng, make_crystal):
    test_file = write_jsonl(
        tmp_path / "t.jsonl",
        [
            type(c)(c.numbers, c.positions, c.cell, id=f"t{k}", targets={"zbar": 1.0})
            for k, c in enumerate(make_crystal(rng, 3) for _ in range(5))
        ],
    )
    out = tmp_path / "meg"
    code = main(
        [
            "crystals",
            "train",
            "--data",
            str(structure_file),
            "--test",
            str(test_file),
            "--target",
            "zbar",
            "--model",
            "megnet",
            "--epochs",
            "2",
            "--out",
            str(out),
            "--no-cache",
            "--quiet",
        ]
    )
    assert code == 0
    m = _metrics(out)
    assert m["n_test"] == 5 and m["n_train"] + m["n_val"] == 30 and m["model"] == "megnet"
    assert m["weight_decay"] == CRYSTAL_MODELS.default("megnet", "weight_decay")  # each model's own default


def test_cli_model_options_set_the_architecture(tmp_path, structure_file, capsys):
    from matnn.models.crystals import CGCNN

    out = tmp_path / "wide"
    code = main(
        [
            "crystals",
            "train",
            "--data",
            str(structure_file),
            "--target",
            "zbar",
            "--epochs",
            "1",
            "--model-option",
            "atom_dim=24",
            "n-conv=2",
            "--model-option",  # repeated: the options add up
            "dropout=0.1",
            "--out",
            str(out),
            "--no-cache",
            "--quiet",
        ]
    )
    assert code == 0
    m = _metrics(out)
    assert m["model_options"] == {"atom_dim": 24, "n_conv": 2, "dropout": 0.1}
    assert m["n_params"] == CGCNN(1, atom_dim=24, n_conv=2).count_params() != CGCNN(1).count_params()
    model = matnn.load_model(out / "model.matnn")
    assert (model.atom_dim, model.n_conv, model.dropout_rate) == (24, 2, 0.1)
    cgcnn = CRYSTAL_MODELS.get("cgcnn")  # the recipe's defaults, recorded
    assert (m["weight_decay"], m["learning_rate"]) == (cgcnn.default("weight_decay"), cgcnn.default("learning_rate"))
    # an unknown option is a one-line error naming the allowed ones; a malformed one is refused by the parser
    code = main(
        [
            "crystals",
            "train",
            "--data",
            str(structure_file),
            "--target",
            "zbar",
            "--epochs",
            "1",
            "--model-option",
            "atom_dims=24",
            "--out",
            str(tmp_path / "x"),
            "--no-cache",
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "atom_dims" in err and "'atom_dim'" in err and len(err.strip().splitlines()) == 1
    code = main(
        [
            "crystals",
            "train",
            "--data",
            str(structure_file),
            "--target",
            "zbar",
            "--epochs",
            "1",
            "--model-option",
            "target_mean=3",
            "--out",
            str(tmp_path / "z"),
            "--no-cache",
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "target_mean" in err and "training targets" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit):
        main(
            [
                "crystals",
                "train",
                "--data",
                str(structure_file),
                "--target",
                "zbar",
                "--model-option",
                "atom_dim",
                "--out",
                str(tmp_path / "y"),
            ]
        )


def test_weight_decay_shrinks_the_weights(tmp_path, structure_file):
    from matnn.workflows.crystals.train import train_property_model

    def weight_norm(wd: float) -> float:
        run = train_property_model(
            structure_file,
            target="zbar",
            epochs=2,
            batch_size=8,
            weight_decay=wd,
            seed=0,
            out=tmp_path / f"wd{wd}",
            cache_dir=False,
            verbose=False,
            model_kwargs={"atom_dim": 8, "n_conv": 1, "hidden_dim": 8},
        )
        assert run.metrics["weight_decay"] == wd
        return float(sum(p.detach().pow(2).sum() for p in run.model.parameters()))

    # same seed, same batches: a strong decoupled decay (weights shrink by lr x 50 per step) leaves smaller weights
    assert weight_norm(50.0) < weight_norm(0.0)
    with pytest.raises(matnn.ConfigError, match="weight_decay"):
        train_property_model(structure_file, target="zbar", epochs=1, weight_decay=-1.0, cache_dir=False, verbose=False)
    for bad_lr in (0.0, float("nan"), float("inf")):  # refused before any graph is built
        with pytest.raises(matnn.ConfigError, match="learning_rate"):
            train_property_model(
                structure_file, target="zbar", epochs=1, learning_rate=bad_lr, cache_dir=False, verbose=False
            )


def test_cli_errors_are_one_line(tmp_path, structure_file, capsys):
    code = main(
        [
            "crystals",
            "train",
            "--data",
            str(structure_file),
            "--target",
            "band_gap",
            "--epochs",
            "1",
            "--out",
            str(tmp_path / "x"),
            "--no-cache",
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "band_gap" in err and "zbar" in err and len(err.strip().splitlines()) == 1
    code = main(["crystals", "potential", "--system", "CuFe", "--out", str(tmp_path / "p"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "Fe" in err and "Allowed elements" in err


@pytest.mark.parametrize(
    "model",
    [
        "schnet",
        pytest.param("mace", marks=pytest.mark.skipif(not mace_available(), reason="mace-torch is not installed")),
    ],
)
def test_cli_potential_end_to_end(tmp_path, model):
    out = tmp_path / "pot"
    code = main(
        [
            "crystals",
            "potential",
            "--system",
            "CuAu",
            "--n-structures",
            "24",
            "--epochs",
            "2",
            "--md-steps",
            "10",
            "--model",
            model,
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    m = _metrics(out)
    assert m["model"] == model
    assert (
        type(matnn.load_model(out / "model.matnn")).__name__
        == {"schnet": "GraphPotential", "mace": "MACEPotential"}[model]
    )
    for key in ("energy_mae_mev_atom", "force_mae_mev_A", "md_drift_mev_atom_ps", "md_drift_emt_mev_atom_ps"):
        assert np.isfinite(m[key]), key
    for f in ("parity_energy.png", "parity_forces.png", "md_energy.png", "model.matnn", "data.jsonl.gz"):
        assert (out / f).exists(), f
    assert not (out / "backup").exists()


def test_cli_graphs_reports_speed(tmp_path, structure_file):
    out = tmp_path / "g"
    assert (
        main(
            [
                "crystals",
                "graphs",
                "--data",
                str(structure_file),
                "--out",
                str(out),
                "--cache-dir",
                str(tmp_path / "c"),
                "--quiet",
            ]
        )
        == 0
    )
    m = _metrics(out)
    assert m["n_graphs"] == 30 and m["graphs_per_s"] > 0 and m["mean_neighbors"] >= 12


def test_cgcnn_learns_formation_energy_from_shared_structures(tmp_path, shared_datasets):
    """600 Materials Project structures, 6 epochs: far better than predicting the mean."""
    from matnn.workflows.crystals import train_property_model

    src = shared_datasets / "structures" / "mp_formation_train.jsonl.gz"
    with gzip.open(src, "rt") as fh:
        lines = list(itertools.islice(fh, 600))
    small = tmp_path / "mp600.jsonl.gz"
    with gzip.open(small, "wt") as fh:
        fh.writelines(lines)
    run = train_property_model(small, epochs=6, batch_size=32, seed=0, cache_dir=False, verbose=False)
    y = run.y_test
    baseline = np.abs(y - y.mean()).mean()
    assert run.metrics["mae"] < 0.5 * baseline, (run.metrics["mae"], baseline)


def test_same_seed_same_numbers(structure_file):
    from matnn.workflows.crystals import train_property_model

    kw = dict(
        target="zbar",
        epochs=2,
        batch_size=8,
        cache_dir=False,
        verbose=False,
        model_kwargs={"atom_dim": 16, "n_conv": 1, "hidden_dim": 16},
    )
    a = train_property_model(structure_file, seed=3, **kw)
    b = train_property_model(structure_file, seed=3, **kw)
    c = train_property_model(structure_file, seed=4, **kw)
    np.testing.assert_array_equal(a.y_pred, b.y_pred)
    assert a.test_ids == b.test_ids and a.test_ids != c.test_ids


def test_time_limited_chunks_resume_to_the_same_model(tmp_path, structure_file):
    from matnn.workflows.crystals import train_property_model

    kw = dict(
        target="zbar",
        epochs=3,
        batch_size=8,
        cache_dir=False,
        verbose=False,
        seed=5,
        model_kwargs={"atom_dim": 16, "n_conv": 1, "hidden_dim": 16},
    )
    whole = train_property_model(structure_file, out=tmp_path / "whole", **kw)
    first = train_property_model(structure_file, out=tmp_path / "chunks", time_limit_s=1e-3, **kw)
    assert first.metrics["status"] == "interrupted" and first.metrics["epochs_done"] == 1
    assert (tmp_path / "chunks" / "backup" / "training_state.pt").exists()
    second = train_property_model(structure_file, out=tmp_path / "chunks", time_limit_s=1e-3, **kw)
    assert second.metrics["epochs_done"] == 2
    last = train_property_model(structure_file, out=tmp_path / "chunks", **kw)
    assert last.metrics["status"] == "complete" and last.metrics["epochs"] == 3
    # Earlier chunks are counted: the sum of 3 epoch times exceeds twice their median, whereas the
    # last chunk's single epoch alone would equal it (a wall-clock comparison would be flaky under load).
    assert last.metrics["epochs_time_s"] > 2.0 * last.metrics["epoch_time_s"]
    np.testing.assert_array_equal(last.y_pred, whole.y_pred)
    assert not (tmp_path / "chunks" / "backup").exists()  # nothing left to resume once complete


_SMALL = {"atom_dim": 16, "n_conv": 1, "hidden_dim": 16}


def test_split_seed_fixes_the_structures_while_seed_changes_the_weights(structure_file):
    from matnn.workflows.crystals import train_property_model

    kw = dict(target="zbar", epochs=2, batch_size=8, cache_dir=False, verbose=False, model_kwargs=_SMALL)
    a = train_property_model(structure_file, seed=1, split_seed=7, **kw)
    b = train_property_model(structure_file, seed=2, split_seed=7, **kw)
    c = train_property_model(structure_file, seed=1, **kw)
    assert a.test_ids == b.test_ids and a.test_ids != c.test_ids
    assert not np.allclose(a.y_pred, b.y_pred)
    assert a.metrics["split_seed"] == 7 and c.metrics["split_seed"] == 1


def test_ensemble_is_the_mean_of_its_members_and_beats_their_average(tmp_path, structure_file):
    from matnn.workflows.crystals import evaluate_ensemble, train_property_model

    kw = dict(target="zbar", epochs=3, batch_size=8, cache_dir=False, verbose=False, split_seed=0, model_kwargs=_SMALL)
    members = [train_property_model(structure_file, seed=s, out=tmp_path / f"m{s}", **kw) for s in (0, 1, 2)]
    ens = evaluate_ensemble(
        [tmp_path / f"m{s}" for s in (0, 1, 2)], recalibrate=False, cache_dir=False, verbose=False, out=tmp_path / "ens"
    )
    assert ens.test_ids == members[0].test_ids
    np.testing.assert_allclose(ens.member_predictions, np.stack([m.y_pred for m in members]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ens.y_pred, np.mean([m.y_pred for m in members], axis=0), rtol=1e-5, atol=1e-6)
    m = ens.metrics
    assert m["member_mae_mean"] == pytest.approx(np.mean([r.metrics["mae"] for r in members]), rel=1e-5)
    # |mean of predictions − y| ≤ mean of |prediction − y| at every structure (convexity), so on average too;
    # equality when all members err on the same side, so allow float32 rounding (relative 1e-6).
    assert m["mae"] <= m["member_mae_mean"] * (1 + 1e-6) and m["val_mae"] <= m["member_val_mae_mean"] * (1 + 1e-6)
    assert m["n_members"] == 3 and m["n_test"] == 6
    # Recalibrating BatchNorm again (what old runs need) leaves runs that were already recalibrated unchanged.
    again = evaluate_ensemble([tmp_path / f"m{s}" for s in (0, 1, 2)], cache_dir=False, verbose=False)
    np.testing.assert_allclose(again.y_pred, ens.y_pred, rtol=1e-4, atol=1e-5)
    for f in ("metrics.json", "predictions.csv", "parity.png"):
        assert (tmp_path / "ens" / f).exists(), f


def test_ensemble_refuses_runs_made_on_different_splits(tmp_path, structure_file, capsys):
    from matnn.core.exceptions import ConfigError
    from matnn.workflows.crystals import evaluate_ensemble

    for name, split in (("a", 0), ("b", 1)):
        assert (
            main(
                [
                    "crystals",
                    "train",
                    "--data",
                    str(structure_file),
                    "--target",
                    "zbar",
                    "--epochs",
                    "1",
                    "--batch-size",
                    "8",
                    "--split-seed",
                    str(split),
                    "--out",
                    str(tmp_path / name),
                    "--no-cache",
                    "--quiet",
                ]
            )
            == 0
        )
    with pytest.raises(ConfigError, match="split_seed"):
        evaluate_ensemble([tmp_path / "a", tmp_path / "b"], cache_dir=False, verbose=False)
    code = main(
        [
            "crystals",
            "ensemble",
            str(tmp_path / "a"),
            str(tmp_path / "nothing"),
            "--out",
            str(tmp_path / "e"),
            "--no-cache",
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert code != 0 and "nothing" in err and "Traceback" not in err


def test_cli_ensemble_end_to_end(tmp_path, structure_file):
    for seed in (0, 1):
        assert (
            main(
                [
                    "crystals",
                    "train",
                    "--data",
                    str(structure_file),
                    "--target",
                    "zbar",
                    "--epochs",
                    "2",
                    "--batch-size",
                    "8",
                    "--seed",
                    str(seed),
                    "--split-seed",
                    "3",
                    "--out",
                    str(tmp_path / f"r{seed}"),
                    "--no-cache",
                    "--quiet",
                ]
            )
            == 0
        )
    assert (
        main(
            [
                "crystals",
                "ensemble",
                str(tmp_path / "r0"),
                str(tmp_path / "r1"),
                "--out",
                str(tmp_path / "e"),
                "--no-cache",
                "--quiet",
            ]
        )
        == 0
    )
    m = _metrics(tmp_path / "e")
    assert {
        "mae",
        "rmse",
        "r2",
        "n_test",
        "val_mae",
        "member_mae_mean",
        "member_mae_std",
        "ensemble_beats_members_on_val",
    } <= set(m)
    assert m["n_members"] == 2 and m["split_seed"] == 3


def test_swa_is_chosen_on_validation_and_survives_chunked_resume(tmp_path, structure_file):
    from matnn.workflows.crystals import train_property_model

    kw = dict(
        target="zbar",
        epochs=4,
        batch_size=8,
        cache_dir=False,
        verbose=False,
        seed=2,
        swa_start=0.5,
        model_kwargs=_SMALL,
    )
    whole = train_property_model(structure_file, out=tmp_path / "whole", **kw)
    m = whole.metrics
    assert m["swa_epochs"] == 2 and m["weights"] in ("swa", "best_epoch")
    chosen = min(m["val_mae_swa"], m["val_mae_best_epoch"])
    assert m["weights"] == ("swa" if m["val_mae_swa"] < m["val_mae_best_epoch"] else "best_epoch")
    assert m["val_mae_final"] == pytest.approx(chosen, rel=1e-5)
    assert m["mae"] == pytest.approx(m["mae_swa"] if m["weights"] == "swa" else m["mae_best_epoch"], rel=1e-5)
    # the running mean is part of the backup: three chunks end with the same chosen model
    for _ in range(3):
        part = train_property_model(structure_file, out=tmp_path / "chunks", time_limit_s=1e-3, **kw)
        assert part.metrics["status"] == "interrupted"
    last = train_property_model(structure_file, out=tmp_path / "chunks", **kw)
    assert last.metrics["val_mae_swa"] == m["val_mae_swa"] and last.metrics["weights"] == m["weights"]
    np.testing.assert_array_equal(last.y_pred, whole.y_pred)
    with pytest.raises(matnn.ConfigError, match="swa_start"):
        train_property_model(structure_file, **{**kw, "swa_start": 1.5})


def test_ensemble_compares_data_by_contents_not_path(tmp_path, structure_file):
    """Members trained on byte-identical copies at different paths form an ensemble; the copies' originals
    may be gone; a data file edited since training, or a member trained on other data, is refused."""
    import shutil

    from matnn.core.exceptions import ConfigError, DataError
    from matnn.workflows.crystals import evaluate_ensemble, train_property_model

    copy = tmp_path / "elsewhere" / structure_file.name
    copy.parent.mkdir()
    shutil.copyfile(structure_file, copy)
    kw = dict(target="zbar", epochs=1, batch_size=8, cache_dir=False, verbose=False, split_seed=0, model_kwargs=_SMALL)
    a = train_property_model(structure_file, seed=0, out=tmp_path / "a", **kw)
    train_property_model(copy, seed=1, out=tmp_path / "b", **kw)
    assert _metrics(tmp_path / "a")["data_sha256"] == _metrics(tmp_path / "b")["data_sha256"]
    runs = [tmp_path / "a", tmp_path / "b"]
    ens = evaluate_ensemble(runs, recalibrate=False, cache_dir=False, verbose=False)
    assert ens.test_ids == a.test_ids and ens.metrics["data_sha256"] == a.metrics["data_sha256"]

    # The first member's file is gone (another machine): the second's byte-identical copy is used.
    moved = tmp_path / "moved.jsonl"
    structure_file.rename(moved)
    try:
        again = evaluate_ensemble(runs, recalibrate=False, cache_dir=False, verbose=False)
        np.testing.assert_allclose(again.y_pred, ens.y_pred, rtol=1e-6)
        assert again.metrics["data"] == str(copy.resolve())
        # The surviving copy was edited after training: refused, naming the file.
        with open(copy, "a", encoding="utf-8") as fh:
            fh.write("\n")
        with pytest.raises(DataError, match="contents differ"):
            evaluate_ensemble(runs, recalibrate=False, cache_dir=False, verbose=False)
    finally:
        moved.rename(structure_file)

    # A member whose data had other contents is refused as a different split.
    m = _metrics(tmp_path / "b")
    m["data_sha256"] = "0" * 64
    (tmp_path / "b" / "metrics.json").write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(ConfigError, match="'data' differs"):
        evaluate_ensemble(runs, recalibrate=False, cache_dir=False, verbose=False)
