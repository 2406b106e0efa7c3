"""One executor for every fan-out in matnn: serial, a local Dask cluster, or a Dask cluster at an address.

Seeds, folds, simulation fleets and design campaigns are lists of independent tasks. matnn does not
schedule them itself: with ``workers > 1`` it starts a :class:`dask.distributed.LocalCluster` of
worker *processes* (one thread each, matnn's thread setting applied in every worker), and with
``scheduler="tcp://host:8786"`` it connects to a running Dask cluster (SLURM via dask-jobqueue,
Kubernetes, ...). ``workers=1`` with no scheduler runs in this process, in order, with no Dask import.

Results come back in submission order from :meth:`Executor.map`; :meth:`Executor.as_completed`
yields ``(index, result)`` as tasks finish, so a caller can cache each result the moment it exists
(a killed campaign then resumes from its cache).

Examples
--------
>>> from matnn.core.engines import Executor
>>> with Executor(workers=1) as ex:
...     ex.map(abs, [-1, -2])
[1, 2]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from matnn.core.exceptions import ConfigError, DependencyError

__all__ = ["Executor", "parallel_map"]


def _worker_setup(threads: int, flush_denormal: bool | None) -> None:
    """Run in each Dask worker process: one thread setting, honoured everywhere."""
    os.environ["MATNN_NUM_THREADS"] = str(threads)
    from matnn.core import config

    config.set_num_threads(threads)
    if flush_denormal is not None:
        config.set_flush_denormal(flush_denormal)


class Executor:
    """Context manager running independent tasks serially, on a local Dask cluster, or on a remote one.

    Parameters
    ----------
    workers : int, default=1
        Local worker processes. ``1`` (and no ``scheduler``) runs tasks in this process.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); ``workers`` is then ignored.
    threads_per_worker : int, optional
        Torch/BLAS threads in each worker (default: matnn's thread setting, one by default).
    connect_timeout_s : float, optional
        How long to wait for ``scheduler`` before a one-line :class:`ConfigError`
        (default ``$MATNN_DASK_CONNECT_TIMEOUT_S`` or 10).
    """

    def __init__(
        self,
        workers: int = 1,
        scheduler: str | None = None,
        *,
        threads_per_worker: int | None = None,
        connect_timeout_s: float | None = None,
    ) -> None:
        if connect_timeout_s is None:
            raw = os.environ.get("MATNN_DASK_CONNECT_TIMEOUT_S", "10")
            try:
                connect_timeout_s = float(raw)
            except ValueError:
                raise ConfigError(f"MATNN_DASK_CONNECT_TIMEOUT_S must be a number of seconds; got {raw!r}") from None
        if scheduler is None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise ConfigError(f"'workers' of Executor must be an int in [1, inf); got {workers!r}")
        if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
            raise ConfigError(
                f"'scheduler' of Executor must be an address such as 'tcp://host:8786'; got {scheduler!r}"
            )
        self.workers = workers
        self.scheduler = scheduler
        self.threads_per_worker = threads_per_worker
        self.connect_timeout_s = connect_timeout_s
        self._client: Any = None
        self._cluster: Any = None

    @property
    def serial(self) -> bool:
        """True when tasks run in this process."""
        return self.scheduler is None and self.workers == 1

    def __enter__(self) -> Executor:
        if self.serial:
            return self
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise DependencyError("Running on several workers needs Dask: pip install 'dask[distributed]'") from None
        from matnn.core import config

        threads = self.threads_per_worker or config.get_num_threads()
        if self.scheduler is not None:
            try:
                self._client = Client(self.scheduler, timeout=f"{self.connect_timeout_s}s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise ConfigError(f"Cannot reach the Dask scheduler at {self.scheduler!r} ({exc}).") from None
        else:
            # ":0": the scheduler's HTTP server (always started) takes a free port instead of warning that
            # another cluster holds 8787
            self._cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                host="127.0.0.1",
                silence_logs=40,
            )
            self._client = Client(self._cluster)
        flush = config._state.get("flush_denormal")
        self._client.run(_worker_setup, threads, flush)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def as_completed(self, fn: Callable[..., Any], items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(items[index]))`` as each task finishes (in order when serial).

        A task's exception is raised here, in the caller, when its result is reached.
        """
        items = list(items)
        if self.serial:
            for i, item in enumerate(items):
                yield i, fn(item)
            return
        if self._client is None:
            raise ConfigError("Executor.as_completed must be called inside 'with Executor(...) as ex:'.")
        from dask.distributed import as_completed

        futures = self._client.map(fn, items, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures):
            yield index[fut.key], fut.result()

    def map(self, fn: Callable[..., Any], items: Iterable[Any]) -> list[Any]:
        """``[fn(x) for x in items]``, computed on the executor, in the order of ``items``."""
        items = list(items)
        out: list[Any] = [None] * len(items)
        for i, result in self.as_completed(fn, items):
            out[i] = result
        return out


def parallel_map(
    fn: Callable[..., Any], items: Iterable[Any], *, workers: int = 1, scheduler: str | None = None
) -> list[Any]:
    """One-call form of :meth:`Executor.map`."""
    with Executor(workers=workers, scheduler=scheduler) as ex:
        return ex.map(fn, items)
