"""Atomic file writing and machine-readable run summaries.

Nothing the user saved is lost: every file matnn writes goes to a temporary file in the same
folder and is moved into place with ``os.replace`` (atomic on POSIX and Windows), so a run killed
mid-write leaves either the old file or the new one, never half of each.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

__all__ = [
    "atomic_write",
    "atomic_path",
    "atomic_save_npz",
    "write_json",
    "write_metrics",
    "read_json",
    "to_jsonable",
    "ensure_dir",
    "file_sha256",
    "is_atomic_temporary",
]


def ensure_dir(path: str | os.PathLike) -> Path:
    """Create ``path`` (and parents) if needed and return it as a Path.

    A file where a folder is wanted raises ``NotADirectoryError`` naming ``path``.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise NotADirectoryError(20, "Not a folder (a file has this name)", str(p))
    p.mkdir(parents=True, exist_ok=True)
    return p


_UMASK: int | None = None


def _file_mode() -> int:
    """``0o666`` less the process umask: the mode a plain ``open(path, "w")`` would give.

    ``tempfile.mkstemp`` creates files readable by their owner only; results moved into place keep
    the user's usual permissions instead, so colleagues on a shared machine can read them.
    """
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return 0o666 & ~_UMASK


@contextlib.contextmanager
def _temporary_beside(path: Path, prefix: str, suffix: str) -> Iterator[str]:
    """A temporary file in ``path``'s folder, removed unless moved; errors name ``path``, not the temporary."""
    ensure_dir(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None
    try:
        yield tmp
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


_TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")


def is_atomic_temporary(name: str) -> bool:
    """True for the name of an :func:`atomic_write` temporary (``.<file>.<random>.tmp``), e.g. one a killed run left."""
    return bool(_TEMPORARY.match(name))


def _publish(tmp: str, path: Path) -> None:
    os.chmod(tmp, _file_mode())
    try:
        os.replace(tmp, path)
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", **open_kwargs: Any) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success fsync it and move it over ``path``.

    Example
    -------
    >>> with atomic_write("out.txt") as fh:  # doctest: +SKIP
    ...     fh.write("hello")
    """
    path = Path(path)
    with _temporary_beside(path, f".{path.name}.", ".tmp") as tmp, open(tmp, mode, **open_kwargs) as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
        _publish(tmp, path)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` for libraries that want a filename (savefig, torch.save).

    The temporary keeps ``path``'s suffix so format detection by extension still works.
    """
    path = Path(path)
    with _temporary_beside(path, f".{path.stem}.", path.suffix or ".tmp") as tmp:
        yield Path(tmp)
        _publish(tmp, path)


def atomic_save_npz(path: str | os.PathLike, compressed: bool = True, **arrays: Any) -> Path:
    """``np.savez[_compressed]`` to ``path`` atomically (``path`` keeps its name; no '.npz' appended)."""
    path = Path(path)
    with atomic_write(path, "wb") as fh:
        (np.savez_compressed if compressed else np.savez)(fh, **arrays)
    return path


def to_jsonable(obj: Any) -> Any:
    """Convert NumPy/torch scalars and arrays, Paths and tuples into plain JSON types.

    Non-finite floats become ``None`` (JSON has no NaN), so summaries stay valid JSON.
    """
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    try:
        import torch

        if isinstance(obj, torch.Tensor):
            return to_jsonable(obj.detach().cpu().numpy())
    except ImportError:  # pragma: no cover
        pass
    return obj


def write_json(path: str | os.PathLike, data: Any, indent: int = 2) -> Path:
    """Write ``data`` as JSON atomically."""
    path = Path(path)
    with atomic_write(path, "w", encoding="utf-8") as fh:
        json.dump(to_jsonable(data), fh, indent=indent, sort_keys=False, allow_nan=False)
        fh.write("\n")
    return path


def file_sha256(path: str | os.PathLike, *extra: bytes) -> str:
    """Hex SHA-256 of a file's bytes, then of ``extra`` (e.g. the settings a cache depends on).

    Identifies a data file whatever its path: byte-identical copies hash alike.
    """
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    for blob in extra:
        h.update(blob)
    return h.hexdigest()


def read_json(path: str | os.PathLike) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def write_metrics(out_dir: str | os.PathLike, metrics: Mapping[str, Any], filename: str = "metrics.json") -> Path:
    """Write the flat run summary ``out_dir/metrics.json`` (units in the key names or documented).

    Nested values are allowed but discouraged: the convention is flat keys such as ``rmse`` or
    ``energy_mae_mev_atom``.
    """
    out = ensure_dir(out_dir)
    return write_json(out / filename, dict(metrics))
