"""``matnn`` command line: ``matnn <area> <action> [options] --out DIR``.

The CLI is a thin layer: each action parses its options and calls the Python API.  User errors
(any :class:`~matnn.core.exceptions.MatnnError`, a missing file) print one line and exit with 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
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
    "tune",
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


def run_args(args: argparse.Namespace, argv: Sequence[str] | None = None) -> object:
    """Apply the run settings of ``args`` and call its handler.

    ``argv`` (the arguments ``args`` were parsed from) lets ``--nproc N`` start the command again under
    torchrun; without it such a command is refused rather than run on one process.
    """
    if getattr(args, "nproc", 1) > 1 and "WORLD_SIZE" not in os.environ:
        from matnn.core.distributed import DistributedError
        from matnn.core.exceptions import ConfigError

        if argv is None:
            raise ConfigError(
                "nproc > 1 starts the command again under torchrun, which needs its arguments; "
                "run it as 'matnn <area> <action> ... --nproc N'."
            )
        code = _relaunch(args.nproc, list(argv))
        if code != 0:
            raise DistributedError(
                f"a training process failed (torchrun --nproc-per-node {args.nproc}, exit code {code}); "
                "its message is above"
            )
        return None
    from matnn.cli.run_folder import claim_run_folder

    _apply_run_settings(args)
    with claim_run_folder(args):
        return args.func(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``matnn`` script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    prog = f"matnn {args.area}" + (f" {args.action}" if getattr(args, "action", None) else "")
    private_out = _private_out(args)
    if "WORLD_SIZE" in os.environ and os.environ.get("RANK", "0") != "0":
        prog += f" [rank {os.environ['RANK']}]"
    try:
        run_args(args, sys.argv[1:] if argv is None else argv)  # --nproc N needs the arguments to start again
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader of our output went away (`matnn run --schema | head -1`): nothing left to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line for the user; the traceback only on request
        message, code = describe_error(exc)
        print(f"{prog}: error: {message}", file=sys.stderr)
        if os.environ.get("MATNN_DEBUG"):
            raise
        return code
    finally:
        if private_out is not None:
            from matnn.core.distributed import remove_private_out_dir

            remove_private_out_dir(private_out)
    return 0


def describe_error(exc: BaseException) -> tuple[str, int]:
    """One line and an exit code for an exception that ends a command.

    matnn's own errors and file, decode and archive errors are the user's to fix (exit 2). Anything else is
    a fault in matnn or a library it calls (exit 1): still one line, naming the exception, with the way to
    see the traceback.
    """
    import gzip
    import zlib

    from matnn.core.exceptions import MatnnError

    if isinstance(exc, MatnnError):
        return str(exc), 2
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or exc}: {exc.filename}", 2
    if isinstance(exc, UnicodeDecodeError):
        return f"a file is not UTF-8 text (byte {exc.start}: {exc.object[exc.start : exc.start + 1]!r})", 2
    if isinstance(exc, (gzip.BadGzipFile, zlib.error, EOFError)):
        return f"a compressed file is damaged or truncated ({type(exc).__name__}: {exc})", 2
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc}", 2
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"unexpected {type(exc).__name__}: {text} (set MATNN_DEBUG=1 to see the traceback)", 1


def _private_out(args: argparse.Namespace) -> str | None:
    """In a data-parallel run, ranks other than 0 write into a scratch folder and print nothing."""
    from matnn.core import distributed

    if not distributed.launched_by_torchrun() or distributed.is_main_process():
        return None
    args.quiet = True
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - summaries some commands print unconditionally
    if getattr(args, "out", None) is None:
        return None
    from pathlib import Path

    folder = distributed.private_out_dir()
    args.out = Path(folder) / Path(args.out).name
    return folder


_AGENT_LOG = re.compile(r"^[IWE]\d{4} |^\S*torch/distributed/")  # torchrun's own log lines (glog format)


def _relaunch(nproc: int, argv: list[str]) -> int:
    """Run this command again as ``nproc`` processes under torchrun; return its exit code."""
    import subprocess

    from matnn.core.distributed import strip_nproc, torchrun_command

    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", env.get("MATNN_NUM_THREADS", "1"))  # torchrun would otherwise warn and set 1
    cmd = torchrun_command(nproc, strip_nproc(argv))
    # The ranks print their own one-line errors; torchrun's report of a failed child (a Python traceback
    # of the launcher) is dropped so that the user sees one line, as for any matnn error.
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True, bufsize=1)
    assert proc.stderr is not None
    in_report = False
    for line in proc.stderr:
        if line.startswith(("Traceback", "=====")):
            in_report = True
        if not in_report and not _AGENT_LOG.match(line):
            sys.stderr.write(line)
            sys.stderr.flush()
    return proc.wait()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
