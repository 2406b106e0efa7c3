"""Run-time settings honoured everywhere in matnn: thread count, device and seed.

Small models spend their time in per-step overhead, and torch with two threads while another
job holds a core was measured 19–38× slower than with one.  The thread count is therefore one
setting, defaulting to a single thread, read from ``MATNN_NUM_THREADS`` or set with
:func:`set_num_threads` (the CLI's ``--threads``).  It is applied to torch's intra-op pool and to the
BLAS/OpenMP pools NumPy, SciPy and scikit-learn use (through threadpoolctl).

Denormal (subnormal) floats are flushed to zero on the CPU by default (:func:`set_flush_denormal`,
``MATNN_FLUSH_DENORMAL=0`` to keep them).  Gaussian distance expansions, softplus and sigmoid tails
produce them in ordinary training, and on Intel CPUs every arithmetic operation on one takes a
slow microcode path: a CGCNN epoch was measured 4.3× slower with denormals kept (docs/studies/cpu-denormals.md).
The values flushed are below 1.2e-38 in float32, so results are unchanged at any printed precision.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from matnn.core.exceptions import ConfigError

__all__ = [
    "get_num_threads",
    "set_num_threads",
    "set_flush_denormal",
    "get_num_workers",
    "get_device",
    "set_device",
    "set_seed",
    "resolve_device",
]

_DEFAULT_THREADS = 1
_state: dict[str, object] = {"threads": None, "device": "auto", "blas_limiter": None, "flush_denormal": None}


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"Environment variable {name} must be a positive integer. Got {raw!r} instead.") from None
    if value < 1:
        raise ConfigError(f"Environment variable {name} must be a positive integer. Got {raw!r} instead.")
    return value


def set_num_threads(n: int | None = None) -> int:
    """Set the number of CPU threads used by torch and the BLAS libraries.

    Parameters
    ----------
    n : int or None
        Threads per process; ``None`` reads ``MATNN_NUM_THREADS`` (default 1).

    Returns
    -------
    int
        The thread count now in force.
    """
    if n is None:
        n = _env_int("MATNN_NUM_THREADS", _DEFAULT_THREADS)
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ConfigError(f"The number of threads must be a positive integer. Got {n!r} instead.")
    torch.set_num_threads(n)
    # Child processes (and libraries that read these at import) inherit the same limit.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(n)
    os.environ["MATNN_NUM_THREADS"] = str(n)
    try:
        from threadpoolctl import threadpool_limits

        _state["blas_limiter"] = threadpool_limits(limits=n)
    except Exception:  # threadpoolctl missing or no pools loaded yet: env vars still apply
        pass
    _state["threads"] = n
    if _state["flush_denormal"] is None:
        set_flush_denormal(None)
    return n


def set_flush_denormal(on: bool | None = None) -> bool:
    """Flush denormal floats to zero in CPU arithmetic (on by default).

    Parameters
    ----------
    on : bool or None
        ``None`` reads ``MATNN_FLUSH_DENORMAL`` (``1`` by default, ``0`` to keep denormals).

    Returns
    -------
    bool
        Whether denormals are now flushed (False where the CPU does not support it).

    The setting belongs to the calling thread and to threads it starts afterwards, so matnn applies
    it together with the thread count, before any training starts.
    """
    if on is None:
        raw = os.environ.get("MATNN_FLUSH_DENORMAL", "1").strip().lower()
        if raw not in ("0", "1", "true", "false", "yes", "no", "on", "off", ""):
            raise ConfigError(
                f"Environment variable MATNN_FLUSH_DENORMAL must be 1 (flush) or 0 (keep); on/off, true/false, "
                f"yes/no also work. Got {raw!r} instead."
            )
        on = raw not in ("0", "false", "no", "off")
    applied = bool(torch.set_flush_denormal(bool(on))) and bool(on)
    _state["flush_denormal"] = applied
    return applied


def get_num_threads() -> int:
    """Thread count in force (applies the default on first call)."""
    if _state["threads"] is None:
        return set_num_threads(None)
    return int(_state["threads"])  # type: ignore[arg-type]


def get_num_workers(requested: int | None = None) -> int:
    """Worker processes for embarrassingly parallel work (simulations, feature tables).

    ``requested`` wins; otherwise ``MATNN_NUM_WORKERS``; otherwise the number of usable cores.
    Each worker runs with :func:`get_num_threads` threads.
    """
    if requested is not None:
        if requested < 1:
            raise ConfigError(f"The number of workers must be a positive integer. Got {requested!r} instead.")
        return int(requested)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return _env_int("MATNN_NUM_WORKERS", cores)


DeviceLike = str | torch.device | None


def resolve_device(device: DeviceLike = None) -> torch.device:
    """Turn ``'auto'``, ``'cpu'``, ``'cuda'``, ``'cuda:1'``, ``'mps'`` or a torch.device into a device.

    ``'auto'`` (the default) picks CUDA when available, then Apple MPS, then the CPU.
    """
    if device is None:
        device = str(_state["device"])
    if isinstance(device, torch.device):
        return device
    name = str(device).lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise ConfigError(
            f"Unknown device {device!r}. Allowed: 'auto', 'cpu', 'cuda', 'cuda:<index>', 'mps'."
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            f"Device {device!r} was requested but CUDA is not available on this machine; use 'cpu' or 'auto'."
        )
    return dev


def set_device(device: DeviceLike) -> torch.device:
    """Set the default device used by ``fit``/``predict`` when none is passed."""
    dev = resolve_device(device)
    _state["device"] = str(device) if device is not None else "auto"
    return dev


def get_device() -> torch.device:
    """The default device (``'auto'`` resolved)."""
    return resolve_device(None)


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA) from one integer.

    On the CPU the same seed gives the same numbers; on CUDA some kernels stay non-deterministic.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ConfigError(f"The seed must be an integer. Got {seed!r} instead.")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def seed_rng(seed: int | None) -> np.random.Generator:
    """A NumPy generator for ``seed`` (fresh entropy when ``None``)."""
    return np.random.default_rng(seed)
