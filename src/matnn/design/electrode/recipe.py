"""The manufacturing recipe of a cathode and the space a design campaign samples.

Four variables, each a range with a source (see ``docs/design.md``):

===================  ======================================  ===============
variable             meaning                                 default range
===================  ======================================  ===============
``am_fraction``      active-material mass fraction of solids 0.90 – 0.97
``solid_content``    solids mass fraction of the slurry       0.55 – 0.75
``calendering``      thickness reduction by calendering       0.00 – 0.30
``coating_um``       wet coating (doctor-blade gap), µm       80 – 250
===================  ======================================  ===============
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from matnn.core.exceptions import ConfigError
from matnn.core.validation import Interval, check

__all__ = ["RECIPE_VARIABLES", "Recipe", "RecipeSpace", "recipe_key", "sobol_recipes"]

#: Names of the recipe variables, in the column order of every design matrix.
RECIPE_VARIABLES: tuple[str, ...] = (
    "am_fraction",
    "solid_content",
    "calendering",
    "coating_um",
)

_LIMITS = {  # what each variable can physically be (ranges must lie inside)
    "am_fraction": Interval(float, 0, 1, closed="neither"),
    "solid_content": Interval(float, 0, 1, closed="neither"),
    "calendering": Interval(float, 0, 1, closed="left"),
    "coating_um": Interval(float, 0, None, closed="neither"),
}


@dataclass(frozen=True)
class Recipe:
    """One manufacturing recipe.

    Parameters
    ----------
    am_fraction : float
        Active-material (NMC) mass fraction of the dry solids, in (0, 1); the rest is binder + carbon.
    solid_content : float
        Mass fraction of solids in the slurry (solids + NMP solvent), in (0, 1).
    calendering : float
        Calendering degree: relative thickness reduction ``(L_dry - L) / L_dry``, in [0, 1).
    coating_um : float
        Wet film thickness (coating gap), µm, > 0.
    """

    am_fraction: float
    solid_content: float
    calendering: float
    coating_um: float

    def __post_init__(self) -> None:
        for name in RECIPE_VARIABLES:
            value = getattr(self, name)
            check("Recipe", name, value, _LIMITS[name])
            object.__setattr__(self, name, float(value))

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def as_array(self) -> np.ndarray:
        """The recipe as a vector of shape (4,) in :data:`RECIPE_VARIABLES` order."""
        return np.array([getattr(self, n) for n in RECIPE_VARIABLES], dtype=float)

    @classmethod
    def from_array(cls, x: Sequence[float]) -> Recipe:
        return cls(**{n: float(v) for n, v in zip(RECIPE_VARIABLES, x, strict=True)})


def recipe_key(recipe: Recipe | Mapping[str, float], *context: Any) -> str:
    """Stable 16-hex-digit key of a recipe (rounded to 1e-9) and of the settings its result depends on."""
    values = recipe.as_dict() if isinstance(recipe, Recipe) else dict(recipe)
    payload = {
        "recipe": {k: round(float(values[k]), 9) for k in RECIPE_VARIABLES},
        "context": list(context),
    }
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


@dataclass(frozen=True)
class RecipeSpace:
    """Lower and upper bound of each recipe variable (a box the Sobol design and NSGA-II search).

    Each bound is a ``(low, high)`` pair with ``low < high`` inside the variable's physical limits.
    """

    am_fraction: tuple[float, float] = (0.90, 0.97)
    solid_content: tuple[float, float] = (0.55, 0.75)
    calendering: tuple[float, float] = (0.0, 0.30)
    coating_um: tuple[float, float] = (80.0, 250.0)

    def __post_init__(self) -> None:
        for f in fields(self):
            pair = getattr(self, f.name)
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise ConfigError(f"'{f.name}' of RecipeSpace must be a (low, high) pair; got {pair!r}")
            lo, hi = (check("RecipeSpace", f.name, v, _LIMITS[f.name]) for v in pair)
            if not lo < hi:
                raise ConfigError(f"'{f.name}' of RecipeSpace must be a range with low < high; got {tuple(pair)!r}")
            object.__setattr__(self, f.name, (float(lo), float(hi)))

    @property
    def lower(self) -> np.ndarray:
        """Lower bounds, shape (4,)."""
        return np.array([getattr(self, n)[0] for n in RECIPE_VARIABLES])

    @property
    def upper(self) -> np.ndarray:
        """Upper bounds, shape (4,)."""
        return np.array([getattr(self, n)[1] for n in RECIPE_VARIABLES])

    def to_unit(self, x: np.ndarray) -> np.ndarray:
        """Scale recipe vectors of shape (n, 4) to the unit cube."""
        return (np.asarray(x, dtype=float) - self.lower) / (self.upper - self.lower)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map unit-cube points of shape (n, 4) to recipe vectors."""
        return self.lower + np.asarray(u, dtype=float) * (self.upper - self.lower)

    def as_dict(self) -> dict[str, list[float]]:
        return {n: list(getattr(self, n)) for n in RECIPE_VARIABLES}


def sobol_recipes(n: int, space: RecipeSpace | None = None, *, seed: int = 0) -> list[Recipe]:
    """``n`` recipes from a scrambled Sobol sequence over ``space`` (``scipy.stats.qmc.Sobol``).

    A Sobol sequence is balanced at powers of two; other ``n`` take its first ``n`` points
    (still low-discrepancy). ``n`` must be at least 2.
    """
    check("sobol_recipes", "n", n, Interval(int, 2, None))
    from scipy.stats import qmc

    space = space or RecipeSpace()
    sampler = qmc.Sobol(d=len(RECIPE_VARIABLES), scramble=True, seed=int(seed))
    m = int(np.ceil(np.log2(n)))
    u = sampler.random_base2(m)[:n]
    return [Recipe.from_array(x) for x in space.from_unit(u)]
