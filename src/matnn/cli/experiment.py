"""Experiments as data: a YAML file that declares one ``matnn`` command and its options.

The schema is the command line itself: every ``matnn <area> <action>`` defines which keys an
experiment may hold, their types and allowed values, so a run is reproducible from its file and
the file cannot drift from the CLI.  Example::

    command: battery train      # "<area> <action>"
    train: data/train.npz       # option names as on the command line, '-' or '_'
    test: data/test1.npz
    model: cnn
    seeds: 10
    seed: 0
    out: runs/battery-cnn

Relative paths are taken relative to the current working folder, as on the command line.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from matnn.core.exceptions import ConfigError, close_matches

__all__ = ["experiment_to_argv", "load_experiment", "read_yaml", "json_schema", "run_experiment"]


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Map "area action" → action parser, from the full CLI parser."""
    out: dict[str, argparse.ArgumentParser] = {}
    for area_action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        for area, area_parser in area_action.choices.items():
            if area == "run" or area_parser._subparsers is None:
                continue
            for sub in area_parser._subparsers._group_actions:
                for action, action_parser in sub.choices.items():
                    out[f"{area} {action}"] = action_parser
    return out


def _options(action_parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {a.dest: a for a in action_parser._actions if not isinstance(a, argparse._HelpAction)}


def _is_flag(action: argparse.Action) -> bool:
    return isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction, argparse._StoreConstAction))


#: JSON Schema of each value kind (``_type_name``); the experiment checks read the JSON type from it too.
_KIND_SCHEMA: dict[str, dict[str, Any]] = {
    "boolean": {"type": "boolean"},
    "integer": {"type": "integer"},
    "positive integer": {"type": "integer", "minimum": 1},
    "non-negative integer": {"type": "integer", "minimum": 0},
    "number": {"type": "number"},
    "positive number": {"type": "number", "exclusiveMinimum": 0},
    "non-negative number": {"type": "number", "minimum": 0},
    "fraction": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
}


def _type_name(action: argparse.Action) -> str:
    if _is_flag(action):
        return "boolean"
    t = action.type
    name = getattr(t, "__name__", None) if t is not None else "str"
    return {"int": "integer", "float": "number", "str": "string", "Path": "path"}.get(name or "str", name or "string")


def _check_value(cmd: str, key: str, action: argparse.Action, value: Any) -> list[str]:
    """Validate one value and return its argv tokens."""
    where = f"key '{key}' of '{cmd}'"
    if _is_flag(action):
        if not isinstance(value, bool):
            raise ConfigError(f"The {where} must be true or false. Got {value!r} instead.")
        wanted = isinstance(action, argparse._StoreTrueAction) or (
            isinstance(action, argparse._StoreConstAction) and not isinstance(action, argparse._StoreFalseAction)
        )
        return [action.option_strings[0]] if value == wanted else []
    many = action.nargs in ("+", "*") or isinstance(action.nargs, int)
    values = value if many and isinstance(value, list) else [value]
    if not many and isinstance(value, (list, dict)):
        raise ConfigError(f"The {where} must be a single {_type_name(action)}. Got {value!r} instead.")
    tokens: list[str] = []
    for v in values:
        if isinstance(v, (dict, list)) or v is None:
            raise ConfigError(f"The {where} must be a {_type_name(action)}. Got {v!r} instead.")
        kind = _type_name(action)
        json_type = _KIND_SCHEMA.get(kind, {}).get("type")
        if json_type == "integer" and (isinstance(v, bool) or not isinstance(v, int)):
            raise ConfigError(f"The {where} must be an integer. Got {v!r} instead.")
        if json_type == "number" and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise ConfigError(f"The {where} must be a number. Got {v!r} instead.")
        if kind in {"string", "path"} and not isinstance(v, (str, int, float)):
            raise ConfigError(f"The {where} must be a {kind}. Got {v!r} instead.")
        text = str(v)
        if action.type is not None:
            try:
                converted = action.type(text)
            except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
                raise ConfigError(f"The {where} is invalid: {exc}. Got {v!r}.") from None
        else:
            converted = text
        if action.choices is not None and converted not in action.choices:
            allowed = ", ".join(repr(c) for c in action.choices)
            raise ConfigError(f"The {where} must be one of {allowed}. Got {v!r} instead.")
        tokens.append(text)
    if action.option_strings:
        return [action.option_strings[0], *tokens]
    return tokens


def experiment_to_argv(
    spec: Mapping[str, Any], parser: argparse.ArgumentParser | None = None, source: str = "experiment"
) -> list[str]:
    """Validate an experiment mapping against the CLI and return the equivalent argv."""
    if parser is None:
        from matnn.cli.main import build_parser

        parser = build_parser()
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{source}: an experiment must be a mapping of keys to values, with a 'command' key.")
    commands = _commands(parser)
    cmd = spec.get("command")
    if not isinstance(cmd, str) or " ".join(cmd.split()) not in commands:
        hint = close_matches(str(cmd), commands)
        extra = f" Did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
        raise ConfigError(
            f"{source}: key 'command' must name a matnn command. Got {cmd!r}.{extra} Allowed: {', '.join(sorted(commands))}."
        )
    cmd = " ".join(cmd.split())
    options = _options(commands[cmd])
    positional: list[str] = []
    optional: list[str] = []
    seen: set[str] = set()
    for raw_key, value in spec.items():
        if raw_key == "command":
            continue
        key = str(raw_key).replace("-", "_")
        if key not in options or key in {"func"}:
            allowed = sorted(k for k in options)
            hint = close_matches(key, allowed)
            extra = f" Did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
            raise ConfigError(
                f"{source}: unknown key '{raw_key}' for '{cmd}'.{extra} Allowed keys: {', '.join(allowed)}."
            )
        action = options[key]
        seen.add(key)
        tokens = _check_value(cmd, str(raw_key), action, value)
        (optional if action.option_strings else positional).extend(tokens)
    missing = [d for d, a in options.items() if a.required and d not in seen]
    missing += [d for d, a in options.items() if not a.option_strings and d not in seen and a.nargs not in ("?", "*")]
    if missing:
        raise ConfigError(f"{source}: '{cmd}' needs the key(s) {', '.join(sorted(set(missing)))}.")
    check = getattr(commands[cmd], "check_args", None)
    if check is not None:  # settings that depend on each other (every value alone is valid here)
        try:
            check(commands[cmd].parse_args([*positional, *optional]))
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    return [*cmd.split(), *positional, *optional]


def load_experiment(path: str | os.PathLike) -> list[str]:
    """Read and validate an experiment YAML file; return the argv it stands for."""
    path = Path(path)
    return experiment_to_argv(read_yaml(path), source=str(path))


def read_yaml(path: str | os.PathLike) -> Any:
    """Parse a YAML file strictly: UTF-8 text, valid YAML, no key given twice in one mapping."""
    import yaml

    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path} is a folder; give the experiment's YAML file.")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"Experiment file {str(path)!r} does not exist.") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start} is {exc.object[exc.start : exc.start + 1]!r})."
        ) from None

    class StrictLoader(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node)
            if key in seen:
                raise ConfigError(f"{path}, line {key_node.start_mark.line + 1}: the key {key!r} is given twice.")
            seen.add(key)
        return loader.construct_mapping(node)

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]}).") from None


def json_schema(parser: argparse.ArgumentParser | None = None) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of experiment files, generated from the CLI."""
    if parser is None:
        from matnn.cli.main import build_parser

        parser = build_parser()
    variants = []
    for cmd, p in sorted(_commands(parser).items()):
        props: dict[str, Any] = {"command": {"const": cmd}}
        required = ["command"]
        for dest, a in _options(p).items():
            kind = _type_name(a)
            js: dict[str, Any] = dict(_KIND_SCHEMA.get(kind, {"type": "string"}))
            if a.choices is not None:
                js = {"enum": list(a.choices)}
            if a.nargs in ("+", "*"):
                js = {"type": "array", "items": js}
            if a.help:
                js["description"] = a.help
            props[dest] = js
            if a.required or (not a.option_strings and a.nargs not in ("?", "*")):
                required.append(dest)
        variants.append({"type": "object", "properties": props, "required": required, "additionalProperties": False})
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "matnn experiment", "oneOf": variants}


def run_experiment(path: str | os.PathLike, overrides: list[str] | None = None) -> Any:
    """Validate and run the experiment in ``path`` (the same code path as the command line).

    ``overrides`` are command-line run settings (``["--quiet", "--out", "runs/b"]``) that win over the file.
    """
    from matnn.cli.main import build_parser, run_args

    parser = build_parser()
    argv = load_experiment(path) + list(overrides or [])
    args = parser.parse_args(argv)
    return run_args(args, argv)
