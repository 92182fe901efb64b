"""The command line: parse, settle the options, run, return an exit code.

`run(argv, stdout, stderr, stdin)` takes its streams so tests drive it without monkeypatching;
`main()` is the console script. Each command lives in its own module of this package; the options
of `validate` and `gate` are declared once, in `runcontract.cli.options`, and settled here from
the command line, then the configuration file (`runcontract.config`), then their defaults.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, NoReturn, TextIO

from runcontract import __version__
from runcontract.cli.options import Option, add_options, settle
from runcontract.errors import RuncontractError
from runcontract.redact import redact
from runcontract.vocabulary import ExitCode

# one table for every command (runcontract.vocabulary)
EXIT_OK, EXIT_VIOLATIONS = ExitCode.OK, ExitCode.VIOLATIONS
EXIT_USAGE, EXIT_COULD_NOT_CHECK = ExitCode.USAGE, ExitCode.COULD_NOT_CHECK


class UsageError(RuncontractError):
    """The command line is wrong: exit 2 with the message and a pointer to --help."""


@contextlib.contextmanager
def report_stream(output: str | None, stdout: TextIO, command: str) -> Iterator[TextIO]:
    """Where a command writes its report: `output` (a usage error when it cannot be written)."""
    if output is None:
        yield stdout
        return
    try:
        handle = Path(output).open("w", encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"runcontract {command}: cannot write {output}: {exc.strerror}") from exc
    with handle:
        yield handle


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


Handler = Callable[[argparse.Namespace, TextIO, TextIO], int]

CONFIG_HELP = (
    "Every option can also be set in a configuration file, by its long name without the dashes: "
    "[tool.runcontract.{command}] in pyproject.toml or [{command}] in runcontract.toml, found "
    "from the current folder upward (runcontract.toml first), or the file --config names. "
    "A flag on the command line wins over the file."
)


def add_command(
    subparsers: argparse._SubParsersAction[_Parser],
    name: str,
    *,
    summary: str,
    description: str,
    options: Sequence[Option] = (),
    handler: Handler,
) -> _Parser:
    """A subcommand; one with `options` also reads them from the configuration file."""
    parser = subparsers.add_parser(
        name,
        help=summary,
        description=description,
        epilog=CONFIG_HELP.format(command=name) if options else None,
    )
    add_options(parser, options)
    if options:
        parser.add_argument(
            "--config",
            metavar="PATH",
            help="read the settings from this file (default: runcontract.toml or "
            "pyproject.toml, found from the current folder upward)",
        )
    parser.set_defaults(handler=handler, command_options=tuple(options))
    return parser


# Every command, its module, and its line in `runcontract --help`. Only the module of the
# command chosen is imported: the reference server imports Starlette and the gate schemathesis,
# and a command that does not need them does not wait for them.
COMMANDS = {
    "validate": (
        "runcontract.cli.validate",
        "judge recorded run objects (files, folders, - for stdin)",
    ),
    "gate": (
        "runcontract.cli.gate",
        "judge a running Assistants API (default: its embedded server)",
    ),
    "serve": (
        "runcontract.server.cli",
        "run the reference Assistants API server, faults optional",
    ),
    "rules": ("runcontract.cli.rules", "list the contract rules and deviations"),
    "schema": (
        "runcontract.cli.schema",
        "print a profile's run schema as one self-contained JSON Schema",
    ),
    "drift": (
        "runcontract.archive.command",
        "report how recorded runs depart from their profile, by month",
    ),
}
# The commands whose modules bring another layer (the server, the gate) with them.
LAYER_COMMANDS = {name: COMMANDS[name] for name in ("serve", "gate")}


def build_parser(argv: Sequence[str] = ()) -> _Parser:
    """The parser of `runcontract`; the command `argv` names is built in full, the others only
    listed (their modules, and what those import, are not loaded). Each module has
    `add_parser(subparsers)`."""
    parser = _Parser(
        prog="runcontract",
        description="Schema validation and contract tests for Assistants API Run objects.",
        epilog="`runcontract COMMAND --help` tells each command's options.",
    )
    parser.add_argument("--version", action="version", version=f"runcontract {__version__}")
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser, title="commands"
    )
    chosen = next((arg for arg in argv if not arg.startswith("-")), None)
    for name, (module, summary) in COMMANDS.items():
        if name == chosen:
            importlib.import_module(module).add_parser(subparsers)
        else:
            subparsers.add_parser(name, help=summary, add_help=False)
    return parser


def _settle(args: argparse.Namespace) -> None:
    from runcontract.config import ConfigError, load_settings  # noqa: PLC0415

    options: tuple[Option, ...] = getattr(args, "command_options", ())
    if not options:
        return
    explicit = Path(args.config) if args.config else None
    try:
        settings = load_settings(args.command, options, explicit=explicit, start=Path.cwd())
    except ConfigError as exc:
        raise UsageError(f"runcontract {args.command}: {exc}") from exc
    settle(args, options, settings.values)
    args.config_file = settings.source


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
        _settle(args)
        args.stdin = stdin
        handler: Handler = args.handler
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
