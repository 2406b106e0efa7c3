"""The composition models behind ``--model``, each with its default feature set and training recipe.

Every recipe number of the composition models is written here, once: the estimators
(:mod:`matnn.models.composition.estimators`) read a value from here whenever the
:class:`~matnn.models.composition.settings.ModelSettings` leave it ``None``, and the CLI reads its
``--model`` choices, defaults and help text from here.  Importing this module imports neither torch
nor scikit-learn.

Default keys
------------
``features``
    Feature set the model reads (``fractions``: the 86 element fractions; ``magpie``: the 132
    Magpie statistics; ``magpie+fractions``: both).
``epochs``, ``batch_size``, ``learning_rate`` (per Adam step), ``patience`` (epochs), ``loss``
    Network training; ``learning_rate`` and ``loss`` also for ``hgb``.
``mc_samples``
    Dropout-on passes averaged at inference (Monte Carlo dropout); 0 = deterministic network.
``standardize``
    Whether inputs and targets are standardised on the training rows.
``n_estimators``
    Trees of a forest, maximum boosting rounds of ``hgb``.
"""

from __future__ import annotations

from matnn.core.registry import ModelRegistry
from matnn.models.composition.elemnet import ELEMNET_ARCHITECTURE

__all__ = ["COMPOSITION_MODELS"]

COMPOSITION_MODELS = ModelRegistry("composition")

_ESTIMATORS = "matnn.models.composition.estimators"

COMPOSITION_MODELS.register(
    "elemnet",
    f"{_ESTIMATORS}:ElemNetRegressor",
    summary="ElemNet, 17 dense layers on the 86 element fractions, Monte Carlo dropout at inference",
    family="network",
    source="Jha et al., Sci. Rep. 8, 17593 (2018) and its reference code (dropout kept on when evaluating)",
    features="fractions",
    architecture=ELEMNET_ARCHITECTURE,
    epochs=1000,
    batch_size=32,
    learning_rate=1e-4,
    patience=20,  # the reference code waits 200 epochs
    loss="mae",
    mc_samples=10,
    # ElemNet takes raw fractions and raw eV/atom, as published.
    standardize=False,
)
COMPOSITION_MODELS.register(
    "rf-magpie",
    f"{_ESTIMATORS}:ForestRegressor",
    summary="random forest on the Magpie features (mean of the trees)",
    family="classical",
    source="Ward et al., npj Comput. Mater. 2, 16028 (2016); max_features=1/3 is Breiman's choice for regression",
    features="magpie",
    n_estimators=500,
    max_features=1 / 3,
    min_samples_leaf=1,
    aggregate="mean",
)
COMPOSITION_MODELS.register(
    "rf-median",
    f"{_ESTIMATORS}:ForestRegressor",
    summary="the same forest predicting the median of its trees (MAE-optimal, as a quantile regression forest)",
    family="classical",
    source="Meinshausen, J. Mach. Learn. Res. 7, 983 (2006); same trees as rf-magpie",
    **{**COMPOSITION_MODELS.get("rf-magpie").defaults, "aggregate": "median"},
)
COMPOSITION_MODELS.register(
    "dense",
    f"{_ESTIMATORS}:DenseRegressor",
    summary="configurable MLP on standardised Magpie features, MAE loss",
    family="network",
    source="matnn's settings for a feature table (docs/composition.md)",
    features="magpie",
    hidden="256,128,64",
    dropout=0.1,
    activation="relu",
    epochs=500,
    batch_size=64,
    learning_rate=1e-3,
    patience=40,
    loss="mae",
    mc_samples=0,
    standardize=True,
)
COMPOSITION_MODELS.register(
    "hgb",
    f"{_ESTIMATORS}:BoostingRegressor",
    summary="histogram gradient boosting (scikit-learn), absolute-error loss, early-stopped rounds",
    family="classical",
    source="scikit-learn HistGradientBoostingRegressor with matnn's settings",
    features="magpie+fractions",
    n_estimators=2000,
    learning_rate=0.05,
    loss="mae",
    max_leaf_nodes=31,
    l2_regularization=0.0,
    n_iter_no_change=50,
)
COMPOSITION_MODELS.register(
    "auto",
    f"{_ESTIMATORS}:AutoSelectRegressor",
    summary="picks one of --candidates by inner cross-validation MAE on the training rows, then refits it",
    family="selection",
    source="nested model selection (the test rows are never seen)",
    candidates="rf-magpie,rf-median,hgb,dense",
    # k-fold selection up to this many rows; above it one hold-out split (10 % of 300 rows was too noisy).
    selection_folds=5,
    kfold_max_rows=5000,
)
