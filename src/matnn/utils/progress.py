"""Progress reporting that respects terminals, logs and CI.

On a terminal a live tqdm bar is shown; when output is redirected (a log file, CI) a bar would
flood the log with carriage-return frames, so :func:`progress` prints at most ``max_lines`` plain
lines instead.  ``MATNN_PROGRESS=0`` silences it, ``=1`` forces plain lines, ``=bar`` forces a bar.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TextIO, TypeVar

__all__ = ["is_interactive", "progress", "ProgressLine"]

T = TypeVar("T")


def is_interactive(stream: TextIO | None = None) -> bool:
    """True when ``stream`` (default stderr) is a terminal and no CI variable is set."""
    stream = stream or sys.stderr
    if os.environ.get("CI"):
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _mode() -> str:
    env = os.environ.get("MATNN_PROGRESS", "").strip().lower()
    if env in {"0", "off", "false", "no"}:
        return "off"
    if env in {"bar", "tty"}:
        return "bar"
    if env in {"1", "lines", "plain"}:
        return "lines"
    return "bar" if is_interactive() else "lines"


class ProgressLine:
    """Plain-text progress for non-terminals: a handful of lines, each with count, rate and ETA."""

    def __init__(self, total: int | None, desc: str, max_lines: int, stream: TextIO) -> None:
        self.total, self.desc, self.stream = total, desc, stream
        self.n = 0
        self.t0 = time.perf_counter()
        self.every = max(1, (total or 0) // max(1, max_lines)) if total else 1
        self.postfix = ""

    def update(self, k: int = 1) -> None:
        self.n += k
        if self.total is None or self.n % self.every == 0 or self.n == self.total:
            self._emit()

    def set_postfix_str(self, s: str) -> None:
        self.postfix = s

    def _emit(self) -> None:
        dt = time.perf_counter() - self.t0
        rate = self.n / dt if dt > 0 else float("inf")
        if self.total:
            eta = (self.total - self.n) / rate if rate > 0 else float("nan")
            msg = f"{self.desc}: {self.n}/{self.total} [{dt:.1f}s elapsed, {rate:.2f}/s, eta {eta:.0f}s]"
        else:
            msg = f"{self.desc}: {self.n} [{dt:.1f}s elapsed]"
        if self.postfix:
            msg += f" {self.postfix}"
        print(msg, file=self.stream, flush=True)

    def close(self) -> None:
        pass


def progress(
    iterable: Iterable[T] | None = None,
    *,
    total: int | None = None,
    desc: str = "",
    max_lines: int = 10,
    enabled: bool = True,
    **tqdm_kwargs: Any,
) -> Any:
    """Wrap ``iterable`` (or make a manual counter) with a bar on terminals and a few lines elsewhere.

    Returns an iterator when ``iterable`` is given, else an object with ``update``/``close``.
    """
    mode = _mode() if enabled else "off"
    if total is None and iterable is not None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    if mode == "bar":
        from tqdm.auto import tqdm

        return tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True, **tqdm_kwargs)
    bar: Any = ProgressLine(total, desc, max_lines, sys.stderr) if mode == "lines" else _Silent()
    if iterable is None:
        return bar
    return _wrap(iterable, bar)


def _wrap(iterable: Iterable[T], bar: Any) -> Iterator[T]:
    for item in iterable:
        yield item
        bar.update(1)
    bar.close()


class _Silent:
    def update(self, k: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str) -> None:
        pass

    def close(self) -> None:
        pass
