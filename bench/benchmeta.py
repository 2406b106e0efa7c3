"""Write a benchmark's raw result with the facts RESULTS.md quotes: date, hardware, command.

Every script under ``bench/<area>/`` writes its JSON through :func:`write_result`, so that
``bench/results.py`` can build ``bench/RESULTS.md`` from ``bench/out/`` alone.  Import it from a
script with ``sys.path.insert(0, str(Path(__file__).resolve().parents[1]))``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shlex
import sys
from pathlib import Path
from typing import Any


def hardware() -> str:
    """One line naming the CPU, the usable cores, torch's version and thread count (and a GPU if used)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    text = f"{cpu}, {cores} usable core(s)"
    try:
        import torch

        text += f", torch {torch.__version__}, {torch.get_num_threads()} thread(s)"
        if torch.cuda.is_available():
            text += f", GPU {torch.cuda.get_device_name(0)}"
    except ImportError:
        pass
    return text


def meta(command: str | None = None) -> dict[str, str]:
    """``_meta`` block: UTC date of the measurement, hardware line and the command that ran."""
    return {
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d"),
        "hardware": hardware(),
        "command": command or " ".join(shlex.quote(a) for a in ["python", *sys.argv]),
    }


def write_result(path: str | Path, result: dict[str, Any], command: str | None = None) -> Path:
    """Write ``result`` plus a ``_meta`` block to ``path`` (folders created), and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"_meta": meta(command), **{k: v for k, v in result.items() if k != "_meta"}}
    path.write_text(json.dumps(data, indent=1, default=float) + "\n")
    return path
