"""``matnn fundamentals <demo>``: the glass-box lectures, each writing a figure and metrics.json."""

from __future__ import annotations

import argparse

from matnn.cli.common import area_parser

HELP = "glass-box fundamentals: linear/logistic regression, perceptron, backprop, capacity, approximation"


def register(subparsers: argparse._SubParsersAction) -> None:
    area_parser(subparsers, "fundamentals", HELP)
