"""NSGA-II, non-dominated sorting, hypervolume and the surrogates."""

import numpy as np
import pytest

from matnn.core.exceptions import ConfigError, DataError
from matnn.design.electrode.search import hypervolume, nondominated, nsga2
from matnn.design.electrode.surrogate import (
    EnsembleSurrogate,
    fit_baseline,
    regression_scores,
)

pytest.importorskip("pymoo")


def test_nsga2_recovers_the_zdt1_front():
    from pymoo.indicators.igd import IGD
    from pymoo.problems import get_problem

    zdt1 = get_problem("zdt1", n_var=10)
    res = nsga2(
        lambda x: zdt1.evaluate(x, return_values_of=["F"]),
        zdt1.xl,
        zdt1.xu,
        pop_size=40,
        generations=150,
        seed=1,
    )
    true = zdt1.pareto_front()
    assert res.n_evals == 40 * 150 and len(res.f_front) >= 30
    assert IGD(true)(res.f_front) < 0.03
    ref = np.array([1.1, 1.1])
    assert hypervolume(res.f_front, ref) > 0.97 * hypervolume(true, ref)


def test_nondominated_and_hypervolume_by_hand():
    f = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [2.5, 2.5], [np.nan, 0.0]])
    assert nondominated(f).tolist() == [0, 1, 2]
    # staircase of three points under reference (4, 4): 3*1 + 2*1 + 1*1 = 6
    assert hypervolume(f[:3], np.array([4.0, 4.0])) == pytest.approx(6.0)
    assert hypervolume(np.array([[5.0, 5.0]]), np.array([4.0, 4.0])) == 0.0


def test_failed_evaluations_do_not_stop_the_search():
    def f(x):
        out = np.column_stack([x[:, 0], 1 - x[:, 0] + x[:, 1]])
        out[x[:, 1] > 0.9] = np.nan
        return out

    res = nsga2(f, np.zeros(2), np.ones(2), pop_size=8, generations=5, seed=0)
    assert np.isnan(res.f).any() and np.all(np.isfinite(res.f_front))


def test_nsga2_bad_bounds():
    with pytest.raises(DataError, match="lower < upper"):
        nsga2(lambda x: x, np.ones(2), np.ones(2))
    with pytest.raises(ConfigError, match="'pop_size' of nsga2"):
        nsga2(lambda x: x, np.zeros(2), np.ones(2), pop_size=2)


def test_ensemble_and_baseline_learn_a_smooth_map():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(160, 4))
    y = np.column_stack([np.sin(2 * x[:, 0]) + x[:, 1] ** 2, np.exp(-x[:, 2]) * (1 + x[:, 3])])
    ens = EnsembleSurrogate(members=2, epochs=120, seed=0).fit(x[:120], y[:120])
    mean, std = ens.predict(x[120:], return_std=True)
    assert mean.shape == std.shape == (40, 2) and np.all(std >= 0)
    assert np.all(regression_scores(y[120:], mean)["r2"] > 0.9)
    gp = fit_baseline(x[:120], y[:120], kind="gp")
    assert np.all(regression_scores(y[120:], gp.predict(x[120:]))["r2"] > 0.95)
    with pytest.raises(ConfigError, match="'kind' of fit_baseline"):
        fit_baseline(x, y, kind="svm")
