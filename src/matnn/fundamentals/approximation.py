"""Universal approximation in 1-D, and why it says nothing outside the training range.

The universal approximation theorem: a network with one hidden layer of enough ReLU (or sigmoid)
units can approximate any continuous function on a bounded interval as closely as we like.  A ReLU
network is a *piecewise-linear* function: each unit adds a kink, and with enough kinks the pieces
follow any curve.

The theorem is about the interval the network was trained on.  Outside it, a ReLU network continues
its last linear pieces to infinity, with whatever slopes training happened to leave there.  This demo
trains four ReLU networks (different widths and seeds, built with ``matnn.Sequential``/``Dense`` and
trained with ``compile``/``fit``) on ``sin(x)`` for ``x ∈ [−π, π]``: all four fit it equally well
inside, and they disagree with each other — and with the sine — as soon as ``x`` leaves the range.
The lecture's warning: a trained model is an interpolator; never trust it out of distribution.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matnn.core.exceptions import ConfigError, unknown_name
from matnn.fundamentals._validation import check_positive

__all__ = ["TARGETS", "NetworkConfig", "ApproximationResult", "fit_relu_networks", "run_demo"]

#: Target functions of the demo: name → f(x).
TARGETS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sin": np.sin,
    "cos": np.cos,
    "abs": np.abs,
    "x_sin_x": lambda x: x * np.sin(x),
    "gaussian": lambda x: np.exp(-(x**2)),
}


@dataclass(frozen=True)
class NetworkConfig:
    """One ReLU network of the ensemble: ``hidden_layers`` × ``Dense(width, relu)`` → ``Dense(1)``."""

    width: int
    seed: int
    hidden_layers: int = 2

    @property
    def label(self) -> str:
        return f"{self.hidden_layers}×{self.width} ReLU, seed {self.seed}"


DEFAULT_CONFIGS: tuple[NetworkConfig, ...] = (
    NetworkConfig(32, 0),
    NetworkConfig(64, 1),
    NetworkConfig(128, 2),
    NetworkConfig(64, 3, hidden_layers=3),
)


@dataclass
class ApproximationResult:
    """Predictions of each network on a grid spanning the training range and beyond.

    Attributes
    ----------
    x : ndarray of shape (n_grid,)
    y_true : ndarray of shape (n_grid,)
    predictions : ndarray of shape (n_models, n_grid)
    in_range : ndarray of bool, shape (n_grid,)
        True where ``x`` lies inside the training interval.
    configs : list of NetworkConfig
    histories : list of dict
        ``History.history`` of each fit.
    """

    x: np.ndarray
    y_true: np.ndarray
    predictions: np.ndarray
    in_range: np.ndarray
    configs: list[NetworkConfig]
    histories: list[dict]

    def rmse(self, inside: bool) -> np.ndarray:
        """RMSE of each model against the true function, inside or outside the training range."""
        sel = self.in_range if inside else ~self.in_range
        return np.sqrt(np.mean((self.predictions[:, sel] - self.y_true[sel]) ** 2, axis=1))

    def spread(self, inside: bool) -> float:
        """Mean over grid points of the standard deviation across models (how much they disagree)."""
        sel = self.in_range if inside else ~self.in_range
        return float(np.mean(np.std(self.predictions[:, sel], axis=0)))


def fit_relu_networks(
    target: str = "sin",
    *,
    train_range: tuple[float, float] = (-np.pi, np.pi),
    eval_range: tuple[float, float] = (-3 * np.pi, 3 * np.pi),
    configs: Sequence[NetworkConfig] = DEFAULT_CONFIGS,
    n_train: int = 256,
    epochs: int = 300,
    batch_size: int = 32,
    learning_rate: float = 3e-3,
    seed_offset: int = 0,
    device: str | None = None,
    show_progress: bool = True,
) -> ApproximationResult:
    """Train one ReLU network per config on ``target`` over ``train_range``; predict over ``eval_range``.

    Parameters
    ----------
    target : str, default='sin'
        A key of :data:`TARGETS`.
    train_range, eval_range : (float, float)
        Training interval and the wider evaluation interval (``eval_range`` must contain it).
    configs : sequence of NetworkConfig
        The networks (width, depth, seed).
    n_train : int, default=256
        Evenly spaced, noise-free training points.
    epochs, batch_size, learning_rate
        Adam training settings (Keras vocabulary).
    seed_offset : int, default=0
        Added to every config's seed (the CLI's ``--seed``).

    Returns
    -------
    ApproximationResult
    """
    import matnn
    from matnn.layers import Dense
    from matnn.utils.progress import progress

    if target not in TARGETS:
        raise unknown_name("target function", target, TARGETS)
    lo, hi = map(float, train_range)
    elo, ehi = map(float, eval_range)
    if not (lo < hi and elo <= lo and ehi >= hi):
        raise ConfigError(
            f"fit_relu_networks: need train_range low < high inside eval_range. Got train_range={train_range}, "
            f"eval_range={eval_range}."
        )
    check_positive(n_train, owner="fit_relu_networks", name="n_train", integer=True)
    check_positive(epochs, owner="fit_relu_networks", name="epochs", integer=True)
    f = TARGETS[target]
    x_train = np.linspace(lo, hi, n_train)
    y_train = f(x_train)
    x = np.linspace(elo, ehi, 1201)
    preds, histories = [], []
    for cfg in progress(list(configs), desc="approximation: training networks", enabled=show_progress):
        matnn.set_seed(cfg.seed + seed_offset)
        layers = [Dense(cfg.width, activation="relu", input_shape=(1,))]
        layers += [Dense(cfg.width, activation="relu") for _ in range(cfg.hidden_layers - 1)]
        model = matnn.Sequential([*layers, Dense(1)])
        model.compile(optimizer=matnn.optimizers.Adam(learning_rate=learning_rate), loss="mse")
        hist = model.fit(
            x_train[:, None], y_train[:, None], epochs=epochs, batch_size=batch_size, verbose=0, device=device
        )
        histories.append(dict(hist.history))
        preds.append(model.predict(x[:, None]).ravel())
    return ApproximationResult(
        x=x,
        y_true=f(x),
        predictions=np.asarray(preds, dtype=np.float64),
        in_range=(x >= lo) & (x <= hi),
        configs=list(configs),
        histories=histories,
    )


def run_demo(
    out_dir: str | Path, *, seed: int = 0, target: str = "sin", epochs: int = 300, device: str | None = None
) -> dict[str, float]:
    """Fit four ReLU networks on ``target`` in [−π, π]; compare them on [−3π, 3π].

    Writes ``approximation.png`` (the four fits and the truth; their absolute errors on a log scale)
    and ``metrics.json``.  RMSE and spread are in the units of y.  ``spread`` is the mean over grid
    points of the standard deviation across the four models' predictions.
    """
    from matnn.utils.io import write_metrics
    from matnn.utils.plotting import plt, save_figure

    out = Path(out_dir)
    res = fit_relu_networks(target, epochs=epochs, seed_offset=seed, device=device)
    rin, rout = res.rmse(True), res.rmse(False)
    metrics: dict[str, float] = {
        "target": target,
        "train_range_low": -np.pi,
        "train_range_high": np.pi,
        "eval_range_low": -3 * np.pi,
        "eval_range_high": 3 * np.pi,
        "epochs": epochs,
    }
    for i, cfg in enumerate(res.configs):
        metrics[f"model{i}_width"] = cfg.width
        metrics[f"model{i}_hidden_layers"] = cfg.hidden_layers
        metrics[f"model{i}_in_range_rmse"] = float(rin[i])
        metrics[f"model{i}_out_of_range_rmse"] = float(rout[i])
    metrics.update(
        {
            "in_range_rmse_max": float(rin.max()),
            "out_of_range_rmse_min": float(rout.min()),
            "in_range_spread": res.spread(True),
            "out_of_range_spread": res.spread(False),
            "spread_ratio_out_over_in": res.spread(False) / max(res.spread(True), 1e-12),
        }
    )

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    lo, hi = -np.pi, np.pi
    for ax in axes:
        ax.axvspan(lo, hi, color="0.9", zorder=0, label="training range")
    ax = axes[0]
    ax.plot(res.x, res.y_true, "k-", lw=3, alpha=0.4, label=f"true {target}(x)")
    for p, cfg, r in zip(res.predictions, res.configs, rin, strict=True):
        ax.plot(res.x, p, lw=1.3, label=f"{cfg.label} (RMSE in range {r:.3f})")
    span = np.abs(res.y_true).max()
    ax.set(
        ylim=(-3 * span - 1, 3 * span + 1),
        xlabel="x",
        ylabel="y",
        title="Four equally good fits inside, four different answers outside",
    )
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    ax = axes[1]
    for p, cfg in zip(res.predictions, res.configs, strict=True):
        ax.semilogy(res.x, np.abs(p - res.y_true) + 1e-6, lw=1, label=cfg.label)
    ax.set(xlabel="x", ylabel="|prediction − truth|", title="Error grows as soon as x leaves the training range")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    save_figure(fig, out / "approximation.png")
    write_metrics(out, metrics)
    return metrics
