"""Neural surrogate of the DFN objectives: an ensemble of matnn networks, and a scikit-learn baseline.

Inputs are recipes scaled to the unit cube, shape (n, 4); targets are the two objectives, shape (n, 2),
standardised inside the model. The ensemble's spread across seeds is its uncertainty.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from matnn.core.exceptions import DataError, NotFittedError
from matnn.core.validation import Interval, Options, check, positive
from matnn.design.registry import DESIGN_MODELS

__all__ = [
    "BASELINES",
    "RATE_TRANSFORMS",
    "REFINE_ROUNDS",
    "EnsembleSurrogate",
    "expit",
    "fit_baseline",
    "logit",
    "regression_scores",
]

#: How the electrode surrogate sees the rate fraction: raw, or on the logit scale (mapped back for predictions).
RATE_TRANSFORMS: tuple[str, ...] = ("none", "logit")
#: Rounds of active refinement of the electrode loop by default: two rounds cut the median rate-fraction
#: error on the DFN-checked front from 14.5 % to 3.5 % (docs/studies/electrode-front-error.md).
REFINE_ROUNDS = 2

#: Fractions are clipped to [LOGIT_EPS, 1 - LOGIT_EPS] before the logit (a DFN rate fraction can be 0 or 1).
LOGIT_EPS = 1e-4


def logit(p: Any) -> np.ndarray:
    """``log(p / (1 - p))`` of fractions ``p`` (any shape), clipped to [LOGIT_EPS, 1 - LOGIT_EPS] first."""
    p = np.clip(np.asarray(p, dtype=float), LOGIT_EPS, 1.0 - LOGIT_EPS)
    return np.log(p) - np.log1p(-p)


def expit(z: Any) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-z))``, the inverse of :func:`logit` (any shape)."""
    from scipy.special import expit as _expit

    return _expit(np.asarray(z, dtype=float))


#: scikit-learn baselines: Gaussian process (Matern 5/2 with per-variable length scales + noise) or random forest.
#: The scikit-learn baselines, as registered in :data:`matnn.design.registry.DESIGN_MODELS`.
BASELINES: tuple[str, ...] = DESIGN_MODELS.names("baseline")
_RECIPE = DESIGN_MODELS.get("ensemble")


def _check_xy(x: Any, y: Any | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or len(x) == 0 or not np.all(np.isfinite(x)):
        raise DataError(f"Surrogate inputs must be a finite 2D array with at least one row; got shape {x.shape}.")
    if y is None:
        return x, None
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    if len(y) != len(x) or not np.all(np.isfinite(y)):
        raise DataError(f"Surrogate targets must be finite with one row per input ({len(x)}); got shape {y.shape}.")
    return x, y


class EnsembleSurrogate:
    """Ensemble of ``members`` dense networks (``matnn.Sequential``) trained from different seeds.

    Parameters
    ----------
    members : int, default=5
    hidden : sequence of int, default=(64, 64)
        Widths of the hidden ``Dense`` layers (tanh: the objectives are smooth in the recipe).
    epochs, batch_size : int
    learning_rate : float, default=3e-3
        Adam step size.
    seed : int, default=0
        Member ``k`` is seeded ``seed + k``.
    logit_columns : sequence of int, default=()
        Target columns that are fractions in [0, 1]: trained on their :func:`logit`, and each member's
        prediction mapped back with :func:`expit` before the ensemble mean and spread are taken. A steep
        drop of a bounded quantity is closer to linear on the logit scale.
    """

    def __init__(
        self,
        members: int = _RECIPE.default("members"),
        hidden: Sequence[int] = _RECIPE.default("hidden"),
        *,
        epochs: int = _RECIPE.default("epochs"),
        batch_size: int = _RECIPE.default("batch_size"),
        learning_rate: float = _RECIPE.default("learning_rate"),
        seed: int = 0,
        logit_columns: Sequence[int] = (),
    ) -> None:
        self.logit_columns = tuple(
            check("EnsembleSurrogate", "logit_columns", c, Interval(int, 0, None)) for c in logit_columns
        )
        self.members = check("EnsembleSurrogate", "members", members, positive(int))
        self.hidden = tuple(check("EnsembleSurrogate", "hidden", h, positive(int)) for h in hidden)
        self.epochs = check("EnsembleSurrogate", "epochs", epochs, positive(int))
        self.batch_size = check("EnsembleSurrogate", "batch_size", batch_size, positive(int))
        self.learning_rate = check("EnsembleSurrogate", "learning_rate", learning_rate, positive())
        self.seed = check("EnsembleSurrogate", "seed", seed, Interval(int, 0, None))
        self.models_: list[Any] = []

    def fit(self, x: Any, y: Any) -> EnsembleSurrogate:
        """Train every member on ``x`` (n, d) → ``y`` (n, k)."""
        import matnn
        from matnn.layers import Dense
        from matnn.optimizers import Adam

        x, y = _check_xy(x, y)
        if self.logit_columns:
            cols = list(self.logit_columns)
            if max(cols) >= y.shape[1]:
                raise DataError(f"logit_columns {cols} of EnsembleSurrogate exceed the {y.shape[1]} target columns.")
            if np.any((y[:, cols] < 0) | (y[:, cols] > 1)):
                raise DataError(
                    f"Target columns {cols} of EnsembleSurrogate must be fractions in [0, 1] for the logit."
                )
            y = y.copy()
            y[:, cols] = logit(y[:, cols])
        self.y_mean_, self.y_std_ = y.mean(axis=0), y.std(axis=0) + 1e-12
        z = (y - self.y_mean_) / self.y_std_
        self.models_ = []
        for k in range(self.members):
            matnn.set_seed(self.seed + k)
            layers = [Dense(self.hidden[0], activation="tanh", input_shape=(x.shape[1],))]
            layers += [Dense(h, activation="tanh") for h in self.hidden[1:]]
            model = matnn.Sequential([*layers, Dense(y.shape[1])])
            model.compile(optimizer=Adam(learning_rate=self.learning_rate), loss="mse")
            model.fit(
                x.astype(np.float32),
                z.astype(np.float32),
                epochs=self.epochs,
                batch_size=self.batch_size,
                verbose=0,
            )
            self.models_.append(model)
        return self

    def predict(self, x: Any, *, return_std: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Ensemble mean (n, k) and, with ``return_std``, the spread across members (n, k)."""
        if not self.models_:
            raise NotFittedError("EnsembleSurrogate.predict called before fit.")
        x, _ = _check_xy(x)
        preds = np.stack([np.asarray(m.predict(x.astype(np.float32))) for m in self.models_])
        preds = preds * self.y_std_ + self.y_mean_
        if self.logit_columns:
            cols = list(self.logit_columns)
            preds[:, :, cols] = expit(preds[:, :, cols])
        mean = preds.mean(axis=0)
        return (mean, preds.std(axis=0)) if return_std else mean


def fit_baseline(x: Any, y: Any, *, kind: str = "gp", seed: int = 0) -> Any:
    """Fit a scikit-learn baseline (``"gp"`` or ``"rf"``, see :data:`BASELINES`) on ``x`` (n, d) → ``y`` (n, k)."""
    check("fit_baseline", "kind", kind, Options(BASELINES))
    x, y = _check_xy(x, y)
    if kind.lower() == "rf":
        from sklearn.ensemble import RandomForestRegressor

        return RandomForestRegressor(n_estimators=300, min_samples_leaf=2, random_state=seed, n_jobs=1).fit(x, y)
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
    from sklearn.multioutput import MultiOutputRegressor

    kernel = ConstantKernel(1.0) * Matern(length_scale=np.ones(x.shape[1]), nu=2.5) + WhiteKernel(1e-3)
    gp = GaussianProcessRegressor(kernel=kernel, normalize_y=True, n_restarts_optimizer=2, random_state=seed)
    with warnings.catch_warnings():  # a noise level at its bound is expected for a deterministic simulator
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MultiOutputRegressor(gp).fit(x, y)


def regression_scores(y_true: Any, y_pred: Any) -> dict[str, np.ndarray]:
    """Per-column R² and mean absolute percentage error (in %) of ``y_pred`` against ``y_true``, shape (k,) each."""
    yt, yp = (
        np.atleast_2d(np.asarray(y_true, float)),
        np.atleast_2d(np.asarray(y_pred, float)),
    )
    if yt.shape != yp.shape:
        raise DataError(f"Predictions of shape {yp.shape} do not match targets of shape {yt.shape}.")
    ss_res = ((yt - yp) ** 2).sum(axis=0)
    ss_tot = ((yt - yt.mean(axis=0)) ** 2).sum(axis=0)
    return {
        "r2": 1.0 - ss_res / np.maximum(ss_tot, 1e-300),
        "mape_pct": 100.0 * np.mean(np.abs((yt - yp) / np.where(yt == 0, np.nan, yt)), axis=0),
    }
