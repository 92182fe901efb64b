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
        violations = result.violations
        if not violations:
            return
        by_rule = self.by_rule
        for violation in violations:
            by_rule[violation.rule] += 1
        shown = (
            [v for v in violations if v.severity is not Severity.WARNING]
            if self.quiet
            else violations
        )
        if not shown:  # counted only
            return
        run = f"{result.run_id or '<no id>'} ({result.status or 'no status'}, {result.profile})"
        kinds = Counter(_kind(v) for v in shown)
        told: set[tuple[str, str, str, str]] = set()
        for violation in shown:
            kind = _kind(violation)
            if kind is None or kinds[kind] < GROUPED_FROM:
                self._line(result, run, violation, violation.path, violation.message)
            elif kind not in told:
                told.add(kind)
                keys = [v.path.rsplit(".", 1)[1] for v in shown if _kind(v) == kind]
                self._line(
                    result,
                    run,
                    violation,
                    f"{kind[2]} ({len(keys)} keys)",
                    f"{kind[3]}: {', '.join(keys)}",
                )

    def _line(
        self, result: ObjectResult, run: str, violation: Violation, path: str, message: str
    ) -> None:
        where = redact(f"{result.source}: {run}: ")
        said = redact(f"{path}: {message}")
        if self.colour and self.console is None:
            from runcontract.cli.terminal import console  # noqa: PLC0415 - only on a terminal

            self.console = console(self.stream, colour=True)
        if self.console is None:
            self.stream.write(f"{where}{violation.severity.value} {violation.rule} {said}\n")
        else:
            from rich.text import Text  # noqa: PLC0415

            style = _STYLES[violation.severity]
            self.console.print(
                Text.assemble(
                    (where, "dim"),
                    (violation.severity.value, style),
                    " ",
                    (violation.rule, "bold"),
                    " ",
                    said,
                )
            )
        # one command per rule: the first example is enough to see the finding again
        if violation.reproduce is not None and violation.rule not in self.reproduced:
            self.reproduced.add(violation.rule)
            entry = result.source.entry or result.source.file
            self.stream.write(f"  reproduce ({entry}): {redact(violation.reproduce)}\n")

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
