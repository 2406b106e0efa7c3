"""Linearised and quadratic ("NQM") models of a network around its initial weights.

With ``Δ = w − w₀``:

* linear:    ``f_lin(w; x)  = f(w₀; x) + J(w₀; x) Δ``
* quadratic: ``f_quad(w; x) = f(w₀; x) + J(w₀; x) Δ + ½ Δᵀ H_f(w₀; x) Δ``

(Lee et al. 2019 for the linearisation; Zhu, Liu, Radhakrishnan & Belkin, "Quadratic models for
understanding catapult dynamics of neural networks", 2022, for the quadratic model.)  Both are
``nn.Module`` s whose trainable parameters are the displacement Δ (zero at construction, named like the
network's own parameters with ``.`` → ``__``), so any optimizer or training loop trains them exactly
as it trains the network.  ``J Δ`` and ``Δᵀ H Δ`` come from nested forward-mode ``jvp`` s (no Jacobian
or Hessian is ever formed): the cost of a forward pass is a few network forward passes.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from matnn.core.exceptions import ConfigError
from matnn.dynamics._functional import Params, jvp, model_fn, trainable_params

__all__ = ["TaylorModel", "LinearizedModel", "QuadraticModel"]


class TaylorModel(nn.Module):
    """First- or second-order Taylor expansion of ``model`` in its weights around their current values.

    Parameters
    ----------
    model : torch.nn.Module
        The network; it is deep-copied, so training the original later does not move w₀.
    order : {1, 2}
        1 = linearised model, 2 = quadratic model.

    Attributes
    ----------
    delta : nn.ParameterDict
        The displacement Δ = w − w₀ (trainable, starts at zero).
    """

    def __init__(self, model: nn.Module, order: int = 1) -> None:
        super().__init__()
        if order not in (1, 2):
            raise ConfigError(f"The 'order' of a TaylorModel must be 1 (linear) or 2 (quadratic); got {order!r}.")
        self.order = order
        # The frozen copy is kept outside the module tree so its weights are not trainable parameters.
        self._base = [copy.deepcopy(model).eval()]
        self._w0: Params = {k: v.detach().clone() for k, v in trainable_params(self._base[0]).items()}
        self._f = model_fn(self._base[0])
        self.delta = nn.ParameterDict(
            {k.replace(".", "__"): nn.Parameter(torch.zeros_like(v)) for k, v in self._w0.items()}
        )

    def _apply(self, fn, *args, **kwargs):  # type: ignore[override]
        # .to(device) / .double() must move the hidden base network and w₀ along with Δ.
        super()._apply(fn, *args, **kwargs)
        self._base[0]._apply(fn, *args, **kwargs)
        self._w0 = {k: fn(v) for k, v in self._w0.items()}
        return self

    def _delta(self) -> Params:
        return {k: self.delta[k.replace(".", "__")] for k in self._w0}

    def weights(self) -> Params:
        """Current weights ``w₀ + Δ`` (detached), by the network's parameter names."""
        return {k: (self._w0[k] + d).detach() for k, d in self._delta().items()}

    def network(self) -> nn.Module:
        """A copy of the network carrying the weights ``w₀ + Δ``."""
        net = copy.deepcopy(self._base[0])
        with torch.no_grad():
            for name, p in net.named_parameters():
                if name in self._w0:
                    p.copy_(self._w0[name] + self._delta()[name])
        return net

    def delta_norm(self) -> float:
        """‖Δ‖₂ over all parameters."""
        return float(torch.sqrt(sum((d.detach() ** 2).sum() for d in self._delta().values())))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        delta = self._delta()
        w0 = self._w0

        def f(p: Params) -> torch.Tensor:
            return self._f(p, x)

        if self.order == 1:
            f0, jd = jvp(f, (w0,), (delta,))
            return f0 + jd

        def first(p: Params) -> tuple[torch.Tensor, torch.Tensor]:
            out, tangent = jvp(f, (p,), (delta,))
            return tangent, out

        jd, dhd, f0 = jvp(first, (w0,), (delta,), has_aux=True)
        return f0 + jd + 0.5 * dhd

    def extra_repr(self) -> str:
        return f"order={self.order}"


class LinearizedModel(TaylorModel):
    """``f(w₀) + J(w₀) Δ`` — the network's NTK linearisation (see :class:`TaylorModel`)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__(model, order=1)


class QuadraticModel(TaylorModel):
    """``f(w₀) + J(w₀) Δ + ½ Δᵀ H_f(w₀) Δ`` — the neural quadratic model (see :class:`TaylorModel`)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__(model, order=2)
