"""Turn any ``torch.nn.Module`` into a pure function of its parameters (private helpers).

Every tool in :mod:`matnn.dynamics` works on ``f(params, x)`` built with :func:`torch.func.functional_call`,
so it applies unchanged to matnn models, plain ``torch.nn`` modules and the linearised/quadratic
wrappers.  Parameters travel as ``dict[name -> Tensor]``; Lanczos and power iteration need them as one
flat vector, hence :func:`flatten` / :func:`unflatten`.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import torch
from torch import nn
from torch.func import functional_call
from torch.func import jvp as _torch_jvp

from matnn.core.exceptions import ConfigError, ShapeError

Params = dict[str, torch.Tensor]

__all__ = [
    "Params",
    "trainable_params",
    "model_fn",
    "flatten",
    "unflatten",
    "evaluation_mode",
    "as_tensor",
    "resolve_loss",
    "model_device",
    "model_dtype",
    "jvp",
]


def trainable_params(model: nn.Module) -> Params:
    """Detached copies (views) of the parameters that require grad, by name."""
    params = {name: p.detach() for name, p in model.named_parameters() if p.requires_grad}
    if not params:
        raise ConfigError(
            f"{type(model).__name__} has no trainable parameters (requires_grad=True); nothing to analyse."
        )
    return params


def model_fn(model: nn.Module) -> Callable[[Params, Any], torch.Tensor]:
    """``f(params, x)`` calling ``model`` with ``params`` substituted (buffers and frozen weights unchanged)."""

    def f(params: Params, x: Any) -> torch.Tensor:
        return functional_call(model, params, (x,), strict=False)

    return f


def flatten(tensors: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """Concatenate the tensors of a parameter dict into one vector of shape ``(n_params,)``."""
    return torch.cat([t.reshape(-1) for t in tensors.values()])


def unflatten(vector: torch.Tensor, like: Mapping[str, torch.Tensor]) -> Params:
    """Split a flat vector back into a dict shaped like ``like`` (same order)."""
    out: Params = {}
    i = 0
    for name, t in like.items():
        n = t.numel()
        out[name] = vector[i : i + n].view_as(t).to(t.dtype)
        i += n
    if i != vector.numel():
        raise ShapeError(
            f"A flat parameter vector of length {vector.numel()} does not match the model's {i} parameters."
        )
    return out


def model_device(model: nn.Module) -> torch.device:
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def model_dtype(model: nn.Module) -> torch.dtype:
    for p in model.parameters():
        if p.is_floating_point():
            return p.dtype
    return torch.get_default_dtype()


@contextlib.contextmanager
def evaluation_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Put ``model`` in eval mode (dropout off, batch-norm running statistics) and restore its mode after.

    The NTK, Hessians and AGOP are properties of a deterministic function of the weights; dropout
    masks or batch statistics would make them random and would break per-sample ``vmap``.
    """
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def as_tensor(x: Any, model: nn.Module, name: str = "x") -> torch.Tensor:
    """``x`` as a tensor on the model's device; floating data takes the model's dtype; NaN/inf rejected."""
    if not isinstance(x, torch.Tensor):
        import numpy as np

        try:
            x = torch.as_tensor(np.asarray(x))
        except (TypeError, ValueError) as exc:
            raise ShapeError(f"'{name}' must be an array or tensor; got {type(x).__name__}.") from exc
    t = x.to(device=model_device(model), dtype=model_dtype(model) if x.is_floating_point() else x.dtype)
    if t.ndim == 0:
        raise ShapeError(f"'{name}' must have a leading sample dimension; got a scalar.")
    if t.is_floating_point() and not torch.isfinite(t).all():
        bad = int((~torch.isfinite(t)).reshape(t.shape[0], -1).any(1).nonzero()[0, 0])
        raise ShapeError(f"'{name}' contains NaN or inf (first at row {bad}); clean the data first.")
    return t


_FORWARD_AD_READY = False


def _prepare_forward_ad() -> None:
    """Let torch register its forward-AD decompositions once, without its deprecation noise.

    On the first forward-mode AD call of a process, torch imports ``torch._decomp.decompositions_for_jvp``,
    which registers its decompositions through ``torch.jit.script`` — deprecated in recent torch (2.13 here), so
    every program using ``jvp`` got ~18 ``DeprecationWarning`` s about code that is torch's own, not
    ours or the user's.  Triggering that one-off registration here (a zero-size dual tensor) with
    exactly that warning silenced keeps any other warning visible.
    """
    global _FORWARD_AD_READY
    if _FORWARD_AD_READY:
        return
    import torch.autograd.forward_ad as fwAD

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*deprecated", category=DeprecationWarning)
        with fwAD.dual_level():
            fwAD.make_dual(torch.zeros(1), torch.zeros(1))
    _FORWARD_AD_READY = True


def jvp(func: Callable, primals: tuple, tangents: tuple, **kwargs: Any):
    """:func:`torch.func.jvp` (same signature and result), after :func:`_prepare_forward_ad`."""
    _prepare_forward_ad()
    return _torch_jvp(func, primals, tangents, **kwargs)


def _half_mse(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    return 0.5 * (y_pred - y_true.reshape(y_pred.shape)).pow(2).reshape(y_pred.shape[0], -1).sum(1).mean()


def _mse(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    return (y_pred - y_true.reshape(y_pred.shape)).pow(2).mean()


def _bce_logits(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.binary_cross_entropy_with_logits(y_pred, y_true.reshape(y_pred.shape).to(y_pred.dtype))


_LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "half_mse": _half_mse,
    "mse": _mse,
    "binary_crossentropy_logits": _bce_logits,
}


def resolve_loss(
    loss: str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """A loss ``(y_true, y_pred) -> scalar`` from a name or a callable (per-sample outputs are averaged).

    Names: ``"half_mse"`` = mean over samples of ½‖f − y‖² (the papers' convention, critical learning
    rate 2/λmax(K/n)), ``"mse"`` = mean over every entry of (f − y)² (Keras/matnn ``"mse"``),
    ``"binary_crossentropy_logits"``, or any other loss name ``compile`` accepts.
    """
    if callable(loss):

        def wrapped(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
            value = loss(y_true, y_pred)
            return value.mean() if value.ndim > 0 else value

        return wrapped
    if isinstance(loss, str) and loss in _LOSSES:
        return _LOSSES[loss]
    if isinstance(loss, str):
        # Any other name is one of matnn's compile() losses ("mae", "huber", "binary_crossentropy", ...).
        from matnn.core import losses as losses_mod

        try:
            core_loss = losses_mod.get(loss)
        except (KeyError, ValueError):
            from matnn.core.exceptions import unknown_name

            raise unknown_name("loss", loss, sorted(set(_LOSSES) | set(losses_mod.LOSSES.names()))) from None
        return lambda y_true, y_pred: core_loss(y_true, y_pred)
    raise ConfigError(f"A loss must be a name or a callable(y_true, y_pred); got {loss!r}.")
