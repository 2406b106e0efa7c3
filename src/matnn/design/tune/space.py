"""The ``tune:`` block of an experiment file: search space and search settings, checked once.

Space entries map an option name (as in the experiment file; ``-`` or ``_``) or ``model_option.KEY``
(one ``--model-option KEY=VALUE`` of the command) to one of::

    {type: float, low: 1.0e-4, high: 1.0e-2, log: true}     # optional step (not with log)
    {type: int, low: 16, high: 256, log: true}               # optional step (default 1)
    {type: categorical, choices: ["64,32", "128,64"]}
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from matnn.core.exceptions import ConfigError, close_matches

__all__ = [
    "MODEL_OPTION_PREFIX",
    "PRUNERS",
    "SAMPLERS",
    "Param",
    "TuneSettings",
    "parse_space",
    "parse_tune_block",
    "suggest",
    "to_distributions",
]

MODEL_OPTION_PREFIX = "model_option."
SAMPLERS: tuple[str, ...] = ("tpe", "random", "cmaes", "gp", "sac")
PRUNERS: tuple[str, ...] = ("median", "hyperband", "none")
_PARAM_KEYS = {
    "float": {"type", "low", "high", "log", "step"},
    "int": {"type", "low", "high", "log", "step"},
    "categorical": {"type", "choices"},
}
_TUNE_KEYS = (
    "metric",
    "direction",
    "trials",
    "sampler",
    "pruner",
    "space",
    "seed",
    "study_name",
    "validation_fraction",
    "monitor",
    "warmup_epochs",
    "heartbeat_interval",
    "max_retry",
)


@dataclass(frozen=True)
class Param:
    """One searched option: ``kind`` in {'float', 'int', 'categorical'}."""

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] = ()


@dataclass
class TuneSettings:
    """Settings of a search (the ``tune:`` block); ``metric``/``direction``/``monitor`` None = the command's own."""

    space: dict[str, Param]
    metric: str | None = None
    direction: str | None = None
    trials: int = 20
    sampler: str = "tpe"
    pruner: str = "median"
    seed: int | None = None
    study_name: str | None = None
    validation_fraction: float = 0.2
    monitor: str | None = None
    warmup_epochs: int = 2
    heartbeat_interval: int = 10
    max_retry: int = 3
    extra: dict[str, Any] = field(default_factory=dict)


def _where(key: str) -> str:
    return f"tune.space.{key}"


def _number(key: str, name: str, value: Any, integer: bool) -> float:
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or not math.isfinite(float(value)):
        kind = "an integer" if integer else "a finite number"
        raise ConfigError(f"'{name}' of {_where(key)} must be {kind}; got {value!r}")
    return value


def _param(key: str, spec: Any) -> Param:
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{_where(key)} must be a mapping such as {{type: float, low: 0.0, high: 1.0}}; got {spec!r}")
    kind = spec.get("type")
    if kind not in _PARAM_KEYS:
        raise ConfigError(f"'type' of {_where(key)} must be one of float, int, categorical; got {kind!r}")
    unknown = sorted(set(map(str, spec)) - _PARAM_KEYS[kind])
    if unknown:
        raise ConfigError(
            f"unknown key '{unknown[0]}' in {_where(key)} (type {kind}); allowed: {', '.join(sorted(_PARAM_KEYS[kind]))}"
        )
    if kind == "categorical":
        choices = spec.get("choices")
        if not isinstance(choices, list) or not choices:
            raise ConfigError(f"'choices' of {_where(key)} must be a non-empty list; got {choices!r}")
        for c in choices:
            if not (c is None or isinstance(c, (bool, int, float, str))):
                raise ConfigError(f"'choices' of {_where(key)} must hold numbers, strings, booleans or null; got {c!r}")
        return Param(key, "categorical", choices=tuple(choices))
    integer = kind == "int"
    for name in ("low", "high"):
        if name not in spec:
            raise ConfigError(f"{_where(key)} needs '{name}'")
    low = _number(key, "low", spec["low"], integer)
    high = _number(key, "high", spec["high"], integer)
    if not low < high:
        raise ConfigError(f"'high' of {_where(key)} must be greater than low={low!r}; got {high!r}")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"'log' of {_where(key)} must be true or false; got {log!r}")
    if log and low <= 0:
        raise ConfigError(f"'low' of {_where(key)} must be > 0 with log: true; got {low!r}")
    step = spec.get("step")
    if step is not None:
        step = _number(key, "step", step, integer)
        if step <= 0:
            raise ConfigError(f"'step' of {_where(key)} must be > 0; got {step!r}")
        if log and (not integer or step != 1):
            raise ConfigError(f"'step' of {_where(key)} cannot be combined with log: true")
    return Param(key, kind, low=low, high=high, log=log, step=step)


def parse_space(raw: Any, *, allowed: Collection[str] | None = None, model_options: bool = True) -> dict[str, Param]:
    """Check a ``space:`` mapping and return ``{option: Param}``.

    Parameters
    ----------
    raw : mapping
        The ``space`` block.
    allowed : collection of str, optional
        Option names of the command (``_`` spelling); a key outside it is an error naming the key.
    model_options : bool
        Whether ``model_option.KEY`` keys are accepted (the command has ``--model-option``).
    """
    if raw is None or (isinstance(raw, Mapping) and not raw):
        raise ConfigError(
            "tune.space is empty: give at least one option to search, e.g. learning_rate: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}"
        )
    if not isinstance(raw, Mapping):
        raise ConfigError(f"tune.space must be a mapping of option names to ranges; got {raw!r}")
    space: dict[str, Param] = {}
    for raw_key, spec in raw.items():
        key = str(raw_key).replace("-", "_")
        if key.startswith(MODEL_OPTION_PREFIX):
            sub = key[len(MODEL_OPTION_PREFIX) :]
            if not model_options:
                raise ConfigError(f"tune.space key '{raw_key}': this command has no --model-option")
            if not sub.isidentifier():
                raise ConfigError(f"tune.space key '{raw_key}' must be model_option.KEY with KEY an identifier")
        elif allowed is not None and key not in allowed:
            hint = close_matches(key, sorted(allowed))
            extra = f" Did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
            raise ConfigError(f"tune.space key '{raw_key}' is not an option of this command.{extra}")
        if key in space:
            raise ConfigError(f"tune.space key '{raw_key}' is given twice")
        space[key] = _param(key, spec)
    return space


def parse_tune_block(raw: Any, *, allowed: Collection[str] | None = None, model_options: bool = True) -> TuneSettings:
    """Check a whole ``tune:`` block (see the module docstring and docs/design.md)."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"the 'tune' block must be a mapping with at least a 'space'; got {raw!r}")
    for k in raw:
        if k not in _TUNE_KEYS:
            hint = close_matches(str(k), _TUNE_KEYS)
            extra = f" Did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
            raise ConfigError(f"unknown key 'tune.{k}'.{extra} Allowed: {', '.join(_TUNE_KEYS)}")
    s = TuneSettings(space=parse_space(raw.get("space"), allowed=allowed, model_options=model_options))
    if raw.get("metric") is not None:
        if not isinstance(raw["metric"], str) or not raw["metric"]:
            raise ConfigError(
                f"'tune.metric' must be a metric name of the command's metrics.json; got {raw['metric']!r}"
            )
        s.metric = raw["metric"]
    if raw.get("direction") is not None:
        if raw["direction"] not in ("minimize", "maximize"):
            raise ConfigError(f"'tune.direction' must be minimize or maximize; got {raw['direction']!r}")
        s.direction = raw["direction"]
    for key, kind in (("trials", 1), ("heartbeat_interval", 1), ("max_retry", 0), ("warmup_epochs", 0)):
        if key in raw:
            v = raw[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < kind:
                raise ConfigError(f"'tune.{key}' must be an integer >= {kind}; got {v!r}")
            setattr(s, key, v)
    for key, options in (("sampler", SAMPLERS), ("pruner", PRUNERS)):
        if key in raw:
            v = str(raw[key]).lower() if raw[key] is not None else "none"
            if v not in options:
                raise ConfigError(f"'tune.{key}' must be one of {', '.join(options)}; got {raw[key]!r}")
            setattr(s, key, v)
    if raw.get("seed") is not None:
        if isinstance(raw["seed"], bool) or not isinstance(raw["seed"], int):
            raise ConfigError(f"'tune.seed' must be an integer; got {raw['seed']!r}")
        s.seed = raw["seed"]
    if raw.get("study_name") is not None:
        s.study_name = str(raw["study_name"])
    if "validation_fraction" in raw:
        v = raw["validation_fraction"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 < v < 1.0:
            raise ConfigError(f"'tune.validation_fraction' must be in (0, 1); got {v!r}")
        s.validation_fraction = float(v)
    if raw.get("monitor") is not None:
        s.monitor = str(raw["monitor"])
    return s


_RISING = ("acc", "r2", "auc", "f1", "precision", "recall")


def monitor_direction(monitor: str) -> str:
    """'maximize' for an epoch log that rises as the model improves (accuracy, r2, ...), else 'minimize'."""
    name = monitor.lower()
    return "maximize" if any(word in name for word in _RISING) else "minimize"


def to_distributions(space: Mapping[str, Param]) -> dict[str, Any]:
    """Optuna distributions of a parsed space."""
    import optuna.distributions as d

    out: dict[str, Any] = {}
    for name, p in space.items():
        if p.kind == "categorical":
            out[name] = d.CategoricalDistribution(list(p.choices))
        elif p.kind == "int":
            out[name] = d.IntDistribution(int(p.low), int(p.high), log=p.log, step=int(p.step or 1))
        else:
            out[name] = d.FloatDistribution(float(p.low), float(p.high), log=p.log, step=p.step)
    return out


def suggest(trial: Any, space: Mapping[str, Param]) -> dict[str, Any]:
    """Ask ``trial`` (an ``optuna.Trial``) for one value of each searched option."""
    out: dict[str, Any] = {}
    for name, p in space.items():
        if p.kind == "categorical":
            out[name] = trial.suggest_categorical(name, list(p.choices))
        elif p.kind == "int":
            out[name] = trial.suggest_int(name, int(p.low), int(p.high), step=int(p.step or 1), log=p.log)
        else:
            out[name] = trial.suggest_float(name, float(p.low), float(p.high), step=p.step, log=p.log)
    return out
