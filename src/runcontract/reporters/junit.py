"""JUnit XML: one test case per judged run object, a failure per error, per input file a suite.

CI systems show JUnit natively. Cases are kept as short strings until the end,
because the suite's header must carry the counts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TextIO

from runcontract.model import ObjectResult, ReadError, Severity, Summary
from runcontract.redact import redact


# xml.sax.saxutils imports urllib.request (and with it http, ssl, email): imported when a JUnit
# report is written, not by every command that merely lists the reporters
def escape(text: str) -> str:
    from xml.sax.saxutils import escape as xml_escape  # noqa: PLC0415

    return xml_escape(text)


def quoteattr(text: str) -> str:
    from xml.sax.saxutils import quoteattr as xml_quoteattr  # noqa: PLC0415

    return xml_quoteattr(text)


@dataclass
class _Suite:
    tests: int = 0
    cases: list[str] = field(default_factory=list)
    failures: int = 0
    errors: int = 0


def _attr(text: str) -> str:
    return quoteattr(redact(text))


class JunitReporter:
    reports_clean = True

    def __init__(self, stream: TextIO, *, quiet: bool = False) -> None:
        self.stream = stream
        self.quiet = quiet
        self.suites: dict[str, _Suite] = defaultdict(_Suite)

    def start(self) -> None:
        pass

    def result(self, result: ObjectResult) -> None:
        suite = self.suites[result.source.file]
        suite.tests += 1
        errors = [v for v in result.violations if v.severity is Severity.ERROR]
        warnings = [v for v in result.violations if v.severity is Severity.WARNING]
        name = f"{result.source.entry or 'object'} {result.run_id or ''} ({result.status})"
        body = []
        if errors:
            suite.failures += 1
            detail = "\n".join(f"{v.rule} {v.path}: {v.message}" for v in errors)
            # the violations of one run object came from one request: its command once
            command = next((v.reproduce for v in errors if v.reproduce is not None), None)
            if command is not None:
                detail += f"\nreproduce ({result.source.entry or result.source.file}): {command}"
            first = errors[0]
            body.append(
                f"<failure message={_attr(f'{first.rule} {first.path}: {first.message}')} "
                f"type={_attr(first.rule)}>{escape(redact(detail))}</failure>"
            )
        if warnings and not self.quiet:
            text = "\n".join(f"warning {v.rule} {v.path}: {v.message}" for v in warnings)
            body.append(f"<system-out>{escape(redact(text))}</system-out>")
        suite.cases.append(
            f"<testcase classname={_attr(result.source.file)} name={_attr(name.strip())}>"
            + "".join(body)
            + "</testcase>"
        )

    def read_error(self, error: ReadError) -> None:
        suite = self.suites[error.source.file]
        suite.tests += 1
        suite.errors += 1
        suite.cases.append(
            f"<testcase classname={_attr(error.source.file)} name={_attr(str(error.source))}>"
            f'<error message={_attr(error.message)} type="unreadable"/></testcase>'
        )

    def file_done(self, file: str, observations: int, errors: int) -> None:
        pass

    def finish(self, summary: Summary) -> None:
        write = self.stream.write
        write('<?xml version="1.0" encoding="utf-8"?>\n')
        write(
            f'<testsuites name="runcontract" tests="{summary.objects + summary.unreadable}" '
            f'failures="{summary.failed}" errors="{summary.unreadable}">\n'
        )
        for file, suite in self.suites.items():
            write(
                f'<testsuite name={_attr(file)} tests="{suite.tests}" '
                f'failures="{suite.failures}" errors="{suite.errors}" skipped="0">\n'
            )
            for case in suite.cases:
                write(case + "\n")
            write("</testsuite>\n")
        write("</testsuites>\n")
