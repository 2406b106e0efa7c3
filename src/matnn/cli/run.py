"""``matnn run experiment.yaml``: run an experiment declared in a file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _handle(args: argparse.Namespace) -> None:
    from matnn.cli.experiment import json_schema, load_experiment, run_experiment

    if args.schema:
        print(json.dumps(json_schema(), indent=2))
        return None
    if args.experiment is None:
        from matnn.core.exceptions import ConfigError

        raise ConfigError("give an experiment file (matnn run experiment.yaml) or --schema")
    if args.dry_run:
        print("matnn " + " ".join(load_experiment(args.experiment)))
        return None
    return run_experiment(args.experiment)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "run",
        help="run an experiment declared in a YAML file",
        description="Run the matnn command declared in a YAML file; its keys are the command's options.",
    )
    p.add_argument("experiment", type=Path, nargs="?", help="experiment YAML file")
    p.add_argument("--schema", action="store_true", help="print the JSON schema of experiment files and exit")
    p.add_argument("--dry-run", action="store_true", help="validate and print the equivalent command line")
    p.set_defaults(func=_handle)
