"""``matnn images predict``: the saved LeNet classifies image files as ``model.predict`` does on the arrays."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from matnn.cli.main import main


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("digits") / "run"
    assert main(["images", "digits", "--seeds", "1", "--epochs", "1", "--no-lecture", "--out", str(run),
                 "--quiet", "--device", "cpu"]) == 0  # fmt: skip
    return run


def _rows(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_predictions_equal_model_predict(tmp_path, digits_run):
    import matnn
    from matnn.data.images.digits import digits_split
    from matnn.data.images.readers import read_image

    pytest.importorskip("skimage")
    from skimage.io import imsave

    (_, _), (x, _) = digits_split(seed=0)
    files = []
    for i in range(3):  # .npy: the training arrays themselves
        files.append(tmp_path / f"digit{i}.npy")
        np.save(files[-1], x[i, :, :, 0])
    # a 32 x 32 PNG of digit 3, dark ink on white paper: inverted and averaged back to 8 x 8
    big = np.kron(1.0 - x[3, :, :, 0], np.ones((4, 4)))
    files.append(tmp_path / "digit3_big.png")
    imsave(files[-1], np.round(big * 255).astype(np.uint8), check_contrast=False)

    out = tmp_path / "pred"
    assert main(["images", "predict", "--model", str(digits_run), "--images", *map(str, files), "--out", str(out),
                 "--quiet", "--device", "cpu"]) == 0  # fmt: skip
    rows = _rows(out / "predictions.csv")
    assert [r["image"] for r in rows] == [str(f) for f in files]
    assert list(rows[0]) == ["image", "digit_pred", "probability"]

    net = matnn.load_model(digits_run / "model.matnn", compile=False)
    arrays = np.stack([read_image(f) for f in files[:3]])[..., None].astype(np.float32)
    np.testing.assert_array_equal(arrays, x[:3])  # .npy digits reach the model unchanged
    small = (1.0 - read_image(files[3])).reshape(8, 4, 8, 4).mean(axis=(1, 3))  # 4 x 4 block means
    np.testing.assert_allclose(small, x[3, :, :, 0], atol=0.5 / 255 + 1e-6)
    expected = net.predict(np.concatenate([arrays, small[None, :, :, None].astype(np.float32)]))
    assert [int(r["digit_pred"]) for r in rows] == list(expected.argmax(axis=1))
    np.testing.assert_allclose([float(r["probability"]) for r in rows], expected.max(axis=1), atol=1e-5)

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_images"] == 4 and metrics["n_inverted"] == 1 and metrics["n_resized"] == 1
    assert (metrics["input_height_px"], metrics["input_width_px"]) == (8, 8)


def test_model_file_works_and_bad_inputs_are_one_line(tmp_path, capsys, digits_run):
    good = tmp_path / "ok.npy"
    np.save(good, np.zeros((8, 8)))
    assert main(["images", "predict", "--model", str(digits_run / "model.matnn"), "--images", str(good),
                 "--out", str(tmp_path / "p1"), "--quiet"]) == 0  # fmt: skip
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    for model, image, needle in (
        (digits_run, bad, "Cannot read"),
        (tmp_path / "missing_run", good, "no such run folder"),
        (tmp_path, good, "no model.matnn"),
    ):
        rc = main(["images", "predict", "--model", str(model), "--images", str(image), "--out", str(tmp_path / "p2"),
                   "--overwrite"])  # fmt: skip
        err = capsys.readouterr().err.strip()
        assert rc == 2 and needle in err and len(err.splitlines()) == 1, err
