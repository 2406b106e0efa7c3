"""``matnn crystals ...`` commands (see the matching workflow package for the Python API)."""

from __future__ import annotations

import argparse

from matnn.cli.common import area_parser

HELP = "crystals workflows"


def register(subparsers: argparse._SubParsersAction) -> None:
    area_parser(subparsers, "crystals", HELP)
