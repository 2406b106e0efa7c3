"""The composition models behind ``--model``: one fit/predict interface for networks and forests.

=================  ==================  ===========================================================
name               default features    what it is
=================  ==================  ===========================================================
``elemnet``        ``fractions`` (86)  ElemNet as published: 17 dense layers, dropout 0.2/0.1/0.3/0.2,
                                       Adam lr 1e-4, batch 32, MAE loss, early stopping;
                                       dropout kept on at inference (mean of 10 passes)
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

import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import ConfigError, NotFittedError, unknown_name
from matnn.data.composition.featurizers import FEATURE_SETS
from matnn.data.composition.loader import CompositionTable
from matnn.data.splits import validation_split

__all__ = ["MODEL_NAMES", "ModelSettings", "make_estimator", "load_estimator", "default_features", "NeuralRegressor", "ForestRegressor", "BoostingRegressor", "AutoSelectRegressor"]

MODEL_NAMES = ("elemnet", "rf-magpie", "rf-median", "dense", "hgb", "auto")
_DEFAULT_FEATURES = {"elemnet": "fractions", "rf-magpie": "magpie", "rf-median": "magpie", "dense": "magpie", "hgb": "magpie+fractions"}

Data = CompositionTable | np.ndarray


@dataclass
class ModelSettings:
    """Every knob of the composition models (``None`` = the model's own default).

    Network settings apply to ``elemnet`` and ``dense``; forest/boosting settings to ``rf-magpie``
    and ``hgb``.  Units: learning rate per Adam step; ``validation_fraction`` of the training rows.
    ``mc_samples`` > 0 keeps the network's dropout on at inference (Monte Carlo dropout): the
    validation loss that early stopping watches is then one dropout-on pass, as in ElemNet's
    reference code, and predictions are the mean of ``mc_samples`` passes; 0 is the usual
    deterministic network.  ``init_from`` names a saved network folder (a previous run's
    ``DIR/model``) whose weights and scaling the network starts from: training continues (or
    fine-tunes) with a fresh optimizer instead of starting from random weights.
    """

    features: str | None = None
    epochs: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    patience: int | None = None
    validation_fraction: float = 0.1
    loss: str = "mae"
    hidden: str | Sequence[int] = "256,128,64"
    dropout: float = 0.1
    activation: str = "relu"
    batch_norm: bool = False
    weight_decay: float = 0.0
    architecture: str | None = None
    reduce_lr_patience: int | None = None
    mc_samples: int | None = None
    init_from: str | None = None
    n_estimators: int | None = None
    max_features: float | str | None = None
    min_samples_leaf: int = 1
    candidates: str = "rf-magpie,rf-median,hgb,dense"
    selection_folds: int = 0
    verbose: Any = 0

    def replace(self, **changes: Any) -> ModelSettings:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return ModelSettings(**values)


def default_features(model: str) -> str | None:
    if model not in MODEL_NAMES:
        raise unknown_name("composition model", model, MODEL_NAMES)
    return _DEFAULT_FEATURES.get(model)


def _matrix(data: Data, features: str) -> np.ndarray:
    if isinstance(data, CompositionTable):
        if features == "columns":
            raise ConfigError("features='columns' needs a numeric table, not a formula table.")
        return data.features(features)
    return np.asarray(data, dtype=np.float64)


def _rows(data: Data, idx: np.ndarray) -> Data:
    return data.subset(idx) if isinstance(data, CompositionTable) else np.asarray(data)[idx]


class _Base:
    name = "base"
    features: str = "magpie"

    def __init__(self) -> None:
        self.info_: dict[str, Any] = {}
        self.fitted_ = False

    def predict(self, data: Data) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_fitted(self) -> None:
        if not self.fitted_:
            raise NotFittedError(f"This {type(self).__name__} ({self.name}) is not fitted yet; call fit() first.")


#: Dropout-on passes averaged by ElemNet's predictions (its reference code evaluates with dropout on).
ELEMNET_MC_SAMPLES = 10


def _network_predict(net: Any, Xs: np.ndarray, mc_samples: int, seed: int) -> np.ndarray:
    """Network output for scaled inputs, shape (n_rows,): one pass, or the mean of ``mc_samples`` dropout-on passes."""
    if mc_samples > 0:
        from matnn.models.monte_carlo import predict_monte_carlo

        mean, _ = predict_monte_carlo(net, Xs, mc_samples, seed=seed, batch_size=4096)
        return mean.reshape(-1)
    return np.asarray(net.predict(Xs, batch_size=4096), dtype=np.float64).reshape(-1)


class NeuralRegressor(_Base):
    """A matnn network (ElemNet or a dense MLP) with scaling, early stopping and checkpoints.

    Parameters
    ----------
    kind : {'elemnet', 'dense'}
    settings : ModelSettings

    Attributes
    ----------
    model_ : matnn.Sequential
    history_ : dict of per-epoch lists (``loss``, ``val_loss``, ...)
    x_mean_, x_scale_, y_mean_, y_scale_ : standardisation (identity for ElemNet, as published)
    """

    def __init__(self, kind: str, settings: ModelSettings) -> None:
        super().__init__()
        if kind not in ("elemnet", "dense"):
            raise unknown_name("network kind", kind, ("elemnet", "dense"))
        self.name = kind
        self.settings = settings
        self.features = settings.features or _DEFAULT_FEATURES[kind]
        published = kind == "elemnet"
        self.epochs = settings.epochs or (1000 if published else 500)
        self.batch_size = settings.batch_size or (32 if published else 64)
        self.learning_rate = settings.learning_rate or (1e-4 if published else 1e-3)
        self.patience = settings.patience or (20 if published else 40)
        mc = settings.mc_samples
        if mc is not None and (isinstance(mc, bool) or not isinstance(mc, int) or mc < 0):
            raise ConfigError(f"mc_samples must be a non-negative integer (0 = no Monte Carlo dropout). Got {mc!r} instead.")
        self.mc_samples = int(mc) if mc is not None else (ELEMNET_MC_SAMPLES if published else 0)
        self.seed_ = 0
        # ElemNet takes raw fractions and raw eV/atom; a general table needs standardising.
        self.standardize = not published

    def _build(self, n_features: int):
        s = self.settings
        if self.name == "elemnet":
            from matnn.models.elemnet import ELEMNET_ARCHITECTURE, build_elemnet

            return build_elemnet(n_features, s.architecture or ELEMNET_ARCHITECTURE, monte_carlo_dropout=self.mc_samples > 0)
        from matnn.models.dense_network import build_dense_network

        return build_dense_network(
            n_features, s.hidden, activation=s.activation, dropout=s.dropout, batch_norm=s.batch_norm,
            monte_carlo_dropout=self.mc_samples > 0,
        )

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
            self.x_mean_ = X[tr].mean(axis=0)
            self.x_scale_ = X[tr].std(axis=0)
            self.x_scale_[self.x_scale_ < 1e-12] = 1.0  # constant columns stay constant (0)
            self.y_mean_, self.y_scale_ = float(y[tr].mean()), float(y[tr].std() or 1.0)
        else:
            self.x_mean_, self.x_scale_ = np.zeros(X.shape[1]), np.ones(X.shape[1])
            self.y_mean_, self.y_scale_ = 0.0, 1.0
        Xs = ((X - self.x_mean_) / self.x_scale_).astype(np.float32)
        ys = ((y - self.y_mean_) / self.y_scale_).astype(np.float32)[:, None]
        matnn.set_seed(seed)
        self.seed_ = int(seed)
        self.model_ = self._build(X.shape[1])
        if s.init_from is not None:
            self._start_from(s.init_from, X.shape[1])
            Xs = ((X - self.x_mean_) / self.x_scale_).astype(np.float32)
            ys = ((y - self.y_mean_) / self.y_scale_).astype(np.float32)[:, None]
        opt = matnn.optimizers.Adam(learning_rate=self.learning_rate, weight_decay=s.weight_decay) if s.weight_decay else matnn.optimizers.Adam(learning_rate=self.learning_rate)
        self.model_.compile(optimizer=opt, loss=s.loss, metrics=["mae"])
        callbacks: list[Any] = [EarlyStopping(monitor="val_loss", patience=self.patience, restore_best_weights=True)]
        if s.reduce_lr_patience:
            callbacks.append(ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=s.reduce_lr_patience, min_lr=1e-6))
        if work_dir is not None:
            work = Path(work_dir)
            work.mkdir(parents=True, exist_ok=True)
            callbacks += [BackupAndRestore(str(work / "backup")), CSVLogger(str(work / "history.csv"))]
        t0 = time.perf_counter()
        history = self.model_.fit(
            Xs[tr], ys[tr], validation_data=(Xs[va], ys[va]), epochs=self.epochs, batch_size=self.batch_size,
            shuffle=True, callbacks=callbacks, verbose=s.verbose,
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
            raise ConfigError(f"init_from: {str(d)!r} was trained on {x_mean.size} features; this data has {n_features}.")
        load_weights(self.model_, weights_path)
        self.x_mean_, self.x_scale_ = x_mean, x_scale
        self.y_mean_, self.y_scale_ = float(prep["y_mean"]), float(prep["y_scale"])

    def _predict_scaled(self, Xs: np.ndarray) -> np.ndarray:
        return _network_predict(self.model_, Xs, self.mc_samples, self.seed_) * self.y_scale_ + self.y_mean_

    def predict(self, data: Data) -> np.ndarray:
        """Predictions in the target's unit, shape (n_rows,)."""
        self._check_fitted()
        X = _matrix(data, self.features)
        return self._predict_scaled(((X - self.x_mean_) / self.x_scale_).astype(np.float32))

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
                "model": self.name, "features": self.features, "x_mean": self.x_mean_, "x_scale": self.x_scale_,
                "y_mean": self.y_mean_, "y_scale": self.y_scale_, "mc_samples": self.mc_samples, "mc_seed": self.seed_,
            },
        )
        return d


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

    Defaults: 500 trees, ``max_features=1/3`` of the features per split (Breiman's choice for
    regression), leaves of one sample; threads = :func:`matnn.config.get_num_threads`.
    """

    def __init__(self, settings: ModelSettings, *, aggregate: str = "mean") -> None:
        super().__init__()
        if aggregate not in ("mean", "median"):
            raise unknown_name("forest aggregate", aggregate, ("mean", "median"))
        self.aggregate = aggregate
        self.name = "rf-magpie" if aggregate == "mean" else "rf-median"
        self.settings = settings
        self.features = settings.features or "magpie"
        self.n_estimators = settings.n_estimators or 500
        mf = settings.max_features if settings.max_features is not None else 1 / 3
        self.max_features = float(mf) if isinstance(mf, (int, float)) or str(mf).replace(".", "", 1).isdigit() else mf

    def fit(self, data: Data, y: np.ndarray, *, seed: int = 0, work_dir: str | Path | None = None) -> ForestRegressor:
        from sklearn.ensemble import RandomForestRegressor

        from matnn.config import get_num_threads

        X = _matrix(data, self.features)
        t0 = time.perf_counter()
        self.model_ = RandomForestRegressor(
            n_estimators=self.n_estimators, max_features=self.max_features, min_samples_leaf=self.settings.min_samples_leaf,
            n_jobs=get_num_threads(), random_state=seed,
        ).fit(X, np.asarray(y, dtype=np.float64))
        self.info_ = {"fit_time_s": time.perf_counter() - t0, "n_estimators": self.n_estimators, "max_features": self.max_features, "n_fit": len(y)}
        self.fitted_ = True
        return self

    def predict(self, data: Data) -> np.ndarray:
        self._check_fitted()
        X = _matrix(data, self.features)
        if self.aggregate == "mean":
            return self.model_.predict(X)
        return _median_of_trees(self.model_, X)

    def with_aggregate(self, aggregate: str) -> ForestRegressor:
        """The same fitted forest, predicting with another aggregate (no refit)."""
        self._check_fitted()
        twin = ForestRegressor(self.settings, aggregate=aggregate)
        twin.model_, twin.info_, twin.fitted_ = self.model_, dict(self.info_), True
        return twin

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

    def __init__(self, settings: ModelSettings) -> None:
        super().__init__()
        self.name = "hgb"
        self.settings = settings
        self.features = settings.features or "magpie+fractions"
        self.max_iter = settings.n_estimators or 2000
        self.learning_rate = settings.learning_rate or 0.05

    def fit(self, data: Data, y: np.ndarray, *, seed: int = 0, work_dir: str | Path | None = None) -> BoostingRegressor:
        from sklearn.ensemble import HistGradientBoostingRegressor

        X = _matrix(data, self.features)
        y = np.asarray(y, dtype=np.float64)
        loss = "absolute_error" if self.settings.loss in ("mae", "absolute_error") else "squared_error"
        t0 = time.perf_counter()
        self.model_ = HistGradientBoostingRegressor(
            loss=loss, learning_rate=self.learning_rate, max_iter=self.max_iter, max_leaf_nodes=31,
            min_samples_leaf=max(2, min(20, len(y) // 50)), l2_regularization=0.0,
            early_stopping=True, validation_fraction=self.settings.validation_fraction, n_iter_no_change=50,
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
    (``selection_folds``-fold KFold; default 5 folds up to 5,000 rows, above that one hold-out split
    of ``validation_fraction``), keeps the one with the lowest pooled validation MAE and refits it on
    all the data.  Inside a cross-validation fold this is nested model selection: the fold's test
    rows are never seen.  (A single 10 % split was too noisy to choose on 300 rows: 25 rows.)
    """

    def __init__(self, settings: ModelSettings) -> None:
        super().__init__()
        self.name = "auto"
        self.settings = settings
        self.candidates = [c.strip() for c in str(settings.candidates).split(",") if c.strip()]
        if not self.candidates:
            raise ConfigError("auto model selection needs at least one candidate (--candidates rf-magpie,hgb,dense).")
        for c in self.candidates:
            if c == "auto" or c not in MODEL_NAMES:
                raise unknown_name("candidate model", c, [m for m in MODEL_NAMES if m != "auto"])
        self.features = "auto"

    def fit(self, data: Data, y: np.ndarray, *, seed: int = 0, work_dir: str | Path | None = None) -> AutoSelectRegressor:
        from sklearn.model_selection import KFold

        y = np.asarray(y, dtype=np.float64)
        k = self.settings.selection_folds or (5 if len(y) <= 5000 else 1)
        if k == 1:
            splits = [validation_split(len(y), self.settings.validation_fraction, seed + 1)]
        else:
            splits = list(KFold(n_splits=k, shuffle=True, random_state=seed + 1).split(np.arange(len(y))))
        abs_err: dict[str, list[np.ndarray]] = {name: [] for name in self.candidates}
        t0 = time.perf_counter()
        for tr, va in splits:
            forest: ForestRegressor | None = None
            for name in self.candidates:
                if name in ("rf-magpie", "rf-median") and forest is not None:
                    est = forest.with_aggregate("mean" if name == "rf-magpie" else "median")  # same trees, other aggregate
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
        self.best_ = make_estimator(self.selected_, self.settings.replace(features=None)).fit(data, y, seed=seed, work_dir=work_dir)
        self.info_ = {"selected": self.selected_, "selection_folds": k, **{f"selection_val_mae_{c}": v for c, v in scores.items()}, "fit_time_s": time.perf_counter() - t0}
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
        super().__init__()
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
        raise DataError(f"{d}: no preprocessing.json here; expected the model/ folder written by 'matnn composition train'.")
    meta = json.loads(meta_path.read_text())
    if (d / "model.matnn").is_file():
        import matnn

        net = matnn.load_model(d / "model.matnn")
        xm, xs = np.asarray(meta["x_mean"]), np.asarray(meta["x_scale"])
        ym, ys = float(meta["y_mean"]), float(meta["y_scale"])

        mc, mc_seed = int(meta.get("mc_samples", 0)), int(meta.get("mc_seed", 0))

        def predict(X: np.ndarray) -> np.ndarray:
            return _network_predict(net, ((X - xm) / xs).astype(np.float32), mc, mc_seed) * ys + ym

        return _Loaded(meta["model"], meta["features"], predict)
    if (d / "model.joblib").is_file():
        import joblib

        skl = joblib.load(d / "model.joblib")
        if getattr(skl, "matnn_aggregate", "mean") == "median":
            return _Loaded(meta["model"], meta["features"], lambda X: _median_of_trees(skl, X))
        return _Loaded(meta["model"], meta["features"], skl.predict)
    raise DataError(f"{d}: neither model.matnn nor model.joblib found.")


def make_estimator(name: str, settings: ModelSettings | None = None):
    """A fresh, unfitted estimator for ``--model name``."""
    settings = settings or ModelSettings()
    if settings.features is not None and settings.features not in (*FEATURE_SETS, "columns"):
        raise unknown_name("feature set", settings.features, (*FEATURE_SETS, "columns"))
    if name in ("elemnet", "dense"):
        return NeuralRegressor(name, settings)
    if name == "rf-magpie":
        return ForestRegressor(settings)
    if name == "rf-median":
        return ForestRegressor(settings, aggregate="median")
    if name == "hgb":
        return BoostingRegressor(settings)
    if name == "auto":
        return AutoSelectRegressor(settings)
    raise unknown_name("composition model", name, MODEL_NAMES)

