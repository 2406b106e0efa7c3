"""``matnn`` command line: ``matnn <area> <action> [options] --out DIR``.

The CLI is a thin layer: each action parses its options and calls the Python API.  User errors
(any :class:`~matnn.core.exceptions.MatnnError`, a missing file) print one line and exit with 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from matnn import __version__
from matnn.cli.common import OnelineParser

__all__ = ["build_parser", "main", "AREAS"]

# Each name is a module matnn/cli/<name>.py with register(subparsers).
AREAS: tuple[str, ...] = (
    "fundamentals",
    "battery",
    "composition",
    "images",
    "microstructure",
    "crystals",
    "dynamics",
    "design",
    "run",
)


def build_parser() -> argparse.ArgumentParser:
    parser = OnelineParser(
        prog="matnn",
        description="Neural networks for materials and battery science: architecture + loss + optimizer.",
    )
    parser.add_argument("--version", action="version", version=f"matnn {__version__}")
    sub = parser.add_subparsers(dest="area", required=True, metavar="AREA", parser_class=OnelineParser)
    for area in AREAS:
        module = importlib.import_module(f"matnn.cli.{area.replace('-', '_')}")
        module.register(sub)
    return parser


def _apply_run_settings(args: argparse.Namespace) -> None:
    from matnn import config

    config.set_num_threads(getattr(args, "threads", None))
    if getattr(args, "device", None) is not None:
        config.set_device(args.device)
    if getattr(args, "seed", None) is not None:
        config.set_seed(args.seed)
    if getattr(args, "quiet", False):
        os.environ["MATNN_PROGRESS"] = "0"


def run_args(args: argparse.Namespace) -> object:
    """Apply the run settings of ``args`` and call its handler."""
    _apply_run_settings(args)
    return args.func(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``matnn`` script; returns the process exit code."""
    from matnn.core.exceptions import MatnnError

    parser = build_parser()
    args = parser.parse_args(argv)
    prog = f"matnn {args.area}" + (f" {args.action}" if getattr(args, "action", None) else "")
    try:
        run_args(args)
    except MatnnError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        print(f"{prog}: error: {exc.strerror or exc}: {exc.filename}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
