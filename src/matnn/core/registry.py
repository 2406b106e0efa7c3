"""Name registries: one table per family (layers, losses, optimizers, ...), with aliases.

A class registered here can be rebuilt from ``{"class_name": ..., "config": ...}`` by
:func:`deserialize`, which is how ``matnn.load_model`` restores an architecture without the script
that created it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from matnn.core.exceptions import ConfigError, unknown_name

__all__ = [
    "Registry",
    "register_serializable",
    "serialize",
    "deserialize",
    "SERIALIZABLES",
    "ModelSpec",
    "ModelRegistry",
]

T = TypeVar("T")


class Registry:
    """A name → object table with aliases and case-insensitive lookup.

    Parameters
    ----------
    kind : str
        What the table holds, used in error messages ("loss", "optimizer", ...).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, Any] = {}
        self._canonical: dict[str, str] = {}

    def register(self, name: str, *aliases: str) -> Callable[[T], T]:
        def deco(obj: T) -> T:
            self.add(obj, name, *aliases)
            return obj

        return deco

    def add(self, obj: Any, name: str, *aliases: str) -> None:
        for key in (name, *aliases):
            self._items[key.lower()] = obj
            self._canonical[key.lower()] = name

    def __contains__(self, name: str) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def get(self, name: str) -> Any:
        if not isinstance(name, str):
            raise ConfigError(f"A {self.kind} name must be a string. Got {name!r} instead.")
        try:
            return self._items[name.lower()]
        except KeyError:
            raise unknown_name(self.kind, name, self.names()) from None

    def canonical(self, name: str) -> str:
        self.get(name)
        return self._canonical[name.lower()]

    def names(self) -> list[str]:
        return sorted(set(self._canonical.values()))


# Every class that can appear in a saved model: layers, models, losses, metrics, schedules.
SERIALIZABLES = Registry("serializable class")


def register_serializable(name: str | None = None) -> Callable[[type[T]], type[T]]:
    """Class decorator: make ``cls`` restorable by :func:`deserialize` under ``name``.

    The class must implement ``get_config()`` returning its constructor arguments.
    """

    def deco(cls: type[T]) -> type[T]:
        if not hasattr(cls, "get_config"):
            raise TypeError(f"{cls.__name__} must define get_config() to be registered as serializable.")
        key = name or f"matnn>{cls.__name__}"
        SERIALIZABLES.add(cls, key)
        cls._registered_name = key  # type: ignore[attr-defined]
        return cls

    return deco


def serialize(obj: Any) -> dict[str, Any]:
    """``{"class_name": registered name, "config": obj.get_config()}``."""
    key = getattr(type(obj), "_registered_name", None)
    if key is None or SERIALIZABLES._items.get(key.lower()) is not type(obj):
        raise ConfigError(
            f"{type(obj).__name__} is not registered for saving. Decorate it with "
            "@matnn.register_serializable() and give it a get_config() method."
        )
    # The module lets load_model import a class registered outside matnn's always-imported modules.
    return {"class_name": key, "module": type(obj).__module__, "config": obj.get_config()}


def deserialize(spec: dict[str, Any], custom_objects: dict[str, type] | None = None) -> Any:
    """Rebuild an object from :func:`serialize`'s output."""
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise ConfigError(f"Cannot deserialize {spec!r}: expected a dict with 'class_name' and 'config'.")
    name = spec["class_name"]
    cls = None
    if custom_objects:
        cls = custom_objects.get(name) or custom_objects.get(name.split(">")[-1])
    if cls is None:
        module = spec.get("module")
        if name not in SERIALIZABLES and isinstance(module, str) and module.startswith("matnn."):
            try:  # only matnn's own modules: loading a file must never import arbitrary code
                importlib.import_module(module)
            except ImportError:
                pass
        cls = SERIALIZABLES.get(name)
    from_config = getattr(cls, "from_config", None)
    config = spec.get("config", {}) or {}
    if from_config is not None:
        return from_config(config)
    return cls(**config)


# ---------------------------------------------------------------------------------------------
# Model registries: one per area (battery, composition, images, microstructure, crystals, design).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSpec:
    """One registered model: its name, where its class or builder lives, and its default recipe.

    Attributes
    ----------
    name : str
        The name users type (``--model NAME``, ``model: NAME`` in an experiment file).
    target : str
        ``"package.module:attribute"`` of the class or builder. It is imported on first use, so the
        CLI can list models and defaults without importing torch or an optional package.
    summary : str
        One line for ``--help`` and the docs.
    family : str
        A grouping inside the area (``"classical"``, ``"network"``, ``"potential"``, ...).
    defaults : mapping
        The model's default recipe: ``learning_rate``, ``weight_decay``, ``epochs``,
        ``batch_size``, ... Written here once; the CLI, the workflows and the docs read it.
    source : str
        Where the recipe comes from (paper, or the benchmark that measured it).
    options : mapping
        Fixed keyword arguments passed to the builder (lets one class serve several names).
    """

    name: str
    target: str
    summary: str
    family: str = ""
    defaults: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)

    def load(self) -> Any:
        """The class or builder function (imported now)."""
        module, _, attr = self.target.partition(":")
        obj = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj

    def build(self, *args: Any, **kwargs: Any) -> Any:
        """Call the builder with this spec's fixed ``options`` and the given arguments."""
        return self.load()(*args, **{**self.options, **kwargs})

    def default(self, key: str, fallback: Any = None) -> Any:
        """The model's default for ``key`` (``learning_rate``, ``epochs``, ...), else ``fallback``."""
        return self.defaults.get(key, fallback)


class ModelRegistry:
    """The models of one area, by name, in registration order.

    A name is checked once, by :meth:`get`, which suggests close matches for a typo. The CLI reads
    ``choices`` (:meth:`names`), defaults (:meth:`default`) and help text (:meth:`describe`) from here,
    so no list of model names is written anywhere else.

    Examples
    --------
    >>> reg = ModelRegistry("example")
    >>> _ = reg.register("ridge", "sklearn.linear_model:Ridge", summary="ridge regression", alpha=1.0)
    >>> reg.names(), reg.default("ridge", "alpha")
    (('ridge',), 1.0)
    """

    def __init__(self, area: str) -> None:
        self.area = area
        self._specs: dict[str, ModelSpec] = {}
        self._aliases: dict[str, str] = {}

    def register(
        self,
        name: str,
        target: str,
        *,
        summary: str,
        family: str = "",
        source: str = "",
        aliases: tuple[str, ...] = (),
        options: Mapping[str, Any] | None = None,
        **defaults: Any,
    ) -> ModelSpec:
        """Register ``name`` → ``target`` with its default recipe (keyword arguments)."""
        key = name.lower()
        if key in self._aliases:
            raise ConfigError(f"The {self.area} model {name!r} is registered twice.")
        spec = ModelSpec(
            name=name,
            target=target,
            summary=summary,
            family=family,
            defaults=dict(defaults),
            source=source,
            options=dict(options or {}),
        )
        self._specs[name] = spec
        for alias in (name, *aliases):
            self._aliases[alias.lower()] = name
        return spec

    def get(self, name: str) -> ModelSpec:
        """The spec called ``name`` (case-insensitive); an unknown name lists the allowed ones."""
        if isinstance(name, ModelSpec):
            return name
        if not isinstance(name, str) or name.lower() not in self._aliases:
            raise unknown_name(f"{self.area} model", name, self.names())
        return self._specs[self._aliases[name.lower()]]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._aliases

    def __iter__(self) -> Iterator[ModelSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def names(self, family: str | None = None) -> tuple[str, ...]:
        """Registered names in registration order, optionally of one ``family`` only."""
        return tuple(s.name for s in self._specs.values() if family is None or s.family == family)

    def default(self, name: str, key: str, fallback: Any = None) -> Any:
        """Model ``name``'s default for ``key``, else ``fallback``."""
        return self.get(name).default(key, fallback)

    def build(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Build a fresh model called ``name``."""
        return self.get(name).build(*args, **kwargs)

    def describe(self, family: str | None = None) -> str:
        """``"name: summary; ..."`` for ``--help`` texts."""
        return "; ".join(f"{s.name}: {s.summary}" for s in self if family is None or s.family == family)
