"""``matnn composition ...`` commands (see the matching workflow package for the Python API)."""

from __future__ import annotations

import argparse

from matnn.cli.common import area_parser

HELP = "composition workflows"


def register(subparsers: argparse._SubParsersAction) -> None:
    area_parser(subparsers, "composition", HELP)
