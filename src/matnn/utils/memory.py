"""How much memory a process may still take, for guards that refuse work before allocating it."""

from __future__ import annotations

import os

__all__ = ["available_memory_bytes", "memory_budget_bytes", "format_bytes", "DEFAULT_MEMORY_FRACTION"]

#: Fraction of the available memory one allocation may claim (``MATNN_MEMORY_FRACTION`` overrides it).
DEFAULT_MEMORY_FRACTION = 0.5


def available_memory_bytes() -> int:
    """Memory the system can give without swapping, in bytes: ``MemAvailable`` of ``/proc/meminfo``,
    else ``psutil.virtual_memory().available``, else 8 GiB (an assumption stated in the guards' messages)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:  # psutil missing or unsupported platform
        return 8 * 1024**3


def memory_budget_bytes() -> int:
    """``MATNN_MEMORY_FRACTION`` (default 0.5, a number in (0, 1]) times :func:`available_memory_bytes`."""
    raw = os.environ.get("MATNN_MEMORY_FRACTION", "").strip()
    frac = DEFAULT_MEMORY_FRACTION
    if raw:
        try:
            frac = float(raw)
        except ValueError:
            frac = float("nan")
        if not 0 < frac <= 1:
            raise ValueError(f"Environment variable MATNN_MEMORY_FRACTION must be a number in (0, 1]; got {raw!r}.")
    return int(frac * available_memory_bytes())


def format_bytes(n: float) -> str:
    """``n`` bytes as a short human-readable string (``1.5 GiB``; ``inf`` stays ``inf B``)."""
    if not n < float("inf"):
        return "inf B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"  # pragma: no cover
