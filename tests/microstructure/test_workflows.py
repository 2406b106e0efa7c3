"""Short runs of the microstructure workflows and CLI (the full runs are benchmarks in bench/)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import matnn


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    pytest.importorskip("porespy")
    from matnn.cli.main import main

    path = tmp_path_factory.mktemp("ms") / "small.npz"
    rc = main(
        ["microstructure", "generate", "--n", "160", "--size", "32", "--out", str(path), "--seed", "1", "--quiet"]
    )
    assert rc == 0
    return path


def test_generate_cli_writes_file_summary_and_figure(small_dataset):
    from matnn.data.microstructure.dataset import MicrostructureDataset

    ds = MicrostructureDataset.load(small_dataset)
    assert len(ds) == 160 and ds.images.shape[1:] == (32, 32)
    summary = json.loads(small_dataset.with_suffix(".json").read_text())
    assert summary["n"] == 160 and summary["n_candidates"] >= 160 and summary["tau_min"] >= 1.0
    assert small_dataset.with_suffix(".png").stat().st_size > 1000
    assert not small_dataset.with_name(small_dataset.name + ".partial.npz").exists()


def test_porosity_baseline_is_monotone_and_fitted_on_training_data():
    from matnn.data.splits import split_indices
    from matnn.workflows.microstructure.train import porosity_baseline

    rng = np.random.default_rng(0)
    eps = rng.uniform(0.5, 0.9, 300)
    y = -2.0 * np.log(eps) + 0.05 * rng.normal(size=300)
    model = porosity_baseline(eps, y)
    grid = np.linspace(0.5, 0.9, 50)
    assert np.all(np.diff(model.predict(grid)) <= 0)
    tr, va, te = split_indices(100, test_size=20, val_fraction=0.1, seed=0)
    assert len(te) == 20 and len(va) == 8 and len(set(tr) | set(va) | set(te)) == 100


def test_train_cli_short_run_writes_model_and_metrics(small_dataset, tmp_path):
    from matnn.cli.main import main

    out = tmp_path / "train"
    rc = main(
        [
            "microstructure",
            "train",
            "--data",
            str(small_dataset),
            "--out",
            str(out),
            "--epochs",
            "2",
            "--test-size",
            "40",
            "--width",
            "4",
            "--quiet",
        ]
    )
    assert rc == 0
    m = json.loads((out / "metrics.json").read_text())
    for key in ("r2", "mae_log_tau", "baseline_r2", "rmse_log_tau", "n_test"):
        assert key in m
    assert m["n_test"] == 40 and np.isfinite(m["r2"]) and m["baseline_r2"] > 0.3
    assert not (out / "training_state").exists() or not any((out / "training_state").iterdir())
    model = matnn.load_model(out / "model.matnn")
    from matnn.workflows.microstructure.train import network_inputs

    images = np.zeros((2, 32, 32), np.uint8)
    images[:, :, 10:20] = 1  # a straight pore channel, so the percolating mask is not empty
    x = network_inputs(images, connectivity=True)
    assert x.shape == (2, 32, 32, 2)
    pred = model.predict(x)
    assert pred.shape in ((2, 1), (2,)) and np.all(np.isfinite(pred))
    for name in ("parity.png", "learning_curves.png", "error_vs_porosity.png"):
        assert (out / name).exists()


def test_train_rejects_bad_data_file_in_one_line(tmp_path, capsys):
    from matnn.cli.main import main

    bad = tmp_path / "d.npz"
    np.savez(bad, images=np.zeros((3, 4, 4)))
    rc = main(["microstructure", "train", "--data", str(bad), "--out", str(tmp_path / "o")])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "d.npz" in err[0] and "tau" in err[0]


def test_inpainting_cnn_beats_the_neighbour_mean_on_held_out_maps():
    from matnn.workflows.microstructure.inpaint import run_inpainting

    m = run_inpainting(n_train=240, n_test=40, epochs=12, lecture_epochs=1, filters=16, depth=3, seed=0)
    assert m["baseline_mse"] == pytest.approx(1.6e-4, rel=0.25)  # the lecture's baseline level
    assert m["test_mse"] < m["baseline_mse"]
    assert np.isfinite(m["lecture_default_mse"]) and m["lecture_final_train_loss"] > 0


def test_inpainting_baseline_fills_only_missing_pixels():
    from matnn.data.microstructure.inpainting import masked_mse, missing_mask, neighbour_mean_fill, smooth_random_maps

    maps = smooth_random_maps(5, size=20, seed=3)
    miss = missing_mask(5, size=20, seed=4)
    filled = neighbour_mean_fill(maps, miss)
    np.testing.assert_array_equal(filled[~miss], maps[~miss])
    assert masked_mse(maps, filled, miss) < np.var(maps)  # far better than knowing nothing
    const = np.full((1, 6, 6), 2.0)
    hole = np.zeros((1, 6, 6), bool)
    hole[0, 2, 2] = True
    assert neighbour_mean_fill(const, hole)[0, 2, 2] == 2.0


def test_profile_encoder_decoder_short_run(small_dataset, tmp_path):
    from matnn.workflows.microstructure.profile import run_profile

    m = run_profile(tmp_path, data=small_dataset, test_size=30, epochs=3, seed=0, verbose=0)
    assert m["n_test"] == 30 and np.isfinite(m["rmse"]) and m["rmse"] < 0.5
    assert (tmp_path / "profile_examples.png").exists() and (tmp_path / "model.matnn").exists()
    model = matnn.load_model(tmp_path / "model.matnn")
    assert model.predict(np.ones((1, 32, 32, 1), np.float32)).shape == (1, 32)


def test_connectivity_channel_is_the_percolating_mask():
    from matnn.workflows.microstructure.train import network_inputs

    im = np.zeros((2, 6, 6), bool)
    im[:, :, 1] = True
    im[:, 2, 3:5] = True  # isolated pore: pore in channel 0, not in channel 1
    x = network_inputs(im, connectivity=True)
    assert x.shape == (2, 6, 6, 2) and x.dtype == np.float32
    np.testing.assert_array_equal(x[..., 0], im)
    assert x[0, :, 1, 1].all() and not x[0, 2, 3:5, 1].any()
    assert network_inputs(im).shape == (2, 6, 6, 1)


def test_predict_builds_the_input_the_model_was_trained_on(small_dataset, tmp_path, capsys):
    """'predict' takes plain binary images for both the 2-channel (default) and the 1-channel model."""
    from matnn.cli.main import main
    from matnn.workflows.microstructure.predict import predict_tortuosity

    blocked = np.zeros((32, 32), np.uint8)
    blocked[:, 5:9] = 1
    blocked[16, :] = 0  # a solid row: no path from top to bottom
    np.save(tmp_path / "blocked.npy", blocked)
    for flag, channels in (([], 2), (["--no-connectivity"], 1)):
        out = tmp_path / f"train{channels}"
        assert (
            main(
                [
                    "microstructure",
                    "train",
                    "--data",
                    str(small_dataset),
                    "--out",
                    str(out),
                    "--epochs",
                    "1",
                    "--test-size",
                    "40",
                    "--width",
                    "4",
                    "--quiet",
                    *flag,
                ]
            )
            == 0
        )
        model = matnn.load_model(out / "model.matnn")
        assert model.metadata["input_channels"] == channels
        pred_dir = tmp_path / f"pred{channels}"
        assert (
            main(
                [
                    "microstructure",
                    "predict",
                    "--model",
                    str(out),
                    "--images",
                    str(small_dataset),
                    str(tmp_path / "blocked.npy"),
                    "--out",
                    str(pred_dir),
                    "--quiet",
                ]
            )
            == 0
        )
        m = json.loads((pred_dir / "metrics.json").read_text())
        assert m["n_images"] == 161 and m["n_percolating"] == 160 and m["input_channels"] == channels
        assert "r2" not in m  # the .npy has no solver labels, so the stack as a whole is not scored
        rows = (pred_dir / "predictions.csv").read_text().splitlines()
        assert len(rows) == 162 and rows[-1].startswith("blocked.npy,") and ",0,inf," in rows[-1]
        # the workflow's own test predictions are reproduced from plain images
        saved = np.load(out / "predictions.npz")
        from matnn.data.microstructure.dataset import MicrostructureDataset

        ims = MicrostructureDataset.load(small_dataset).images[saved["test_index"]]
        np.testing.assert_allclose(
            predict_tortuosity(model, ims)["log_tau"], saved["log_tau_cnn"], rtol=1e-5, atol=1e-6
        )
    rc = main(
        [
            "microstructure",
            "predict",
            "--model",
            str(out),
            "--images",
            str(tmp_path / "blocked.npy"),
            str(tmp_path / "nothing.png"),
            "--out",
            str(tmp_path / "bad"),
        ]
    )
    assert rc == 2 and "nothing.png" in capsys.readouterr().err
    with pytest.raises(matnn.core.exceptions.ShapeError, match="32x32"):
        predict_tortuosity(model, np.ones((1, 16, 16), np.uint8))
