"""Command-line options that every command judging runs shares (validate, gate)."""

from __future__ import annotations

import argparse


def rule_codes(text: str) -> list[str]:
    """ "T,U001" or "T U001" -> ["T", "U001"]; the engine checks that each exists."""
    return [part for part in text.replace(" ", ",").split(",") if part]


def add_rule_options(parser: argparse._ActionsContainer) -> None:
    """On a parser or an argument group (both are argparse's actions containers)."""
    parser.add_argument(
        "--strict",
        action="store_true",
        help="take the spec as written: the real API's known deviations become errors",
    )
    parser.add_argument(
        "--select",
        type=rule_codes,
        action="extend",
        default=[],
        metavar="CODES",
        help="only these rules (codes or prefixes, comma separated: T,U001)",
    )
    parser.add_argument(
        "--ignore",
        type=rule_codes,
        action="extend",
        default=[],
        metavar="CODES",
        help="not these rules (codes or prefixes)",
    )
