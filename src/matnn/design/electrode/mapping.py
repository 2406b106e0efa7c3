"""Recipe → electrode: mass balances of drying and calendering.

Conventions: the film dries and is calendered in its thickness only (in-plane size fixed), the solids
are incompressible, and the carbon–binder domain (CBD) is counted as dense solid (its nano-porosity is
folded into the electrolyte-filled porosity). With solid mass fractions ``w_i`` and densities ``ρ_i``:

1. **Slurry.** The solids' mean density is ``1/ρ_s = Σ w_i/ρ_i``; a slurry of solids mass fraction
   ``SC`` in NMP (``ρ_NMP``) holds a solids *volume* fraction
   ``φ = (SC/ρ_s) / (SC/ρ_s + (1 - SC)/ρ_NMP)``.
2. **Drying.** The solvent leaves; the solids volume per area ``φ·L_wet`` is conserved, and the dried
   film has porosity ``ε_dry``, so ``L_dry = φ·L_wet / (1 - ε_dry)``. ``ε_dry`` rises linearly with the
   solid content (a more viscous slurry sets into a more open packing),
   ``ε_dry = ε_dry,ref + k_SC (SC - SC_ref)``: an empirical relation whose direction follows the slurry
   drying studies behind arXiv:2307.05521; its coefficients are illustrative, not fitted.
3. **Calendering.** A thickness reduction ``δ`` gives ``L = (1 - δ) L_dry`` and, with solids volume
   conserved, ``1 - ε = (1 - ε_dry) / (1 - δ)``. Porosity cannot fall below the compaction limit
   ``ε_min`` of the Meyer et al. (2017) calendering relation ``ε(q) = ε_min + (ε_0 - ε_min) e^{-q/γ}``;
   recipes that would need more are refused.
4. **Volume fractions.** ``ε_i = (1 - ε) · (w_i/ρ_i) / Σ_j (w_j/ρ_j)`` for active material, binder and
   carbon; the areal loading is ``(1 - ε) L ρ_s``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from matnn.core.exceptions import DataError
from matnn.core.validation import Interval, fraction, positive, validate
from matnn.design.electrode.recipe import Recipe

__all__ = [
    "Electrode",
    "Materials",
    "dried_porosity",
    "electrode_from_recipe",
    "solids_volume_fraction",
]


@dataclass(frozen=True)
class Materials:
    """Densities (g/cm³) and drying/calendering constants of the NMC | PVDF | carbon black | NMP system.

    Parameters
    ----------
    rho_am, rho_binder, rho_carbon, rho_solvent : float
        Densities of NMC811, PVDF, carbon black (C65) and NMP, g/cm³.
    binder_share : float
        Binder share of the non-active solids by mass (the rest is carbon); 0.5 = 1:1 PVDF:carbon.
    eps_dry_ref, solid_content_ref, k_solid_content : float
        Dried-film porosity at the reference solid content and its slope ``dε_dry/dSC``.
    eps_min : float
        Compaction limit of calendering (lowest reachable porosity).
    """

    rho_am: float = 4.75
    rho_binder: float = 1.78
    rho_carbon: float = 1.9
    rho_solvent: float = 1.028
    binder_share: float = 0.5
    eps_dry_ref: float = 0.46
    solid_content_ref: float = 0.55
    k_solid_content: float = 0.6
    eps_min: float = 0.20

    def __post_init__(self) -> None:
        validate(
            "Materials",
            asdict(self),
            {
                "rho_am": positive(),
                "rho_binder": positive(),
                "rho_carbon": positive(),
                "rho_solvent": positive(),
                "binder_share": fraction("both"),
                "eps_dry_ref": fraction(),
                "solid_content_ref": fraction(),
                "k_solid_content": Interval(float, None, None),
                "eps_min": fraction("left"),
            },
        )


@dataclass(frozen=True)
class Electrode:
    """A dried, calendered cathode coating (one side).

    Attributes
    ----------
    porosity : float
        Electrolyte-filled volume fraction ``ε``.
    eps_am, eps_binder, eps_carbon : float
        Volume fractions of active material, binder and carbon (sum ``1 - ε``).
    thickness_m : float
        Calendered coating thickness, m.
    loading_mg_cm2 : float
        Areal mass loading of the dry coating, mg/cm².
    eps_dry, thickness_dry_m, solids_volume_fraction_slurry : float
        Intermediate states: dried porosity and thickness, slurry solids volume fraction ``φ``.
    """

    porosity: float
    eps_am: float
    eps_binder: float
    eps_carbon: float
    thickness_m: float
    loading_mg_cm2: float
    eps_dry: float
    thickness_dry_m: float
    solids_volume_fraction_slurry: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _specific_volumes(am_fraction: float, m: Materials) -> tuple[float, float, float]:
    """Volume per gram of solids (cm³/g) of active material, binder and carbon."""
    rest = 1.0 - am_fraction
    return (
        am_fraction / m.rho_am,
        rest * m.binder_share / m.rho_binder,
        rest * (1 - m.binder_share) / m.rho_carbon,
    )


def solids_volume_fraction(am_fraction: float, solid_content: float, materials: Materials | None = None) -> float:
    """Solids volume fraction ``φ`` of the slurry (dimensionless)."""
    m = materials or Materials()
    v_solids = solid_content * sum(_specific_volumes(am_fraction, m))
    return v_solids / (v_solids + (1.0 - solid_content) / m.rho_solvent)


def dried_porosity(solid_content: float, materials: Materials | None = None) -> float:
    """Porosity of the dried, uncalendered film (the empirical linear relation of the module docstring)."""
    m = materials or Materials()
    return m.eps_dry_ref + m.k_solid_content * (solid_content - m.solid_content_ref)


def electrode_from_recipe(recipe: Recipe, materials: Materials | None = None) -> Electrode:
    """Map a manufacturing recipe to the electrode it makes (see the module docstring for the balances).

    Raises :class:`~matnn.core.exceptions.DataError` when the recipe leaves no pores (``ε_dry`` outside
    (0, 1)) or would calender below the compaction limit ``eps_min``.
    """
    m = materials or Materials()
    phi = solids_volume_fraction(recipe.am_fraction, recipe.solid_content, m)
    eps_dry = dried_porosity(recipe.solid_content, m)
    if not 0.0 < eps_dry < 1.0:
        raise DataError(f"Recipe {recipe.as_dict()} dries to a porosity of {eps_dry:.3f}, outside (0, 1).")
    thickness_dry = recipe.coating_um * 1e-6 * phi / (1.0 - eps_dry)
    porosity = 1.0 - (1.0 - eps_dry) / (1.0 - recipe.calendering)
    if porosity < m.eps_min:
        raise DataError(
            f"Recipe {recipe.as_dict()} calenders to a porosity of {porosity:.3f}, below the compaction limit "
            f"{m.eps_min:g}; reduce 'calendering'."
        )
    v = _specific_volumes(recipe.am_fraction, m)
    total = sum(v)
    solid = 1.0 - porosity
    thickness = (1.0 - recipe.calendering) * thickness_dry
    rho_s = 1.0 / total  # g/cm³
    loading = solid * thickness * 100.0 * rho_s * 1e3  # (m → cm) · g/cm³ → g/cm² → mg/cm²
    return Electrode(
        porosity=porosity,
        eps_am=solid * v[0] / total,
        eps_binder=solid * v[1] / total,
        eps_carbon=solid * v[2] / total,
        thickness_m=thickness,
        loading_mg_cm2=loading,
        eps_dry=eps_dry,
        thickness_dry_m=thickness_dry,
        solids_volume_fraction_slurry=phi,
    )
