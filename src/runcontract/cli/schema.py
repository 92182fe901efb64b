"""`runcontract schema PROFILE`: the run schema of a profile as one self-contained document."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from runcontract.model import Profile


def add_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    from runcontract.cli import COMMANDS, add_command  # noqa: PLC0415 - the package imports us

    parser = add_command(
        subparsers,
        "schema",
        summary=COMMANDS["schema"][1],
        description=(
            "Print the JSON Schema 2020-12 of the run object of PROFILE as one document, every "
            "type under $defs, so any JSON Schema validator can use it offline. It is the spec "
            "as written (what --strict judges by); with --compatible, the real API's known "
            "schema deviations are allowed (what validate judges errors by, by default)."
        ),
        handler=print_schema,
    )
    parser.add_argument("profile", choices=[p.value for p in Profile], metavar="PROFILE")
    parser.add_argument(
        "--compatible",
        action="store_true",
        help="allow the real API's schema deviations (see runcontract rules)",
    )


def print_schema(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from runcontract.catalogue import load_catalogue  # noqa: PLC0415
    from runcontract.engine.schemacheck import (  # noqa: PLC0415 - only this command needs it
        portable_schema,
        schema_deviations,
    )

    deviations = schema_deviations(load_catalogue()) if args.compatible else None
    document = portable_schema(Profile(args.profile), deviations)
    stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return 0
