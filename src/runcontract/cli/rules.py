"""`runcontract rules`: the contract rules and deviations of the catalogue, one line each."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from runcontract.catalogue import load_catalogue


def add_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    from runcontract.cli import COMMANDS, add_command  # noqa: PLC0415 - the package imports us

    parser = add_command(
        subparsers,
        "rules",
        summary=COMMANDS["rules"][1],
        description="List every rule of the contract catalogue: its code, name, severity, the "
        "profiles it applies to and its title. A deviation is the real API's known departure "
        "from the spec: a warning, an error with --strict.",
        handler=list_rules,
    )
    parser.add_argument("--evidence", action="store_true", help="show each rule's evidence")


def list_rules(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    for rule in load_catalogue().rules.values():
        kind = "deviation (warning; error with --strict)" if rule.deviation else rule.severity
        profiles = ",".join(sorted(p.value for p in rule.profiles))
        stdout.write(f"{rule.code}  {rule.name:<34} {kind:<8}  [{profiles}]  {rule.title}\n")
        if args.evidence:
            stdout.write(f"       evidence: {rule.evidence}\n")
    return 0
