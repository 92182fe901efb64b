"""The options of `validate` and `gate`, each declared once, in a table.

One `Option` says everything the three places that read options need: its name (the long flag
without its dashes, and the key in the configuration file), how a value is read and checked,
its default and its help. The command line (`add_options`), the configuration file
(`runcontract.config`) and the pytest plugin (`--runcontract-NAME`) are all built from the table,
so an option added here is an option everywhere.

This module imports only the standard library: the pytest plugin reads it in every pytest run.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Kind(Enum):
    SWITCH = "switch"  # --name / --no-name; true or false in the file
    VALUE = "value"  # --name VALUE; one value in the file
    LIST = "list"  # --name A,B (repeatable, the values add up); a list in the file
    REPEATED = "repeated"  # --name A --name B; a list in the file
    PATHS = "paths"  # the positional arguments; a list in the file


@dataclass(frozen=True)
class Option:
    name: str
    kind: Kind
    default: Any
    help: str
    # Reads one value as typed on the command line; raises argparse.ArgumentTypeError when wrong.
    parse: Callable[[str], Any] = str
    # What a value in the configuration file must be (after which `parse` checks it as text).
    file_type: tuple[type, ...] = (str,)
    metavar: str | None = None
    choices: Sequence[str] | None = None
    short: tuple[str, ...] = ()
    group: str | None = None  # the argument group of --help
    # Names the file whose paths the value holds, so a path in a config file is read from the
    # file's folder rather than wherever the command happens to be started.
    holds_paths: bool = False
    in_file: bool = True  # an action rather than a setting (print and exit) is not in the file
    dest: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "dest", self.name.replace("-", "_"))

    @property
    def flag(self) -> str:
        return f"--{self.name}"

    def describe_type(self) -> str:
        """What a value in the file must be, for the error that says it is not."""
        if self.kind is Kind.SWITCH:
            return "true or false"
        if self.kind in (Kind.LIST, Kind.REPEATED, Kind.PATHS):
            return "a list of strings"
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.file_type == (int,):
            return "a whole number"
        if float in self.file_type:
            return "a number"
        return "a string"


def rule_codes(text: str) -> list[str]:
    """ "T,U001" or "T U001" -> ["T", "U001"]; the catalogue checks that each exists."""
    return [part for part in text.replace(" ", ",").split(",") if part]


def whole(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(text)


def above_zero(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a number above 0, got {text}")
        return value

    return parse


def seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


COLOR = Option(
    "color",
    Kind.VALUE,
    "auto",
    "colour in the terminal: auto (when stdout is a terminal and NO_COLOR is unset, or "
    "FORCE_COLOR is set), always, never",
    choices=("auto", "always", "never"),
    metavar="WHEN",
)


def _progress(what: str) -> Option:
    return Option(
        "progress",
        Kind.SWITCH,
        None,  # None: on when stderr is a terminal
        f"a live display of {what} on stderr (default: on when stderr is a terminal; never in "
        "a report or piped output)",
    )


RULE_OPTIONS = (
    Option(
        "strict",
        Kind.SWITCH,
        False,
        "take the spec as written: the real API's known deviations become errors",
    ),
    Option(
        "select",
        Kind.LIST,
        [],
        "only these rules (codes or prefixes, comma separated: T,U001)",
        parse=rule_codes,
        metavar="CODES",
    ),
    Option(
        "ignore",
        Kind.LIST,
        [],
        "not these rules (codes or prefixes)",
        parse=rule_codes,
        metavar="CODES",
    ),
)


def validate_options(formats: Sequence[str]) -> tuple[Option, ...]:
    """The options of `validate`; `formats` are the reporters' names."""
    return (
        Option(
            "paths",
            Kind.PATHS,
            [],
            "file, folder, or - for stdin",
            metavar="PATH",
            holds_paths=True,
        ),
        Option("examples", Kind.SWITCH, False, "also judge the example recordings shipped"),
        Option(
            "profile",
            Kind.VALUE,
            "auto",
            "judge every object by this profile (default: detect per object)",
            choices=("auto", "seed", "v1", "v2"),
        ),
        *RULE_OPTIONS,
        Option("format", Kind.VALUE, "text", "the report's format", choices=tuple(formats)),
        Option(
            "output",
            Kind.VALUE,
            None,
            "write the report here, not stdout",
            metavar="FILE",
            holds_paths=True,
        ),
        Option(
            "lifecycle",
            Kind.SWITCH,
            True,
            "judge runs across observations (--no-lifecycle: each object alone)",
        ),
        Option(
            "files-in-order",
            Kind.SWITCH,
            False,
            "the files given are successive recordings: judge runs across them in that order "
            "(by default, across files only what must agree in any order is compared)",
        ),
        Option(
            "quiet", Kind.SWITCH, False, "report errors only, not warnings or passes", short=("-q",)
        ),
        Option(
            "jobs",
            Kind.VALUE,
            None,
            "judge in N processes, sharded by run id (default: every core, for inputs of "
            "16 MiB or more; 1 for stdin)",
            parse=above_zero(int),
            file_type=(int,),
            metavar="N",
        ),
        Option(
            "dask",
            Kind.VALUE,
            None,
            "judge on Dask: local (this machine's cores) or a scheduler (tcp://HOST:8786); "
            "PATHs may then be fsspec URLs. Needs pip install 'runcontract[dask]'",
            metavar="ADDRESS",
        ),
        _progress("the files and run objects read, with the rate"),
        COLOR,
    )


GATE_PHASES = ("lifecycle", "examples", "coverage", "fuzzing", "stateful")


def _phases(text: str) -> list[str]:
    chosen = rule_codes(text)
    unknown = [p for p in chosen if p not in GATE_PHASES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown phase {', '.join(unknown)}; phases: {', '.join(GATE_PHASES)}"
        )
    return chosen


REPORT_KINDS = ("text", "json", "junit", "sarif")


def _reports(text: str) -> list[tuple[str, str]]:
    found = []
    for part in rule_codes(text):
        kind, sep, path = part.partition("=")
        if not sep or kind not in REPORT_KINDS or not path:
            raise argparse.ArgumentTypeError(
                f"expected KIND=PATH with KIND one of {', '.join(REPORT_KINDS)}, got {part!r}"
            )
        found.append((kind, path))
    return found


TARGET, LIMITS, RULES, OUTPUT = (
    "target",
    "limits (everything the gate does is bounded)",
    "rules",
    "output",
)

GATE_OPTIONS = (
    Option(
        "base-url",
        Kind.VALUE,
        None,
        "the API's base URL including its prefix, as the SDK takes it "
        "(https://api.openai.com/v1); default: the embedded reference server",
        metavar="URL",
        group=TARGET,
    ),
    Option(
        "api-key-env",
        Kind.VALUE,
        "OPENAI_API_KEY",
        "the environment variable holding the API key (default OPENAI_API_KEY); "
        "the key is never printed, reported or recorded",
        metavar="NAME",
        group=TARGET,
    ),
    Option(
        "profile",
        Kind.VALUE,
        "v2",
        "default v2; seed judges run objects by the seed-era schema, with v1 requests "
        "(OpenAI-Beta: assistants=v1) and the v1 document",
        choices=("seed", "v1", "v2"),
        group=TARGET,
    ),
    Option(
        "assistant-id",
        Kind.VALUE,
        None,
        "use this assistant instead of creating one",
        metavar="ID",
        group=TARGET,
    ),
    Option(
        "model",
        Kind.VALUE,
        "gpt-4o-mini",
        "model of the assistant created (gpt-4o-mini)",
        group=TARGET,
    ),
    Option(
        "fault",
        Kind.REPEATED,
        [],
        "(embedded server only) switch on a fault mode, to see the gate fail; "
        "`runcontract serve --list-faults` lists them",
        metavar="NAME",
        group=TARGET,
    ),
    Option(
        "budget",
        Kind.VALUE,
        30,
        "the most runs the gate may create (a real API costs money); default 30",
        parse=whole,
        file_type=(int,),
        metavar="RUNS",
        group=LIMITS,
    ),
    Option(
        "max-examples",
        Kind.VALUE,
        20,
        "schemathesis examples per operation and phase; default 20",
        parse=above_zero(int),
        file_type=(int,),
        metavar="N",
        group=LIMITS,
    ),
    Option(
        "workers",
        Kind.VALUE,
        2,
        "default 2",
        parse=above_zero(int),
        file_type=(int,),
        metavar="N",
        group=LIMITS,
    ),
    Option(
        "timeout",
        Kind.VALUE,
        600.0,
        "the whole gate, writing included: requests stop 5%% of it (at most 5 s) "
        "before, for the reports; default 600",
        parse=above_zero(float),
        file_type=(int, float),
        metavar="SECONDS",
        group=LIMITS,
    ),
    Option(
        "request-timeout",
        Kind.VALUE,
        30.0,
        "each request, stream included; default 30",
        parse=above_zero(float),
        file_type=(int, float),
        metavar="SECONDS",
        group=LIMITS,
    ),
    Option(
        "phases",
        Kind.VALUE,
        None,
        "lifecycle,examples,coverage,fuzzing,stateful (default: all)",
        parse=_phases,
        file_type=(str, list),
        metavar="LIST",
        group=LIMITS,
    ),
    Option(
        "seed",
        Kind.VALUE,
        0,
        "schemathesis seed; the same seed sends the same cases (default 0; printed at the end)",
        parse=seed,
        file_type=(int,),
        group=LIMITS,
    ),
    *(
        Option(o.name, o.kind, o.default, o.help, o.parse, metavar=o.metavar, group=RULES)
        for o in RULE_OPTIONS
    ),
    Option(
        "report",
        Kind.LIST,
        [],
        "also write reports: junit=PATH, json=PATH, sarif=PATH, text=PATH",
        parse=_reports,
        metavar="KIND=PATH,...",
        group=OUTPUT,
        holds_paths=True,
    ),
    Option(
        "record",
        Kind.VALUE,
        None,
        "write all traffic as a vcrpy cassette, credentials removed; "
        "`runcontract validate PATH` judges it offline",
        metavar="PATH",
        group=OUTPUT,
        holds_paths=True,
    ),
    Option("verbose", Kind.SWITCH, False, "list every warning", short=("-v",), group=OUTPUT),
    Option(
        "print-document",
        Kind.VALUE,
        None,
        "print the gate's corrected OpenAPI document of a profile and exit",
        choices=("v1", "v2"),
        metavar="PROFILE",
        group=OUTPUT,
        in_file=False,
    ),
    Option(
        "cleanup",
        Kind.SWITCH,
        True,
        "delete the assistant and threads the gate created on a remote target "
        "(--no-cleanup keeps them)",
        group=OUTPUT,
    ),
    _progress("phases, cases, runs used of the budget and time left of --timeout"),
    COLOR,
)


def add_options(parser: argparse.ArgumentParser, options: Iterable[Option]) -> None:
    """Add each option to `parser` (in its argument group, if it names one).

    Every default here is None, "not given": `settle` then takes the configuration file's value,
    else the table's default, so a flag wins over the file and the file over the default.
    """
    groups: dict[str, argparse._ActionsContainer] = {}
    for option in options:
        where: argparse._ActionsContainer = parser
        if option.group is not None:
            if option.group not in groups:
                groups[option.group] = parser.add_argument_group(option.group)
            where = groups[option.group]
        if option.kind is Kind.PATHS:
            where.add_argument(
                option.dest, nargs="*", metavar=option.metavar, help=option.help, default=None
            )
            continue
        names = [*option.short, option.flag]
        common: dict[str, Any] = {"dest": option.dest, "default": None, "help": option.help}
        if option.kind is Kind.SWITCH:
            where.add_argument(*names, action=argparse.BooleanOptionalAction, **common)
        elif option.kind is Kind.LIST:
            where.add_argument(
                *names, type=option.parse, action="extend", metavar=option.metavar, **common
            )
        elif option.kind is Kind.REPEATED:
            where.add_argument(*names, action="append", metavar=option.metavar, **common)
        else:
            where.add_argument(
                *names,
                type=option.parse,
                choices=option.choices,
                metavar=option.metavar,
                **common,
            )


def settle(args: argparse.Namespace, options: Iterable[Option], from_file: dict[str, Any]) -> None:
    """Fill in each option the command line did not give: the file's value, else the default."""
    for option in options:
        given = getattr(args, option.dest, None)
        if given is not None and not (option.kind is Kind.PATHS and not given):
            continue
        value = from_file.get(option.name, option.default)
        setattr(args, option.dest, list(value) if isinstance(value, list) else value)
