"""The training loop behind ``Model.fit`` and the inference loops behind ``evaluate``/``predict``.

Speed comes from removing per-step overhead, which dominates for the small models of materials
science: data already on the device and cut by index slicing, the optimizer's fused kernel,
``zero_grad(set_to_none=True)``, and no host synchronisation inside an epoch. Losses and metrics
accumulate on the device and are read once per epoch; callbacks that want per-batch values get the
batch loss as a tensor and pay for the synchronisation only if they read it.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from matnn.core.callbacks import BackupAndRestore, CallbackList, History, ProgressBar
from matnn.core.exceptions import ConfigError, DivergenceError
from matnn.models.data_adapter import LoaderData, TensorData, first_tensor, num_samples


__all__ = ["fit_loop", "evaluate_loop", "predict_loop"]

#: A matnn ``Model``. Not imported: model.py imports this module, and imports point one way.
Model = Any


def _progress_callbacks(verbose: Any) -> list:
    if verbose in (0, False, "0", None):
        return []
    if verbose in ("auto", 1, True, "1"):
        return [ProgressBar(mode="auto")]
    if verbose in (2, "2", "epoch"):
        return [ProgressBar(mode="epoch")]
    raise ConfigError(f"verbose must be 0 (silent), 1 (progress bar), 2 (one line per epoch) or 'auto'. Got {verbose!r}.")


def _snapshot(model: Model, snap: dict[str, torch.Tensor] | None) -> dict[str, torch.Tensor]:
    state = model.state_dict()
    if snap is None or snap.keys() != state.keys():
        return {k: v.detach().clone() for k, v in state.items()}
    for k, v in state.items():
        snap[k].copy_(v)
    return snap


def _check_divergence(model: Model, losses: list[torch.Tensor], epoch_loss: float, epoch: int,
                      snapshot: dict[str, torch.Tensor] | None) -> None:
    if math.isfinite(epoch_loss):
        return
    stacked = torch.stack(losses)
    bad = torch.nonzero(~torch.isfinite(stacked))
    batch = int(bad[0]) if len(bad) else -1
    if snapshot is not None:
        model.load_state_dict(snapshot)
    restored = (f"the weights were restored to the end of epoch {epoch}" if epoch > 0 and snapshot is not None
                else "the weights are those of the start of training" if snapshot is not None else "the weights were not restored")
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


def fit_loop(model: Model, train: TensorData | LoaderData, *, epochs: int, batch_size: int, shuffle: bool,
             validation: TensorData | LoaderData | None, callbacks: list, verbose: Any, initial_epoch: int,
             generator: torch.Generator, validation_batch_size: int, restore_on_divergence: bool) -> History:
    history = History()
    from matnn.core.callbacks.ambient import make_ambient_callbacks

    user_cbs = [*(callbacks or []), *make_ambient_callbacks()]
    backups = [cb for cb in user_cbs if isinstance(cb, BackupAndRestore)]
    ordered = [history, *[cb for cb in user_cbs if not isinstance(cb, BackupAndRestore)], *_progress_callbacks(verbose), *backups]
    steps = train.steps(batch_size)
    cbs = CallbackList(ordered, model, {"epochs": epochs, "steps": steps, "batch_size": batch_size,
                                        "samples": train.n, "verbose": verbose})
    model._fit_state = {"generator": generator, "initial_epoch": initial_epoch, "callbacks": cbs.callbacks,
                        "regularized": model._regularized_layers()}
    model.stop_training = False
    model.history = history
    optimizer = model.optimizer
    metrics = model._metric_objects
    want_batch_logs = bool(cbs.batch_callbacks)
    cbs.on_train_begin()
    start = model._fit_state["initial_epoch"]
    snapshot = _snapshot(model, None) if restore_on_divergence else None
    in_memory = isinstance(train, TensorData)
    device = train.device

    for epoch in range(start, epochs):
        cbs.on_epoch_begin(epoch)
        model.train()
        for m in metrics:
            m.reset()
        losses: list[torch.Tensor] = []
        sizes: list[int] = []
        if in_memory:
            order = torch.randperm(train.n, generator=generator, device=generator.device).to(device) if shuffle else None
            batch_iter = train.batches(batch_size, order)
        else:
            batch_iter = train.batches()
        for b, (xb, yb, wb) in enumerate(batch_iter):
            optimizer.zero_grad()
            y_pred = model(xb)
            loss = model.compute_loss(xb, yb, y_pred, wb)
            loss.backward()
            optimizer.step()
            loss = loss.detach()
            losses.append(loss)
            nb = num_samples(xb) if in_memory else _batch_len(xb, yb)
            sizes.append(nb)
            if metrics and yb is not None:
                _update_metrics(metrics, yb, y_pred, wb)
            if want_batch_logs:
                cbs.on_train_batch_end(b, {"loss": loss, "size": nb})
        if not losses:
            raise ConfigError("The training data produced no batches.")
        weights = torch.tensor(sizes, dtype=losses[0].dtype, device=losses[0].device)
        loss_sum = (torch.stack(losses) * weights).sum()
        logs = _result_logs(loss_sum, float(sum(sizes)), metrics)
        _check_divergence(model, losses, logs["loss"], epoch, snapshot)
        if validation is not None:
            val_logs = evaluate_loop(model, validation, batch_size=validation_batch_size, prefix="val_")
            logs.update(val_logs)
        logs["lr"] = float(optimizer.learning_rate)
        if snapshot is not None:
            snapshot = _snapshot(model, snapshot)
        cbs.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    cbs.on_train_end()
    model._fit_state = {}
    return history


def _batch_len(xb: Any, yb: Any) -> int:
    try:
        return int(first_tensor(yb).shape[0]) if yb is not None else num_samples(xb)
    except (AttributeError, IndexError, TypeError):
        return int(getattr(xb, "num_graphs", 1))


def _update_metrics(metrics: list, yb: Any, y_pred: Any, wb: Any) -> None:
    y_pred = y_pred.detach() if isinstance(y_pred, torch.Tensor) else y_pred
    for m in metrics:
        m.update(yb, y_pred, wb)


def evaluate_loop(model: Model, data: TensorData | LoaderData, *, batch_size: int, prefix: str = "") -> dict[str, float]:
    """Loss and metrics over ``data`` in inference mode (dropout off, running batch-norm statistics)."""
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


