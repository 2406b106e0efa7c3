"""Front-error remedies of the electrode loop: the logit target of the rate fraction and active refinement."""

import json

import numpy as np
import pytest

from matnn.core.exceptions import ConfigError, DataError
from matnn.design.electrode.microstructure import ImageSpec
from matnn.design.electrode.surrogate import EnsembleSurrogate, expit, logit

SMALL = ImageSpec(size=24, radius_vox=3, seeds=1, bin_width=0.05)


def test_logit_round_trips_and_clips():
    p = np.array([[0.0, 1e-3, 0.3], [0.5, 0.9, 1.0]])
    assert np.allclose(expit(logit(p)), np.clip(p, 1e-4, 1 - 1e-4))
    assert logit(0.5) == 0.0 and np.all(np.isfinite(logit(p)))


def test_logit_column_predictions_stay_fractions():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(96, 2))
    y = np.column_stack([x[:, 0] + x[:, 1], expit(12 * (x[:, 1] - 0.5))])  # a steep drop in (0, 1)
    ens = EnsembleSurrogate(members=2, epochs=60, seed=0, logit_columns=(1,)).fit(x, y)
    mean, std = ens.predict(rng.uniform(-0.5, 1.5, size=(64, 2)), return_std=True)  # also outside the data
    assert np.all((mean[:, 1] > 0) & (mean[:, 1] < 1)) and np.all(std >= 0)
    with pytest.raises(DataError, match="fractions in \\[0, 1\\]"):
        EnsembleSurrogate(members=1, epochs=1, logit_columns=(0,)).fit(x, y * 10)
    with pytest.raises(DataError, match="exceed the 2 target columns"):
        EnsembleSurrogate(members=1, epochs=1, logit_columns=(2,)).fit(x, y)


def test_refinement_trains_on_checked_fronts_and_counts_their_calls(tmp_path, monkeypatch):
    pytest.importorskip("pymoo")
    from matnn.workflows.design import electrode as wf

    def toy(task):  # smooth stand-in for the DFN; the rate fraction drops steeply with thickness
        e = wf.electrode_from_recipe(task[0])
        rate = 1 / (1 + (e.thickness_m / 80e-6) ** 4 * (0.5 / e.porosity))
        energy = 2000 * e.eps_am * (1 - np.exp(-e.thickness_m / 60e-6))
        return {
            "recipe": task[0].as_dict(),
            "status": "ok",
            "energy_density_wh_l": float(energy),
            "rate_fraction": float(rate),
            "seconds": 0.0,
        }

    monkeypatch.setattr(wf, "evaluate_recipe", toy)
    m = wf.design_electrode(
        tmp_path,
        n=16,
        members=1,
        epochs=40,
        baseline="rf",
        pop_size=8,
        generations=4,
        direct_pop_size=4,
        direct_generations=1,
        rate_transform="logit",
        refine_rounds=1,
        image_spec=SMALL,
        show_progress=False,
    )
    rounds = json.loads((tmp_path / "front.json").read_text())["rounds"]
    assert len(rounds) == 2 and m["refine_rounds"] == 1 and m["rate_transform"] == "logit"
    # round 1 trains on the campaign's training rows plus every recipe of the checked round-0 front
    assert rounds[1]["training_size"] == rounds[0]["training_size"] + rounds[0]["front_size"]
    # every DFN call of the route is a real simulation: campaign + both fronts, less recipes met before
    assert m["dfn_calls_surrogate_route"] == 16 + rounds[0]["front_size"] + rounds[1]["front_size"] - sum(
        r["front_repeats_checked"] for r in rounds
    )
    # (the direct search starts from the same seeded random population, so it may meet a route recipe)
    direct = m["dfn_calls_direct"]
    assert m["new_dfn_simulations"] - direct <= m["dfn_calls_surrogate_route"] <= m["new_dfn_simulations"]
    # the reported median is the worse objective's, of the last front
    assert m["front_error_median"] == max(m["front_error_median_energy"], m["front_error_median_power"])
    assert m["front_error_median_power"] == m["front_error_median_power_round1"]


def test_refinement_options_are_checked(tmp_path):
    from matnn.workflows.design import electrode as wf

    with pytest.raises(ConfigError, match="'rate_transform' of design_electrode"):
        wf.design_electrode(tmp_path, n=8, rate_transform="log", show_progress=False)
    with pytest.raises(ConfigError, match="'refine_rounds' of design_electrode"):
        wf.design_electrode(tmp_path, n=8, refine_rounds=-1, show_progress=False)
