"""Plain text: one line per violation, `file:entry: run (status): severity CODE $.path: message`.

Where one object breaks the same keyword of the schema at many keys of one place (an object with
no fields at all: every required property missing), those violations are one line naming the
keys, not one line each. With `colour`, severities and codes are coloured (by rich, on a terminal).

Under the first violation of each rule that came from a recorded request, that request as a
curl command: `  reproduce (interaction 5): curl ...`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

from runcontract.model import ObjectResult, ReadError, Severity, Summary, Violation
from runcontract.redact import redact

if TYPE_CHECKING:
    from rich.console import Console

# Fewer than this many violations of one kind at one place read better one per line.
GROUPED_FROM = 4
_LAST_KEY = re.compile(r"^(?P<parent>.*)\.(?P<key>[A-Za-z_][A-Za-z0-9_]*)$")
_STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow"}


# A line of the report: where, severity, rule and what is said; and for a violation of a recorded
# request, the entry and the request as a command (shown for the first of each rule).
Line = tuple[str, ...]
# What a result comes to: the rules it broke, and its lines.
Prepared = tuple[tuple[str, ...], list[Line]]


def counted(number: int, noun: str) -> str:
    """`1 file`, `2 files`: a count with its noun in the number it takes."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _kind(violation: Violation) -> tuple[str, str, str, str] | None:
    """(severity, rule, parent path, message with the key left out) when the message names the
    last key of its path, so violations differing only in that key can be told as one."""
    found = _LAST_KEY.match(violation.path)
    if found is None or f"'{found['key']}'" not in violation.message:
        return None
    template = violation.message.replace(f"'{found['key']}'", "'…'")
    return violation.severity.value, violation.rule, found["parent"], template


class TextReporter:
    reports_clean = False

    def __init__(self, stream: TextIO, *, quiet: bool = False, colour: bool = False) -> None:
        self.stream = stream
        self.quiet = quiet
        self.by_rule: Counter[str] = Counter()
        self.empty_files: list[str] = []
        self.reproduced: set[str] = set()  # rules whose first request was shown as a command
        self.colour = colour
        # Made at the first violation: rich takes a few tenths of a second to import, which a
        # clean run is spared (its summary then stays plain).
        self.console: Console | None = None

    def start(self) -> None:
        pass

    def counted_only(self, result: ObjectResult) -> bool:
        """No violation, or --quiet and only warnings (the common case of real traffic)."""
        if self.quiet:
            return all(v.severity is Severity.WARNING for v in result.violations)
        return not result.violations

    def tally(self, rules: Mapping[str, int]) -> None:
        self.by_rule.update(rules)

    def result(self, result: ObjectResult) -> None:
        if not result.violations:
            return
        if self.counted_only(result):  # --quiet, only warnings: the common case of real traffic
            self.by_rule.update(violation.rule for violation in result.violations)
            return
        self.replay(self.prepared(result))

    def prepared(self, result: ObjectResult) -> Prepared:
        """The rules `result` broke, and the lines it is told in: what depends on it alone."""
        violations = result.violations
        rules = tuple(violation.rule for violation in violations)
        shown = (
            [v for v in violations if v.severity is not Severity.WARNING]
            if self.quiet
            else violations
        )
        if not shown:  # counted only
            return rules, []
        run = f"{result.run_id or '<no id>'} ({result.status or 'no status'}, {result.profile})"
        where = redact(f"{result.source}: {run}: ")
        entry = result.source.entry or result.source.file
        # fewer violations than make a group are told one a line, with no kinds to find
        kinds = Counter(_kind(v) for v in shown) if len(shown) >= GROUPED_FROM else None
        told: set[tuple[str, str, str, str]] = set()
        lines: list[Line] = []
        for violation in shown:
            kind = None if kinds is None else _kind(violation)
            if kind is None or kinds is None or kinds[kind] < GROUPED_FROM:
                said = f"{violation.path}: {violation.message}"
            elif kind not in told:
                told.add(kind)
                keys = [v.path.rsplit(".", 1)[1] for v in shown if _kind(v) == kind]
                said = f"{kind[2]} ({len(keys)} keys): {kind[3]}: {', '.join(keys)}"
            else:
                continue
            lines.append(
                (where, violation.severity.value, violation.rule, redact(said))
                + ((entry, violation.reproduce) if violation.reproduce is not None else ())
            )
        return rules, lines

    def replay(self, prepared: Prepared) -> None:
        """Write what `prepared` gave, in order: each rule's first request as a command once."""
        rules, lines = prepared
        self.by_rule.update(rules)
        for line in lines:
            where, severity, rule, said = line[:4]
            if self.colour and self.console is None:
                from runcontract.cli.terminal import console  # noqa: PLC0415 - on a terminal

                self.console = console(self.stream, colour=True)
            if self.console is None:
                self.stream.write(f"{where}{severity} {rule} {said}\n")
            else:
                from rich.text import Text  # noqa: PLC0415

                self.console.print(
                    Text.assemble(
                        (where, "dim"),
                        (severity, _STYLES[Severity(severity)]),
                        " ",
                        (rule, "bold"),
                        " ",
                        said,
                    )
                )
            # one command per rule: the first example is enough to see the finding again
            if len(line) > 4 and rule not in self.reproduced:
                self.reproduced.add(rule)
                self.stream.write(f"  reproduce ({line[4]}): {redact(line[5])}\n")

    def read_error(self, error: ReadError) -> None:
        self.stream.write(redact(f"{error.source}: unreadable: {error.message}") + "\n")

    def file_done(self, file: str, observations: int, errors: int) -> None:
        if observations == 0 and errors == 0:
            self.empty_files.append(file)

    def finish(self, summary: Summary) -> None:
        write = self.stream.write
        for file in self.empty_files:
            write(redact(f"{file}: note: no run objects found") + "\n")
        if summary.forgotten_runs:
            write(
                f"note: to keep memory bounded, {summary.forgotten_runs} of the oldest runs were "
                "let go before they ended; their later observations were judged without their "
                "history\n"
            )
        if self.by_rule:
            counts = ", ".join(f"{code} x{n}" for code, n in sorted(self.by_rule.items()))
            write(f"by rule: {counts}\n")
        line = (
            f"checked {counted(summary.objects, 'run object')} in "
            f"{counted(summary.files, 'file')}: "
            f"{summary.passed} passed, {summary.failed} failed, {summary.unreadable} unreadable "
            f"({counted(summary.errors, 'error')}, {counted(summary.warnings, 'warning')})"
        )
        if self.console is None:
            write(line + "\n")
        else:
            failed = summary.failed or summary.exchanges_failed
            verdict = "bold red" if failed else "yellow" if summary.unreadable else "green"
            self.console.print(line, style=verdict)
        for note in summary.notes:
            write(redact(f"note: {note}") + "\n")
