"""Recipe space, Sobol design and the drying/calendering mass balances."""

import numpy as np
import pytest

from matnn.core.exceptions import ConfigError, DataError
from matnn.design.electrode import (
    Materials,
    Recipe,
    RecipeSpace,
    electrode_from_recipe,
    recipe_key,
    sobol_recipes,
)
from matnn.design.electrode.mapping import solids_volume_fraction

UNIT = Materials(
    rho_am=1.0,
    rho_binder=1.0,
    rho_carbon=1.0,
    rho_solvent=1.0,
    eps_dry_ref=0.5,
    k_solid_content=0.0,
)


def test_hand_computed_unit_densities():
    # All densities 1 g/cm³: phi = SC = 0.5; eps_dry = 0.5 -> L_dry = 100 µm * 0.5 / 0.5 = 100 µm;
    # 20 % thinner -> 80 µm and 1 - eps = 0.5 / 0.8 = 0.625; loading 0.625 * 80e-4 cm * 1 g/cm³ = 5 mg/cm².
    e = electrode_from_recipe(Recipe(0.9, 0.5, 0.2, 100.0), UNIT)
    assert e.solids_volume_fraction_slurry == pytest.approx(0.5)
    assert e.thickness_dry_m == pytest.approx(100e-6)
    assert e.thickness_m == pytest.approx(80e-6)
    assert e.porosity == pytest.approx(0.375)
    assert e.eps_am == pytest.approx(0.625 * 0.9)
    assert e.eps_binder == pytest.approx(0.625 * 0.05)
    assert e.eps_carbon == pytest.approx(0.625 * 0.05)
    assert e.loading_mg_cm2 == pytest.approx(5.0)


def test_hand_computed_real_densities():
    m = Materials()
    # 95 % NMC (4.75), 2.5 % PVDF (1.78), 2.5 % carbon (1.9): solids 0.2 + 0.014045 + 0.013158 cm³/g
    v = [0.95 / 4.75, 0.025 / 1.78, 0.025 / 1.9]
    vs = 0.6 * sum(v)
    phi = vs / (vs + 0.4 / 1.028)
    assert solids_volume_fraction(0.95, 0.6, m) == pytest.approx(phi)
    e = electrode_from_recipe(Recipe(0.95, 0.6, 0.0, 150.0), m)
    eps_dry = 0.46 + 0.6 * 0.05
    assert e.porosity == pytest.approx(eps_dry)
    assert e.eps_am / e.eps_binder == pytest.approx(v[0] / v[1])
    assert e.thickness_m == pytest.approx(150e-6 * phi / (1 - eps_dry))


def test_mass_balance_holds_over_a_design():
    m = Materials()
    for r in sobol_recipes(32, seed=3):
        e = electrode_from_recipe(r, m)
        solids_per_area = r.coating_um * 1e-6 * e.solids_volume_fraction_slurry  # m³ of solids per m²
        assert (1 - e.porosity) * e.thickness_m == pytest.approx(solids_per_area)
        assert (1 - e.eps_dry) * e.thickness_dry_m == pytest.approx(solids_per_area)
        assert e.porosity + e.eps_am + e.eps_binder + e.eps_carbon == pytest.approx(1.0)
        assert 0.2 <= e.porosity < e.eps_dry or r.calendering == 0


def test_over_calendering_is_refused():
    with pytest.raises(DataError, match="compaction limit"):
        electrode_from_recipe(Recipe(0.95, 0.55, 0.6, 100.0))


def test_sobol_design_covers_the_box_and_is_seeded():
    space = RecipeSpace()
    a, b = sobol_recipes(64, space, seed=1), sobol_recipes(64, space, seed=1)
    x = np.array([r.as_array() for r in a])
    assert np.array_equal(x, np.array([r.as_array() for r in b]))
    assert np.all(x >= space.lower) and np.all(x <= space.upper)
    u = space.to_unit(x)
    assert np.all(np.abs(u.mean(axis=0) - 0.5) < 0.05)  # balanced
    assert len({recipe_key(r) for r in a}) == 64
    assert recipe_key(a[0], "cellA") != recipe_key(a[0], "cellB")


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: sobol_recipes(1),
            "'n' of sobol_recipes must be an int in \\[2, inf\\); got 1",
        ),
        (lambda: RecipeSpace(calendering=(0.2, 0.2)), "low < high"),
        (
            lambda: RecipeSpace(am_fraction=(0.9, 1.2)),
            "'am_fraction' of RecipeSpace must be a float in \\(0, 1\\); got 1.2",
        ),
        (lambda: Recipe(1.5, 0.6, 0.1, 100.0), "'am_fraction' of Recipe must be"),
    ],
)
def test_bad_inputs_are_one_line_errors(call, match):
    with pytest.raises(ConfigError, match=match) as info:
        call()
    assert "\n" not in str(info.value)
