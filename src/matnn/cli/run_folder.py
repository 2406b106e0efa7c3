"""A run folder belongs to one set of settings and one process at a time.

Every command that writes to ``--out`` records there (``.matnn-run.json``) the settings that shape its result:
the command, every option except the run settings that do not change numbers (``--quiet``, ``--threads``,
``--device``, ``--out``), and the SHA-256 of each input file. Running again into the same folder is allowed
only with the same record — that is how a killed run resumes from its backup — or while the folder holds
nothing else yet (an attempt refused before it wrote anything can be corrected). Different settings are a
one-line error naming the first setting that differs, with the two ways out: ``--overwrite`` (the old run
folder is removed) or another ``--out``. A lock file keeps a second process out while one is running.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from matnn.core.exceptions import ConfigError
from matnn.utils.io import ensure_dir, file_sha256, is_atomic_temporary, write_json

__all__ = ["RECORD", "LOCK", "settings_of", "claim_run_folder"]

RECORD = ".matnn-run.json"
LOCK = ".matnn-run.lock"
#: ``--out`` ending so names a data file the command writes, not a run folder.
DATA_FILE_SUFFIXES = frozenset({".npz", ".h5", ".hdf5", ".csv", ".json", ".jsonl", ".gz"})
#: Options that never change a run's numbers: free to differ between a run and its resumption.
RUN_SETTINGS = frozenset({"out", "quiet", "threads", "device", "overwrite", "func", "area", "action"})


def _value(value: Any) -> Any:
    # An input file counts by its contents (options may hold a path as Path or as text).
    if isinstance(value, (str, Path)) and str(value) and Path(value).is_file():
        return {"path": str(value), "sha256": file_sha256(value)}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_value(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def settings_of(args: argparse.Namespace) -> dict[str, Any]:
    """The settings of a parsed command that shape its result (input files by content)."""
    command = f"{args.area} {getattr(args, 'action', '') or ''}".strip()
    opts = {k: _value(v) for k, v in sorted(vars(args).items()) if k not in RUN_SETTINGS}
    return {"command": command, **opts}


def _first_difference(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a != b:
            if isinstance(a, dict) and isinstance(b, dict) and "sha256" in a:
                return f"the file given as '{key}' has other contents than the one the run used ({a.get('path')})"
            return f"'{key}' was {a!r} there and is {b!r} now"
    return None


def _empty(out: Path) -> None:
    """Remove everything in the run folder ``out`` but its lock (``--overwrite``)."""
    for path in out.iterdir():
        if path.name == LOCK:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _remove_stale_temporaries(out: Path) -> None:
    """Delete half-written files that a killed run left (no other process writes here: we hold the lock)."""
    for path in out.rglob(".*.tmp"):
        if path.is_file() and is_atomic_temporary(path.name):
            with contextlib.suppress(OSError):
                path.unlink()


@contextlib.contextmanager
def claim_run_folder(args: argparse.Namespace) -> Iterator[None]:
    """Check and lock ``args.out`` for this command (no-op for commands without ``--out``)."""
    out = getattr(args, "out", None)
    if out is None or getattr(args, "own_run_folder", False):  # e.g. `matnn tune`: the Optuna study identifies it
        yield
        return
    out = Path(out)
    if out.suffix.lower() in DATA_FILE_SUFFIXES and not out.is_dir():
        yield  # the command writes one data file (battery convert → cell.npz), atomically; no run folder
        return
    settings = settings_of(args)
    record = out / RECORD
    ensure_dir(out)  # a file with this name is a one-line NotADirectoryError naming it
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                f"{out} is in use by another matnn process; wait for it or choose another --out."
            ) from None
        if record.is_file() and getattr(args, "overwrite", False):
            _empty(out)  # only now, holding the lock: never under a process still writing there
        _remove_stale_temporaries(out)
        holds_results = any(p.name not in (RECORD, LOCK) for p in out.iterdir())
        if record.is_file() and holds_results:
            try:
                old = json.loads(record.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                old = None
            diff = _first_difference(old, settings) if isinstance(old, dict) else "its run record is damaged"
            if diff is not None:
                raise ConfigError(
                    f"{out} holds a run with other settings ({diff}); add --overwrite to replace it, "
                    "or choose another --out."
                )
        else:  # a new folder, or one where an earlier attempt stopped before writing anything
            write_json(record, settings)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
