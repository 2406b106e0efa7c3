"""Training the battery networks: inputs, sample weights, early stopping, ensembles.

``fullcnn`` is the exception: Attia et al. 2021's recipe trains it on all training cells with
full-batch Adam, an L2 penalty and a fixed number of steps, without weights or early stopping.

Both networks regress log10 cycle life with MSE and Adam (AdamW for ``dqnet``), weight each
training cell by the inverse frequency of its log-life bin (the tutorial's recipe, so the few
long-lived cells are not ignored), and stop early on a validation split of the *training* cells.
``dqnet`` is stacked on a classical base model chosen by 5-fold CV on the training cells: the
network learns the residual of the base's out-of-fold predictions from a zero start.  It trains
an ensemble: member j validates on fold j of a K-fold split of the training cells, so every cell
is used for fitting by K−1 members; the prediction is the base plus the members' mean correction.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import ConfigError, NotFittedError
from matnn.core.registry import ModelSpec
from matnn.data.battery.dataset import BatteryDataset
from matnn.data.battery.features import TUTORIAL_CYCLES, delta_q_image, discharge_features, full_delta_q_image, log_life
from matnn.models.battery.registry import BATTERY_MODELS

__all__ = [
    "NeuralConfig",
    "NeuralModel",
    "default_config",
    "network_spec",
    "inverse_frequency_weights",
    "network_inputs",
    "network_options",
    "config_with_options",
]

_EPS = 1e-12
_ASINH_SCALE_AH = 1e-3


@dataclass(frozen=True)
class NeuralConfig:
    """Training settings of a battery network.

    Parameters
    ----------
    epochs : int
        Upper bound; early stopping on the validation loss usually ends sooner.
    batch_size : int
    learning_rate : float
    weight_decay : float
        Decoupled weight decay (AdamW) when > 0, else plain Adam.
    l2 : float
        Coefficient λ of a penalty λ·Σ‖w‖² on every parameter (Attia's ``rw``), applied as Adam's
        coupled weight decay 2λ (PyTorch's convention); 0 = none.
    early_stopping : bool
        Stop on a validation split of the training cells (best weights restored); ``False`` trains
        on all training cells for exactly ``epochs`` epochs.
    sample_weights : bool
        Weight cells by the inverse frequency of their log-life bin.
    patience : int
        Early-stopping patience in epochs (best weights restored).
    val_fraction : float
        Validation share of the training cells for a single model (``ensemble=1``).
    ensemble : int
        Members; with more than one, member j validates on fold j of an ``ensemble``-fold split.
    scalars : {"discharge", "summary", "curve"}
        Scalar features of ``dqnet``: Severson's six discharge features plus log10 |mean ΔQ|
        ("discharge"); log10 of the variance, |min| and |mean| of ΔQ_{100−10} ("summary"); or the
        discharge set plus log10 |ΔQ_{100−10}(V)| at every 10th voltage point ("curve").
    asinh : bool
        ``dqnet`` convolves asinh(ΔQ / 1 mAh) instead of ΔQ (default True).
    residual : bool
        ``dqnet`` only: stack the network on a classical base model. The base (one of
        ``base_candidates``, chosen by 5-fold CV on the training cells) is fitted in closed form; the
        network learns the residual of its *out-of-fold* predictions, starting from a zero output,
        so early stopping can only add what the curves explain beyond the base.
    base_candidates : tuple of str
        Classical models the residual base is chosen from.
    kwargs : dict
        Architecture arguments passed to the builder.

    Notes
    -----
    The recipe of each registered network is in
    :data:`~matnn.models.battery.registry.BATTERY_MODELS` (:func:`default_config`); the field
    defaults here only fill a config written by hand.
    """

    epochs: int = 600
    batch_size: int = 8
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    l2: float = 0.0
    early_stopping: bool = True
    sample_weights: bool = True
    patience: int = 60
    val_fraction: float = 0.2
    ensemble: int = 1
    scalars: str = "discharge"
    asinh: bool = True
    residual: bool = False
    base_candidates: tuple[str, ...] = ("discharge", "pcr", "variance")
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.patience < 1 or self.ensemble < 1:
            raise ConfigError("NeuralConfig: epochs, batch_size, patience and ensemble must be positive integers.")
        if self.scalars not in ("discharge", "summary", "curve"):
            raise ConfigError(f"NeuralConfig.scalars must be 'discharge', 'summary' or 'curve'. Got {self.scalars!r}.")
        if self.l2 < 0 or self.weight_decay < 0:
            raise ConfigError(
                f"NeuralConfig: l2 and weight_decay must be non-negative. Got {self.l2!r} and {self.weight_decay!r}."
            )
        if not self.early_stopping and self.ensemble > 1:
            raise ConfigError(
                "NeuralConfig: an ensemble validates each member on its own fold; it needs early_stopping=True."
            )
        if not 0.0 < self.val_fraction < 0.5:
            raise ConfigError(f"NeuralConfig.val_fraction must be in (0, 0.5). Got {self.val_fraction!r}.")


def network_spec(name: str) -> ModelSpec:
    """The registry entry of battery network ``name`` (the name is checked here)."""
    spec = BATTERY_MODELS.get(name)
    if spec.family != "network":
        raise ConfigError(
            f"{spec.name!r} is a battery {spec.family or 'model'}, not a network; "
            f"networks: {', '.join(BATTERY_MODELS.names('network'))}."
        )
    return spec


def default_config(name: str) -> NeuralConfig:
    """The training recipe of network ``name`` as registered in
    :data:`~matnn.models.battery.registry.BATTERY_MODELS` (fields not registered keep
    :class:`NeuralConfig`'s defaults)."""
    names = {f.name for f in fields(NeuralConfig)}
    return NeuralConfig(**{k: v for k, v in network_spec(name).defaults.items() if k in names})


def _option_constraints(spec: ModelSpec) -> dict[str, Any]:
    """The :class:`NeuralConfig` fields a user may set on network ``spec`` and the values each accepts.

    ``scalars`` and ``asinh`` shape the inputs of the curve-and-scalar networks and ``residual`` stacks
    ``dqnet`` on its base; the other networks ignore them, so they are no options of those (a setting
    that changes nothing would read as a result).
    """
    from matnn.core.validation import Interval, Options, non_negative, positive

    out: dict[str, Any] = {
        "epochs": positive(int),
        "batch_size": positive(int),
        "learning_rate": positive(float),
        "weight_decay": non_negative(float),
        "l2": non_negative(float),
        "early_stopping": "boolean",
        "sample_weights": "boolean",
        "patience": positive(int),
        "val_fraction": Interval(float, 0.0, 0.5, closed="neither"),
        "ensemble": positive(int),
    }
    if spec.defaults.get("inputs") == "delta_q_curves_and_scalars":
        out["scalars"] = Options(("discharge", "summary", "curve"), lower=False)
        out["asinh"] = "boolean"
    if spec.name == "dqnet":
        out["residual"] = "boolean"
    return out


def _coerce(kind: Any, value: Any) -> Any:
    """``value`` as the type of a config field: text is parsed, an int is a float where a float is wanted,
    an integral float is an int where an int is wanted; anything else is left for the check to refuse."""
    if kind == "boolean":
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return value
    number = getattr(kind, "kind", None)
    if number is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return value
    if number is float and isinstance(value, int):
        return float(value)
    if number is int and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def network_options(name: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check the ``--model-option`` settings of battery network ``name``; return them typed.

    Parameters
    ----------
    name : str
        A network of :data:`~matnn.models.battery.registry.BATTERY_MODELS`.
    options : mapping, optional
        Field of :class:`NeuralConfig` → value (text such as ``"1e-3"`` is parsed to the field's type).

    Raises
    ------
    ConfigError
        An unknown key (naming the allowed ones) or a value out of range, in one line.
    """
    from matnn.core.exceptions import unknown_name
    from matnn.core.validation import check

    spec = network_spec(name)
    allowed = _option_constraints(spec)
    out: dict[str, Any] = {}
    for key, value in dict(options or {}).items():
        key = str(key).replace("-", "_")
        if key not in allowed:
            raise unknown_name(f"{spec.name} model option", key, allowed)
        out[key] = check(f"battery network {spec.name!r}", key, _coerce(allowed[key], value), allowed[key])
    return out


def config_with_options(name: str, options: Mapping[str, Any] | None = None) -> NeuralConfig:
    """The registered recipe of network ``name`` (:func:`default_config`) with ``options`` set
    (checked by :func:`network_options`)."""
    return replace(default_config(name), **network_options(name, options))


def inverse_frequency_weights(y_log: np.ndarray, n_bins: int = 5) -> np.ndarray:
    """Weight of each cell ∝ 1 / (cells in its log-life histogram bin), normalised to mean 1.

    Parameters
    ----------
    y_log : ndarray of shape (n_cells,)
        log10 cycle lives.
    n_bins : int, default=5
        Equal-width bins between the smallest and largest value.
    """
    y = np.asarray(y_log, dtype=float)
    if y.size == 0:
        return y
    edges = np.linspace(y.min(), y.max() + 1e-9, n_bins + 1)
    idx = np.clip(np.digitize(y, edges) - 1, 0, n_bins - 1)
    counts = np.bincount(idx, minlength=n_bins).astype(float)
    w = 1.0 / counts[idx]
    return w * (w.size / w.sum())


def _scalars(ds: BatteryDataset, kind: str = "discharge") -> np.ndarray:
    dq = ds.delta_q(100, 10)
    log_mean = np.log10(np.abs(dq.mean(axis=1)) + _EPS)
    if kind == "discharge":
        return np.column_stack([discharge_features(ds), log_mean])
    if kind == "curve":  # discharge features + log10 |ΔQ(V)| at every 10th grid voltage
        return np.column_stack([discharge_features(ds), log_mean, np.log10(np.abs(dq[:, ::10]) + 1e-5)])
    return np.column_stack([np.log10(np.var(dq, axis=1) + _EPS), np.log10(np.abs(dq.min(axis=1)) + _EPS), log_mean])


def network_inputs(
    name: str, ds: BatteryDataset, scalars: str = "discharge", asinh: bool = True, cycles: tuple[int, ...] | None = None
) -> Any:
    """The input arrays of network ``name`` for the cells of ``ds`` (float32).

    ``cnn``: ΔQ image of shape (n_cells, n_voltages, 9, 1); ``dqnet``: ``[curves (n_cells,
    n_voltages, 9), scalars (n_cells, n_scalars)]`` (see :class:`NeuralConfig` ``scalars``);
    ``fullcnn``: ΔQ image of ``cycles`` (default every recorded cycle up to 100) on about 100
    voltages, shape (n_cells, n_voltages', n_cycles, 1).
    Which arrays a network reads is its registered ``inputs`` recipe.
    """
    kind = network_spec(name).defaults["inputs"]
    if kind == "full_delta_q_image":
        return full_delta_q_image(ds, cycles).astype(np.float32)[..., None]
    image = delta_q_image(ds, TUTORIAL_CYCLES).astype(np.float32)
    if kind == "delta_q_image":
        return image[..., None]
    if kind == "delta_q_curves_and_scalars":
        # asinh(ΔQ / 1 mAh): linear below 1 mAh, logarithmic above, sign kept, so cells whose ΔQ
        # differ by decades (long- and short-lived) are both visible to the convolutions.
        curves = np.arcsinh(image / _ASINH_SCALE_AH).astype(np.float32) if asinh else image
        return [curves, _scalars(ds, scalars).astype(np.float32)]
    raise ConfigError(f"Unknown network inputs {kind!r} in the recipe of battery network {name!r}.")


def _take(x: Any, idx: np.ndarray) -> Any:
    return [a[idx] for a in x] if isinstance(x, list) else x[idx]


def _build(spec: ModelSpec, x: Any, y_log: np.ndarray, kwargs: dict[str, Any], residual: bool = False) -> Any:
    """The registered ``architecture`` builder of ``spec``, called on the arrays of its ``inputs``."""
    import importlib

    module, _, attr = spec.defaults["architecture"].partition(":")
    builder = getattr(importlib.import_module(module), attr)
    kind = spec.defaults["inputs"]
    if kind == "delta_q_curves_and_scalars":
        return builder(x[0], x[1], y_log, residual=residual, **kwargs)
    if kind == "full_delta_q_image":
        return builder(x[..., 0], y_log, **kwargs)
    return builder(x, y_log, **kwargs)


def _oof_log(base: str, ds: BatteryDataset, seed: int, n_folds: int = 5) -> tuple[np.ndarray, float]:
    """Out-of-fold log10 predictions of classical model ``base`` on ``ds`` and their RMSE in cycles."""
    from matnn.models.battery.classical import ClassicalModel

    rng = np.random.default_rng(seed + 7919)
    folds = np.array_split(rng.permutation(ds.n_cells), min(n_folds, ds.n_cells))
    pred = np.zeros(ds.n_cells)
    for f in folds:
        rest = np.setdiff1d(np.arange(ds.n_cells), f)
        pred[f] = ClassicalModel(base, seed=seed).fit(ds.subset(rest)).predict_log(ds.subset(f))
    return pred, float(np.sqrt(np.mean((10**pred - ds.cycle_life) ** 2)))


@dataclass
class NeuralModel:
    """A battery network (or ensemble of them) with its training recipe.

    Parameters
    ----------
    name : str
        A network of :data:`~matnn.models.battery.registry.BATTERY_MODELS`
        (``BATTERY_MODELS.names("network")``: ``cnn``, ``dqnet``, ``fullcnn``).
    seed : int, default=0
        Seeds weights, validation splits and batch order.
    config : NeuralConfig, optional
        Default: the registered recipe, :func:`default_config` (name).
    """

    name: str
    seed: int = 0
    config: NeuralConfig | None = None
    members_: list[Any] = field(default_factory=list, init=False, repr=False)
    histories_: list[dict[str, list[float]]] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self.spec_ = network_spec(self.name)
        self.name = self.spec_.name
        if self.config is None:
            self.config = default_config(self.name)

    def fit(
        self, ds: BatteryDataset, *, verbose: int = 0, device: Any = None, callbacks: list[Any] | None = None
    ) -> NeuralModel:
        """Train on the cells of ``ds`` (all must have a cycle life); ``callbacks`` are added to every member's fit."""
        from matnn.config import set_seed
        from matnn.core.callbacks import EarlyStopping
        from matnn.core.optimizers import Adam, AdamW

        cfg = self.config
        assert cfg is not None
        self.cycles_ = tuple(int(c) for c in ds.cycles if c <= 100) if self.name == "fullcnn" else None
        x = network_inputs(self.name, ds, cfg.scalars, cfg.asinh, self.cycles_)
        y = log_life(ds.cycle_life).astype(np.float32)
        residual = self.name == "dqnet" and cfg.residual
        self.base_ = None
        if residual:
            from matnn.models.battery.classical import ClassicalModel

            scores = {b: _oof_log(b, ds, self.seed) for b in cfg.base_candidates}
            self.base_name_ = min(scores, key=lambda b: scores[b][1])
            self.base_ = ClassicalModel(self.base_name_, seed=self.seed).fit(ds)
            y = (y - scores[self.base_name_][0]).astype(np.float32)  # residual of out-of-fold base predictions
        n = ds.n_cells
        rng = np.random.default_rng(self.seed)
        perm = rng.permutation(n)
        if cfg.ensemble > 1:
            folds = np.array_split(perm, cfg.ensemble)
        elif not cfg.early_stopping:
            folds = [np.array([], dtype=int)]
        else:
            folds = [perm[: max(1, int(round(cfg.val_fraction * n)))]]
        self.members_, self.histories_ = [], []
        for j, val_idx in enumerate(folds):
            tr_idx = np.setdiff1d(np.arange(n), val_idx)
            set_seed(self.seed * 1000 + j)
            x_tr, y_tr = _take(x, tr_idx), y[tr_idx]
            model = _build(self.spec_, x_tr, y_tr, dict(cfg.kwargs), residual=residual)
            if cfg.weight_decay > 0:
                opt = AdamW(learning_rate=cfg.learning_rate, weight_decay=cfg.weight_decay)
            elif cfg.l2 > 0:  # λ·Σ‖w‖² has gradient 2λw: Adam's coupled weight decay 2λ
                opt = Adam(learning_rate=cfg.learning_rate, weight_decay=2.0 * cfg.l2)
            else:
                opt = Adam(learning_rate=cfg.learning_rate)
            model.compile(optimizer=opt, loss="mse")
            weights = (
                inverse_frequency_weights(log_life(ds.cycle_life)[tr_idx]).astype(np.float32)
                if cfg.sample_weights
                else None
            )
            stop = cfg.early_stopping
            hist = model.fit(
                x_tr,
                y_tr[:, None],
                sample_weight=weights,
                validation_data=(_take(x, val_idx), y[val_idx][:, None]) if stop else None,
                epochs=cfg.epochs,
                batch_size=min(cfg.batch_size, len(tr_idx)),
                shuffle=cfg.batch_size < len(tr_idx),  # one full batch: order is irrelevant
                callbacks=(
                    [EarlyStopping(monitor="val_loss", patience=cfg.patience, restore_best_weights=True)]
                    if stop
                    else []
                )
                + list(callbacks or []),
                verbose=verbose,
                device=device,
            )
            self.members_.append(model)
            self.histories_.append({k: [float(v) for v in vals] for k, vals in hist.history.items()})
        return self

    def predict_log(self, ds: BatteryDataset) -> np.ndarray:
        """Mean over members of the predicted log10 cycle life, shape (n_cells,)."""
        return self.predict_log_members(ds).mean(axis=0)

    def base_log(self, ds: BatteryDataset) -> np.ndarray:
        """The residual base's log10 prediction (zeros when the model has no base), shape (n_cells,)."""
        base = getattr(self, "base_", None)
        return base.predict_log(ds) if base is not None else np.zeros(ds.n_cells)

    def predict_log_members(self, ds: BatteryDataset) -> np.ndarray:
        """Per-member predictions, shape (n_members, n_cells), log10 cycles."""
        if not self.members_:
            raise NotFittedError(f"NeuralModel({self.name!r}) is not fitted yet; call fit(train) first.")
        assert self.config is not None
        x = network_inputs(self.name, ds, self.config.scalars, self.config.asinh, getattr(self, "cycles_", None))
        base = self.base_log(ds)
        return np.stack(
            [base + np.asarray(m.predict(x, batch_size=256), dtype=float).reshape(-1) for m in self.members_]
        )

    def predict(self, ds: BatteryDataset) -> np.ndarray:
        """Predicted cycle life in cycles, shape (n_cells,)."""
        return 10.0 ** self.predict_log(ds)

    def save(self, directory: str | os.PathLike) -> Path:
        """Write the fitted model to ``directory``: ``member<j>.matnn`` per ensemble member
        (``model.save``: architecture, weights and the input normalisation), ``model.json`` (name,
        seed, config, the cycles ``fullcnn`` reads) and, for a residual ``dqnet``, its classical base in
        ``base/``."""
        from matnn.utils.io import to_jsonable, write_json

        if not self.members_:
            raise NotFittedError(f"NeuralModel({self.name!r}) is not fitted yet; call fit(train) first.")
        assert self.config is not None
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        for j, m in enumerate(self.members_):
            m.save(d / f"member{j}.matnn")
        base = getattr(self, "base_", None)
        if base is not None:
            base.save(d / "base")
        cycles = getattr(self, "cycles_", None)
        info = {
            "family": "network",
            "name": self.name,
            "seed": self.seed,
            "config": to_jsonable(asdict(self.config)),
            "cycles": list(cycles) if cycles is not None else None,
            "n_members": len(self.members_),
            "base": getattr(self, "base_name_", None) if base is not None else None,
        }
        write_json(d / "model.json", info)
        return d

    @classmethod
    def load(cls, directory: str | os.PathLike) -> NeuralModel:
        """The model :meth:`save` wrote to ``directory`` (a :class:`DataError` when it is missing or damaged)."""
        from matnn.core.exceptions import DataError
        from matnn.models.battery.classical import ClassicalModel, _read_model_json
        from matnn.models.saving import load_model

        d = Path(directory)
        info = _read_model_json(d, "network")
        known = {f.name for f in fields(NeuralConfig)}
        raw = {k: v for k, v in dict(info.get("config") or {}).items() if k in known}
        if "base_candidates" in raw:
            raw["base_candidates"] = tuple(raw["base_candidates"])
        model = cls(info["name"], seed=int(info.get("seed", 0)), config=NeuralConfig(**raw))
        n = int(info.get("n_members", 0))
        if n < 1:
            raise DataError(f"{d / 'model.json'}: records no ensemble members.")
        model.members_ = [load_model(d / f"member{j}.matnn", compile=False) for j in range(n)]
        model.cycles_ = tuple(int(c) for c in info["cycles"]) if info.get("cycles") is not None else None
        model.base_ = None
        if info.get("base"):
            model.base_ = ClassicalModel.load(d / "base")
            model.base_name_ = model.base_.name
        return model

    def with_config(self, **changes: Any) -> NeuralModel:
        """A new unfitted model with some config fields changed (for CV sweeps)."""
        assert self.config is not None
        return NeuralModel(self.name, self.seed, replace(self.config, **changes))
