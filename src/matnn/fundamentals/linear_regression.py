"""Linear regression two ways: the closed form and gradient descent on the mean squared error.

Model ``ŷ = X·w + b``; cost ``MSE(w, b) = (1/n) Σᵢ (ŷᵢ − yᵢ)²``.

* **Closed form, one feature:** setting ∂MSE/∂m = ∂MSE/∂b = 0 gives ``m = Cov[x, y] / Var[x]`` and
  ``b = ȳ − m·x̄`` (:func:`fit_closed_form_1d`).
* **Closed form, several features:** with ``A = [X, 1]`` and ``θ = [w, b]`` the same conditions are the
  *normal equations* ``AᵀA θ = Aᵀy`` (:func:`fit_normal_equations`).
* **Gradient descent:** start at θ = 0 and repeat ``θ ← θ − η·∇MSE`` with
  ``∇MSE = (2/n)·Aᵀ(Aθ − y)`` (:func:`fit_gradient_descent`).  MSE is a convex quadratic whose
  Hessian is ``H = (2/n)·AᵀA``: any step ``η < 2/λ_max(H)`` converges to the closed-form answer, larger
  ones diverge.

Both routes give the same numbers (to ~1e-6 here, limited only by the stopping tolerance), which is
the point of the demo: the "training" of a neural network is this same loop on a non-convex cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from matnn.core.exceptions import DataError, DivergenceError
from matnn.fundamentals._validation import as_features, as_targets, check_positive

__all__ = [
    "fit_closed_form_1d",
    "fit_normal_equations",
    "fit_gradient_descent",
    "mse",
    "GradientDescentResult",
    "run_demo",
]


def mse(X: np.ndarray, y: np.ndarray, weights: np.ndarray, bias: float) -> float:
    """Mean squared error of ``X·weights + bias`` against ``y``."""
    X = as_features(X, owner="mse")
    y = as_targets(y, X.shape[0], owner="mse")
    r = X @ np.asarray(weights, dtype=float).reshape(-1) + bias - y
    return float(np.mean(r * r))


def fit_closed_form_1d(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares line through ``(x, y)``: ``m = Cov[x, y] / Var[x]``, ``b = ȳ − m·x̄``.

    Parameters
    ----------
    x, y : ndarray of shape (n_samples,)

    Returns
    -------
    slope, intercept : float

    Raises
    ------
    DataError
        If all ``x`` are equal (Var[x] = 0: the slope is undetermined).
    """
    X = as_features(x, owner="fit_closed_form_1d", name="x")
    if X.shape[1] != 1:
        raise DataError(
            f"fit_closed_form_1d takes one feature; x has {X.shape[1]}. Use fit_normal_equations for several."
        )
    x1 = X[:, 0]
    y = as_targets(y, x1.shape[0], owner="fit_closed_form_1d")
    x_mean, y_mean = x1.mean(), y.mean()
    var_x = np.mean((x1 - x_mean) ** 2)
    if not var_x > 0:
        raise DataError("fit_closed_form_1d: all x values are equal (Var[x] = 0), so the slope is undetermined.")
    cov_xy = np.mean((x1 - x_mean) * (y - y_mean))
    slope = cov_xy / var_x
    return float(slope), float(y_mean - slope * x_mean)


def _design(X: np.ndarray) -> np.ndarray:
    """``A = [X, 1]``: a column of ones carries the intercept."""
    return np.hstack([X, np.ones((X.shape[0], 1))])


def fit_normal_equations(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Solve the normal equations ``AᵀA θ = Aᵀy`` with ``A = [X, 1]``, ``θ = [w, b]``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or (n_samples,)
    y : ndarray of shape (n_samples,)

    Returns
    -------
    weights : ndarray of shape (n_features,)
    bias : float

    Raises
    ------
    DataError
        If ``AᵀA`` is singular (fewer samples than parameters, a constant or duplicated feature).
    """
    X = as_features(X, owner="fit_normal_equations")
    y = as_targets(y, X.shape[0], owner="fit_normal_equations")
    A = _design(X)
    gram = A.T @ A
    rank = np.linalg.matrix_rank(gram)
    if rank < gram.shape[0]:
        raise DataError(
            f"fit_normal_equations: AᵀA is singular (rank {rank} < {gram.shape[0]} parameters): "
            f"{X.shape[0]} samples, {X.shape[1]} features; a feature is constant or a combination of others, "
            "or there are fewer samples than parameters."
        )
    theta = np.linalg.solve(gram, A.T @ y)
    return theta[:-1], float(theta[-1])


@dataclass
class GradientDescentResult:
    """Outcome of :func:`fit_gradient_descent`.

    Attributes
    ----------
    weights : ndarray of shape (n_features,)
    bias : float
    learning_rate : float
        The step size used.
    epochs : int
        Number of update steps taken.
    converged : bool
        True if the gradient norm fell below ``tol`` before ``max_epochs``.
    loss_history : ndarray of shape (epochs + 1,)
        MSE before each step and after the last one.
    path : ndarray of shape (epochs + 1, n_features + 1)
        ``[w, b]`` at each step (for plotting the descent on the cost surface).
    """

    weights: np.ndarray
    bias: float
    learning_rate: float
    epochs: int
    converged: bool
    loss_history: np.ndarray = field(repr=False)
    path: np.ndarray = field(repr=False)


def fit_gradient_descent(
    X: np.ndarray,
    y: np.ndarray,
    *,
    learning_rate: float | None = None,
    max_epochs: int = 100_000,
    tol: float = 1e-10,
) -> GradientDescentResult:
    """Full-batch gradient descent on the MSE, from ``w = 0, b = 0``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or (n_samples,)
    y : ndarray of shape (n_samples,)
    learning_rate : float, optional
        Step size η.  Default ``1/λ_max(H)`` with ``H = (2/n)AᵀA`` the Hessian of the MSE, the
        largest step that is safe for every direction (η ≥ 2/λ_max diverges).
    max_epochs : int, default=100000
        Upper bound on the number of steps.
    tol : float, default=1e-10
        Stop when the Euclidean norm of the gradient falls below this.

    Returns
    -------
    GradientDescentResult

    Raises
    ------
    DivergenceError
        If the loss becomes non-finite (step too large); the message gives the safe bound.
    """
    X = as_features(X, owner="fit_gradient_descent")
    y = as_targets(y, X.shape[0], owner="fit_gradient_descent")
    check_positive(max_epochs, owner="fit_gradient_descent", name="max_epochs", integer=True)
    check_positive(tol, owner="fit_gradient_descent", name="tol")
    A = _design(X)
    n = A.shape[0]
    lam_max = float(np.linalg.eigvalsh(2.0 / n * A.T @ A)[-1])
    if learning_rate is None:
        learning_rate = 1.0 / lam_max
    check_positive(learning_rate, owner="fit_gradient_descent", name="learning_rate")

    theta = np.zeros(A.shape[1])
    losses = np.empty(max_epochs + 1)
    path = np.empty((max_epochs + 1, A.shape[1]))
    converged = False
    epoch = 0
    with np.errstate(over="ignore", invalid="ignore"):  # a too-large step overflows; caught below
        for epoch in range(max_epochs + 1):
            residual = A @ theta - y  # ŷ − y, shape (n,)
            losses[epoch] = residual @ residual / n  # MSE
            path[epoch] = theta
            if not np.isfinite(losses[epoch]):
                raise DivergenceError(
                    f"fit_gradient_descent diverged at step {epoch}: learning_rate={learning_rate:g} is too large; "
                    f"steps must be below 2/λ_max = {2.0 / lam_max:g} for these data.",
                    epoch=epoch,
                )
            grad = 2.0 / n * (A.T @ residual)  # ∇MSE = (2/n) Aᵀ(Aθ − y)
            if np.linalg.norm(grad) < tol:
                converged = True
                break
            if epoch < max_epochs:
                theta = theta - learning_rate * grad
    return GradientDescentResult(
        weights=theta[:-1].copy(),
        bias=float(theta[-1]),
        learning_rate=float(learning_rate),
        epochs=epoch,
        converged=converged,
        loss_history=losses[: epoch + 1].copy(),
        path=path[: epoch + 1].copy(),
    )


def run_demo(out_dir: str | Path, *, seed: int = 0, n_samples: int = 100) -> dict[str, float]:
    """Fit a noisy line by closed form and by gradient descent; plot both and the descent path.

    Writes ``linear_regression.png`` (data and fits; MSE surface with the descent path; loss per
    step) and ``metrics.json`` into ``out_dir``.  Also checks the normal equations on a 3-feature
    problem and against scikit-learn's ``LinearRegression``.

    Returns
    -------
    dict
        Flat metrics (slopes, intercepts, their differences, MSEs, steps).
    """
    from sklearn.linear_model import LinearRegression

    from matnn.fundamentals import datasets
    from matnn.utils.io import write_metrics
    from matnn.utils.plotting import plt, save_figure

    out = Path(out_dir)
    x, y = datasets.noisy_line(n_samples, seed=seed)
    m_cf, b_cf = fit_closed_form_1d(x, y)
    gd = fit_gradient_descent(x, y)
    sk = LinearRegression().fit(x[:, None], y)

    Xp, yp, w_true, b_true = datasets.noisy_plane(200, 3, seed=seed)
    w_ne, b_ne = fit_normal_equations(Xp, yp)
    gd_p = fit_gradient_descent(Xp, yp)
    sk_p = LinearRegression().fit(Xp, yp)

    metrics = {
        "n_samples": n_samples,
        "slope_closed_form": m_cf,
        "intercept_closed_form": b_cf,
        "slope_gradient_descent": float(gd.weights[0]),
        "intercept_gradient_descent": gd.bias,
        "abs_diff_slope": abs(m_cf - float(gd.weights[0])),
        "abs_diff_intercept": abs(b_cf - gd.bias),
        "abs_diff_slope_vs_sklearn": abs(m_cf - float(sk.coef_[0])),
        "mse_closed_form": mse(x, y, np.array([m_cf]), b_cf),
        "mse_gradient_descent": mse(x, y, gd.weights, gd.bias),
        "gd_steps": gd.epochs,
        "gd_converged": gd.converged,
        "gd_learning_rate": gd.learning_rate,
        "multi_n_features": Xp.shape[1],
        "multi_max_abs_diff_normal_eq_vs_gd": float(np.max(np.abs(np.append(w_ne - gd_p.weights, b_ne - gd_p.bias)))),
        "multi_max_abs_diff_normal_eq_vs_sklearn": float(
            np.max(np.abs(np.append(w_ne - sk_p.coef_, b_ne - sk_p.intercept_)))
        ),
        "multi_max_abs_error_vs_true_weights": float(np.max(np.abs(w_ne - w_true))),
        "multi_gd_steps": gd_p.epochs,
    }

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))
    ax = axes[0]
    grid = np.linspace(x.min(), x.max(), 50)
    ax.scatter(x, y, s=12, alpha=0.6, label="data")
    ax.plot(grid, m_cf * grid + b_cf, "k-", lw=3, alpha=0.5, label=f"closed form: y = {m_cf:.4f}x {b_cf:+.4f}")
    ax.plot(
        grid,
        gd.weights[0] * grid + gd.bias,
        "r--",
        lw=1.5,
        label=f"gradient descent: y = {gd.weights[0]:.4f}x {gd.bias:+.4f}",
    )
    ax.set(xlabel="x", ylabel="y", title="Two routes, one line")
    ax.legend(fontsize=8)

    ax = axes[1]
    path = gd.path
    ms = np.linspace(min(path[:, 0].min(), m_cf) - 1.0, max(path[:, 0].max(), m_cf) + 1.0, 120)
    bs = np.linspace(min(path[:, 1].min(), b_cf) - 2.0, max(path[:, 1].max(), b_cf) + 2.0, 120)
    M, B = np.meshgrid(ms, bs)
    R = M[..., None] * x + B[..., None] - y  # residuals on the (m, b) grid, shape (120, 120, n)
    L = np.mean(R * R, axis=-1)
    cs = ax.contour(M, B, L, levels=np.geomspace(L.min() + 1e-3, L.max(), 15), cmap="viridis", linewidths=0.8)
    ax.clabel(cs, fontsize=6, fmt="%.2g")
    ax.plot(path[:, 0], path[:, 1], "r.-", ms=3, lw=0.8, label=f"gradient descent ({gd.epochs} steps)")
    ax.plot(m_cf, b_cf, "k*", ms=12, label="closed-form minimum")
    ax.set(xlabel="slope m", ylabel="intercept b", title="MSE surface and the descent path")
    ax.legend(fontsize=8)

    ax = axes[2]
    ax.semilogy(np.maximum(gd.loss_history - metrics["mse_closed_form"], 1e-16))
    ax.set(xlabel="gradient-descent step", ylabel="MSE − minimum MSE", title="Convergence")

    save_figure(fig, out / "linear_regression.png")
    write_metrics(out, metrics)
    return metrics
