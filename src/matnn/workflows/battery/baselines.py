"""Classical cycle-life models from the literature, on scikit-learn.

Every model regresses log10(cycle life) and predicts cycles (10**prediction).  Hyper-parameters
(regularisation strength, number of components) are chosen by cross-validation on the training
cells only (inner ``KFold``), never on a test set.

==============  ==============================================  ============================
name            features                                        estimator
==============  ==============================================  ============================
``variance``    log10 var ΔQ_{100−10}(V)                        linear regression (Severson)
``discharge``   6 discharge features (Severson 2019)            elastic net, CV
``elastic_net`` log10 |ΔQ_{100−10}(V)|, standardised             elastic net, CV (Attia 2021)
``ridge``       log10 |ΔQ_{100−10}(V)|, standardised             ridge, CV
``plsr``        log10 |ΔQ_{100−10}(V)|, standardised             PLS regression, CV components
``pcr``         log10 |ΔQ_{100−10}(V)|, standardised             PCA + linear regression, CV
==============  ==============================================  ============================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matnn.core.exceptions import NotFittedError, unknown_name
from matnn.data.battery.dataset import BatteryDataset
from matnn.workflows.battery.features import delta_q_features, discharge_features, log_life, log_variance

__all__ = ["CLASSICAL_MODELS", "ClassicalModel", "make_classical"]

CLASSICAL_MODELS = ("variance", "discharge", "elastic_net", "ridge", "plsr", "pcr")


#: Offset (Ah) inside log10(|ΔQ(V)| + offset) for the full-curve models.
LOG_OFFSET_AH = 1e-5


def _features(name: str, ds: BatteryDataset) -> np.ndarray:
    if name == "variance":
        return log_variance(ds)
    if name == "discharge":
        return discharge_features(ds)
    # Full-curve models see log10 |ΔQ(V)|: cycle life scales as a power of the ΔQ magnitude (that
    # is why Severson's log-variance works), and on raw ΔQ(V) a linear model extrapolates a
    # fast-fading cell far outside the training range (5-fold CV RMSE on the Severson training
    # cells: 156-208 cycles raw, 96-132 on log10 |ΔQ|).
    return np.log10(np.abs(delta_q_features(ds)) + LOG_OFFSET_AH)


def _estimator(name: str, seed: int, n_cells: int) -> Any:
    from sklearn.cross_decomposition import PLSRegression
    from sklearn.decomposition import PCA
    from sklearn.linear_model import ElasticNetCV, LinearRegression, RidgeCV
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    cv = KFold(n_splits=min(5, n_cells), shuffle=True, random_state=seed)
    max_comp = max(1, min(10, n_cells - n_cells // 5 - 1))
    if name == "variance":
        return LinearRegression()
    if name in ("discharge", "elastic_net"):
        return make_pipeline(
            StandardScaler(),
            ElasticNetCV(l1_ratio=[0.1, 0.5, 0.9, 1.0], alphas=30, cv=cv, max_iter=50000, random_state=seed),
        )
    if name == "ridge":
        return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 4, 30), cv=cv))
    if name == "plsr":
        return GridSearchCV(
            make_pipeline(StandardScaler(), PLSRegression(scale=False)),
            {"plsregression__n_components": list(range(1, max_comp + 1))},
            cv=cv,
            scoring="neg_mean_squared_error",
        )
    if name == "pcr":
        return GridSearchCV(
            make_pipeline(StandardScaler(), PCA(), LinearRegression()),
            {"pca__n_components": list(range(1, max_comp + 1))},
            cv=cv,
            scoring="neg_mean_squared_error",
        )
    raise unknown_name("classical battery model", name, CLASSICAL_MODELS)


@dataclass
class ClassicalModel:
    """A literature baseline: features of ΔQ(V) → log10 cycle life.

    Parameters
    ----------
    name : str
        One of :data:`CLASSICAL_MODELS`.
    seed : int, default=0
        Seed of the inner cross-validation folds.

    Examples
    --------
    >>> m = ClassicalModel("variance").fit(train)          # doctest: +SKIP
    >>> m.predict(test)  # cycles, shape (n_cells,)         # doctest: +SKIP
    """

    name: str
    seed: int = 0
    estimator_: Any = field(default=None, init=False, repr=False)
    params_: dict[str, Any] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if self.name not in CLASSICAL_MODELS:
            raise unknown_name("classical battery model", self.name, CLASSICAL_MODELS)

    def fit(self, ds: BatteryDataset) -> ClassicalModel:
        """Fit on the cells of ``ds`` (which must all have a cycle life)."""
        x = _features(self.name, ds)
        y = log_life(ds.cycle_life)
        est = _estimator(self.name, self.seed, ds.n_cells)
        est.fit(x, y)
        self.estimator_ = est
        self.params_ = _chosen_params(est)
        return self

    def predict_log(self, ds: BatteryDataset) -> np.ndarray:
        """Predicted log10 cycle life, shape (n_cells,)."""
        if self.estimator_ is None:
            raise NotFittedError(f"ClassicalModel({self.name!r}) is not fitted yet; call fit(train) first.")
        return np.asarray(self.estimator_.predict(_features(self.name, ds)), dtype=float).reshape(-1)

    def predict(self, ds: BatteryDataset) -> np.ndarray:
        """Predicted cycle life in cycles, shape (n_cells,)."""
        return 10.0 ** self.predict_log(ds)


def _chosen_params(est: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if hasattr(est, "best_params_"):
        out.update({k.split("__")[-1]: v for k, v in est.best_params_.items()})
    steps = getattr(est, "named_steps", {})
    for step in steps.values():
        for attr in ("alpha_", "l1_ratio_"):
            if hasattr(step, attr):
                out[attr.rstrip("_")] = float(getattr(step, attr))
    return out


def make_classical(name: str, seed: int = 0) -> ClassicalModel:
    """Build the classical model called ``name`` (see :data:`CLASSICAL_MODELS`)."""
    return ClassicalModel(name, seed=seed)
