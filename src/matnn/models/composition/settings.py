"""The knobs of the composition models, checked where they enter (no torch, no scikit-learn here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from matnn.core.registry import ModelSpec
from matnn.core.validation import Interval, Options, non_negative, positive, validate
from matnn.data.composition.featurizers import FEATURE_SETS

__all__ = ["FEATURE_CHOICES", "ModelSettings"]

#: Named feature sets computed from formulas, plus ``columns``: the numeric columns of a CSV as they are.
FEATURE_CHOICES: tuple[str, ...] = (*FEATURE_SETS, "columns")

_CHECKS = {
    "features": [Options(FEATURE_CHOICES, lower=False), None],
    "epochs": [positive(int), None],
    "batch_size": [positive(int), None],
    "learning_rate": [positive(float), None],
    "patience": [positive(int), None],
    "validation_fraction": Interval(float, 0, 1, closed="neither"),
    "dropout": [Interval(float, 0, 1, closed="left"), None],
    "weight_decay": non_negative(float),
    "reduce_lr_patience": [positive(int), None],
    "mc_samples": [non_negative(int), None],
    "n_estimators": [positive(int), None],
    "min_samples_leaf": [positive(int), None],
    "selection_folds": non_negative(int),
}


@dataclass
class ModelSettings:
    """Every knob of the composition models; ``None`` = the model's own default.

    The defaults of each model (its recipe) live in
    :data:`~matnn.models.composition.registry.COMPOSITION_MODELS`; :meth:`value` reads a knob,
    falling back to them.  Network settings apply to ``elemnet`` and ``dense``; forest/boosting
    settings to ``rf-magpie``, ``rf-median`` and ``hgb``.  Units: learning rate per Adam step;
    ``validation_fraction`` of the training rows.  ``mc_samples`` > 0 keeps the network's dropout on
    at inference (Monte Carlo dropout): the validation loss that early stopping watches is then one
    dropout-on pass, as in ElemNet's reference code, and predictions are the mean of ``mc_samples``
    passes; 0 is the usual deterministic network.  ``init_from`` names a saved network folder (a
    previous run's ``DIR/model``) whose weights and scaling the network starts from: training
    continues (or fine-tunes) with a fresh optimizer instead of starting from random weights.
    ``selection_folds`` (``auto``): inner CV folds; 0 = the model's rule, 1 = one hold-out split.
    """

    features: str | None = None
    epochs: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    patience: int | None = None
    validation_fraction: float = 0.1
    loss: str | None = None
    hidden: str | Sequence[int] | None = None
    dropout: float | None = None
    activation: str | None = None
    batch_norm: bool = False
    weight_decay: float = 0.0
    architecture: str | None = None
    reduce_lr_patience: int | None = None
    mc_samples: int | None = None
    init_from: str | None = None
    n_estimators: int | None = None
    max_features: float | str | None = None
    min_samples_leaf: int | None = None
    candidates: str | None = None
    selection_folds: int = 0
    verbose: Any = 0

    def __post_init__(self) -> None:
        validate(
            "ModelSettings",
            {f.name: getattr(self, f.name) for f in fields(self)},
            _CHECKS,
        )

    def value(self, key: str, spec: ModelSpec) -> Any:
        """This setting, or model ``spec``'s default for it when it is ``None``."""
        mine = getattr(self, key)
        return spec.default(key) if mine is None else mine

    def replace(self, **changes: Any) -> ModelSettings:
        """A copy with ``changes`` applied (checked again)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return ModelSettings(**values)
