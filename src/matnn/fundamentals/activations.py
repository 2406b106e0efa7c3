"""Activation functions and their derivatives, written out in NumPy.

An activation σ turns a neuron's weighted sum ``z = w·a + b`` into its output ``a = σ(z)``.  Back-
propagation needs its derivative σ′(z) (see :mod:`matnn.fundamentals.backprop`), so every function
here comes with one.  Derivatives at a kink (relu, leaky relu, elu at 0) follow PyTorch's
convention so the glass-box code agrees with autograd everywhere.

>>> import numpy as np
>>> from matnn.fundamentals.activations import get_activation
>>> f, df = get_activation("sigmoid")
>>> float(f(np.array(0.0))), float(df(np.array(0.0)))
(0.5, 0.25)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
from scipy.special import expit

from matnn.core.exceptions import ConfigError, unknown_name

__all__ = [
    "linear",
    "d_linear",
    "sigmoid",
    "d_sigmoid",
    "tanh",
    "d_tanh",
    "relu",
    "d_relu",
    "leaky_relu",
    "d_leaky_relu",
    "elu",
    "d_elu",
    "softplus",
    "d_softplus",
    "step",
    "d_step",
    "softmax",
    "softmax_jacobian",
    "get_activation",
    "ACTIVATIONS",
    "autograd_derivative",
    "autograd_softmax_jacobian",
    "run_demo",
]

Array = np.ndarray


def linear(z: Array) -> Array:
    """Identity, ``σ(z) = z`` (the output layer of a regression network)."""
    return np.asarray(z, dtype=float).copy()


def d_linear(z: Array) -> Array:
    return np.ones_like(np.asarray(z, dtype=float))


def sigmoid(z: Array) -> Array:
    """Logistic function ``1 / (1 + e^{-z})``, in (0, 1); evaluated without overflow (scipy's expit)."""
    return expit(np.asarray(z, dtype=float))


def d_sigmoid(z: Array) -> Array:
    """``σ(z)(1 − σ(z))``: at most 0.25 (at z = 0), so gradients shrink through stacked sigmoids."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z: Array) -> Array:
    """Hyperbolic tangent, in (−1, 1): a zero-centred, rescaled sigmoid, ``tanh z = 2σ(2z) − 1``."""
    return np.tanh(np.asarray(z, dtype=float))


def d_tanh(z: Array) -> Array:
    """``1 − tanh² z``: at most 1 (at z = 0)."""
    return 1.0 - np.tanh(np.asarray(z, dtype=float)) ** 2


def relu(z: Array) -> Array:
    """Rectified linear unit ``max(0, z)``."""
    return np.maximum(np.asarray(z, dtype=float), 0.0)


def d_relu(z: Array) -> Array:
    """1 for z > 0, else 0 (0 at z = 0, as PyTorch)."""
    return (np.asarray(z, dtype=float) > 0).astype(float)


def leaky_relu(z: Array, alpha: float = 0.01) -> Array:
    """``z`` for z > 0, ``alpha·z`` otherwise: a small slope keeps 'dead' units trainable."""
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, alpha * z)


def d_leaky_relu(z: Array, alpha: float = 0.01) -> Array:
    """1 for z > 0, ``alpha`` otherwise (``alpha`` at z = 0, as PyTorch)."""
    return np.where(np.asarray(z, dtype=float) > 0, 1.0, alpha)


def elu(z: Array, alpha: float = 1.0) -> Array:
    """Exponential linear unit: ``z`` for z > 0, ``alpha·(e^z − 1)`` otherwise (smooth for alpha = 1)."""
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def d_elu(z: Array, alpha: float = 1.0) -> Array:
    """1 for z > 0, ``alpha·e^z`` otherwise (``alpha`` at z = 0, as PyTorch)."""
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))


def softplus(z: Array) -> Array:
    """``log(1 + e^z)``, a smooth relu; evaluated as ``logaddexp(0, z)`` to avoid overflow."""
    return np.logaddexp(0.0, np.asarray(z, dtype=float))


def d_softplus(z: Array) -> Array:
    """The derivative of softplus is the sigmoid."""
    return sigmoid(z)


def step(z: Array) -> Array:
    """Heaviside step, 1 for z ≥ 0 and 0 otherwise: the perceptron's activation."""
    return (np.asarray(z, dtype=float) >= 0).astype(float)


def d_step(z: Array) -> Array:
    """0 everywhere (undefined at 0): gradient descent gets no signal through a step, hence the
    perceptron's own learning rule and, later, smooth activations."""
    return np.zeros_like(np.asarray(z, dtype=float))


def softmax(z: Array, temperature: float = 1.0, axis: int = -1) -> Array:
    """``softmax(z / T)``: turns scores into probabilities along ``axis``.

    A low temperature ``T`` sharpens the distribution towards the arg-max (T → 0: one-hot); a high
    one flattens it towards uniform (T → ∞).

    Parameters
    ----------
    z : ndarray of shape (..., n_classes)
        Scores (logits).
    temperature : float, default=1.0
        Positive temperature ``T``.
    axis : int, default=-1
        Axis holding the classes.

    Returns
    -------
    ndarray, same shape as ``z``; sums to 1 along ``axis``.
    """
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating)) or not temperature > 0:
        raise ConfigError(
            f"The 'temperature' parameter of softmax must be a positive number. Got {temperature!r} instead."
        )
    u = np.asarray(z, dtype=float) / temperature
    u = u - u.max(axis=axis, keepdims=True)  # shift for stability: softmax is shift-invariant
    e = np.exp(u)
    return e / e.sum(axis=axis, keepdims=True)


def softmax_jacobian(z: Array, temperature: float = 1.0) -> Array:
    """Jacobian ``∂s_i/∂z_j = s_i (δ_ij − s_j) / T`` of :func:`softmax` for one score vector.

    Parameters
    ----------
    z : ndarray of shape (n_classes,)

    Returns
    -------
    ndarray of shape (n_classes, n_classes)
    """
    s = softmax(np.asarray(z, dtype=float).ravel(), temperature)
    return (np.diag(s) - np.outer(s, s)) / temperature


#: Element-wise activations: name → (function, derivative).  Softmax is not element-wise and is
#: kept apart (:func:`softmax`, :func:`softmax_jacobian`).
ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array], Array]]] = {
    "linear": (linear, d_linear),
    "sigmoid": (sigmoid, d_sigmoid),
    "tanh": (tanh, d_tanh),
    "relu": (relu, d_relu),
    "leaky_relu": (leaky_relu, d_leaky_relu),
    "elu": (elu, d_elu),
    "softplus": (softplus, d_softplus),
    "step": (step, d_step),
}


def get_activation(name: str, **params: float) -> tuple[Callable[[Array], Array], Callable[[Array], Array]]:
    """Return ``(σ, σ′)`` for an element-wise activation name ('relu', 'leaky_relu', ...).

    ``params`` (``alpha=`` for leaky_relu and elu) are bound to both functions.
    """
    key = str(name).lower().replace("-", "_").replace(" ", "_")
    if key not in ACTIVATIONS:
        raise unknown_name("activation", name, ACTIVATIONS)
    f, df = ACTIVATIONS[key]
    if params:
        if key not in {"leaky_relu", "elu"} or set(params) != {"alpha"}:
            raise ConfigError(
                f"Activation {key!r} takes no parameters {sorted(params)}; only leaky_relu and elu take 'alpha'."
            )
        f, df = partial(f, **params), partial(df, **params)
    return f, df


def autograd_derivative(name: str, z: np.ndarray) -> np.ndarray:
    """σ′(z) computed by PyTorch autograd in float64 (the reference for the hand-written derivatives).

    'step' has no autograd derivative (PyTorch's ``heaviside`` is not differentiable); a central
    finite difference with h = 1e-6 is returned instead (0 away from z = 0).
    """
    import torch
    import torch.nn.functional as F

    key = str(name).lower().replace("-", "_")
    torch_fns = {
        "linear": lambda t: t,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": lambda t: F.leaky_relu(t, 0.01),
        "elu": lambda t: F.elu(t, 1.0),
        "softplus": F.softplus,
    }
    z = np.asarray(z, dtype=float)
    if key == "step":
        h = 1e-6
        return (step(z + h) - step(z - h)) / (2 * h)
    if key not in torch_fns:
        raise unknown_name("activation", name, [*torch_fns, "step"])
    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    torch_fns[key](t).sum().backward()  # element-wise: the gradient of the sum is σ′ at each point
    return t.grad.numpy()


def autograd_softmax_jacobian(z: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Jacobian of ``softmax(z / T)`` by PyTorch autograd (float64), shape (n_classes, n_classes)."""
    import torch

    t = torch.tensor(np.asarray(z, dtype=float).ravel(), dtype=torch.float64)
    return torch.autograd.functional.jacobian(lambda v: torch.softmax(v / temperature, dim=0), t).numpy()


def run_demo(out_dir, *, seed: int = 0, temperatures: tuple[float, ...] = (0.25, 1.0, 4.0)) -> dict[str, float]:
    """Plot every activation with its derivative, softmax at several temperatures, and check every
    hand-written derivative against autograd.

    Writes ``activations.png`` and ``metrics.json`` into ``out_dir``.  ``seed`` draws the softmax
    scores.
    """
    from pathlib import Path

    from matnn.utils.io import write_metrics
    from matnn.utils.plotting import plt, save_figure

    out = Path(out_dir)
    z = np.linspace(-4.0, 4.0, 801)  # includes z = 0, where the kinks are
    metrics: dict[str, float] = {}
    fig, axes = plt.subplots(3, 3, figsize=(12, 10))
    for ax, (name, (f, df)) in zip(axes.ravel(), ACTIVATIONS.items(), strict=False):
        d = df(z)
        if name == "step":  # no autograd derivative: compare with finite differences away from the jump
            away = np.abs(z) > 1e-3
            metrics["step_max_abs_derivative_error_vs_finite_difference"] = float(
                np.max(np.abs(d[away] - autograd_derivative(name, z[away])))
            )
        else:
            metrics[f"{name}_max_abs_derivative_error_vs_autograd"] = float(
                np.max(np.abs(d - autograd_derivative(name, z)))
            )
        metrics[f"{name}_max_derivative"] = float(d.max())
        ax.plot(z, f(z), "b-", lw=2, label="σ(z)")
        ax.plot(z, d, "r--", lw=1.5, label="σ′(z)")
        ax.axhline(0, color="gray", lw=0.5)
        ax.axvline(0, color="gray", lw=0.5)
        ax.set_title(name)
        ax.set_xlabel("z")
        ax.legend(fontsize=8, loc="upper left")
    ax = axes.ravel()[len(ACTIVATIONS)]
    rng = np.random.default_rng(seed)
    scores = np.sort(rng.normal(0.0, 1.5, 6))[::-1]
    width = 0.8 / len(temperatures)
    for i, T in enumerate(temperatures):
        p = softmax(scores, temperature=T)
        ax.bar(np.arange(len(scores)) + (i - (len(temperatures) - 1) / 2) * width, p, width, label=f"T = {T:g}")
        metrics[f"softmax_T{T:g}_max_probability"] = float(p.max())
        metrics[f"softmax_T{T:g}_jacobian_error_vs_autograd"] = float(
            np.max(np.abs(softmax_jacobian(scores, T) - autograd_softmax_jacobian(scores, T)))
        )
    ax.set(xlabel="class (scores sorted)", ylabel="probability", title="softmax(z / T)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, out / "activations.png")
    write_metrics(out, metrics)
    return metrics
