"""``matnn run experiment.yaml``: run an experiment declared in a file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from matnn.cli.common import non_negative_int, positive_int


def _handle(args: argparse.Namespace) -> None:
    from matnn.cli.experiment import json_schema, load_experiment, run_experiment

    if args.schema:
        print(json.dumps(json_schema(), indent=2))
        return None
    if args.experiment is None:
        from matnn.core.exceptions import ConfigError

        raise ConfigError("give an experiment file (matnn run experiment.yaml) or --schema")
    overrides = _run_settings(args)
    if args.dry_run:
        print("matnn " + " ".join(load_experiment(args.experiment) + overrides))
        return None
    return run_experiment(args.experiment, overrides)


def _run_settings(args: argparse.Namespace) -> list[str]:
    """The run settings given after the file, as command-line options that override the file's values."""
    argv: list[str] = []
    for flag, dest in (("out", "out_override"), ("seed", "seed"), ("threads", "threads"), ("device", "device")):
        value = getattr(args, dest)
        if value is not None:
            argv += [f"--{flag}", str(value)]
    return argv + (["--quiet"] if args.quiet else [])


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "run",
        help="run an experiment declared in a YAML file",
        description="Run the matnn command declared in a YAML file; its keys are the command's options.",
    )
    p.add_argument("experiment", type=Path, nargs="?", help="experiment YAML file")
    p.add_argument("--schema", action="store_true", help="print the JSON schema of experiment files and exit")
    p.add_argument("--dry-run", action="store_true", help="validate and print the equivalent command line")
    g = p.add_argument_group("run settings (override the file's values)")
    # Stored apart from "out": the run folder is claimed by the command the file names, not by `matnn run`.
    g.add_argument("--out", dest="out_override", default=None, help="output folder")
    g.add_argument("--seed", type=non_negative_int, default=None, help="seed for every random choice")
    g.add_argument("--threads", type=positive_int, default=None, help="CPU threads per process")
    g.add_argument("--device", default=None, help="'auto', 'cpu', 'cuda', 'cuda:N'")
    g.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=_handle)
