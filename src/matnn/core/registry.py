"""Name registries: one table per family (layers, losses, optimizers, ...), with aliases.

A class registered here can be rebuilt from ``{"class_name": ..., "config": ...}`` by
:func:`deserialize`, which is how ``matnn.load_model`` restores an architecture without the script
that created it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from matnn.core.exceptions import ConfigError, unknown_name

__all__ = ["Registry", "register_serializable", "serialize", "deserialize", "SERIALIZABLES"]

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
            import importlib

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
