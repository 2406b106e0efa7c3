"""Rosenblatt's perceptron (1958): a step-activation neuron and its mistake-driven learning rule.

Prediction ``ŷ = step(w·x + b)`` (1 if ``w·x + b ≥ 0``, else 0).  The step function has zero
derivative, so gradient descent gets no signal; Rosenblatt's rule instead corrects each mistake::

    w ← w + η (y − ŷ) x,     b ← b + η (y − ŷ)

(nothing changes when ``ŷ = y``).  One pass over the data is an epoch.

* **Separable data:** the perceptron convergence theorem (Novikoff 1962) guarantees an epoch with
  no mistakes after at most ``(R/γ)²`` updates, where ``R = max ‖(x, 1)‖`` and ``γ`` is the margin of
  any separating hyperplane ``(w*, b*)`` with ``‖(w*, b*)‖ = 1``.  Starting from zero weights the
  learning rate η only rescales ``(w, b)``, so the mistakes are the same for every η.
* **Non-separable data** (XOR, overlapping classes): some point is always misclassified, the weights
  cycle forever; :func:`train_perceptron` stops after ``max_epochs`` and reports ``converged=False``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from matnn.fundamentals._validation import as_features, as_targets, check_binary, check_positive
from matnn.fundamentals.activations import step

__all__ = ["train_perceptron", "PerceptronResult", "perceptron_predict", "novikoff_bound", "run_demo"]


@dataclass
class PerceptronResult:
    """Outcome of :func:`train_perceptron`.

    Attributes
    ----------
    weights : ndarray of shape (n_features,)
    bias : float
    converged : bool
        True if an epoch passed without a mistake (the data are separated).
    epochs : int
        Epochs run (including the final mistake-free one when converged).
    n_updates : int
        Total number of mistakes, i.e. weight updates.
    mistakes_per_epoch : ndarray of shape (epochs,)
    accuracy : float
        Training accuracy of the final weights.
    """

    weights: np.ndarray
    bias: float
    converged: bool
    epochs: int
    n_updates: int
    mistakes_per_epoch: np.ndarray = field(repr=False)
    accuracy: float = 0.0


def perceptron_predict(X: np.ndarray, weights: np.ndarray, bias: float) -> np.ndarray:
    """``step(X·w + b)``: labels 0/1 of shape ``(n_samples,)``."""
    X = as_features(X, owner="perceptron_predict")
    return step(X @ np.asarray(weights, dtype=float).reshape(-1) + bias)


def train_perceptron(
    X: np.ndarray,
    y: np.ndarray,
    *,
    learning_rate: float = 1.0,
    max_epochs: int = 100,
    shuffle: bool = True,
    seed: int = 0,
) -> PerceptronResult:
    """Train with Rosenblatt's rule, one sample at a time, until an epoch has no mistakes.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), labels 0 or 1
    learning_rate : float, default=1.0
        η in the update.
    max_epochs : int, default=100
        Give up after this many epochs (non-separable data never converge).
    shuffle : bool, default=True
        Visit the samples in a new random order each epoch.
    seed : int, default=0
        Seed of the shuffling.

    Returns
    -------
    PerceptronResult
    """
    X = as_features(X, owner="train_perceptron")
    y = as_targets(y, X.shape[0], owner="train_perceptron")
    check_binary(y, owner="train_perceptron")
    check_positive(learning_rate, owner="train_perceptron", name="learning_rate")
    check_positive(max_epochs, owner="train_perceptron", name="max_epochs", integer=True)
    rng = np.random.default_rng(seed)
    w = np.zeros(X.shape[1])
    b = 0.0
    mistakes: list[int] = []
    converged = False
    for _ in range(max_epochs):
        order = rng.permutation(len(y)) if shuffle else np.arange(len(y))
        n_wrong = 0
        for i in order:
            y_hat = 1.0 if X[i] @ w + b >= 0 else 0.0  # step activation
            error = y[i] - y_hat  # +1, 0 or −1
            if error != 0.0:
                w = w + learning_rate * error * X[i]
                b = b + learning_rate * error
                n_wrong += 1
        mistakes.append(n_wrong)
        if n_wrong == 0:
            converged = True
            break
    acc = float(np.mean(perceptron_predict(X, w, b) == y))
    return PerceptronResult(
        weights=w,
        bias=float(b),
        converged=converged,
        epochs=len(mistakes),
        n_updates=int(sum(mistakes)),
        mistakes_per_epoch=np.asarray(mistakes),
        accuracy=acc,
    )


def novikoff_bound(X: np.ndarray, y: np.ndarray, weights: np.ndarray, bias: float) -> float:
    """Upper bound ``(R/γ)²`` on the perceptron's updates, given any separating ``(w, b)``.

    ``R = max ‖(xᵢ, 1)‖`` and ``γ = min (2yᵢ − 1)(w·xᵢ + b) / ‖(w, b)‖``.  Returns ``inf`` if
    ``(w, b)`` does not separate the data (γ ≤ 0).
    """
    X = as_features(X, owner="novikoff_bound")
    y = as_targets(y, X.shape[0], owner="novikoff_bound")
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    theta = np.append(np.asarray(weights, dtype=float).reshape(-1), bias)
    gamma = float(np.min((2 * y - 1) * (A @ theta)) / np.linalg.norm(theta))
    if gamma <= 0:
        return float("inf")
    R = float(np.max(np.linalg.norm(A, axis=1)))
    return (R / gamma) ** 2


def run_demo(out_dir: str | Path, *, seed: int = 0, max_epochs: int = 100) -> dict[str, float]:
    """Train the perceptron on separable points (converges) and on XOR (does not).

    Writes ``perceptron.png`` (both data sets with the final boundary; mistakes per epoch) and
    ``metrics.json``.
    """
    from matnn.fundamentals import datasets
    from matnn.utils.io import write_metrics
    from matnn.utils.plotting import plt, save_figure

    out = Path(out_dir)
    Xs, ys, w_true, b_true = datasets.separable_with_margin(100, margin=0.05, seed=seed)
    sep = train_perceptron(Xs, ys, max_epochs=max_epochs, seed=seed)
    bound = novikoff_bound(Xs, ys, w_true, b_true)
    Xx, yx = datasets.xor()
    nonsep = train_perceptron(Xx, yx, max_epochs=max_epochs, seed=seed)
    metrics = {
        "separable_converged": sep.converged,
        "separable_epochs": sep.epochs,
        "separable_mistakes": sep.n_updates,
        "separable_novikoff_bound": bound,
        "separable_accuracy": sep.accuracy,
        "xor_converged": nonsep.converged,
        "xor_epochs": nonsep.epochs,
        "xor_mistakes": nonsep.n_updates,
        "xor_final_accuracy": nonsep.accuracy,
        "max_epochs": max_epochs,
    }

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))
    for ax, (X, y, res, title) in zip(
        axes[:2],
        (
            (Xs, ys, sep, f"Separable: converged after {sep.epochs} epochs, {sep.n_updates} mistakes"),
            (Xx, yx, nonsep, f"XOR: not converged after {nonsep.epochs} epochs (accuracy {nonsep.accuracy:.2f})"),
        ),
        strict=True,
    ):
        pad = 0.5 + 0.1 * np.ptp(X)
        x0 = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, 300)
        x1 = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, 300)
        G0, G1 = np.meshgrid(x0, x1)
        P = perceptron_predict(np.c_[G0.ravel(), G1.ravel()], res.weights, res.bias).reshape(G0.shape)
        ax.contourf(G0, G1, P, levels=[-0.5, 0.5, 1.5], colors=["tab:blue", "tab:red"], alpha=0.2)
        for label, marker, color in ((0, "o", "tab:blue"), (1, "^", "tab:red")):
            sel = y == label
            ax.scatter(
                X[sel, 0],
                X[sel, 1],
                marker=marker,
                c=color,
                s=40 if len(y) < 10 else 16,
                edgecolor="k",
                linewidth=0.4,
                label=f"class {label}",
            )
        ax.set(xlim=(x0[0], x0[-1]), ylim=(x1[0], x1[-1]), xlabel="x₁", ylabel="x₂")
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=8)
    ax = axes[2]
    ax.plot(np.arange(1, sep.epochs + 1), sep.mistakes_per_epoch, "o-", label="separable points")
    ax.plot(np.arange(1, nonsep.epochs + 1), nonsep.mistakes_per_epoch, "-", label="XOR")
    ax.set(xlabel="epoch", ylabel="mistakes (weight updates) in the epoch", title="Perceptron rule")
    ax.legend()
    save_figure(fig, out / "perceptron.png")
    write_metrics(out, metrics)
    return metrics
