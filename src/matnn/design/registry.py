"""The design area's models by name, with their default recipes: the surrogates of electrode design.

``ensemble`` is the matnn network surrogate (an ensemble of dense networks, whose spread is the uncertainty);
``gp`` and ``rf`` are the scikit-learn baselines it is compared with. The CLI reads names, defaults and help here.
"""

from __future__ import annotations

from matnn.core.registry import ModelRegistry

__all__ = ["DESIGN_MODELS"]

DESIGN_MODELS = ModelRegistry("design")

DESIGN_MODELS.register(
    "ensemble",
    "matnn.design.electrode.surrogate:EnsembleSurrogate",
    family="surrogate",
    summary="ensemble of dense tanh networks (matnn.Sequential), one per seed; the spread is the uncertainty",
    source="matnn's electrode-design benchmark (docs/design.md)",
    members=5,
    hidden=(64, 64),
    epochs=400,
    batch_size=32,
    learning_rate=3e-3,
)
DESIGN_MODELS.register(
    "gp",
    "matnn.design.electrode.surrogate:fit_baseline",
    family="baseline",
    options={"kind": "gp"},
    summary="Gaussian process, Matérn 5/2 with one length scale per recipe variable plus white noise (scikit-learn)",
    source="Rasmussen & Williams 2006; scikit-learn",
)
DESIGN_MODELS.register(
    "rf",
    "matnn.design.electrode.surrogate:fit_baseline",
    family="baseline",
    options={"kind": "rf"},
    summary="random forest, 300 trees, leaves of at least 2 designs (scikit-learn)",
    source="Breiman 2001; scikit-learn",
)
