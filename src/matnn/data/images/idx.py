"""Read MNIST-style IDX files (``train-images-idx3-ubyte`` etc.), gzipped or not.

IDX format (big-endian): two zero bytes, one type byte (0x08 uint8, 0x09 int8, 0x0B int16,
0x0C int32, 0x0D float32, 0x0E float64), one byte with the number of dimensions ``d``, then ``d``
uint32 sizes, then the data in C order.  A gzip file is recognised by its first two bytes
(``1f 8b``), whatever its name.  matnn never downloads MNIST: point these functions at files you have.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from matnn.core.exceptions import DataError

__all__ = ["read_idx", "load_mnist", "IDX_TYPES"]

IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise DataError(f"IDX file {path} does not exist.")
    if path.is_dir():
        raise DataError(f"{path} is a folder; give the path of an IDX file (e.g. train-images-idx3-ubyte.gz).")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(
                f"{path} starts like a gzip file but cannot be decompressed ({exc}); is it truncated?"
            ) from None
    return raw


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (plain or gzip) into an array of its stored type and shape.

    Raises
    ------
    DataError
        Missing file, not an IDX file (bad magic number or unknown type code, with what was found),
        or a data section shorter/longer than the header's sizes announce.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise DataError(f"{path} is too short to be an IDX file ({len(raw)} bytes; the header alone is 4+ bytes).")
    zero, code, ndim = raw[0:2], raw[2], raw[3]
    if zero != b"\x00\x00" or code not in IDX_TYPES:
        raise DataError(
            f"{path} is not an IDX file: its magic number is {raw[:4].hex(' ')}, expected 00 00 <type> <ndim> with "
            f"type one of {', '.join(f'{c:02x}' for c in IDX_TYPES)} (MNIST images: 00 00 08 03, labels: 00 00 08 01)."
        )
    if ndim == 0:
        raise DataError(f"{path} declares 0 dimensions; an IDX array needs at least one.")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path} is truncated inside its header ({len(raw)} bytes, header needs {header}).")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_TYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    got = len(raw) - header
    if got != expected:
        raise DataError(
            f"{path}: the header announces shape {shape} of {dtype.name} ({expected} bytes of data) "
            f"but the file holds {got} bytes after the header; the file is truncated or not IDX."
        )
    arr = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


_MNIST_NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def _find(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).exists():
            return folder / name
    raise DataError(
        f"No file {stem}[.gz] in {folder}. An MNIST folder holds train-images-idx3-ubyte, train-labels-idx1-ubyte, "
        "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each optionally gzipped). matnn does not download them."
    )


def load_mnist(folder: str | os.PathLike) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load the four MNIST IDX files of ``folder`` (gzipped or not).

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        Images as float32 ``(n, 28, 28, 1)`` in [0, 1] (channels-last), labels as int64 ``(n,)``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"MNIST folder {folder} does not exist or is not a folder.")
    out = []
    for split in ("train", "test"):
        ipath, lpath = _find(folder, _MNIST_NAMES[f"{split}_images"]), _find(folder, _MNIST_NAMES[f"{split}_labels"])
        images, labels = read_idx(ipath), read_idx(lpath)
        if images.ndim != 3:
            raise DataError(f"{ipath} should hold images (n, rows, cols) but has shape {images.shape}.")
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise DataError(f"{lpath} holds {labels.shape} labels for {images.shape[0]} images in {ipath}.")
        out.append(((images.astype(np.float32) / 255.0)[..., None], labels.astype(np.int64)))
    return out[0], out[1]
