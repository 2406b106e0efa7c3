"""Classical cycle-life models from the literature, on scikit-learn.

Every model regresses log10(cycle life) and predicts cycles (10**prediction).  Hyper-parameters
(regularisation strength, number of components) are chosen by cross-validation on the training
cells only (inner ``KFold``), never on a test set.  Each model's features, estimator and search
grid are its recipe in :data:`~matnn.models.battery.registry.BATTERY_MODELS`.

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

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import ConfigError, DataError, NotFittedError
from matnn.core.registry import ModelSpec
from matnn.data.battery.dataset import BatteryDataset
from matnn.data.battery.features import delta_q_features, discharge_features, log_life, log_variance
from matnn.models.battery.registry import BATTERY_MODELS

__all__ = ["ClassicalModel", "make_classical", "classical_spec"]


def classical_spec(name: str) -> ModelSpec:
    """The registry entry of classical model ``name`` (the name is checked here)."""
    spec = BATTERY_MODELS.get(name)
    if spec.family != "classical":
        raise ConfigError(
            f"{spec.name!r} is a battery {spec.family or 'model'}, not a classical model; "
            f"classical ones: {', '.join(BATTERY_MODELS.names('classical'))}."
        )
    return spec


def _features(recipe: Mapping[str, Any], ds: BatteryDataset) -> np.ndarray:
    kind = recipe["features"]
    if kind == "log_variance":
        return log_variance(ds)
    if kind == "discharge":
        return discharge_features(ds)
    if kind == "log_delta_q":
        return np.log10(np.abs(delta_q_features(ds)) + recipe["log_offset_ah"])
    raise ConfigError(f"Unknown feature set {kind!r} in a battery model recipe.")


def _estimator(recipe: Mapping[str, Any], seed: int, n_cells: int) -> Any:
    from sklearn.cross_decomposition import PLSRegression
    from sklearn.decomposition import PCA
    from sklearn.linear_model import ElasticNetCV, LinearRegression, RidgeCV
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    kind = recipe["estimator"]
    if kind == "linear":
        return LinearRegression()
    cv = KFold(n_splits=min(recipe["cv_folds"], n_cells), shuffle=True, random_state=seed)
    if kind == "elastic_net":
        return make_pipeline(
            StandardScaler(),
            ElasticNetCV(
                l1_ratio=list(recipe["l1_ratios"]),
                alphas=recipe["n_alphas"],
                cv=cv,
                max_iter=recipe["max_iter"],
                random_state=seed,
            ),
        )
    if kind == "ridge":
        lo, hi, num = recipe["alphas_log10"]
        return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(lo, hi, int(num)), cv=cv))
    # Components: at most max_components, and fewer than the cells of an inner training fold.
    max_comp = max(1, min(recipe["max_components"], n_cells - n_cells // 5 - 1))
    if kind == "plsr":
        return GridSearchCV(
            make_pipeline(StandardScaler(), PLSRegression(scale=False)),
            {"plsregression__n_components": list(range(1, max_comp + 1))},
            cv=cv,
            scoring="neg_mean_squared_error",
        )
    if kind == "pcr":
        return GridSearchCV(
            make_pipeline(StandardScaler(), PCA(), LinearRegression()),
            {"pca__n_components": list(range(1, max_comp + 1))},
            cv=cv,
            scoring="neg_mean_squared_error",
        )
    raise ConfigError(f"Unknown estimator {kind!r} in a battery model recipe.")


@dataclass
class ClassicalModel:
    """A literature baseline: features of ΔQ(V) → log10 cycle life.

    Parameters
    ----------
    name : str
        A classical model of :data:`~matnn.models.battery.registry.BATTERY_MODELS`
        (``BATTERY_MODELS.names("classical")``).
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
        self.spec_ = classical_spec(self.name)
        self.name = self.spec_.name

    def fit(self, ds: BatteryDataset, *, device: Any = None) -> ClassicalModel:
        """Fit on the cells of ``ds`` (which must all have a cycle life).

        ``device`` is accepted so that classical models and networks fit through one call; scikit-learn
        fits on the CPU, so it is ignored.
        """
        recipe = self.spec_.defaults
        x = _features(recipe, ds)
        y = log_life(ds.cycle_life)
        est = _estimator(recipe, self.seed, ds.n_cells)
        est.fit(x, y)
        self.estimator_ = est
        self.params_ = _chosen_params(est)
        return self

    def predict_log(self, ds: BatteryDataset) -> np.ndarray:
        """Predicted log10 cycle life, shape (n_cells,)."""
        if self.estimator_ is None:
            raise NotFittedError(f"ClassicalModel({self.name!r}) is not fitted yet; call fit(train) first.")
        return np.asarray(self.estimator_.predict(_features(self.spec_.defaults, ds)), dtype=float).reshape(-1)

    def predict(self, ds: BatteryDataset) -> np.ndarray:
        """Predicted cycle life in cycles, shape (n_cells,)."""
        return 10.0 ** self.predict_log(ds)

    def save(self, directory: str | os.PathLike) -> Path:
        """Write the fitted estimator (``estimator.joblib``) and ``model.json`` (name, seed, chosen
        hyper-parameters) to ``directory``; the features are the registered recipe of ``name``."""
        import joblib

        from matnn.utils.io import atomic_path, to_jsonable, write_json

        if self.estimator_ is None:
            raise NotFittedError(f"ClassicalModel({self.name!r}) is not fitted yet; call fit(train) first.")
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        with atomic_path(d / "estimator.joblib") as tmp:
            joblib.dump(self.estimator_, tmp, compress=3)
        info = {"family": "classical", "name": self.name, "seed": self.seed, "params": to_jsonable(self.params_)}
        write_json(d / "model.json", info)
        return d

    @classmethod
    def load(cls, directory: str | os.PathLike) -> ClassicalModel:
        """The model :meth:`save` wrote to ``directory`` (a :class:`DataError` when it is missing or damaged)."""
        import joblib

        d = Path(directory)
        info = _read_model_json(d, "classical")
        model = cls(info["name"], seed=int(info.get("seed", 0)))
        try:
            model.estimator_ = joblib.load(d / "estimator.joblib")
        except Exception as exc:  # missing, truncated or not a joblib file
            raise DataError(f"{d / 'estimator.joblib'}: cannot be loaded ({type(exc).__name__}: {exc}).") from None
        model.params_ = dict(info.get("params") or {})
        return model


def _read_model_json(d: Path, family: str) -> dict[str, Any]:
    """``d/model.json`` of a saved battery model of ``family``, checked."""
    path = d / "model.json"
    if not path.is_file():
        raise DataError(f"{d}: no saved battery model here (no model.json).")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read as JSON ({exc}).") from None
    if not isinstance(info, dict) or info.get("family") != family or "name" not in info:
        raise DataError(f"{path}: not a saved battery {family} model.")
    return info


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
    """Build the classical model called ``name`` (``BATTERY_MODELS.names("classical")``)."""
    return ClassicalModel(name, seed=seed)
