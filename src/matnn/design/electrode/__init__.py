"""Electrode inverse design: manufacturing recipe → microstructure → P2D performance → surrogate → NSGA-II.

The pure pieces live here; :mod:`matnn.workflows.design.electrode` runs them as a cached campaign.

* :mod:`.recipe` — the recipe space and its Sobol design;
* :mod:`.mapping` — drying and calendering mass balances: recipe → porosity, volume fractions, thickness;
* :mod:`.microstructure` — packed-particle images at that porosity, tortuosity by the finite-volume solver;
* :mod:`.dfn` — PyBaMM DFN of the cathode in a fixed cell at a low and a high C-rate;
* :mod:`.surrogate` — matnn network ensemble and a scikit-learn baseline;
* :mod:`.search` — pymoo NSGA-II and hypervolume.
"""

from matnn.design.electrode.mapping import Electrode, Materials, electrode_from_recipe
from matnn.design.electrode.recipe import (
    RECIPE_VARIABLES,
    Recipe,
    RecipeSpace,
    recipe_key,
    sobol_recipes,
)

__all__ = [
    "RECIPE_VARIABLES",
    "Electrode",
    "Materials",
    "Recipe",
    "RecipeSpace",
    "electrode_from_recipe",
    "recipe_key",
    "sobol_recipes",
]
