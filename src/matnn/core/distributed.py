"""Data-parallel training across processes: torchrun's environment, the process group, and helpers.

matnn does not start or schedule processes itself. ``torchrun --nproc-per-node N`` (or
``python -m torch.distributed.run``, or SLURM with ``srun torchrun ...``) starts ``N`` copies of the
same program with ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT`` set;
:meth:`matnn.models.Model.fit` sees ``WORLD_SIZE > 1`` and then

* joins the process group (backend ``gloo`` on the CPU, ``nccl`` on CUDA, chosen with the device),
* wraps the network in :class:`torch.nn.parallel.DistributedDataParallel`,
* gives every rank its own part of every batch (the global batch stays the user's ``batch_size``),
* all-reduces the epoch's loss, metrics and validation scores, so every rank logs the same numbers,
* lets only rank 0 (:func:`is_main_process`) print and write files.

Without those variables (or with ``WORLD_SIZE=1``) nothing here is used and training is the
single-process loop, unchanged.

A process that dies makes the collectives of the others fail; they stop with a
:class:`DistributedError` after at most ``MATNN_DIST_TIMEOUT_S`` seconds (default 120), and the
run resumes from its :class:`~matnn.callbacks.BackupAndRestore` folder when started again.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from typing import Any

import torch
from torch import nn

from matnn.core.exceptions import ConfigError, MatnnError

__all__ = [
    "DistributedError",
    "all_reduce_sum",
    "any_rank",
    "backend_for",
    "barrier",
    "broadcast_int",
    "convert_sync_batchnorm",
    "init_process_group",
    "is_distributed",
    "is_main_process",
    "launched_by_torchrun",
    "local_rank",
    "rank",
    "restore_batchnorm",
    "shard_bounds",
    "timeout_s",
    "torchrun_command",
    "world_size",
]


class DistributedError(MatnnError, RuntimeError):
    """A process of a data-parallel run failed or stopped answering."""


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"The environment variable {name} must be an integer; got {raw!r}.") from None


def rank() -> int:
    """This process's rank (``RANK``; 0 when not launched by torchrun)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank()
    return _env_int("RANK", 0)


def local_rank() -> int:
    """This process's rank on its node (``LOCAL_RANK``; picks the GPU)."""
    return _env_int("LOCAL_RANK", 0)


def world_size() -> int:
    """Number of training processes (``WORLD_SIZE``; 1 when not launched by torchrun)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_world_size()
    return _env_int("WORLD_SIZE", 1)


def launched_by_torchrun() -> bool:
    """True when torchrun's variables say this is one process of several."""
    return world_size() > 1


def is_distributed() -> bool:
    """True when a process group of more than one process is active."""
    return (
        torch.distributed.is_available()
        and torch.distributed.is_initialized()
        and torch.distributed.get_world_size() > 1
    )


def is_main_process() -> bool:
    """True on rank 0 (and in every single-process run): the process that prints and writes files."""
    return rank() == 0


def timeout_s() -> float:
    """Seconds a collective waits for a silent peer before failing (``MATNN_DIST_TIMEOUT_S``, default 120)."""
    raw = os.environ.get("MATNN_DIST_TIMEOUT_S", "120")
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"MATNN_DIST_TIMEOUT_S must be a number of seconds; got {raw!r}.") from None
    if not value > 0:
        raise ConfigError(f"MATNN_DIST_TIMEOUT_S must be positive; got {raw!r}.")
    return value


def backend_for(device: torch.device) -> str:
    """``nccl`` for CUDA devices, ``gloo`` otherwise."""
    return "nccl" if device.type == "cuda" else "gloo"


def init_process_group(device: torch.device) -> torch.device:
    """Join torchrun's process group (once per process) and return the device this rank trains on.

    Parameters
    ----------
    device : torch.device
        The device chosen for training; a CUDA device without an index becomes ``cuda:LOCAL_RANK``.

    Returns
    -------
    torch.device
        This rank's device.
    """
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", local_rank())
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist = torch.distributed
    if not dist.is_available():
        raise ConfigError("This PyTorch build has no torch.distributed; data-parallel training is not available.")
    if dist.is_initialized():
        return device
    for name in ("MASTER_ADDR", "MASTER_PORT"):
        if name not in os.environ:
            raise ConfigError(
                f"WORLD_SIZE={world_size()} but {name} is not set: start the run with torchrun "
                "(python -m torch.distributed.run --nproc-per-node N ...)."
            )
    backend = backend_for(device)
    try:
        dist.init_process_group(
            backend=backend,
            timeout=timedelta(seconds=timeout_s()),
            **({"device_id": device} if backend == "nccl" else {}),
        )
    except (RuntimeError, ValueError) as exc:
        raise DistributedError(
            f"Could not join the process group ({backend}, {world_size()} processes at "
            f"{os.environ.get('MASTER_ADDR')}:{os.environ.get('MASTER_PORT')}): {_first_line(exc)}"
        ) from None
    return device


def _first_line(exc: BaseException) -> str:
    import re

    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    text = re.sub(r"^\[[^\]]*\.(cc|cpp|h):\d+\]\s*", "", text.splitlines()[0])  # the C++ source location
    return text.split(" This is typically")[0][:300]


def failure(exc: BaseException, where: str) -> DistributedError:
    """The one-line error that replaces a failed collective's traceback."""
    return DistributedError(
        f"Data-parallel training stopped on rank {rank()} of {world_size()} {where}: another process died or stopped "
        f"answering ({type(exc).__name__}: {_first_line(exc)}). Start the same command again to resume from the "
        "BackupAndRestore folder, if the run has one."
    )


def barrier() -> None:
    """Wait for every rank (no-op without a process group)."""
    if is_distributed():
        torch.distributed.barrier()


def all_reduce_sum(t: torch.Tensor) -> torch.Tensor:
    """Sum ``t`` over ranks, in place, and return it (no-op without a process group)."""
    if is_distributed():
        torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.SUM)
    return t


def _collective_device() -> torch.device:
    if torch.distributed.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def any_rank(flag: bool) -> bool:
    """True on every rank when ``flag`` is true on at least one (no-op without a process group).

    Every rank must call it at the same point: decisions that depend on the clock (a time limit) then
    stop all ranks together instead of leaving the others waiting in a collective.
    """
    if not is_distributed():
        return bool(flag)
    t = torch.tensor([1.0 if flag else 0.0], device=_collective_device())
    torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.SUM)
    return bool(t.item() > 0)


def broadcast_int(value: int, device: torch.device) -> int:
    """Rank 0's ``value`` on every rank (e.g. the shuffling seed)."""
    if not is_distributed():
        return int(value)
    t = torch.tensor([int(value)], dtype=torch.int64, device=device)
    torch.distributed.broadcast(t, src=0)
    return int(t.item())


def shard_bounds(n: int, parts: int, index: int) -> tuple[int, int]:
    """``[start, stop)`` of part ``index`` when ``n`` items are cut into ``parts`` near-equal contiguous parts.

    The first ``n % parts`` parts hold one more item, as in :func:`torch.tensor_split`.
    """
    base, extra = divmod(n, parts)
    start = index * base + min(index, extra)
    return start, start + base + (1 if index < extra else 0)


# ----------------------------------------------------------------------------- synchronised batch norm
class _AllReduceSum(torch.autograd.Function):
    """Sum over ranks whose gradient is the sum over ranks of the incoming gradients."""

    @staticmethod
    def forward(ctx: Any, t: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        out = t.clone()
        torch.distributed.all_reduce(out, op=torch.distributed.ReduceOp.SUM)
        return out

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        grad = grad.contiguous().clone()
        torch.distributed.all_reduce(grad, op=torch.distributed.ReduceOp.SUM)
        return grad


def _sync_batch_norm(
    x: torch.Tensor,
    running_mean: torch.Tensor | None,
    running_var: torch.Tensor | None,
    weight: torch.Tensor | None,
    bias: torch.Tensor | None,
    momentum: float,
    eps: float,
) -> torch.Tensor:
    """Batch norm of a channels-first ``x`` (N, C, ...) with statistics over the samples of every rank.

    The sums travel through the autograd-aware all-reduce, so gradients flow through the global mean and
    variance exactly as in :class:`torch.nn.SyncBatchNorm` (which needs a GPU); this works on any device.
    A global batch with a single value per channel is normalised with the running statistics.
    """
    c = x.shape[1]
    dims = [0, *range(2, x.dim())]
    xf = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
    count = torch.full((1,), float(x.numel() // max(c, 1)), dtype=xf.dtype, device=x.device)
    packed = _AllReduceSum.apply(torch.cat([xf.sum(dims), (xf * xf).sum(dims), count]))
    n = float(packed[-1].detach())
    if n <= 1.0:
        return torch.nn.functional.batch_norm(x, running_mean, running_var, weight, bias, False, 0.0, eps)
    mean = packed[:c] / n
    var = (packed[c : 2 * c] / n - mean * mean).clamp_min(0.0)
    if running_mean is not None and running_var is not None:
        with torch.no_grad():
            running_mean.mul_(1.0 - momentum).add_(mean.detach().to(running_mean.dtype), alpha=momentum)
            running_var.mul_(1.0 - momentum).add_(
                (var.detach() * (n / (n - 1.0))).to(running_var.dtype), alpha=momentum
            )
    shape = [1, c] + [1] * (x.dim() - 2)
    y = (xf - mean.view(shape)) * torch.rsqrt(var.view(shape) + eps)
    if weight is not None:
        y = y * weight.view(shape)
    if bias is not None:
        y = y + bias.view(shape)
    return y.to(x.dtype)


def _is_batchnorm(module: nn.Module) -> bool:
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return True
    from matnn.core.layers.normalization import BatchNormalization

    return isinstance(module, BatchNormalization)


def _torch_bn_forward(module: nn.Module, original: Any, x: torch.Tensor) -> torch.Tensor:
    if not module.training or not is_distributed():
        return original(x)
    if getattr(module, "num_batches_tracked", None) is not None:
        module.num_batches_tracked.add_(1)
    momentum = module.momentum if module.momentum is not None else 0.1
    return _sync_batch_norm(
        x, module.running_mean, module.running_var, module.weight, module.bias, momentum, module.eps
    )


def _matnn_bn_forward_cf(module: nn.Module, original: Any, x: torch.Tensor) -> torch.Tensor:
    if not module.training or not is_distributed():
        return original(x)
    # Keras convention: ``momentum`` is the weight of the running value
    return _sync_batch_norm(
        x, module.moving_mean, module.moving_variance, module.gamma, module.beta, 1.0 - module.momentum, module.epsilon
    )


def convert_sync_batchnorm(model: nn.Module) -> list[nn.Module]:
    """Make every batch-norm layer of ``model`` use batch statistics over all ranks while training.

    The layers stay where they are (models that keep their own references to layers, as
    ``Sequential``'s execution plan does, keep working): their forward method is overridden on the
    instance and :func:`restore_batchnorm` removes the override. Parameters, buffers and state-dict keys
    do not change. In evaluation mode, or without a process group, the layers behave as before.

    Returns
    -------
    list of nn.Module
        The layers changed.
    """
    changed: list[nn.Module] = []
    for module in model.modules():
        if not _is_batchnorm(module) or "_matnn_sync_bn" in module.__dict__:
            continue
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.__dict__["forward"] = partial(_torch_bn_forward, module, module.forward)
        else:  # matnn's BatchNormalization: forward() and Sequential's plan both go through forward_cf
            module.__dict__["forward_cf"] = partial(_matnn_bn_forward_cf, module, module.forward_cf)
        module.__dict__["_matnn_sync_bn"] = True
        changed.append(module)
    return changed


def restore_batchnorm(layers: Sequence[nn.Module]) -> None:
    """Undo :func:`convert_sync_batchnorm`."""
    for module in layers:
        for key in ("forward", "forward_cf", "_matnn_sync_bn"):
            module.__dict__.pop(key, None)


# ----------------------------------------------------------------------------- relaunching a command
def torchrun_command(nproc: int, argv: Sequence[str], *, module: str = "matnn") -> list[str]:
    """The command that runs ``python -m <module> <argv>`` as ``nproc`` processes under torchrun.

    Parameters
    ----------
    nproc : int
        Processes on this node (``--nproc-per-node``).
    argv : sequence of str
        The command's arguments, without the ``--nproc`` option.
    """
    if isinstance(nproc, bool) or not isinstance(nproc, int) or nproc < 1:
        raise ConfigError(f"'nproc' of torchrun_command must be an int in [1, inf); got {nproc!r}")
    # --standalone: a rendezvous on a free local port, so two runs on one machine never collide
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc-per-node={nproc}",
        "-m",
        module,
        *argv,
    ]


def strip_nproc(argv: Sequence[str]) -> list[str]:
    """``argv`` without its ``--nproc N`` / ``--nproc=N`` option."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--nproc":
            skip = True
            continue
        if arg.startswith("--nproc="):
            continue
        out.append(arg)
    return out


def private_out_dir() -> str:
    """A scratch folder for a non-zero rank's files (removed with :func:`remove_private_out_dir`)."""
    import tempfile

    return tempfile.mkdtemp(prefix=f"matnn-rank{rank()}-")


def remove_private_out_dir(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)
