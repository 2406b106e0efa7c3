"""Logistic regression: a single sigmoid neuron trained by gradient descent on the log loss.

Model ``p = σ(z)``, ``z = X·w + b``, read as the probability of class 1.  Cost (log loss, binary
cross-entropy), averaged over the ``n`` samples::

    C(w, b) = −(1/n) Σᵢ [ yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ) ]

Because σ′ = σ(1 − σ), the chain rule collapses to a gradient of the same form as linear
regression's: ``∂C/∂z_i = (pᵢ − yᵢ)/n``, so ``∇_w C = (1/n) Xᵀ(p − y)`` and ``∂C/∂b = (1/n) Σᵢ (pᵢ − yᵢ)``.
The decision boundary ``p = 0.5`` is the straight line (hyperplane) ``X·w + b = 0``.

There is no closed form; the cost is convex, so gradient descent reaches the one minimum — when one
exists.  On linearly separable data the log loss keeps falling as ``|w|`` grows and the unregularised
optimum is at infinity; :func:`fit_logistic_gd` then stops at ``max_epochs`` with growing weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from matnn.core.exceptions import DivergenceError
from matnn.fundamentals._validation import as_features, as_targets, check_binary, check_positive
from matnn.fundamentals.activations import sigmoid

__all__ = ["log_loss", "fit_logistic_gd", "predict_proba", "LogisticResult", "sklearn_unregularised", "run_demo"]


def log_loss(y: np.ndarray, z: np.ndarray) -> float:
    """Mean binary log loss from the *logits* ``z`` (``p = σ(z)``).

    Written as ``softplus(z) − y·z``, which equals ``−[y log p + (1 − y) log(1 − p)]`` but never takes
    the log of 0 (a confident wrong prediction costs a large finite amount, not inf).
    """
    z = np.asarray(z, dtype=float)
    y = np.asarray(y, dtype=float)
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def predict_proba(X: np.ndarray, weights: np.ndarray, bias: float) -> np.ndarray:
    """``σ(X·w + b)``, shape ``(n_samples,)``."""
    X = as_features(X, owner="predict_proba")
    return sigmoid(X @ np.asarray(weights, dtype=float).reshape(-1) + bias)


@dataclass
class LogisticResult:
    """Outcome of :func:`fit_logistic_gd`.

    Attributes
    ----------
    weights : ndarray of shape (n_features,)
    bias : float
    epochs : int
        Gradient steps taken.
    converged : bool
        True if the gradient norm fell below ``tol``.
    loss_history : ndarray of shape (epochs + 1,)
        Log loss before each step and after the last.
    """

    weights: np.ndarray
    bias: float
    learning_rate: float
    epochs: int
    converged: bool
    loss_history: np.ndarray = field(repr=False)


def fit_logistic_gd(
    X: np.ndarray,
    y: np.ndarray,
    *,
    learning_rate: float | None = None,
    max_epochs: int = 50_000,
    tol: float = 1e-9,
) -> LogisticResult:
    """Full-batch gradient descent on the mean log loss, from ``w = 0, b = 0``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), labels 0 or 1
    learning_rate : float, optional
        Step size.  Default ``1/L`` with ``L = λ_max(AᵀA)/(4n)``, ``A = [X, 1]``: σ′ ≤ 1/4 bounds the
        Hessian of the log loss by ``AᵀA/(4n)``, so this step always decreases the cost.
    max_epochs : int, default=50000
    tol : float, default=1e-9
        Stop when the gradient norm falls below this.

    Returns
    -------
    LogisticResult
    """
    X = as_features(X, owner="fit_logistic_gd")
    y = as_targets(y, X.shape[0], owner="fit_logistic_gd")
    check_binary(y, owner="fit_logistic_gd")
    check_positive(max_epochs, owner="fit_logistic_gd", name="max_epochs", integer=True)
    check_positive(tol, owner="fit_logistic_gd", name="tol")
    n = X.shape[0]
    A = np.hstack([X, np.ones((n, 1))])
    if learning_rate is None:
        learning_rate = 4.0 * n / float(np.linalg.eigvalsh(A.T @ A)[-1])
    check_positive(learning_rate, owner="fit_logistic_gd", name="learning_rate")

    theta = np.zeros(A.shape[1])
    losses = np.empty(max_epochs + 1)
    converged = False
    epoch = 0
    for epoch in range(max_epochs + 1):
        z = A @ theta  # logits, shape (n,)
        losses[epoch] = log_loss(y, z)
        if not np.isfinite(losses[epoch]):
            raise DivergenceError(
                f"fit_logistic_gd diverged at step {epoch} (learning_rate={learning_rate:g}).", epoch=epoch
            )
        p = sigmoid(z)  # predicted probability of class 1
        grad = A.T @ (p - y) / n  # ∇C = (1/n) Aᵀ(p − y)
        if np.linalg.norm(grad) < tol:
            converged = True
            break
        if epoch < max_epochs:
            theta = theta - learning_rate * grad
    return LogisticResult(
        weights=theta[:-1].copy(),
        bias=float(theta[-1]),
        learning_rate=float(learning_rate),
        epochs=epoch,
        converged=converged,
        loss_history=losses[: epoch + 1].copy(),
    )


def sklearn_unregularised(X: np.ndarray, y: np.ndarray):
    """scikit-learn's ``LogisticRegression`` without penalty, solved tightly (the reference)."""
    import sklearn
    from sklearn.linear_model import LogisticRegression

    major, minor = (int(v) for v in sklearn.__version__.split(".")[:2])
    # 'penalty' is deprecated from 1.8 on; C = inf means "no penalty" there.
    kw = {"C": np.inf} if (major, minor) >= (1, 8) else {"penalty": None}
    return LogisticRegression(tol=1e-12, max_iter=10_000, **kw).fit(X, y)


def run_demo(out_dir: str | Path, *, seed: int = 0, n_samples: int = 200, separation: float = 2.0) -> dict[str, float]:
    """Classify two overlapping clouds with a glass-box logistic regression; compare to scikit-learn.

    Writes ``logistic_regression.png`` (probability map with both decision boundaries; log loss per
    step) and ``metrics.json``.
    """
    from matnn.fundamentals import datasets
    from matnn.utils.io import write_metrics
    from matnn.utils.plotting import plt, save_figure

    out = Path(out_dir)
    X, y = datasets.two_blobs(n_samples, separation=separation, seed=seed)
    res = fit_logistic_gd(X, y)
    sk = sklearn_unregularised(X, y)
    p = predict_proba(X, res.weights, res.bias)
    coef_diff = np.append(res.weights - sk.coef_[0], res.bias - sk.intercept_[0])
    metrics = {
        "n_samples": n_samples,
        "weight_0": float(res.weights[0]),
        "weight_1": float(res.weights[1]),
        "bias": res.bias,
        "sklearn_weight_0": float(sk.coef_[0, 0]),
        "sklearn_weight_1": float(sk.coef_[0, 1]),
        "sklearn_bias": float(sk.intercept_[0]),
        "max_abs_diff_vs_sklearn": float(np.max(np.abs(coef_diff))),
        "log_loss": log_loss(y, X @ res.weights + res.bias),
        "log_loss_sklearn": log_loss(y, sk.decision_function(X)),
        "train_accuracy": float(np.mean((p >= 0.5) == (y == 1))),
        "gd_steps": res.epochs,
        "gd_converged": res.converged,
    }

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    ax = axes[0]
    pad = 1.0
    x0 = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, 200)
    x1 = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, 200)
    G0, G1 = np.meshgrid(x0, x1)
    P = predict_proba(np.c_[G0.ravel(), G1.ravel()], res.weights, res.bias).reshape(G0.shape)
    im = ax.contourf(G0, G1, P, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.5)
    fig.colorbar(im, ax=ax, label="p(class 1)")
    ax.contour(G0, G1, P, levels=[0.5], colors="k", linewidths=2.5)
    # sklearn's boundary w·x + b = 0, drawn as a line for comparison.
    w, b = sk.coef_[0], sk.intercept_[0]
    ax.plot(x0, -(w[0] * x0 + b) / w[1], "y--", lw=1.5, label="scikit-learn boundary")
    ax.plot([], [], "k-", lw=2.5, label="glass-box boundary (p = 0.5)")
    for label, marker in ((0, "o"), (1, "^")):
        sel = y == label
        ax.scatter(
            X[sel, 0],
            X[sel, 1],
            marker=marker,
            s=16,
            edgecolor="k",
            linewidth=0.4,
            c="tab:blue" if label == 0 else "tab:red",
            label=f"class {label}",
        )
    ax.set(
        xlim=(x0[0], x0[-1]),
        ylim=(x1[0], x1[-1]),
        xlabel="x₁",
        ylabel="x₂",
        title=f"Logistic regression (accuracy {metrics['train_accuracy']:.2f})",
    )
    ax.legend(fontsize=8, loc="upper left")

    ax = axes[1]
    ax.semilogx(np.arange(1, len(res.loss_history) + 1), res.loss_history)
    ax.axhline(metrics["log_loss_sklearn"], color="y", ls="--", label="scikit-learn optimum")
    ax.set(xlabel="gradient-descent step", ylabel="log loss", title="Training")
    ax.legend()
    save_figure(fig, out / "logistic_regression.png")
    write_metrics(out, metrics)
    return metrics
