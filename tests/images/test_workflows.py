"""Short end-to-end runs: digits above an accuracy floor, the lines toy, the conv lab and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

import matnn


def test_lenet_reaches_an_accuracy_floor_in_a_short_run():
    from matnn.data.images.digits import digits_split
    from matnn.workflows.images.digits import train_digit_classifier

    (x_tr, y_tr), (x_te, y_te) = digits_split(seed=0)
    model, hist = train_digit_classifier(x_tr, y_tr, model="lenet", epochs=2, seed=0)
    acc = float(np.mean(np.argmax(model.predict(x_te), axis=1) == y_te))
    assert acc > 0.95  # full run (30 epochs, 5 seeds) is the benchmark: >= 0.99
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def test_lecture_dropout_cnn_learns_and_has_the_lecture_layers():
    from matnn.data.images.digits import digits_split
    from matnn.layers import Conv2D, Dropout
    from matnn.workflows.images.digits import train_digit_classifier

    (x_tr, y_tr), (x_te, y_te) = digits_split(seed=1)
    model, _ = train_digit_classifier(x_tr, y_tr, model="lecture", epochs=4, seed=1)
    convs = [layer for layer in model.layers if isinstance(layer, Conv2D)]
    assert [c.filters for c in convs] == [64, 32] and any(isinstance(layer, Dropout) for layer in model.layers)
    assert float(np.mean(np.argmax(model.predict(x_te), axis=1) == y_te)) > 0.85


def test_cnn_generalises_to_unseen_positions_and_dense_does_not():
    from matnn.workflows.images.conv_lab import lines_experiment

    res = lines_experiment(n_train=600, n_test=400, epochs=25, seeds=1, seed=0)
    assert res["lines_dense_train_accuracy"] > 0.85  # the dense network fits what it saw ...
    assert res["lines_dense_test_accuracy"] < 0.7  # ... and is near chance on new positions
    assert res["lines_cnn_test_accuracy"] > 0.9


def test_digits_model_name_is_checked():
    from matnn.core.exceptions import UnknownNameError
    from matnn.workflows.images.digits import train_digit_classifier

    with pytest.raises(UnknownNameError, match="lenet"):
        train_digit_classifier(np.zeros((4, 8, 8, 1)), np.zeros(4, int), model="alexnet")


def test_cli_conv_lab_end_to_end(tmp_path):
    pytest.importorskip("skimage")
    from matnn.cli.main import main

    rc = main(
        ["images", "conv-lab", "--out", str(tmp_path), "--seeds", "1", "--epochs", "3", "--quiet", "--sample", "camera"]
    )
    assert rc == 0
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert m["worked_example_value"] == 31.0
    assert m["numpy_vs_torch_max_abs_diff"] < 1e-10
    for name in (
        "worked_example.png",
        "quiz_kernels.png",
        "filters.png",
        "edge_classifier.png",
        "padding_pooling.png",
        "lines_toy.png",
    ):
        assert (tmp_path / name).stat().st_size > 1000
    # The classical filters on the real image, and the hand-made classifier (no training).
    assert m["filters_gaussian_sum"] == pytest.approx(1.0)
    assert m["filters_gaussian_noise_variance_reduction"] > 20
    assert m["filters_sobel_x_step_response"] == 4.0 and m["filters_laplacian4_ramp_max_abs"] < 1e-12
    assert m["edge_classifier_accuracy"] >= 0.95
    assert m["edge_classifier_padded_shape"] == "14x14" and m["edge_classifier_pooled_shape"] == "6x6"


def test_cli_reports_a_bad_image_file_in_one_line(tmp_path, capsys):
    from matnn.cli.main import main

    bad = tmp_path / "scan.png"
    bad.write_text("not an image")
    rc = main(
        ["images", "conv-lab", "--out", str(tmp_path / "o"), "--image", str(bad), "--seeds", "1", "--epochs", "1"]
    )
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "scan.png" in err[0] and "Cannot read" in err[0]


def test_cli_digits_on_user_mnist_files(tmp_path):
    """The --mnist path: IDX files the user has (here tiny synthetic ones) train and score end to end."""
    import gzip
    import struct

    from matnn.cli.main import main

    def idx(arr):
        return bytes([0, 0, 8, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.astype(">u1").tobytes()

    folder = tmp_path / "mnist"
    folder.mkdir()
    for prefix, n in (("train", 60), ("t10k", 20)):
        y = np.arange(n) % 10
        x = np.zeros((n, 28, 28))
        for i, d in enumerate(y):  # class d = a bright square at a class-specific place
            x[i, 2 * d : 2 * d + 6, 2 * d : 2 * d + 6] = 255
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx(x)))
        (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(idx(y))
    matnn.set_seed(0)
    rc = main(
        [
            "images",
            "digits",
            "--out",
            str(tmp_path / "o"),
            "--mnist",
            str(folder),
            "--seeds",
            "1",
            "--epochs",
            "3",
            "--no-lecture",
            "--no-augment",
            "--quiet",
        ]
    )
    assert rc == 0
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert m["dataset"] == "mnist" and m["n_test"] == 20 and m["accuracy"] >= 0.5
    assert (tmp_path / "o" / "confusion_matrix.png").exists() and (tmp_path / "o" / "filters.png").exists()
