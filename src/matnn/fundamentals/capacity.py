"""Underfitting and overfitting: training and validation error as a model's capacity grows.

Two families on the same noisy 1-D data, ``y = sin(2πx) + noise`` with few training points:

* **Polynomials of degree 0 … 15**, fitted by least squares (a Legendre basis keeps high degrees
  well conditioned).  The models are nested — degree d+1 can copy degree d — so the training error
  can only fall as the degree grows.  The validation error (fresh points from the same source) first
  falls (the model becomes able to bend like a sine: less *underfitting*) and then rises (it starts to
  follow the noise of the particular training points: *overfitting*): the U-shaped curve.
* **One-hidden-layer tanh networks of growing width**, built with ``matnn.Sequential`` and ``Dense``
  and trained with ``compile``/``fit`` (Adam, full batch, fixed number of epochs).

Each curve is averaged over several independent training sets (``repeats``), so what is plotted is
mean ± standard deviation, not the luck of one draw.  The best capacity is chosen on validation data
only; a separate test set would be needed to report the chosen model's error honestly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matnn.core.exceptions import ConfigError
from matnn.fundamentals._validation import as_features, as_targets, check_positive

__all__ = [
    "CapacityCurve",
    "polynomial_fit_errors",
    "polynomial_capacity",
    "network_capacity",
    "network_training_curve",
    "run_demo",
]


@dataclass
class CapacityCurve:
    """Train/validation MSE per capacity value, over ``repeats`` independent training sets.

    Attributes
    ----------
    capacity : ndarray of shape (n_capacities,)
        Polynomial degree or network width.
    train_mse, val_mse : ndarray of shape (repeats, n_capacities)
    """

    capacity: np.ndarray
    train_mse: np.ndarray
    val_mse: np.ndarray

    @property
    def best_index(self) -> int:
        """Index of the lowest mean validation error."""
        return int(np.argmin(self.val_mse.mean(axis=0)))

    @property
    def best_capacity(self) -> int:
        return int(self.capacity[self.best_index])

    def is_u_shaped(self, ratio: float = 1.2) -> bool:
        """True if the mean validation error at both ends is at least ``ratio`` × its minimum."""
        v = self.val_mse.mean(axis=0)
        return bool(v[0] >= ratio * v.min() and v[-1] >= ratio * v.min() and 0 < self.best_index < len(v) - 1)


def polynomial_fit_errors(
    x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, degrees: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares polynomial of each degree; MSE on the training and the validation points.

    Parameters
    ----------
    x_train, y_train : ndarray of shape (n_train,)
    x_val, y_val : ndarray of shape (n_val,)
    degrees : sequence of int
        Each must be < n_train (otherwise the least-squares problem is underdetermined).

    Returns
    -------
    train_mse, val_mse : ndarray of shape (len(degrees),)
    """
    xt = as_features(x_train, owner="polynomial_fit_errors", name="x_train")[:, 0]
    yt = as_targets(y_train, len(xt), owner="polynomial_fit_errors", name="y_train")
    xv = as_features(x_val, owner="polynomial_fit_errors", name="x_val")[:, 0]
    yv = as_targets(y_val, len(xv), owner="polynomial_fit_errors", name="y_val")
    bad = [d for d in degrees if not isinstance(d, (int, np.integer)) or d < 0 or d >= len(xt)]
    if bad:
        raise ConfigError(
            f"polynomial_fit_errors: degrees must be integers in [0, n_train - 1] = [0, {len(xt) - 1}]. Got {bad}."
        )
    domain = [min(xt.min(), xv.min()), max(xt.max(), xv.max())]
    tr, va = [], []
    for d in degrees:
        p = np.polynomial.Legendre.fit(xt, yt, int(d), domain=domain)
        tr.append(np.mean((p(xt) - yt) ** 2))
        va.append(np.mean((p(xv) - yv) ** 2))
    return np.asarray(tr), np.asarray(va)


def _draws(seed: int, repeats: int, n_train: int, n_val: int, noise: float):
    from matnn.fundamentals.datasets import noisy_sine

    x_val, y_val = noisy_sine(n_val, noise=noise, seed=seed + 10_000)
    for r in range(repeats):
        x_tr, y_tr = noisy_sine(n_train, noise=noise, seed=seed + r)
        yield r, x_tr, y_tr, x_val, y_val


def polynomial_capacity(
    *,
    degrees: Sequence[int] = tuple(range(16)),
    n_train: int = 20,
    n_val: int = 200,
    noise: float = 0.25,
    repeats: int = 20,
    seed: int = 0,
) -> CapacityCurve:
    """Train/validation MSE of polynomials of each degree over ``repeats`` training sets of ``n_train`` points."""
    check_positive(repeats, owner="polynomial_capacity", name="repeats", integer=True)
    train = np.empty((repeats, len(degrees)))
    val = np.empty((repeats, len(degrees)))
    for r, x_tr, y_tr, x_val, y_val in _draws(seed, repeats, n_train, n_val, noise):
        train[r], val[r] = polynomial_fit_errors(x_tr, y_tr, x_val, y_val, degrees)
    return CapacityCurve(np.asarray(degrees), train, val)


def network_capacity(
    *,
    widths: Sequence[int] = (1, 2, 4, 16, 64, 256),
    n_train: int = 20,
    n_val: int = 200,
    noise: float = 0.25,
    repeats: int = 3,
    epochs: int = 1000,
    learning_rate: float = 0.01,
    seed: int = 0,
    device: str | None = None,
    show_progress: bool = True,
) -> CapacityCurve:
    """Train/validation MSE of ``Dense(width, tanh) → Dense(1)`` networks (matnn ``compile``/``fit``).

    Each network is trained full-batch with Adam for ``epochs`` epochs (no early stopping, so the
    curve shows what capacity alone does).
    """
    import matnn
    from matnn.layers import Dense, Normalization
    from matnn.utils.progress import progress

    check_positive(repeats, owner="network_capacity", name="repeats", integer=True)
    check_positive(epochs, owner="network_capacity", name="epochs", integer=True)
    train = np.empty((repeats, len(widths)))
    val = np.empty((repeats, len(widths)))
    jobs = [
        (r, x_tr, y_tr, x_val, y_val) for r, x_tr, y_tr, x_val, y_val in _draws(seed, repeats, n_train, n_val, noise)
    ]
    bar = progress(total=len(jobs) * len(widths), desc="capacity: networks", enabled=show_progress)
    for r, x_tr, y_tr, x_val, y_val in jobs:
        for j, width in enumerate(widths):
            matnn.set_seed(seed + 1000 * r + j)
            # Standardised input (Normalization.adapt): with x in [0, 1] and Glorot weights the tanh
            # units start almost linear and training crawls; scaling is part of every real recipe.
            norm = Normalization(input_shape=(1,))
            norm.adapt(x_tr[:, None])
            model = matnn.Sequential([norm, Dense(int(width), activation="tanh"), Dense(1)])
            model.compile(optimizer=matnn.optimizers.Adam(learning_rate=learning_rate), loss="mse")
            model.fit(
                x_tr[:, None], y_tr[:, None], epochs=epochs, batch_size=n_train, shuffle=False, verbose=0, device=device
            )
            train[r, j] = np.mean((model.predict(x_tr[:, None]).ravel() - y_tr) ** 2)
            val[r, j] = np.mean((model.predict(x_val[:, None]).ravel() - y_val) ** 2)
            bar.update(1)
    bar.close()
    return CapacityCurve(np.asarray(widths), train, val)


def network_training_curve(
    *,
    width: int = 64,
    hidden_layers: int = 2,
    n_train: int = 20,
    n_val: int = 200,
    noise: float = 0.25,
    epochs: int = 4000,
    learning_rate: float = 0.01,
    seed: int = 0,
    device: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Train/validation MSE per epoch of one wide tanh network: capacity used grows with training time.

    A network starts out (small random weights) almost linear and bends more the longer it trains; on
    few noisy points its validation error first falls, then rises as it starts to fit the noise — the
    reason for early stopping (``matnn.callbacks.EarlyStopping``).

    Returns
    -------
    train_mse, val_mse : ndarray of shape (epochs,)
        From ``History.history['loss']`` (full batch: the MSE at the start of each epoch) and
        ``['val_loss']`` (after each epoch).
    """
    import matnn
    from matnn.fundamentals.datasets import noisy_sine
    from matnn.layers import Dense, Normalization

    check_positive(epochs, owner="network_training_curve", name="epochs", integer=True)
    check_positive(hidden_layers, owner="network_training_curve", name="hidden_layers", integer=True)
    x_tr, y_tr = noisy_sine(n_train, noise=noise, seed=seed)
    x_val, y_val = noisy_sine(n_val, noise=noise, seed=seed + 10_000)
    matnn.set_seed(seed)
    norm = Normalization(input_shape=(1,))
    norm.adapt(x_tr[:, None])
    model = matnn.Sequential([norm, *[Dense(width, activation="tanh") for _ in range(hidden_layers)], Dense(1)])
    model.compile(optimizer=matnn.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    hist = model.fit(
        x_tr[:, None],
        y_tr[:, None],
        epochs=epochs,
        batch_size=n_train,
        shuffle=False,
        validation_data=(x_val[:, None], y_val[:, None]),
        verbose=0,
        device=device,
    )
    return np.asarray(hist.history["loss"]), np.asarray(hist.history["val_loss"])


def run_demo(
    out_dir: str | Path, *, seed: int = 0, max_degree: int = 15, networks: bool = True, device: str | None = None
) -> dict[str, float]:
    """Capacity curves: polynomial degree; with ``networks=True`` also network width and training time.

    Writes ``capacity.png`` and ``metrics.json``.  Errors are mean squared errors in units of y²
    (the noise variance, 0.0625, is the floor a perfect model would reach on validation data);
    curves over several training sets report their mean (``..._std`` the standard deviation).
    """
    from matnn.fundamentals.datasets import noisy_sine
    from matnn.utils.io import write_metrics
    from matnn.utils.plotting import plt, save_figure

    out = Path(out_dir)
    noise = 0.25
    if not 1 <= max_degree <= 19:
        raise ConfigError(
            f"The 'max_degree' parameter of the capacity demo must be in [1, 19] (20 training points). Got {max_degree!r}."
        )
    degrees = list(range(max_degree + 1))
    poly = polynomial_capacity(degrees=degrees, noise=noise, seed=seed)
    vm = poly.val_mse.mean(axis=0)
    metrics: dict[str, float] = {
        "noise_variance": noise**2,
        "n_train": 20,
        "n_val": 200,
        "poly_repeats": poly.train_mse.shape[0],
        "poly_best_degree": poly.best_capacity,
        "poly_val_mse_best": float(vm.min()),
        "poly_val_mse_best_std": float(poly.val_mse.std(axis=0)[poly.best_index]),
        "poly_val_mse_deg0": float(vm[0]),
        f"poly_val_mse_deg{max_degree}": float(vm[-1]),
        "poly_train_mse_deg0": float(poly.train_mse.mean(axis=0)[0]),
        f"poly_train_mse_deg{max_degree}": float(poly.train_mse.mean(axis=0)[-1]),
        "poly_val_u_shaped": poly.is_u_shaped(),
    }
    net = time_curve = None
    if networks:
        net = network_capacity(noise=noise, seed=seed, device=device)
        nv, nt = net.val_mse.mean(axis=0), net.train_mse.mean(axis=0)
        metrics.update(
            {
                "net_repeats": net.train_mse.shape[0],
                "net_best_width": net.best_capacity,
                "net_val_mse_best": float(nv.min()),
                "net_val_mse_best_std": float(net.val_mse.std(axis=0)[net.best_index]),
                "net_train_mse_width_min": float(nt[0]),
                "net_train_mse_width_max": float(nt[-1]),
                "net_val_mse_width_min": float(nv[0]),
                "net_val_mse_width_max": float(nv[-1]),
                "net_width_min": int(net.capacity[0]),
                "net_width_max": int(net.capacity[-1]),
            }
        )
        tr, va = network_training_curve(noise=noise, seed=seed, device=device)
        time_curve = (tr, va)
        best = int(np.argmin(va))
        metrics.update(
            {
                "net_time_width": 64,
                "net_time_hidden_layers": 2,
                "net_time_epochs": len(va),
                "net_time_best_epoch": best + 1,
                "net_time_val_mse_best": float(va[best]),
                "net_time_val_mse_final": float(va[-1]),
                "net_time_train_mse_at_best": float(tr[best]),
                "net_time_train_mse_final": float(tr[-1]),
                # Overfitting: validation ends well above its minimum while the training error kept falling.
                "net_time_overfits": bool(va[-1] >= 1.2 * va[best] and tr[-1] < tr[best]),
            }
        )

    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5))
    axes = axes.ravel()
    curves = [(axes[0], poly, "polynomial degree", False)]
    if net is not None:
        curves.append((axes[1], net, "hidden units (width, one tanh layer)", True))
    for ax, curve, label, logx in curves:
        for key, name, color in (("train_mse", "training", "tab:blue"), ("val_mse", "validation", "tab:orange")):
            vals = getattr(curve, key)
            # One faint line per training set, the mean bold (a ±std band is meaningless on a log axis).
            ax.plot(curve.capacity, vals.T, "-", color=color, alpha=0.15, lw=0.8)
            ax.plot(
                curve.capacity,
                vals.mean(axis=0),
                "o-",
                color=color,
                label=f"{name} (mean of {vals.shape[0]} training sets)",
            )
        ax.axhline(noise**2, color="k", ls=":", lw=1, label="noise variance")
        ax.axvline(curve.best_capacity, color="tab:orange", ls="--", lw=1)
        ax.set_yscale("log")
        if logx:
            ax.set_xscale("log", base=2)
        ax.set(xlabel=label, ylabel="mean squared error", title=f"Capacity: {label.split(' (')[0]}")
        ax.legend(fontsize=8)
    if time_curve is not None:
        ax = axes[2]
        tr, va = time_curve
        ep = np.arange(1, len(tr) + 1)
        ax.loglog(ep, tr, color="tab:blue", label="training")
        ax.loglog(ep, va, color="tab:orange", label="validation")
        ax.axhline(noise**2, color="k", ls=":", lw=1, label="noise variance")
        ax.axvline(
            metrics["net_time_best_epoch"], color="tab:orange", ls="--", lw=1, label="best epoch (early stopping)"
        )
        ax.set(xlabel="epoch", ylabel="mean squared error", title="Capacity used grows with training time (2×64 tanh)")
        ax.legend(fontsize=8)
    ax = axes[3]
    x_tr, y_tr = noisy_sine(20, noise=noise, seed=seed)
    grid = np.linspace(0, 1, 300)
    ax.scatter(x_tr, y_tr, c="k", s=16, zorder=3, label="training points (one draw)")
    ax.plot(grid, np.sin(2 * np.pi * grid), "k:", lw=1, label="true sin(2πx)")
    for d, style in ((1, "b-"), (poly.best_capacity, "g-"), (max_degree, "r-")):
        p = np.polynomial.Legendre.fit(x_tr, y_tr, d, domain=[0, 1])
        ax.plot(
            grid, p(grid), style, label=f"degree {d}" + (" (best on validation)" if d == poly.best_capacity else "")
        )
    ax.set(ylim=(-2, 2), xlabel="x", ylabel="y", title="Underfit, good fit, overfit (polynomials)")
    ax.legend(fontsize=7)
    if net is None:
        for ax in axes[1:3]:
            ax.set_axis_off()
    fig.tight_layout()
    save_figure(fig, out / "capacity.png")
    write_metrics(out, metrics)
    return metrics
