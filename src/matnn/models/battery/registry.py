"""The battery cycle-life models behind ``--model``, each with its source and default recipe.

Every recipe number of the battery models is written here, once: the classical estimators
(:mod:`matnn.models.battery.classical`) read their features, estimator and search grids from here,
the networks (:mod:`matnn.models.battery.networks`) build their default
:class:`~matnn.models.battery.networks.NeuralConfig` from here, and the CLI reads its ``--model``
choices, default and help text from here.  Importing this module imports neither torch nor
scikit-learn.

Default keys of the classical models (family ``"classical"``)
-------------------------------------------------------------
``features``
    ``log_variance`` (Severson's one feature), ``discharge`` (Severson's six discharge features) or
    ``log_delta_q`` (log10(|ΔQ_{100−10}(V)| + ``log_offset_ah``) at every grid voltage).
``estimator``
    ``linear``, ``elastic_net`` (``l1_ratios``, ``n_alphas`` strengths, ``max_iter``), ``ridge``
    (``alphas_log10`` = (first exponent, last exponent, count)), ``plsr`` or ``pcr`` (1 to
    ``max_components`` components); hyper-parameters are chosen by ``cv_folds``-fold
    cross-validation on the training cells, inputs standardised (except ``linear``).

Default keys of the networks (family ``"network"``)
---------------------------------------------------
The fields of :class:`~matnn.models.battery.networks.NeuralConfig`: ``epochs`` (full-batch steps
when the batch holds every cell), ``batch_size``, ``learning_rate`` (per Adam step),
``weight_decay`` (AdamW), ``l2`` (Attia's penalty λ·Σ‖w‖²), ``early_stopping``, ``patience``
(epochs), ``val_fraction``, ``ensemble`` (members), ``sample_weights``, ``residual`` (``dqnet``
stacked on a classical base), plus ``inputs`` (which arrays the network reads, see
:func:`~matnn.models.battery.networks.network_inputs`), ``architecture`` (the builder in
:mod:`matnn.models.battery.architectures`) and ``in_demo`` (whether ``matnn battery demo`` trains it).
"""

from __future__ import annotations

from matnn.core.registry import ModelRegistry

__all__ = ["BATTERY_MODELS", "DEFAULT_MODEL"]

BATTERY_MODELS = ModelRegistry("battery")

#: The model ``matnn battery train`` and :func:`~matnn.workflows.battery.train.train_and_evaluate` fit by default.
DEFAULT_MODEL = "dqnet"

_CLASSICAL = "matnn.models.battery.classical:ClassicalModel"
_NETWORK = "matnn.models.battery.networks:NeuralModel"
_ARCH = "matnn.models.battery.architectures"

_SEVERSON = "Severson et al., Nature Energy 4, 383 (2019)"
_ATTIA = "Attia et al., J. Electrochem. Soc. 168, 090547 (2021)"
# Inner cross-validation of every classical model: 5 folds of the training cells (never a test set).
_CV = {"cv_folds": 5}
_ENET = {"estimator": "elastic_net", "l1_ratios": (0.1, 0.5, 0.9, 1.0), "n_alphas": 30, "max_iter": 50000, **_CV}
# Full-curve models see log10 |ΔQ(V)|: cycle life scales as a power of the ΔQ magnitude (that is why
# Severson's log-variance works), and on raw ΔQ(V) a linear model extrapolates a fast-fading cell far
# outside the training range (5-fold CV RMSE on the Severson training cells: 156-208 cycles raw, 96-132
# on log10 |ΔQ|).  The offset (Ah) keeps log10 finite where ΔQ is 0.
_LOG_DQ = {"features": "log_delta_q", "log_offset_ah": 1e-5}

BATTERY_MODELS.register(
    "variance",
    _CLASSICAL,
    summary="linear fit of log10 life on log10 var ΔQ_100-10(V) (one feature)",
    family="classical",
    source=f"{_SEVERSON}, 'variance' model",
    options={"name": "variance"},
    features="log_variance",
    estimator="linear",
)
BATTERY_MODELS.register(
    "discharge",
    _CLASSICAL,
    summary="elastic net on Severson's six discharge features",
    family="classical",
    source=f"{_SEVERSON}, 'discharge' model",
    options={"name": "discharge"},
    features="discharge",
    **_ENET,
)
BATTERY_MODELS.register(
    "elastic_net",
    _CLASSICAL,
    summary="elastic net on log10 |ΔQ_100-10(V)| at every voltage",
    family="classical",
    source=f"{_ATTIA}, elastic net on the full ΔQ(V) curve",
    options={"name": "elastic_net"},
    **_LOG_DQ,
    **_ENET,
)
BATTERY_MODELS.register(
    "ridge",
    _CLASSICAL,
    summary="ridge regression on log10 |ΔQ_100-10(V)|",
    family="classical",
    source=f"{_ATTIA} (linear models on ΔQ(V)); strength from 30 values 1e-3..1e4 by CV",
    options={"name": "ridge"},
    **_LOG_DQ,
    estimator="ridge",
    alphas_log10=(-3.0, 4.0, 30),
    **_CV,
)
BATTERY_MODELS.register(
    "plsr",
    _CLASSICAL,
    summary="partial least squares on log10 |ΔQ_100-10(V)|, components by CV",
    family="classical",
    source=f"{_ATTIA}, PLSR",
    options={"name": "plsr"},
    **_LOG_DQ,
    estimator="plsr",
    max_components=10,
    **_CV,
)
BATTERY_MODELS.register(
    "pcr",
    _CLASSICAL,
    summary="principal-component regression on log10 |ΔQ_100-10(V)|, components by CV",
    family="classical",
    source=f"{_ATTIA}, PCR",
    options={"name": "pcr"},
    **_LOG_DQ,
    estimator="pcr",
    max_components=10,
    **_CV,
)

# Network recipes of cnn and dqnet: chosen by 5-fold cross-validation on the Severson training cells
# (bench/battery_cv.py); the test cells were never read.
BATTERY_MODELS.register(
    "cnn",
    _NETWORK,
    summary="the tutorial's 2D CNN on the ΔQ_k(V) image of cycles 20..100",
    family="network",
    source="Paulson & Ward, MRS tutorial (2022), after Severson et al. 2019; recipe by 5-fold CV (bench/battery_cv.py)",
    options={"name": "cnn"},
    inputs="delta_q_image",
    architecture=f"{_ARCH}:build_tutorial_cnn",
    epochs=600,
    batch_size=8,
    learning_rate=1e-3,
    weight_decay=0.0,
    l2=0.0,
    early_stopping=True,
    patience=60,
    val_fraction=0.2,
    ensemble=1,
    sample_weights=True,
    residual=False,
    in_demo=True,
)
BATTERY_MODELS.register(
    "dqnet",
    _NETWORK,
    summary="matnn's hybrid 1D CNN ensemble correcting a classical base model",
    family="network",
    source="matnn's design (docs/battery.md); recipe by 5-fold CV on the Severson training cells (bench/battery_cv.py)",
    options={"name": "dqnet"},
    inputs="delta_q_curves_and_scalars",
    architecture=f"{_ARCH}:build_dq_net",
    epochs=600,
    batch_size=8,
    learning_rate=1e-3,
    weight_decay=1e-2,
    l2=0.0,
    early_stopping=True,
    patience=60,
    val_fraction=0.2,
    ensemble=5,
    sample_weights=True,
    residual=True,
    base_candidates=("discharge", "pcr", "variance"),
    scalars="discharge",
    asinh=True,
    in_demo=True,
)
# Attia et al. 2021's published choice (its authors' grid search, read on the test sets, not CV):
# 20,000 full-batch Adam steps at lr 1e-4, L2 weight 1e-3, no dropout.
BATTERY_MODELS.register(
    "fullcnn",
    _NETWORK,
    summary="Attia's LeNet on the ΔQ_k(V) image of every cycle 2..100, full-batch Adam",
    family="network",
    source=f"{_ATTIA}, CNN and its published training recipe",
    options={"name": "fullcnn"},
    inputs="full_delta_q_image",
    architecture=f"{_ARCH}:build_full_delta_q_cnn",
    epochs=20000,
    batch_size=1 << 20,
    learning_rate=1e-4,
    weight_decay=0.0,
    l2=1e-3,
    early_stopping=False,
    sample_weights=False,
    residual=False,
    # 20,000 full-batch steps: too slow for the demo's few minutes.
    in_demo=False,
)
