"""Samplers and pruners by name (the ``sampler:``/``pruner:`` keys of a ``tune:`` block)."""

from __future__ import annotations

from typing import Any

from matnn.core.exceptions import ConfigError, require

__all__ = ["make_pruner", "make_sampler"]


def make_sampler(name: str, *, seed: int | None = None, n_startup_trials: int | None = None) -> Any:
    """An Optuna sampler: 'tpe', 'random', 'cmaes', 'gp' or 'sac' (:class:`~matnn.design.tune.sac.SACSampler`)."""
    import optuna

    startup = {} if n_startup_trials is None else {"n_startup_trials": int(n_startup_trials)}
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, **startup)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "cmaes":
        require("cmaes", "design")
        # Categorical parameters fall back to independent random sampling; the warning is expected.
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False, **startup)
    if name == "gp":
        require("scipy", "design")
        return optuna.samplers.GPSampler(seed=seed, **startup)
    if name == "sac":
        from matnn.design.tune.sac import SACSampler

        return SACSampler(seed=seed, **startup)
    raise ConfigError(f"'sampler' of tune must be one of tpe, random, cmaes, gp, sac; got {name!r}")


def make_pruner(name: str, *, n_startup_trials: int = 2, n_warmup_steps: int = 2) -> Any:
    """An Optuna pruner: 'median', 'hyperband' or 'none'."""
    import optuna

    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=n_startup_trials, n_warmup_steps=n_warmup_steps)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=max(1, n_warmup_steps))
    if name == "none":
        return optuna.pruners.NopPruner()
    raise ConfigError(f"'pruner' of tune must be one of median, hyperband, none; got {name!r}")
