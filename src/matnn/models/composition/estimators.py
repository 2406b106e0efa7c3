"""The composition models behind ``--model``: one fit/predict interface for networks and forests.

Which names exist, their default feature sets and their recipes (learning rate, batch size,
epochs, trees, ...) are in :data:`~matnn.models.composition.registry.COMPOSITION_MODELS`; this
module holds the estimator classes the registry points to.

=================  ==================  ===========================================================
name               default features    what it is
=================  ==================  ===========================================================
``elemnet``        ``fractions`` (86)  ElemNet as published: 17 dense layers, dropout 0.2/0.1/0.3/0.2,
                                       Adam, MAE loss, early stopping; dropout kept on at inference
                                       (mean of several passes)
``rf-magpie``      ``magpie`` (132)    scikit-learn random forest on the Magpie features (mean of trees)
``rf-median``      ``magpie``          the same forest, predicting the *median* of the trees: with
                                       fully grown trees each tree returns a training target, so
                                       this is the forest's conditional median (as in a quantile
                                       regression forest), the MAE-optimal prediction
``dense``          ``magpie``          configurable MLP (``hidden``, ``dropout``, ...), standardised
                                       inputs and targets, MAE loss by default
``hgb``            ``magpie+fractions`` scikit-learn histogram gradient boosting, absolute-error loss
``auto``           (per candidate)     picks one of ``candidates`` by inner cross-validation MAE on
                                       the training data only, then refits it on all of it
=================  ==================  ===========================================================

Every estimator takes either a :class:`~matnn.data.composition.CompositionTable` (features are
computed from its formulas) or a plain feature matrix (``features='columns'``).  Early stopping
and model selection only ever see a validation split carved from the data passed to ``fit``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import ConfigError, NotFittedError, unknown_name
from matnn.core.registry import ModelSpec
from matnn.data.composition.loader import CompositionTable
from matnn.data.scaling import MAX_Z, REL_TOL, Standardizer
from matnn.data.splits import validation_split
from matnn.models.composition.registry import COMPOSITION_MODELS
from matnn.models.composition.settings import ModelSettings

__all__ = [
    "AutoSelectRegressor",
    "BoostingRegressor",
    "DenseRegressor",
    "ElemNetRegressor",
    "ForestRegressor",
    "ModelSettings",
    "NeuralRegressor",
    "candidate_names",
    "default_features",
    "load_estimator",
    "make_estimator",
]

Data = CompositionTable | np.ndarray


def default_features(model: str) -> str | None:
    """The feature set model ``model`` reads by default (``None`` for ``auto``: per candidate)."""
    return COMPOSITION_MODELS.default(model, "features")


def _matrix(data: Data, features: str) -> np.ndarray:
    if isinstance(data, CompositionTable):
        if features == "columns":
            raise ConfigError("features='columns' needs a numeric table, not a formula table.")
        return data.features(features)
    return np.asarray(data, dtype=np.float64)


def _rows(data: Data, idx: np.ndarray) -> Data:
    return data.subset(idx) if isinstance(data, CompositionTable) else np.asarray(data)[idx]


class _Base:
    """Shared by the estimators: the registry entry ``spec`` of model ``model`` and its settings."""

    name = "base"
    features: str = "magpie"

    def __init__(self, settings: ModelSettings | None = None, *, model: str | ModelSpec | None = None) -> None:
        self.spec: ModelSpec = COMPOSITION_MODELS.get(self.name if model is None else model)
        self.name = self.spec.name
        self.settings = settings or ModelSettings()
        self.info_: dict[str, Any] = {}
        self.fitted_ = False

    def _value(self, key: str) -> Any:
        """Setting ``key``, else this model's recipe default (see the registry)."""
        return self.settings.value(key, self.spec)

    def predict(self, data: Data) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_fitted(self) -> None:
        if not self.fitted_:
            raise NotFittedError(f"This {type(self).__name__} ({self.name}) is not fitted yet; call fit() first.")


def _scale(X: np.ndarray, mean: np.ndarray, scale: np.ndarray, bounded: bool) -> np.ndarray:
    return Standardizer(mean=mean, scale=scale, max_z=MAX_Z if bounded else np.inf).transform(X)


def _network_predict(net: Any, Xs: np.ndarray, mc_samples: int, seed: int) -> np.ndarray:
    """Network output for scaled inputs, shape (n_rows,): one pass, or the mean of ``mc_samples`` dropout-on passes."""
    if mc_samples > 0:
        from matnn.models.monte_carlo import predict_monte_carlo

        mean, _ = predict_monte_carlo(net, Xs, mc_samples, seed=seed, batch_size=4096)
        return mean.reshape(-1)
    return np.asarray(net.predict(Xs, batch_size=4096), dtype=np.float64).reshape(-1)


class NeuralRegressor(_Base):
    """A matnn network with scaling, early stopping and checkpoints (base of ElemNet and the dense MLP).

    Parameters
    ----------
    settings : ModelSettings, optional
        ``None`` fields take the model's recipe from the registry.
    model : str, optional
        Registry name (default: the subclass's own).

    Attributes
    ----------
    model_ : matnn.Sequential
    history_ : dict of per-epoch lists (``loss``, ``val_loss``, ...)
    x_mean_, x_scale_, y_mean_, y_scale_ : standardisation (identity when the recipe says
        ``standardize=False``, as published for ElemNet)
    """

    def __init__(self, settings: ModelSettings | None = None, *, model: str | ModelSpec | None = None) -> None:
        super().__init__(settings, model=model)
        self.features = self._value("features")
        self.epochs = self._value("epochs")
        self.batch_size = self._value("batch_size")
        self.learning_rate = self._value("learning_rate")
        self.patience = self._value("patience")
        self.loss = self._value("loss")
        self.mc_samples = int(self._value("mc_samples"))
        self.standardize = bool(self.spec.default("standardize"))
        self.seed_ = 0

    def _build(self, n_features: int):  # pragma: no cover - abstract
        """The uncompiled network for ``n_features`` inputs."""
        raise NotImplementedError

    def fit(self, data: Data, y: np.ndarray, *, seed: int = 0, work_dir: str | Path | None = None) -> NeuralRegressor:
        """Train on ``data`` (early stopping on a validation split carved from it).

        ``work_dir`` (optional) receives ``history.csv`` and a ``backup/`` folder from which a killed
        run resumes (BackupAndRestore) when started again with the same arguments.
        """
        import matnn
        from matnn.callbacks import BackupAndRestore, CSVLogger, EarlyStopping, ReduceLROnPlateau

        s = self.settings
        X = _matrix(data, self.features).astype(np.float64)
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        tr, va = validation_split(len(y), s.validation_fraction, seed)
        if self.standardize:
            scaler = Standardizer.fit(X[tr])  # near-constant columns centred only; |z| bounded
            self.x_mean_, self.x_scale_ = scaler.mean, scaler.scale
            self.n_features_unscaled_ = scaler.n_unscaled
            if scaler.n_unscaled:
                print(
                    f"{self.name}: {scaler.n_unscaled} of {X.shape[1]} feature(s) are constant on the training rows "
                    f"(spread below {REL_TOL:g} of their size); they are centred, not scaled.",
                    file=sys.stderr,
                )
            self.y_mean_, self.y_scale_ = float(y[tr].mean()), float(y[tr].std() or 1.0)
        else:
            self.x_mean_, self.x_scale_ = np.zeros(X.shape[1]), np.ones(X.shape[1])
            self.y_mean_, self.y_scale_ = 0.0, 1.0
        Xs = self._scale_x(X)
        ys = ((y - self.y_mean_) / self.y_scale_).astype(np.float32)[:, None]
        matnn.set_seed(seed)
        self.seed_ = int(seed)
        self.model_ = self._build(X.shape[1])
        if s.init_from is not None:
            self._start_from(s.init_from, X.shape[1])
            Xs = self._scale_x(X)
            ys = ((y - self.y_mean_) / self.y_scale_).astype(np.float32)[:, None]
        opt = (
            matnn.optimizers.Adam(learning_rate=self.learning_rate, weight_decay=s.weight_decay)
            if s.weight_decay
            else matnn.optimizers.Adam(learning_rate=self.learning_rate)
        )
        self.model_.compile(optimizer=opt, loss=self.loss, metrics=["mae"])
        callbacks: list[Any] = [EarlyStopping(monitor="val_loss", patience=self.patience, restore_best_weights=True)]
        if s.reduce_lr_patience:
            callbacks.append(
                ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=s.reduce_lr_patience, min_lr=1e-6)
            )
        if work_dir is not None:
            work = Path(work_dir)
            work.mkdir(parents=True, exist_ok=True)
            callbacks += [BackupAndRestore(str(work / "backup")), CSVLogger(str(work / "history.csv"))]
        t0 = time.perf_counter()
        history = self.model_.fit(
            Xs[tr],
            ys[tr],
            validation_data=(Xs[va], ys[va]),
            epochs=self.epochs,
            batch_size=self.batch_size,
            shuffle=True,
            callbacks=callbacks,
            verbose=s.verbose,
        )
        self.history_ = {k: list(map(float, v)) for k, v in history.history.items()}
        val_pred = self._predict_scaled(Xs[va])
        self.info_ = {
            "fit_time_s": time.perf_counter() - t0,
            "epochs_trained": len(self.history_.get("loss", [])),
            "best_epoch": int(np.argmin(self.history_["val_loss"])) + 1 if self.history_.get("val_loss") else None,
            "val_mae": float(np.mean(np.abs(val_pred - y[va]))),
            "n_fit": int(len(tr)),
            "n_val": int(len(va)),
            "n_features_unscaled": int(getattr(self, "n_features_unscaled_", 0)),
            "n_params": int(sum(p.numel() for p in self.model_.parameters())),
            "epochs_max": self.epochs,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "patience": self.patience,
            "mc_samples": self.mc_samples,
            "init_from": None if s.init_from is None else str(s.init_from),
        }
        self.fitted_ = True
        return self

    def _start_from(self, directory: str | Path, n_features: int) -> None:
        """Load the weights and input/target scaling of a network saved by :meth:`save`.

        The saved network must be of the same kind, on the same features, with the same layers;
        its scaling replaces the one computed from the new data so the weights see the inputs
        they were trained on.
        """
        import json

        from matnn.core.exceptions import DataError
        from matnn.models.saving import load_weights

        d = Path(directory)
        prep_path, weights_path = d / "preprocessing.json", d / "model.matnn"
        for path in (prep_path, weights_path):
            if not path.is_file():
                raise DataError(f"init_from: {str(d)!r} is not a saved network folder ({path.name} is missing).")
        try:
            prep = json.loads(prep_path.read_text())
        except (OSError, ValueError) as exc:
            raise DataError(f"init_from: {str(prep_path)!r} is not readable JSON ({exc}).") from None
        if prep.get("model") != self.name or prep.get("features") != self.features:
            raise ConfigError(
                f"init_from: {str(d)!r} holds a {prep.get('model')!r} network on {prep.get('features')!r} features; "
                f"this run trains {self.name!r} on {self.features!r}."
            )
        x_mean, x_scale = np.asarray(prep["x_mean"], dtype=np.float64), np.asarray(prep["x_scale"], dtype=np.float64)
        if x_mean.shape != (n_features,) or x_scale.shape != (n_features,):
            raise ConfigError(
                f"init_from: {str(d)!r} was trained on {x_mean.size} features; this data has {n_features}."
            )
        load_weights(self.model_, weights_path)
        self.x_mean_, self.x_scale_ = x_mean, x_scale
        self.y_mean_, self.y_scale_ = float(prep["y_mean"]), float(prep["y_scale"])

    def _scale_x(self, X: np.ndarray) -> np.ndarray:
        """Standardised inputs, float32; standardised z-scores are bounded (see :mod:`matnn.data.scaling`)."""
        return _scale(X, self.x_mean_, self.x_scale_, self.standardize)

    def _predict_scaled(self, Xs: np.ndarray) -> np.ndarray:
        return _network_predict(self.model_, Xs, self.mc_samples, self.seed_) * self.y_scale_ + self.y_mean_

    def predict(self, data: Data) -> np.ndarray:
        """Predictions in the target's unit, shape (n_rows,)."""
        self._check_fitted()
        X = _matrix(data, self.features)
        return self._predict_scaled(self._scale_x(X))

    def save(self, directory: str | Path) -> Path:
        """Write ``model.matnn`` and ``preprocessing.json`` (features, scaling) to ``directory``."""
        from matnn.utils.io import write_json

        self._check_fitted()
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self.model_.save(str(d / "model.matnn"))
        write_json(
            d / "preprocessing.json",
            {
                "model": self.name,
                "features": self.features,
                "standardize": self.standardize,
                "x_mean": self.x_mean_,
                "x_scale": self.x_scale_,
                "y_mean": self.y_mean_,
                "y_scale": self.y_scale_,
                "mc_samples": self.mc_samples,
                "mc_seed": self.seed_,
            },
        )
        return d


class ElemNetRegressor(NeuralRegressor):
    """ElemNet (:func:`~matnn.models.composition.elemnet.build_elemnet`) in its published recipe."""

    name = "elemnet"

    def _build(self, n_features: int):
        from matnn.models.composition.elemnet import build_elemnet

        return build_elemnet(n_features, self._value("architecture"), monte_carlo_dropout=self.mc_samples > 0)


class DenseRegressor(NeuralRegressor):
    """A configurable MLP (:func:`~matnn.models.composition.dense_network.build_dense_network`)."""

    name = "dense"

    def _build(self, n_features: int):
        from matnn.models.composition.dense_network import build_dense_network

        return build_dense_network(
            n_features,
            self._value("hidden"),
            activation=self._value("activation"),
            dropout=self._value("dropout"),
            batch_norm=self.settings.batch_norm,
            monte_carlo_dropout=self.mc_samples > 0,
        )


def _save_sklearn(est: _Base, directory: str | Path) -> Path:
    import joblib

    from matnn.utils.io import atomic_path, write_json

    est._check_fitted()
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    with atomic_path(d / "model.joblib") as tmp:
        joblib.dump(est.model_, tmp, compress=3)
    write_json(d / "preprocessing.json", {"model": est.name, "features": est.features})
    return d


class ForestRegressor(_Base):
    """scikit-learn ``RandomForestRegressor`` on a feature set (Magpie by default).

    The recipe (trees, features tried per split, leaf size, and whether the trees' mean or median
    is predicted) is the registry's entry for ``model`` (``rf-magpie`` or ``rf-median``);
    threads = :func:`matnn.config.get_num_threads`.
    """

    name = "rf-magpie"
    _AGGREGATES = ("mean", "median")

    def __init__(self, settings: ModelSettings | None = None, *, model: str | ModelSpec | None = None) -> None:
        super().__init__(settings, model=model)
        self.aggregate = self.spec.default("aggregate")
        if self.aggregate not in self._AGGREGATES:
            raise unknown_name("forest aggregate", self.aggregate, self._AGGREGATES)
        self.features = self._value("features")
        self.n_estimators = self._value("n_estimators")
        self.min_samples_leaf = self._value("min_samples_leaf")
        mf = self._value("max_features")
        self.max_features = float(mf) if isinstance(mf, (int, float)) or str(mf).replace(".", "", 1).isdigit() else mf

    def fit(self, data: Data, y: np.ndarray, *, seed: int = 0, work_dir: str | Path | None = None) -> ForestRegressor:
        from sklearn.ensemble import RandomForestRegressor

        from matnn.config import get_num_threads

        X = _matrix(data, self.features)
        t0 = time.perf_counter()
        self.model_ = RandomForestRegressor(
            n_estimators=self.n_estimators,
            max_features=self.max_features,
            min_samples_leaf=self.min_samples_leaf,
            n_jobs=get_num_threads(),
            random_state=seed,
        ).fit(X, np.asarray(y, dtype=np.float64))
        self.info_ = {
            "fit_time_s": time.perf_counter() - t0,
            "n_estimators": self.n_estimators,
            "max_features": self.max_features,
            "n_fit": len(y),
        }
        self.fitted_ = True
        return self

    def predict(self, data: Data) -> np.ndarray:
        self._check_fitted()
        X = _matrix(data, self.features)
        if self.aggregate == "mean":
            return self.model_.predict(X)
        return _median_of_trees(self.model_, X)

    def twin(self, model: str) -> ForestRegressor:
        """The same fitted trees as forest model ``model`` (e.g. ``rf-median``): another aggregate, no refit.

        Raises
        ------
        ConfigError
            ``model`` is not a forest grown with the same recipe.
        """
        self._check_fitted()
        twin = make_estimator(model, self.settings)
        same = ("features", "n_estimators", "max_features", "min_samples_leaf")
        if not isinstance(twin, ForestRegressor) or any(getattr(twin, k) != getattr(self, k) for k in same):
            raise ConfigError(f"{model!r} is not a forest grown like this {self.name!r} one; fit it instead.")
        twin.model_, twin.info_, twin.fitted_ = self.model_, dict(self.info_), True
        return twin

    @staticmethod
    def shares_trees(a: str, b: str) -> bool:
        """Whether forest models ``a`` and ``b`` grow the same trees (they differ only in the aggregate)."""
        sa, sb = COMPOSITION_MODELS.get(a), COMPOSITION_MODELS.get(b)

        def trees(spec: ModelSpec) -> dict[str, Any]:
            return {k: v for k, v in spec.defaults.items() if k != "aggregate"}

        return sa.target == sb.target and trees(sa) == trees(sb)

    def save(self, directory: str | Path) -> Path:
        """Write ``model.joblib`` (compressed) and ``preprocessing.json`` to ``directory``."""
        if self.aggregate == "median":
            self.model_.matnn_aggregate = "median"  # read back by load_estimator
        return _save_sklearn(self, directory)


def _median_of_trees(forest: Any, X: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """Median over the trees' predictions, shape (n_rows,); chunked to bound memory."""
    out = np.empty(len(X))
    for start in range(0, len(X), chunk):
        xs = np.asarray(X[start : start + chunk], dtype=np.float32)
        out[start : start + chunk] = np.median(np.stack([t.predict(xs) for t in forest.estimators_]), axis=0)
    return out


class BoostingRegressor(_Base):
    """scikit-learn ``HistGradientBoostingRegressor`` with the absolute-error loss.

    The MAE-optimal prediction is a median, which matters for targets with a spike (band gaps of
    metals are exactly 0).  Boosting rounds stop early on a validation split carved from the
    training data (scikit-learn's internal ``validation_fraction``).
    """

    name = "hgb"

    def __init__(self, settings: ModelSettings | None = None, *, model: str | ModelSpec | None = None) -> None:
        super().__init__(settings, model=model)
        self.features = self._value("features")
        self.max_iter = self._value("n_estimators")
        self.learning_rate = self._value("learning_rate")

    def fit(self, data: Data, y: np.ndarray, *, seed: int = 0, work_dir: str | Path | None = None) -> BoostingRegressor:
        from sklearn.ensemble import HistGradientBoostingRegressor

        X = _matrix(data, self.features)
        y = np.asarray(y, dtype=np.float64)
        loss = "absolute_error" if self._value("loss") in ("mae", "absolute_error") else "squared_error"
        t0 = time.perf_counter()
        self.model_ = HistGradientBoostingRegressor(
            loss=loss,
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=self.spec.default("max_leaf_nodes"),
            min_samples_leaf=max(2, min(20, len(y) // 50)),
            l2_regularization=self.spec.default("l2_regularization"),
            early_stopping=True,
            validation_fraction=self.settings.validation_fraction,
            n_iter_no_change=self.spec.default("n_iter_no_change"),
            random_state=seed,
        ).fit(X, y)
        self.info_ = {"fit_time_s": time.perf_counter() - t0, "n_iter": int(self.model_.n_iter_), "n_fit": len(y)}
        self.fitted_ = True
        return self

    def predict(self, data: Data) -> np.ndarray:
        self._check_fitted()
        return self.model_.predict(_matrix(data, self.features))

    def save(self, directory: str | Path) -> Path:
        """Write ``model.joblib`` (compressed) and ``preprocessing.json`` to ``directory``."""
        return _save_sklearn(self, directory)


class AutoSelectRegressor(_Base):
    """Choose among candidate models by validation MAE on the training data only, then refit.

    ``fit`` scores every candidate by inner cross-validation on the data it is given
    (``selection_folds``-fold KFold; by default k-fold up to the recipe's ``kfold_max_rows`` rows,
    above that one hold-out split of ``validation_fraction``), keeps the one with the lowest pooled
    validation MAE and refits it on all the data.  Inside a cross-validation fold this is nested
    model selection: the fold's test rows are never seen.  (A single 10 % split was too noisy to
    choose on 300 rows: 25 rows.)
    """

    name = "auto"

    def __init__(self, settings: ModelSettings | None = None, *, model: str | ModelSpec | None = None) -> None:
        super().__init__(settings, model=model)
        self.candidates = candidate_names(self._value("candidates"))
        self.features = "auto"

    def fit(
        self, data: Data, y: np.ndarray, *, seed: int = 0, work_dir: str | Path | None = None
    ) -> AutoSelectRegressor:
        from sklearn.model_selection import KFold

        y = np.asarray(y, dtype=np.float64)
        k = self.settings.selection_folds or (
            self.spec.default("selection_folds") if len(y) <= self.spec.default("kfold_max_rows") else 1
        )
        if k == 1:
            splits = [validation_split(len(y), self.settings.validation_fraction, seed + 1)]
        else:
            splits = list(KFold(n_splits=k, shuffle=True, random_state=seed + 1).split(np.arange(len(y))))
        abs_err: dict[str, list[np.ndarray]] = {name: [] for name in self.candidates}
        t0 = time.perf_counter()
        for tr, va in splits:
            forest: ForestRegressor | None = None
            for name in self.candidates:
                if forest is not None and ForestRegressor.shares_trees(forest.name, name):
                    est = forest.twin(name)  # same trees, other aggregate
                else:
                    est = make_estimator(name, self.settings.replace(features=None))
                    est.fit(_rows(data, tr), y[tr], seed=seed)
                    if isinstance(est, ForestRegressor):
                        forest = est
                abs_err[name].append(np.abs(est.predict(_rows(data, va)) - y[va]))
        # Pooled MAE over all held-out rows of the inner splits.
        scores = {name: float(np.mean(np.concatenate(errs))) for name, errs in abs_err.items()}
        self.selection_folds_ = k
        self.selected_ = min(scores, key=scores.get)
        self.best_ = make_estimator(self.selected_, self.settings.replace(features=None)).fit(
            data, y, seed=seed, work_dir=work_dir
        )
        self.info_ = {
            "selected": self.selected_,
            "selection_folds": k,
            **{f"selection_val_mae_{c}": v for c, v in scores.items()},
            "fit_time_s": time.perf_counter() - t0,
        }
        self.fitted_ = True
        return self

    def predict(self, data: Data) -> np.ndarray:
        self._check_fitted()
        return self.best_.predict(data)

    def save(self, directory: str | Path) -> Path:
        """Save the selected, refitted model (see its own ``save``)."""
        self._check_fitted()
        return self.best_.save(directory)


class _Loaded(_Base):
    """A model read back by :func:`load_estimator` (predict only)."""

    def __init__(self, name: str, features: str, predict_fn) -> None:
        self.info_, self.settings = {}, ModelSettings()
        self.name, self.features, self._predict_fn, self.fitted_ = name, features, predict_fn, True

    def predict(self, data: Data) -> np.ndarray:
        return np.asarray(self._predict_fn(_matrix(data, self.features)), dtype=np.float64).reshape(-1)


def load_estimator(directory: str | Path) -> _Base:
    """Read a model written by ``train`` (``DIR/model/``): ``predict(table)`` works as after ``fit``."""
    import json

    from matnn.core.exceptions import DataError

    d = Path(directory)
    meta_path = d / "preprocessing.json"
    if not meta_path.is_file():
        raise DataError(
            f"{d}: no preprocessing.json here; expected the model/ folder written by 'matnn composition train'."
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("not a JSON object")
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{meta_path} is damaged ({exc}); train the model again or restore the file.") from None
    if (d / "model.matnn").is_file():
        import matnn

        net = matnn.load_model(d / "model.matnn")
        xm, xs = np.asarray(meta["x_mean"]), np.asarray(meta["x_scale"])
        ym, ys = float(meta["y_mean"]), float(meta["y_scale"])

        mc, mc_seed = int(meta.get("mc_samples", 0)), int(meta.get("mc_seed", 0))

        bounded = bool(meta.get("standardize", np.any(xs != 1.0) or np.any(xm != 0.0)))

        def predict(X: np.ndarray) -> np.ndarray:
            return _network_predict(net, _scale(X, xm, xs, bounded), mc, mc_seed) * ys + ym

        return _Loaded(meta["model"], meta["features"], predict)
    if (d / "model.joblib").is_file():
        import joblib

        skl = joblib.load(d / "model.joblib")
        if getattr(skl, "matnn_aggregate", "mean") == "median":
            return _Loaded(meta["model"], meta["features"], lambda X: _median_of_trees(skl, X))
        return _Loaded(meta["model"], meta["features"], skl.predict)
    raise DataError(f"{d}: neither model.matnn nor model.joblib found.")


def make_estimator(name: str, settings: ModelSettings | None = None) -> _Base:
    """A fresh, unfitted estimator for ``--model name`` (the name is checked here, by the registry)."""
    spec = COMPOSITION_MODELS.get(name)
    return spec.build(settings or ModelSettings(), model=spec)


def candidate_names(text: str) -> list[str]:
    """``"rf-magpie, hgb"`` → registry names of the models ``auto`` may choose (itself excluded)."""
    names = [c.strip() for c in str(text).split(",") if c.strip()]
    if not names:
        raise ConfigError("auto model selection needs at least one candidate (--candidates rf-magpie,hgb,dense).")
    allowed = [s.name for s in COMPOSITION_MODELS if s.family != "selection"]
    out = []
    for c in names:
        if c not in COMPOSITION_MODELS or COMPOSITION_MODELS.get(c).name not in allowed:
            raise unknown_name("candidate model", c, allowed)
        out.append(COMPOSITION_MODELS.get(c).name)
    return out
