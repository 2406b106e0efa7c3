"""Multi-objective search: pymoo's NSGA-II driven batch by batch, non-dominated sorting and hypervolume.

Objectives are *minimised*; the electrode workflow passes ``(-energy density, -rate fraction)``.
:func:`nsga2` uses pymoo's ask/tell interface so each generation is one batch the caller may evaluate
anywhere (a surrogate in memory, or DFN runs on a Dask cluster).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from matnn.core.exceptions import DataError
from matnn.core.validation import Interval, check, positive

__all__ = ["SearchResult", "hypervolume", "nondominated", "nsga2"]


@dataclass
class SearchResult:
    """Every point evaluated by a search and its final non-dominated set.

    Attributes
    ----------
    x, f : ndarray of shape (n_evals, d) and (n_evals, m)
        Every evaluated point and its objectives (non-finite rows are failed evaluations).
    x_front, f_front : ndarray
        The non-dominated points of the final population.
    n_evals : int
    """

    x: np.ndarray
    f: np.ndarray
    x_front: np.ndarray
    f_front: np.ndarray
    n_evals: int


def nondominated(f: np.ndarray) -> np.ndarray:
    """Indices of the non-dominated rows of ``f`` (n, m), minimisation; non-finite rows are skipped."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    f = np.asarray(f, dtype=float)
    ok = np.flatnonzero(np.all(np.isfinite(f), axis=1))
    if ok.size == 0:
        return ok
    front = NonDominatedSorting().do(f[ok], only_non_dominated_front=True)
    return ok[np.sort(np.asarray(front))]


def hypervolume(f: np.ndarray, ref: np.ndarray) -> float:
    """Hypervolume dominated by the rows of ``f`` (n, m) up to the reference point ``ref`` (m,), minimisation."""
    from pymoo.indicators.hv import HV

    f = np.asarray(f, dtype=float)
    f = f[np.all(np.isfinite(f), axis=1)]
    f = f[np.all(f < np.asarray(ref), axis=1)]
    return float(HV(ref_point=np.asarray(ref, dtype=float))(f)) if len(f) else 0.0


def nsga2(
    evaluate: Callable[[np.ndarray], np.ndarray],
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    n_obj: int = 2,
    pop_size: int = 64,
    generations: int = 50,
    seed: int = 0,
) -> SearchResult:
    """Run NSGA-II on the box ``[lower, upper]`` (d,), calling ``evaluate(X (n, d)) -> F (n, n_obj)`` once per generation.

    Non-finite rows of ``F`` (failed evaluations) get a large penalty so that the search moves away
    from them; they stay NaN in the result.
    """
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.evaluator import Evaluator
    from pymoo.core.problem import Problem
    from pymoo.core.termination import NoTermination
    from pymoo.problems.static import StaticProblem

    check("nsga2", "pop_size", pop_size, Interval(int, 4, None))
    check("nsga2", "generations", generations, positive(int))
    check("nsga2", "n_obj", n_obj, positive(int))
    lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    if lower.shape != upper.shape or lower.ndim != 1 or not np.all(lower < upper):
        raise DataError(f"nsga2 needs 1D bounds with lower < upper; got {lower!r} and {upper!r}.")
    problem = Problem(n_var=len(lower), n_obj=n_obj, xl=lower, xu=upper)
    algorithm = NSGA2(pop_size=pop_size, eliminate_duplicates=True)
    algorithm.setup(problem, termination=NoTermination(), seed=int(seed), verbose=False)
    xs, fs = [], []
    for _ in range(generations):
        pop = algorithm.ask()
        x = pop.get("X")
        f = np.asarray(evaluate(x), dtype=float).reshape(len(x), n_obj)
        xs.append(x)
        fs.append(f)
        Evaluator().eval(StaticProblem(problem, F=np.where(np.isfinite(f), f, 1e12)), pop)
        algorithm.tell(infills=pop)
    final = algorithm.pop
    xf, ff = final.get("X"), final.get("F")
    keep = nondominated(np.where(ff >= 1e12, np.nan, ff))
    return SearchResult(np.vstack(xs), np.vstack(fs), xf[keep], ff[keep], int(sum(len(x) for x in xs)))
