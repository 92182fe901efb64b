"""Plain text: one line per violation, `file:entry: run (status): severity CODE $.path: message`."""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from runcontract.model import ObjectResult, ReadError, Severity, Summary
from runcontract.redact import redact


def counted(number: int, noun: str) -> str:
    """`1 file`, `2 files`: a count with its noun in the number it takes."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


class TextReporter:
    reports_clean = False

    def __init__(self, stream: TextIO, *, quiet: bool = False) -> None:
        self.stream = stream
        self.quiet = quiet
        self.by_rule: Counter[str] = Counter()
        self.empty_files: list[str] = []

    def start(self) -> None:
        pass

    def result(self, result: ObjectResult) -> None:
        if not result.violations:
            return
        run = f"{result.run_id or '<no id>'} ({result.status or 'no status'}, {result.profile})"
        for violation in result.violations:
            self.by_rule[violation.rule] += 1
            if self.quiet and violation.severity is Severity.WARNING:
                continue
            line = (
                f"{result.source}: {run}: {violation.severity.value} {violation.rule} "
                f"{violation.path}: {violation.message}"
            )
            self.stream.write(redact(line) + "\n")

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
                "let go; a later observation of one of them was judged without its history\n"
            )
        if self.by_rule:
            counts = ", ".join(f"{code} x{n}" for code, n in sorted(self.by_rule.items()))
            write(f"by rule: {counts}\n")
        write(
            f"checked {counted(summary.objects, 'run object')} in "
            f"{counted(summary.files, 'file')}: "
            f"{summary.passed} passed, {summary.failed} failed, {summary.unreadable} unreadable "
            f"({counted(summary.errors, 'error')}, {counted(summary.warnings, 'warning')})\n"
        )
        for note in summary.notes:
            write(redact(f"note: {note}") + "\n")
