"""SARIF 2.1.0, for code scanning: each violation a result, each rule it names described once.

A result points at the input file (`region.startLine` where the entry is a line of it, as in
JSON Lines); the JSON path into the run object, which no text region can express, is its logical
location. Findings of the gate come from an API, not a file: they carry the operation as their
logical location and the request as a curl command, and no physical location. What could not be
read or checked is a tool notification and marks the run unsuccessful, so a report with gaps
never reads as a clean pass. The document is written at the end, as SARIF is one JSON object
whose rules are only known once every result is.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final, TextIO
from urllib.parse import quote

from runcontract.model import ObjectResult, ReadError, Severity, Source, Summary, Violation
from runcontract.redact import redact
from runcontract.reporters.jsonreport import plain

SCHEMA_URI: Final = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_LINE = re.compile(r"line (\d+)\b")


def _artifact_uri(file: str) -> str | None:
    """The file as an artifact URI, or None where the source is no file (stdin, the gate)."""
    path = Path(file)
    if file.startswith("<") or not path.is_file():
        return None
    return path.as_uri() if path.is_absolute() else quote(path.as_posix())


def _location(source: Source, json_path: str) -> dict[str, Any]:
    location: dict[str, Any] = {}
    uri = _artifact_uri(source.file)
    if uri is not None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
        line = _LINE.match(source.entry or "")
        if line is not None:
            physical["region"] = {"startLine": int(line.group(1))}
        location["physicalLocation"] = physical
    where = source.entry if uri is not None else str(source)
    location["logicalLocations"] = [
        {"name": json_path, "fullyQualifiedName": f"{where}::{json_path}", "kind": "member"}
        if where
        else {"name": json_path, "kind": "member"}
    ]
    return location


class SarifReporter:
    reports_clean = False

    def __init__(self, stream: TextIO, *, quiet: bool = False) -> None:
        self.stream = stream
        self.quiet = quiet
        self.results: list[dict[str, Any]] = []
        self.rules: dict[str, int] = {}  # code -> index in tool.driver.rules
        self.notifications: list[dict[str, Any]] = []

    def start(self) -> None:
        pass

    def result(self, result: ObjectResult) -> None:
        for violation in result.violations:
            if self.quiet and violation.severity is Severity.WARNING:
                continue
            self.results.append(self._result(result, violation))

    def _result(self, result: ObjectResult, violation: Violation) -> dict[str, Any]:
        index = self.rules.setdefault(violation.rule, len(self.rules))
        source = violation.source or result.source
        run = result.run_id or "<no id>"
        properties: dict[str, Any] = {
            "jsonPath": violation.path,
            "runId": result.run_id,
            "status": result.status,
            "profile": result.profile.value if result.profile else None,
            "source": str(source),
        }
        if violation.value is not None:
            properties["value"] = plain(violation.value)
        if violation.related is not None:
            properties["related"] = str(violation.related)
        if violation.reproduce is not None:
            properties["reproduce"] = violation.reproduce
        return {
            "ruleId": violation.rule,
            "ruleIndex": index,
            "level": violation.severity.value,
            "message": {"text": f"{run} ({result.status}): {violation.path}: {violation.message}"},
            "locations": [_location(source, violation.path)],
            "properties": properties,
        }

    def read_error(self, error: ReadError) -> None:
        notification: dict[str, Any] = {"level": "error", "message": {"text": error.message}}
        uri = _artifact_uri(error.source.file)
        if uri is not None:
            notification["locations"] = [_location(error.source, "$")]
        else:
            notification["message"]["text"] = f"{error.source}: {error.message}"
        self.notifications.append(notification)

    def file_done(self, file: str, observations: int, errors: int) -> None:
        pass

    def finish(self, summary: Summary) -> None:
        from runcontract import __version__  # noqa: PLC0415 - the package imports the reporters
        from runcontract.catalogue import load_catalogue  # noqa: PLC0415 - only when writing

        catalogue = load_catalogue()
        rules = []
        for code in self.rules:  # in index order: dicts keep insertion order
            rule = catalogue.rules.get(code)
            described: dict[str, Any] = {"id": code}
            if rule is not None:
                described |= {
                    "name": rule.name,
                    "shortDescription": {"text": rule.title},
                    "fullDescription": {"text": rule.title},
                    "help": {"text": rule.evidence or rule.title},
                    "defaultConfiguration": {"level": rule.severity.value},
                    "properties": {"family": rule.family, "deviation": rule.deviation},
                }
            rules.append(described)
        invocation: dict[str, Any] = {
            "executionSuccessful": not summary.unreadable,
            "toolExecutionNotifications": self.notifications,
        }
        document = {
            "$schema": SCHEMA_URI,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {"name": "runcontract", "version": __version__, "rules": rules}
                    },
                    "invocations": [invocation],
                    "results": self.results,
                    "columnKind": "unicodeCodePoints",
                }
            ],
        }
        text = json.dumps(document, ensure_ascii=False, indent=2, default=str)
        self.stream.write(redact(text) + "\n")
