"""The bottleneck autoencoder: shapes, the mean-pixel baseline and a tiny run that beats it."""

from __future__ import annotations

import json

import numpy as np
import pytest

import matnn


def test_autoencoder_is_registered_with_its_recipe_and_has_the_stated_bottleneck():
    from matnn.models.microstructure.registry import MICROSTRUCTURE_MODELS

    spec = MICROSTRUCTURE_MODELS.get("autoencoder")
    assert spec.family == "autoencoder" and spec.default("latent") == 16 and spec.default("epochs") > 0
    model = spec.build(32, latent=8, width=4)
    x = np.random.default_rng(0).integers(0, 2, size=(3, 32, 32, 1)).astype(np.float32)
    out = model.layer_outputs(x)
    assert tuple(out["latent"].shape) == (3, 8)
    y = model.predict(x)
    assert y.shape == (3, 32, 32, 1) and y.min() >= 0.0 and y.max() <= 1.0


def test_autoencoder_size_and_latent_are_checked():
    from matnn.core.exceptions import ConfigError
    from matnn.models.microstructure.cnn import microstructure_autoencoder

    with pytest.raises(ConfigError, match="divisible by 8"):
        microstructure_autoencoder(30)
    with pytest.raises(ConfigError, match="'latent'"):
        microstructure_autoencoder(32, latent=0)


def test_mean_pixel_baseline_keeps_each_image_porosity():
    from matnn.workflows.microstructure.autoencoder import mean_pixel_baseline

    imgs = np.zeros((2, 4, 4))
    imgs[0, :2] = 1.0
    base = mean_pixel_baseline(imgs)
    assert base.shape == imgs.shape and np.all(base[0] == 0.5) and np.all(base[1] == 0.0)


def test_cli_tiny_autoencoder_beats_the_mean_pixel_baseline_on_held_out_images(tmp_path):
    pytest.importorskip("porespy")
    from matnn.cli.main import main

    out = tmp_path / "ae"
    args = ["microstructure", "autoencoder", "--out", str(out), "--n", "120", "--size", "32"]
    args += ["--blobiness-min", "0.2", "--blobiness-max", "0.4", "--test-size", "24", "--epochs", "15"]
    args += ["--batch-size", "16", "--seed", "0", "--quiet"]
    assert main(args) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["n_test"] == 24 and m["latent_size"] == 16
    assert m["bce_nats_per_px"] < 0.9 * m["baseline_bce_nats_per_px"]
    assert m["mse"] < m["baseline_mse"] and m["pixel_error_rate"] < m["baseline_pixel_error_rate"]
    assert m["porosity_mae_soft"] < 0.1 and m["latent_porosity_r2"] > 0.5
    for name in ("reconstructions.png", "latent_space.png", "learning_curves.png"):
        assert (out / name).stat().st_size > 1000
    model = matnn.load_model(out / "model.matnn")
    assert model.predict(np.ones((1, 32, 32, 1), np.float32)).shape == (1, 32, 32, 1)


def test_cli_autoencoder_rejects_a_missing_data_file_in_one_line(tmp_path, capsys):
    from matnn.cli.main import main

    rc = main(["microstructure", "autoencoder", "--out", str(tmp_path / "o"), "--data", str(tmp_path / "no.npz")])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no.npz" in err[0]
