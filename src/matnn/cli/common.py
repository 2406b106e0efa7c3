"""Pieces every ``matnn <area> <action>`` command shares.

Conventions
-----------
* Each area module (``matnn/cli/<area>.py``) defines ``register(subparsers)`` and imports its
  workflow lazily inside the handler, so ``matnn --help`` stays fast and needs no optional package.
* A handler takes the parsed ``argparse.Namespace`` and returns the flat metrics dict (or ``None``);
  :func:`matnn.cli.main.main` applies ``--threads``/``--seed``/``--device`` before calling it.
* Handlers write ``<out>/metrics.json`` with :func:`matnn.utils.io.write_metrics` and PNG figures
  beside it.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "add_common_args",
    "add_action",
    "area_parser",
    "positive_int",
    "non_negative_int",
    "positive_float",
    "non_negative_float",
    "fraction",
    "key_value",
    "OnelineParser",
    "add_nproc_arg",
    "add_executor_args",
    "add_model_option_arg",
]

Handler = Callable[[argparse.Namespace], Any]


class OnelineParser(argparse.ArgumentParser):
    """ArgumentParser whose user errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"{self.prog}: error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(2)


def _checked(
    cast: Callable[[str], Any], accept: Callable[[Any], bool], wanted: str, name: str | None = None
) -> Callable[[str], Any]:
    """An argparse ``type=`` that casts the text and refuses values outside ``accept`` (and nan/inf).

    ``name`` (default: ``wanted`` without its article) is the kind argparse's messages and the experiment
    schema read from ``__name__``.
    """

    def parse(text: str) -> Any:
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
        if not (accept(value) and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    parse.__name__ = name or wanted.removeprefix("a ").removeprefix("an ")
    return parse


positive_int = _checked(int, lambda v: v >= 1, "a positive integer")
non_negative_int = _checked(int, lambda v: v >= 0, "a non-negative integer")
positive_float = _checked(float, lambda v: v > 0, "a positive number")
non_negative_float = _checked(float, lambda v: v >= 0, "a non-negative number")
fraction = _checked(float, lambda v: 0.0 <= v < 1.0, "a number in [0, 1)", name="fraction")


def key_value(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` → ``(key, value)``; the value is read as an integer, a number, true/false/none, or kept as text."""
    key, sep, raw = text.partition("=")
    key = key.strip().replace("-", "_")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (e.g. learning_rate=0.001), got {text!r}")
    raw = raw.strip()
    words = {"true": True, "false": False, "none": None}
    if raw.lower() in words:
        return key, words[raw.lower()]
    for cast in (int, float):
        try:
            return key, cast(raw)
        except ValueError:
            pass
    return key, raw


key_value.__name__ = "KEY=VALUE"


def add_common_args(parser: argparse.ArgumentParser, *, out_required: bool = True, seed_default: int = 0) -> None:
    """Add ``--out``, ``--seed``, ``--threads``, ``--device`` and ``--quiet``."""
    g = parser.add_argument_group("run settings")
    g.add_argument("--out", type=Path, required=out_required, help="output folder (metrics.json, figures)")
    g.add_argument(
        "--seed",
        type=non_negative_int,
        default=seed_default,
        help=f"seed for every random choice, an integer >= 0 (default {seed_default})",
    )
    g.add_argument(
        "--threads", type=positive_int, default=None, help="CPU threads per process (default: $MATNN_NUM_THREADS or 1)"
    )
    g.add_argument("--device", default="auto", help="'auto' (CUDA if present, else CPU), 'cpu', 'cuda', 'cuda:N'")
    g.add_argument("--quiet", action="store_true", help="no progress output")
    g.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a run folder made with other settings (default: refuse, naming the difference)",
    )


def area_parser(subparsers: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    """Create ``matnn <name>`` and return the sub-parsers for its actions."""
    p = subparsers.add_parser(name, help=help, description=help)
    return p.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=OnelineParser)


def add_action(
    actions: argparse._SubParsersAction,
    name: str,
    handler: Handler,
    help: str,
    *,
    common: bool = True,
    out_required: bool = True,
    check: Callable[[argparse.Namespace], None] | None = None,
) -> argparse.ArgumentParser:
    """Create ``matnn <area> <name>`` bound to ``handler`` (with the common options unless ``common=False``).

    ``check`` tests settings that depend on each other (e.g. ``--model-option`` keys on ``--model``) and
    raises a :class:`~matnn.core.exceptions.ConfigError`; experiment files (``matnn run``, ``matnn tune``)
    run it on the parsed options before anything starts. It is kept on the parser, not in the options.
    """
    p = actions.add_parser(name, help=help, description=help)
    p.set_defaults(func=handler)
    p.check_args = check  # type: ignore[attr-defined]
    if common:
        add_common_args(p, out_required=out_required)
    return p


def add_nproc_arg(parser: argparse.ArgumentParser) -> None:
    """Add ``--nproc N``: run the command as N data-parallel training processes under torchrun."""
    parser.add_argument(
        "--nproc",
        type=positive_int,
        default=1,
        help="data-parallel training processes on this machine: the command is started again under torchrun "
        "(python -m torch.distributed.run --nproc-per-node N) and the batch is split between them; "
        "1 = one process (default). See docs/scale.md for several machines",
    )


def add_executor_args(parser: argparse.ArgumentParser, what: str = "seeds") -> None:
    """Add ``--workers N`` and ``--scheduler ADDRESS``: run independent fits on a Dask cluster."""
    g = parser.add_argument_group("parallel runs (Dask)")
    g.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        help=f"{what} run at once on a local Dask cluster of this many worker processes (default 1: in this process)",
    )
    g.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help=f"run the {what} on the Dask cluster at ADDRESS (tcp://host:8786) instead; --workers is then ignored",
    )


def add_model_option_arg(parser: argparse.ArgumentParser, help: str) -> None:
    """Add ``--model-option KEY=VALUE ...`` (repeatable; a later value of a key wins): see :func:`key_value`."""
    parser.add_argument(
        "--model-option",
        type=key_value,
        action="extend",
        nargs="+",
        default=None,
        metavar="KEY=VALUE",
        help=help,
    )
