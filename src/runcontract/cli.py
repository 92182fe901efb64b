"""The command line: parse, build, run, return an exit code.

`run(argv, stdout, stderr, stdin)` takes its streams so tests drive it without monkeypatching;
`main()` is the console script.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, NoReturn, TextIO

from runcontract import __version__
from runcontract._data import data_dir
from runcontract.catalogue import load_catalogue
from runcontract.engine import Engine, SelectionError
from runcontract.model import Profile
from runcontract.options import add_rule_options
from runcontract.redact import redact
from runcontract.reporters import REPORTERS
from runcontract.reporters.text import counted
from runcontract.runner import Progress, exit_code, validate_paths

EXIT_OK, EXIT_VIOLATIONS, EXIT_USAGE, EXIT_COULD_NOT_CHECK = 0, 1, 2, 3


class UsageError(Exception):
    """The command line is wrong: exit 2 with the message and a pointer to --help."""


class _Exit(Exception):  # noqa: N818 - not an error: argparse finished (--help, --version)
    def __init__(self, status: int) -> None:
        self.status = status


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise _Exit(status)


def _add_validate(subparsers: argparse._SubParsersAction[_Parser]) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="judge recorded run objects (files, folders, - for stdin)",
        description=(
            "Judge every run object found in the given files and folders (JSON, JSON arrays, "
            "list responses, JSONL, HAR, vcrpy / Ruby VCR / R vcr cassettes, .NET session "
            "records) against the schema of its profile and the contract rules, and each "
            "run's successive observations against the lifecycle rules."
        ),
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="file, folder, or - for stdin")
    parser.add_argument(
        "--examples", action="store_true", help="also judge the example recordings shipped"
    )
    parser.add_argument(
        "--profile",
        choices=["auto", *(p.value for p in Profile)],
        default="auto",
        help="judge every object by this profile (default: detect per object)",
    )
    add_rule_options(parser)
    parser.add_argument("--format", choices=sorted(REPORTERS), default="text")
    parser.add_argument("--output", metavar="FILE", help="write the report here, not stdout")
    parser.add_argument(
        "--no-lifecycle", action="store_true", help="do not judge runs across observations"
    )
    parser.add_argument(
        "--files-in-order",
        action="store_true",
        help="the files given are successive recordings: judge runs across them in that order "
        "(by default, across files only what must agree in any order is compared)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="report errors only, not warnings or passes"
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress lines on stderr: each file, and every 10,000 items of one "
        "(default: on when stderr is a terminal)",
    )
    parser.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="judge on Dask: local (this machine's cores) or a scheduler (tcp://HOST:8786); "
        "PATHs may then be fsspec URLs. Needs pip install 'runcontract[dask]'",
    )
    parser.set_defaults(handler=_validate)


def _add_rules(subparsers: argparse._SubParsersAction[_Parser]) -> None:
    parser = subparsers.add_parser("rules", help="list the contract rules and deviations")
    parser.add_argument("--evidence", action="store_true", help="show each rule's evidence")
    parser.set_defaults(handler=_rules)


def _add_schema(subparsers: argparse._SubParsersAction[_Parser]) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print the run schema of a profile as one self-contained JSON Schema",
        description=(
            "Print the JSON Schema 2020-12 of the run object of PROFILE as one document, every "
            "type under $defs, so any JSON Schema validator can use it offline. It is the spec "
            "as written (what --strict judges by); with --compatible, the real API's known "
            "schema deviations are allowed (what validate judges errors by, by default)."
        ),
    )
    parser.add_argument("profile", choices=[p.value for p in Profile], metavar="PROFILE")
    parser.add_argument(
        "--compatible",
        action="store_true",
        help="allow the real API's schema deviations (see runcontract rules)",
    )
    parser.set_defaults(handler=_schema)


def build_parser(argv: Sequence[str] = ()) -> _Parser:
    """The parser of `runcontract`; the command `argv` names is built in full, the others of
    other layers only listed (their modules, and what those import, are not loaded)."""
    parser = _Parser(
        prog="runcontract",
        description="Schema validation and contract tests for Assistants API Run objects.",
    )
    parser.add_argument("--version", action="version", version=f"runcontract {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_validate(subparsers)
    _add_rules(subparsers)
    _add_schema(subparsers)
    chosen = next((arg for arg in argv if not arg.startswith("-")), None)
    for name, (module, function, summary) in LAYER_COMMANDS.items():
        if name == chosen:
            register = getattr(importlib.import_module(module), function)
            register(subparsers)
        else:
            subparsers.add_parser(name, help=summary, add_help=False)
    return parser


# Commands of other layers: the module that builds each, and its line in `runcontract --help`.
# The reference server imports Starlette and the gate schemathesis: a command that does not
# need them does not wait for them.
LAYER_COMMANDS = {
    "serve": (
        "runcontract.server.cli",
        "add_serve_parser",
        "run the reference Assistants Runs API server, optionally with faults",
    ),
    "gate": (
        "runcontract.gate.cli",
        "add_gate_parser",
        "judge a running Assistants API (the embedded reference server by default)",
    ),
    "drift": (
        "runcontract.archive.command",
        "add_drift_parser",
        "report how recorded run objects depart from their profile's schema, by month",
    ),
}


def _validate(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    paths = list(args.paths)
    if args.examples:
        paths.append(str(data_dir("examples")))
    if not paths:
        raise UsageError(
            "runcontract validate: give at least one PATH (or - for stdin, or --examples)"
        )
    try:
        engine = Engine(
            profile=None if args.profile == "auto" else Profile(args.profile),
            strict=args.strict,
            select=args.select,
            ignore=args.ignore,
            lifecycle=not args.no_lifecycle,
            files_in_order=args.files_in_order,
        )
    except SelectionError as exc:
        raise UsageError(f"runcontract validate: {exc}") from exc
    wanted = args.progress if args.progress is not None else _is_terminal(stderr)
    progress = Progress(stderr) if wanted else None
    with _report_stream(args.output, stdout) as stream:
        reporter = REPORTERS[args.format](stream, quiet=args.quiet)
        if args.dask:  # Dask is imported only when asked for
            from runcontract.archive.command import validate_from_args  # noqa: PLC0415

            summary = validate_from_args(args, paths, reporter, stderr if wanted else None)
        else:
            summary = validate_paths(paths, engine, reporter, stdin=args.stdin, progress=progress)
    if args.output:
        stdout.write(
            f"runcontract: {counted(summary.objects, 'run object')}, {summary.failed} failed, "
            f"{summary.unreadable} unreadable; report written to {args.output}\n"
        )
    if summary.objects == 0 and not summary.unreadable:
        # not after a JSON or JUnit report on stdout: the report must stay one whole document
        notes = stderr if args.format != "text" and not args.output else stdout
        notes.write("runcontract: no run objects found in the given inputs\n")
    return exit_code(summary)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or stream-like object
        return False


@contextlib.contextmanager
def _report_stream(output: str | None, stdout: TextIO) -> Iterator[TextIO]:
    if output is None:
        yield stdout
        return
    try:
        handle = Path(output).open("w", encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"runcontract: cannot write {output}: {exc.strerror}") from exc
    with handle:
        yield handle


def _rules(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    for rule in load_catalogue().rules.values():
        kind = "deviation (warning; error with --strict)" if rule.deviation else rule.severity
        profiles = ",".join(sorted(p.value for p in rule.profiles))
        stdout.write(f"{rule.code}  {rule.name:<34} {kind:<8}  [{profiles}]  {rule.title}\n")
        if args.evidence:
            stdout.write(f"       evidence: {rule.evidence}\n")
    return EXIT_OK


def _schema(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from runcontract.engine.schemacheck import (  # noqa: PLC0415 - only this command needs it
        portable_schema,
        schema_deviations,
    )

    deviations = schema_deviations(load_catalogue()) if args.compatible else None
    document = portable_schema(Profile(args.profile), deviations)
    stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return EXIT_OK


def run(
    argv: Sequence[str],
    stdout: TextIO,
    stderr: TextIO,
    stdin: BinaryIO | None = None,
) -> int:
    try:
        parser = build_parser(argv)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            args = parser.parse_args(list(argv))
        if args.command is None:
            parser.print_help(stdout)
            return EXIT_USAGE
        args.stdin = stdin
        handler: Callable[[argparse.Namespace, TextIO, TextIO], int] = args.handler
        code = handler(args, stdout, stderr)
    except _Exit as done:
        code = done.status
    except UsageError as exc:
        stderr.write(f"{exc}\n(see runcontract --help)\n")
        code = EXIT_USAGE
    except KeyboardInterrupt:
        stderr.write("runcontract: interrupted\n")
        code = 130
    except BrokenPipeError:
        code = EXIT_OK  # the reader went away (| head): nothing more to say
    except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback reaches a user
        stderr.write(
            redact(f"runcontract: internal error: {type(exc).__name__}: {exc}") + "\n"
            "this is a bug in runcontract; the verdict is unknown\n"
        )
        code = EXIT_COULD_NOT_CHECK
    return code


def main() -> None:
    sys.exit(run(sys.argv[1:], sys.stdout, sys.stderr, sys.stdin.buffer))
