"""MNIST IDX reader (gzip or not), image file reader, toy and digits data: formats and clear errors."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from matnn.core.exceptions import DataError, ShapeError
from matnn.data.images.idx import load_mnist, read_idx
from matnn.data.images.readers import read_binary_image, read_image, sample_image


def _idx_bytes(arr: np.ndarray, code: int = 0x08) -> bytes:
    dtype = {0x08: ">u1", 0x0B: ">i2", 0x0D: ">f4"}[code]
    return bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.astype(dtype).tobytes()


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("code", [0x08, 0x0B, 0x0D])
def test_read_idx_roundtrip(tmp_path, gz, code):
    arr = (np.arange(2 * 3 * 4) % 200).reshape(2, 3, 4)
    raw = _idx_bytes(arr, code)
    path = tmp_path / ("a.idx.gz" if gz else "a.idx")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    np.testing.assert_array_equal(read_idx(path), arr)


def test_gzip_is_detected_by_content_not_name(tmp_path):
    arr = np.arange(10).reshape(10)
    (tmp_path / "labels").write_bytes(gzip.compress(_idx_bytes(arr)))
    np.testing.assert_array_equal(read_idx(tmp_path / "labels"), arr)


def test_read_idx_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_idx(tmp_path / "nope")
    png = tmp_path / "image.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    with pytest.raises(DataError, match="not an IDX file.*89 50 4e 47"):
        read_idx(png)
    truncated = tmp_path / "trunc"
    truncated.write_bytes(_idx_bytes(np.zeros((5, 4, 4)))[:-7])
    with pytest.raises(DataError, match="truncated"):
        read_idx(truncated)
    bad_gz = tmp_path / "bad.gz"
    bad_gz.write_bytes(gzip.compress(_idx_bytes(np.zeros(50)))[:-12])
    with pytest.raises(DataError, match="gzip"):
        read_idx(bad_gz)
    (tmp_path / "tiny").write_bytes(b"\x00\x00")
    with pytest.raises(DataError, match="too short"):
        read_idx(tmp_path / "tiny")


def test_load_mnist_from_a_folder_of_mixed_files(tmp_path):
    rng = np.random.default_rng(0)
    tr_x, te_x = rng.integers(0, 256, (6, 28, 28)), rng.integers(0, 256, (4, 28, 28))
    tr_y, te_y = rng.integers(0, 10, 6), rng.integers(0, 10, 4)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx_bytes(tr_x)))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(_idx_bytes(tr_y))
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(_idx_bytes(te_x))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx_bytes(te_y)))
    (x_train, y_train), (x_test, y_test) = load_mnist(tmp_path)
    assert x_train.shape == (6, 28, 28, 1) and x_train.dtype == np.float32
    np.testing.assert_allclose(x_train[..., 0] * 255, tr_x, atol=1e-4)
    np.testing.assert_array_equal(y_test, te_y)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx_bytes(te_y[:3])))
    with pytest.raises(DataError, match="3,.*labels for 4 images"):
        load_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path)


# ----------------------------------------------------------------------------- image files


def test_read_image_png_colour_and_npy(tmp_path):
    io = pytest.importorskip("skimage.io")
    rgb = np.zeros((5, 6, 3), np.uint8)
    rgb[..., 0] = 255
    io.imsave(tmp_path / "red.png", rgb, check_contrast=False)
    grey = read_image(tmp_path / "red.png")
    assert grey.shape == (5, 6) and 0.0 < grey.max() <= 1.0
    np.save(tmp_path / "a.npy", np.array([[0, 2], [4, 8]], dtype=float))
    np.testing.assert_allclose(read_image(tmp_path / "a.npy"), [[0, 0.25], [0.5, 1.0]])


def test_bad_image_files_give_clear_errors(tmp_path):
    pytest.importorskip("skimage.io")
    with pytest.raises(DataError, match="does not exist"):
        read_image(tmp_path / "missing.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(DataError, match="empty"):
        read_image(tmp_path / "empty.png")
    (tmp_path / "notes.png").write_text("not an image at all")
    with pytest.raises(DataError, match=r"Cannot read .*notes\.png as an image"):
        read_image(tmp_path / "notes.png")
    with pytest.raises(DataError, match="folder"):
        read_image(tmp_path)
    np.save(tmp_path / "stack.npy", np.zeros((3, 4, 5, 6)))
    with pytest.raises(ShapeError, match="not a single 2D image"):
        read_image(tmp_path / "stack.npy")
    np.save(tmp_path / "nan.npy", np.array([[0.0, np.nan]]))
    with pytest.raises(DataError, match="NaN"):
        read_image(tmp_path / "nan.npy")
    np.save(tmp_path / "flat.npy", np.ones((4, 4)))
    with pytest.raises(DataError, match="single grey level"):
        read_binary_image(tmp_path / "flat.npy")


def test_read_binary_image_thresholds_grey_images():
    pytest.importorskip("skimage")
    grey = np.tile(np.linspace(0, 1, 10), (4, 1))
    b = read_binary_image(grey)
    assert b.dtype == bool and b[:, -1].all() and not b[:, 0].any()
    assert (read_binary_image(grey, invert=True) == ~b).all()
    two = np.array([[0, 255], [255, 0]], np.uint8)
    np.testing.assert_array_equal(read_binary_image(two), two > 0)


def test_sample_image_is_real_and_normalised():
    pytest.importorskip("skimage")
    im = sample_image("coins")
    assert im.ndim == 2 and im.min() >= 0 and im.max() <= 1 and im.std() > 0.1


# ----------------------------------------------------------------------------- toy + digits


def test_lines_toy_train_and_test_use_disjoint_pixels():
    from matnn.data.images.lines import lines_dataset

    xtr, ytr = lines_dataset(200, region="train", noise=0.0, seed=0)
    xte, yte = lines_dataset(200, region="test", noise=0.0, seed=1)
    lit_train = (xtr[..., 0] > 0.5).any(axis=0)
    lit_test = (xte[..., 0] > 0.5).any(axis=0)
    assert not (lit_train & lit_test).any()
    assert set(ytr) == {0, 1} and abs(ytr.mean() - 0.5) < 0.01
    for x, y in zip(xte[:20, ..., 0], yte[:20], strict=True):  # line orientation matches the label
        rows, cols = np.nonzero(x > 0.5)
        assert (len(set(rows)) == 1) == (y == 0) and (len(set(cols)) == 1) == (y == 1)


def test_digits_split_is_stratified():
    from matnn.data.images.digits import digits_split

    (xtr, ytr), (xte, yte) = digits_split(test_size=0.2, seed=0)
    assert xtr.shape[1:] == (8, 8, 1) and xtr.max() <= 1.0
    assert len(xte) == 360
    np.testing.assert_allclose(np.bincount(yte) / len(yte), np.bincount(ytr) / len(ytr), atol=0.01)
