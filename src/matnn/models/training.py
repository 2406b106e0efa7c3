"""The training loop behind ``Model.fit`` and the inference loops behind ``evaluate``/``predict``.

Speed comes from removing per-step overhead, which dominates for the small models of materials
science: data already on the device and cut by index slicing, the optimizer's fused kernel,
``zero_grad(set_to_none=True)``, and no host synchronisation inside an epoch. Losses and metrics
accumulate on the device and are read once per epoch; callbacks that want per-batch values get the
batch loss as a tensor and pay for the synchronisation only if they read it.

Under torchrun (``WORLD_SIZE > 1``, see :mod:`matnn.core.distributed`) the same loop trains a
``DistributedDataParallel`` copy on every rank: each rank takes its part of every global batch
(in-memory data) or its ``DistributedSampler`` shard (DataLoader data), the epoch's loss, metrics and
validation scores are summed over ranks before any callback sees them, and only rank 0 prints.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch

from matnn.core import distributed as dist
from matnn.core.callbacks import BackupAndRestore, CallbackList, History, ProgressBar
from matnn.core.exceptions import ConfigError, DivergenceError, MatnnError
from matnn.models.data_adapter import LoaderData, TensorData, first_tensor, num_samples

__all__ = ["fit_loop", "evaluate_loop", "predict_loop"]

#: A matnn ``Model``. Not imported: model.py imports this module, and imports point one way.
Model = Any


def _progress_callbacks(verbose: Any) -> list:
    if verbose in (0, False, "0", None) or not dist.is_main_process():
        return []
    if verbose in ("auto", 1, True, "1"):
        return [ProgressBar(mode="auto")]
    if verbose in (2, "2", "epoch"):
        return [ProgressBar(mode="epoch")]
    raise ConfigError(
        f"verbose must be 0 (silent), 1 (progress bar), 2 (one line per epoch) or 'auto'. Got {verbose!r}."
    )


def _snapshot(model: Model, snap: dict[str, torch.Tensor] | None) -> dict[str, torch.Tensor]:
    state = model.state_dict()
    if snap is None or snap.keys() != state.keys():
        return {k: v.detach().clone() for k, v in state.items()}
    for k, v in state.items():
        snap[k].copy_(v)
    return snap


class _LossTrend:
    """The lowest and first training loss of a run, to catch a loss that climbs by orders of magnitude."""

    def __init__(self, factor: float | None) -> None:
        self.factor = factor
        self.best = math.inf
        self.best_epoch = -1
        self.first = math.nan

    def diverged(self, loss: float, epoch: int) -> bool:
        if math.isnan(self.first):
            self.first = loss
        if loss <= self.best:
            self.best, self.best_epoch = loss, epoch
            return False
        # Only for positive losses (MSE, MAE, cross-entropy): a ratio means nothing for a loss that can be negative.
        return (
            self.factor is not None
            and self.best > 0
            and self.first > 0
            and loss > self.factor * self.best
            and loss > self.factor * self.first
        )


def _check_divergence(
    model: Model,
    losses: list[torch.Tensor],
    epoch_loss: float,
    epoch: int,
    snapshot: dict[str, torch.Tensor] | None,
    best_epoch: int = -1,
) -> None:
    if math.isfinite(epoch_loss):
        return
    stacked = torch.stack(losses)
    bad = torch.nonzero(~torch.isfinite(stacked))
    batch = int(bad[0]) if len(bad) else -1
    if snapshot is not None:
        model.load_state_dict(snapshot)
    restored = (
        f"the weights were restored to the end of epoch {best_epoch + 1}, its lowest training loss"
        if best_epoch >= 0 and snapshot is not None
        else "the weights are those of the start of training"
        if snapshot is not None
        else "the weights were not restored"
    )
    raise DivergenceError(
        f"Training diverged: the loss became {'NaN' if math.isnan(epoch_loss) else 'infinite'} at epoch {epoch + 1}, "
        f"batch {batch + 1}; {restored}. Try a smaller learning rate, gradient clipping (clipnorm=1.0) or "
        "scaled inputs/targets.",
        epoch=epoch,
        batch=batch,
    )


def _result_logs(loss_sum: torch.Tensor, count: float, metrics: list, prefix: str = "") -> dict[str, float]:
    values = [loss_sum / max(count, 1.0)] + [m.result().to(loss_sum.device, loss_sum.dtype) for m in metrics]
    nums = torch.stack([v.reshape(()) for v in values]).tolist()  # one host sync for all values
    logs = {f"{prefix}loss": float(nums[0])}
    for m, v in zip(metrics, nums[1:], strict=True):
        logs[f"{prefix}{m.name}"] = float(v)
    return logs


def fit_loop(
    model: Model,
    train: TensorData | LoaderData,
    *,
    epochs: int,
    batch_size: int,
    shuffle: bool,
    validation: TensorData | LoaderData | None,
    callbacks: list,
    verbose: Any,
    initial_epoch: int,
    generator: torch.Generator,
    validation_batch_size: int,
    restore_on_divergence: bool,
    divergence_factor: float | None = None,
) -> History:
    history = History()
    from matnn.core.callbacks.ambient import make_ambient_callbacks

    user_cbs = [*(callbacks or []), *make_ambient_callbacks()]
    backups = [cb for cb in user_cbs if isinstance(cb, BackupAndRestore)]
    ordered = [
        history,
        *[cb for cb in user_cbs if not isinstance(cb, BackupAndRestore)],
        *_progress_callbacks(verbose),
        *backups,
    ]
    steps = train.steps(batch_size)
    cbs = CallbackList(
        ordered,
        model,
        {"epochs": epochs, "steps": steps, "batch_size": batch_size, "samples": train.n, "verbose": verbose},
    )
    model._fit_state = {
        "generator": generator,
        "initial_epoch": initial_epoch,
        "callbacks": cbs.callbacks,
        "regularized": model._regularized_layers(),
    }
    model.stop_training = False
    model.history = history
    want_batch_logs = bool(cbs.batch_callbacks)
    parallel = dist.is_distributed()
    par: _Parallel | None = None
    try:
        cbs.on_train_begin()  # a resumed data-parallel run receives rank 0's backup here
        start = model._fit_state["initial_epoch"]
        snapshot = _snapshot(model, None) if restore_on_divergence else None
        if parallel:
            par = _Parallel(model, train, validation, batch_size)
            validation = par.validation
        _epochs(
            model,
            train,
            validation,
            cbs,
            par,
            epochs=epochs,
            start=start,
            batch_size=batch_size,
            shuffle=shuffle,
            generator=generator,
            validation_batch_size=validation_batch_size,
            snapshot=snapshot,
            divergence_factor=divergence_factor,
            want_batch_logs=want_batch_logs,
            in_memory=isinstance(train, TensorData),
            device=train.device,
        )
    except RuntimeError as exc:
        if not parallel or isinstance(exc, MatnnError) or not _is_communication_error(exc):
            raise
        raise dist.failure(exc, "during training") from None
    finally:
        if par is not None:
            par.close()
    model._fit_state = {}
    return history


def _epochs(
    model: Model,
    train: TensorData | LoaderData,
    validation: TensorData | LoaderData | None,
    cbs: CallbackList,
    par: _Parallel | None,
    *,
    epochs: int,
    start: int,
    batch_size: int,
    shuffle: bool,
    generator: torch.Generator,
    validation_batch_size: int,
    snapshot: dict[str, torch.Tensor] | None,
    want_batch_logs: bool,
    in_memory: bool,
    device: torch.device,
    divergence_factor: float | None = None,
) -> None:
    optimizer = model.optimizer
    metrics = model._metric_objects
    net = par.net if par is not None else model
    trend = _LossTrend(divergence_factor)
    for epoch in range(start, epochs):
        cbs.on_epoch_begin(epoch)
        model.train()
        for m in metrics:
            m.reset()
        losses: list[torch.Tensor] = []
        sizes: list[int] = []
        if in_memory:
            order = (
                torch.randperm(train.n, generator=generator, device=generator.device).to(device) if shuffle else None
            )
            batch_iter = train.batches(batch_size, order) if par is None else par.batches(epoch, order)
        else:
            batch_iter = train.batches() if par is None else par.batches(epoch, None)
        for b, (xb, yb, wb) in enumerate(batch_iter):
            optimizer.zero_grad()
            y_pred = net(xb)
            loss = model.compute_loss(xb, yb, y_pred, wb)
            scale = par.loss_scale(b) if par is not None else 1.0
            (loss if scale == 1.0 else loss * scale).backward()
            optimizer.step()
            loss = loss.detach()
            nb = num_samples(xb) if in_memory else _batch_len(xb, yb)
            if scale == 0.0:  # a stand-in sample for a rank left without one: no loss, no metrics
                continue
            losses.append(loss)
            sizes.append(nb)
            if metrics and yb is not None:
                _update_metrics(metrics, yb, y_pred, wb)
            if want_batch_logs:
                cbs.on_train_batch_end(b, {"loss": loss, "size": nb})
        if not losses and par is None:
            raise ConfigError("The training data produced no batches.")
        if losses:
            weights = torch.tensor(sizes, dtype=losses[0].dtype, device=losses[0].device)
            loss_sum = (torch.stack(losses) * weights).sum()
        else:
            loss_sum = torch.zeros((), device=device)
        count = float(sum(sizes))
        if par is not None:
            loss_sum, count = par.reduce(loss_sum, count, metrics)
        logs = _result_logs(loss_sum, count, metrics)
        _check_divergence(model, losses or [loss_sum], logs["loss"], epoch, snapshot, trend.best_epoch)
        if trend.diverged(logs["loss"], epoch):
            if snapshot is not None:
                model.load_state_dict(snapshot)
            raise DivergenceError(
                f"Training diverged: the loss grew to {logs['loss']:.3g} at epoch {epoch + 1}, over {divergence_factor:g}× "
                f"its lowest value ({trend.best:.3g}, epoch {trend.best_epoch + 1}) and its first epoch's; "
                + ("the weights of that best epoch were restored. " if snapshot is not None else "")
                + "Try a smaller learning rate or gradient clipping (clipnorm=1.0).",
                epoch=epoch,
            )
        if validation is not None:
            val_logs = evaluate_loop(
                model,
                validation,
                batch_size=validation_batch_size,
                prefix="val_",
                all_reduce=par is not None and par.shard_validation,
            )
            logs.update(val_logs)
        logs["lr"] = float(optimizer.learning_rate)
        if snapshot is not None and trend.best_epoch == epoch:  # keep the weights of the lowest training loss
            snapshot = _snapshot(model, snapshot)
        cbs.on_epoch_end(epoch, logs)
        if par is not None:
            model.stop_training = par.any(
                model.stop_training
            )  # a rank-dependent decision (a time limit) ends every rank
        if model.stop_training:
            break
    cbs.on_train_end()


def _is_communication_error(exc: BaseException) -> bool:
    if isinstance(exc, getattr(torch.distributed, "DistError", ())):
        return True
    text = str(exc).lower()
    return any(
        w in text for w in ("gloo", "nccl", "connection", "timed out", "timeout", "peer", "socket", "broken pipe")
    )


class _Parallel:
    """What one rank of a data-parallel ``fit`` needs: the DDP wrapper, its batches, and the reductions."""

    def __init__(
        self, model: Model, train: TensorData | LoaderData, validation: TensorData | LoaderData | None, batch_size: int
    ) -> None:
        from torch.nn.parallel import DistributedDataParallel

        self.world = dist.world_size()
        self.rank = dist.rank()
        self.train = train
        self.batch_size = batch_size
        if isinstance(train, TensorData) and train.n < self.world:
            raise ConfigError(
                f"Data-parallel training on {self.world} processes needs at least {self.world} "
                f"training samples; got {train.n}."
            )
        self.bn_layers = dist.convert_sync_batchnorm(model)
        device = train.device
        ids = [device.index] if device.type == "cuda" else None
        # Batch-norm statistics are synchronised by the layers themselves, so every rank's buffers already
        # agree: no per-step broadcast of buffers.
        import inspect

        no_buffer_sync = (
            {"forward_sync_buffers": False}
            if "forward_sync_buffers" in inspect.signature(DistributedDataParallel.__init__).parameters
            else {"broadcast_buffers": False}
        )
        # Kernels whose size-1 axes give them unusual strides (a 1-channel convolution) make DDP warn at every
        # step that its gradient bucket is laid out differently; the copy that costs is negligible here.
        warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
        self.net = DistributedDataParallel(model, device_ids=ids, **no_buffer_sync)
        self._scales: list[float] = []
        self.loader = None
        if isinstance(train, LoaderData):
            self.loader = _distributed_loader(train, self.world, self.rank, shuffle=True)
        # Validation: each rank scores a contiguous part and the sums are all-reduced; with fewer samples
        # than ranks every rank scores all of it.
        self.shard_validation = False
        self.validation = validation
        if isinstance(validation, TensorData) and validation.n >= self.world:
            lo, hi = dist.shard_bounds(validation.n, self.world, self.rank)
            self.validation = TensorData._from_parts(*validation.slice(lo, hi), validation.device)
            self.shard_validation = True
        elif isinstance(validation, LoaderData) and validation.n >= self.world:
            self.validation = LoaderData(_validation_loader(validation, self.world, self.rank), validation.device)
            self.shard_validation = True

    def batches(self, epoch: int, order: torch.Tensor | None) -> Any:
        """This rank's part of every global batch of ``batch_size`` samples."""
        self._scales = []
        if self.loader is not None:
            sampler = self.loader.sampler
            if hasattr(sampler, "set_epoch"):
                sampler.set_epoch(epoch)
            yield from LoaderData(self.loader, self.train.device).batches()
            return
        data = self.train
        n = data.n
        for start in range(0, n, self.batch_size):
            n_global = min(self.batch_size, n - start)
            lo, hi = dist.shard_bounds(n_global, self.world, self.rank)
            if hi > lo:
                # the DDP gradient average of per-rank means equals the global batch mean when each rank's
                # loss is weighted by its share of the batch
                self._scales.append((hi - lo) * self.world / n_global)
                lo, hi = start + lo, start + hi
            else:  # fewer samples than ranks in the last batch: one stand-in sample with zero weight
                self._scales.append(0.0)
                lo, hi = start, start + 1
            if order is None:
                yield data.slice(lo, hi)
            else:
                yield data.take(order[lo:hi])

    def loss_scale(self, b: int) -> float:
        return self._scales[b] if self._scales else 1.0

    def reduce(self, loss_sum: torch.Tensor, count: float, metrics: list) -> tuple[torch.Tensor, float]:
        """Sum the epoch's loss, sample count and metric states over ranks."""
        packed = torch.stack(
            [loss_sum.detach().reshape(()).double(), torch.tensor(count, dtype=torch.float64, device=loss_sum.device)]
        )
        dist.all_reduce_sum(packed)
        _reduce_metric_states(metrics)
        return packed[0].to(loss_sum.dtype), float(packed[1])

    def any(self, flag: bool) -> bool:
        return dist.any_rank(flag)

    def close(self) -> None:
        dist.restore_batchnorm(self.bn_layers)


def _reduce_metric_states(metrics: list) -> None:
    """All-reduce (sum) the accumulators of stateful metrics (totals, counts, sums of squares)."""
    for m in metrics:
        state = getattr(m, "_state", None)
        if state is None:
            raise ConfigError(
                f"Metric {m.name!r} saw no samples on rank {dist.rank()}; data-parallel training needs "
                "samples on every rank."
            )
        for t in state:
            dist.all_reduce_sum(t)


class _ShardSampler(torch.utils.data.Sampler):
    """Every ``world``-th index from ``rank``: each sample scored once, none repeated (``DistributedSampler`` pads)."""

    def __init__(self, n: int, world: int, rank: int) -> None:
        self.indices = list(range(rank, n, world))

    def __iter__(self) -> Any:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def _validation_loader(data: LoaderData, world: int, rank: int) -> Any:
    from torch.utils.data import DataLoader

    loader = data.loader
    return DataLoader(
        loader.dataset,
        batch_size=loader.batch_size,
        sampler=_ShardSampler(data.n, world, rank),
        collate_fn=loader.collate_fn,
        num_workers=loader.num_workers,
        pin_memory=loader.pin_memory,
    )


def _distributed_loader(data: LoaderData, world: int, rank: int, *, shuffle: bool) -> Any:
    """The user's DataLoader rebuilt around a ``DistributedSampler`` with ``batch_size / world`` per rank."""
    from torch.utils.data import DataLoader, RandomSampler
    from torch.utils.data.distributed import DistributedSampler

    loader = data.loader
    if not hasattr(loader.dataset, "__len__"):
        raise ConfigError("Data-parallel training needs a map-style Dataset (with __len__) for its DistributedSampler.")
    shuffled = shuffle and isinstance(loader.sampler, RandomSampler)
    seed = 0
    if shuffled and loader.generator is not None:
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=loader.generator).item())
    seed = dist.broadcast_int(seed, data.device)
    sampler = DistributedSampler(
        loader.dataset, num_replicas=world, rank=rank, shuffle=shuffled, seed=seed, drop_last=False
    )
    per_rank = max(1, (loader.batch_size or 1) // world)
    return DataLoader(
        loader.dataset,
        batch_size=per_rank,
        sampler=sampler,
        collate_fn=loader.collate_fn,
        num_workers=loader.num_workers,
        pin_memory=loader.pin_memory,
        drop_last=loader.drop_last,
    )


def _batch_len(xb: Any, yb: Any) -> int:
    try:
        return int(first_tensor(yb).shape[0]) if yb is not None else num_samples(xb)
    except (AttributeError, IndexError, TypeError):
        return int(getattr(xb, "num_graphs", 1))


def _update_metrics(metrics: list, yb: Any, y_pred: Any, wb: Any) -> None:
    y_pred = y_pred.detach() if isinstance(y_pred, torch.Tensor) else y_pred
    for m in metrics:
        m.update(yb, y_pred, wb)


def evaluate_loop(
    model: Model, data: TensorData | LoaderData, *, batch_size: int, prefix: str = "", all_reduce: bool = False
) -> dict[str, float]:
    """Loss and metrics over ``data`` in inference mode (dropout off, running batch-norm statistics).

    ``all_reduce=True`` (data-parallel ``fit``): ``data`` is this rank's part, and the sums behind the loss
    and the metrics are added over ranks before the values are formed.
    """
    was_training = model.training
    model.eval()
    metrics = model._metric_objects
    for m in metrics:
        m.reset()
    total: torch.Tensor | None = None
    count = 0.0
    grad_ctx = torch.enable_grad if model.inference_requires_grad else torch.no_grad
    with grad_ctx():
        for xb, yb, wb in data.batches(batch_size) if isinstance(data, TensorData) else data.batches():
            y_pred = model(xb)
            loss = model.compute_loss(xb, yb, y_pred, wb).detach()
            nb = num_samples(xb) if isinstance(data, TensorData) else _batch_len(xb, yb)
            total = loss * nb if total is None else total + loss * nb
            count += nb
            if metrics and yb is not None:
                _update_metrics(metrics, yb, y_pred, wb)
    model.train(was_training)
    if total is None:
        raise ConfigError("The evaluation data produced no batches.")
    if all_reduce:
        packed = torch.stack(
            [total.reshape(()).double(), torch.tensor(count, dtype=torch.float64, device=total.device)]
        )
        dist.all_reduce_sum(packed)
        _reduce_metric_states(metrics)
        total, count = packed[0].to(total.dtype), float(packed[1])
    return _result_logs(total, count, metrics, prefix)


def predict_loop(model: Model, data: TensorData | LoaderData, *, batch_size: int) -> Any:
    """Model outputs for every sample, concatenated and returned as NumPy arrays."""
    was_training = model.training
    model.eval()
    outputs: list[Any] = []
    grad_ctx = torch.enable_grad if model.inference_requires_grad else torch.no_grad
    with grad_ctx():
        for xb, _, _ in data.batches(batch_size) if isinstance(data, TensorData) else data.batches():
            out = model(xb)
            if isinstance(out, torch.Tensor):
                out = out.detach()
            elif isinstance(out, (list, tuple)):
                out = [o.detach() for o in out]
            elif isinstance(out, dict):
                out = {k: v.detach() for k, v in out.items()}
            outputs.append(out)
    model.train(was_training)
    first = outputs[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(outputs).cpu().numpy()
    if isinstance(first, dict):
        return {k: torch.cat([o[k] for o in outputs]).cpu().numpy() for k in first}
    return [torch.cat([o[i] for o in outputs]).cpu().numpy() for i in range(len(first))]
