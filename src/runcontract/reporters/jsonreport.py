"""One JSON document: {"results": [...], "errors": [...], "summary": {...}}, written as it goes.

Results are streamed so a file of any size is reported in constant memory; the summary comes
last because it is only known at the end. Every item is rendered whole before any of it is
written, so a value the fast encoder cannot take (an integer of 2^64 or more, which a run may
carry and JSON allows) never leaves half a document behind: it is rendered exactly by the
standard library instead.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, TextIO

import orjson

from runcontract.model import ObjectResult, ReadError, Summary, Violation
from runcontract.redact import redact


def _dump(value: Any) -> str:
    try:
        text = orjson.dumps(value, default=str).decode()
    except TypeError:  # orjson takes integers up to 64 bits only
        try:
            text = json.dumps(_exact(value), ensure_ascii=False, separators=(",", ":"), default=str)
        except RecursionError:  # deeper than the standard encoder goes: the value as text
            text = json.dumps(str(value))
    return redact(text)


def _exact(value: Any) -> Any:
    """The value as the standard encoder takes it: copied containers, infinities as null.

    Iterative, not recursive: a value may nest as deep as the readers allow.
    """
    root = _shallow(value)
    stack = [root] if isinstance(root, dict | list) else []
    while stack:
        container = stack.pop()
        keys = list(container) if isinstance(container, dict) else range(len(container))
        for key in keys:
            item = _shallow(container[key])
            container[key] = item
            if isinstance(item, dict | list):
                stack.append(item)
    return root


def _shallow(value: Any) -> Any:
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): v for k, v in value.items()}
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no infinity; orjson writes null as well
    return value


def plain(value: Any) -> Any:
    """The value as any JSON encoder takes it: infinities as null, too deep a value as text."""
    try:
        return json.loads(json.dumps(_exact(value), default=str))
    except (RecursionError, ValueError):
        return str(value)


def violation_json(violation: Violation) -> dict[str, Any]:
    data: dict[str, Any] = {
        "rule": violation.rule,
        "severity": violation.severity.value,
        "path": violation.path,
        "message": violation.message,
        "value": violation.value,
    }
    if violation.related is not None:
        data["related"] = str(violation.related)
    if violation.reproduce is not None:
        data["reproduce"] = violation.reproduce
    return data


class JsonReporter:
    reports_clean = True

    def __init__(self, stream: TextIO, *, quiet: bool = False) -> None:
        self.stream = stream
        self.quiet = quiet
        self.errors: list[ReadError] = []
        self._first = True

    def start(self) -> None:
        self.stream.write('{"results": [')

    def result(self, result: ObjectResult) -> None:
        if not self.counted_only(result):
            self.replay(self.prepared(result))

    def counted_only(self, result: ObjectResult) -> bool:
        """--quiet and no violation: not reported at all."""
        return self.quiet and not result.violations

    def tally(self, rules: Mapping[str, int]) -> None:
        pass  # this report has no counts by rule

    def prepared(self, result: ObjectResult) -> str:
        """The result's item of the document, rendered."""
        item = {
            "source": str(result.source),
            "run_id": result.run_id,
            "status": result.status,
            "profile": result.profile.value if result.profile else None,
            "violations": [violation_json(v) for v in result.violations],
        }
        return _dump(item)

    def replay(self, prepared: str) -> None:
        self.stream.write(("\n" if self._first else ",\n") + prepared)
        self._first = False

    def read_error(self, error: ReadError) -> None:
        self.errors.append(error)

    def file_done(self, file: str, observations: int, errors: int) -> None:
        pass

    def finish(self, summary: Summary) -> None:
        errors = [{"source": str(e.source), "message": e.message} for e in self.errors]
        counts = {
            "files": summary.files,
            "objects": summary.objects,
            "passed": summary.passed,
            "failed": summary.failed,
            "unreadable": summary.unreadable,
            "errors": summary.errors,
            "warnings": summary.warnings,
            "forgotten_runs": summary.forgotten_runs,
            "exchanges": summary.exchanges,
            "exchanges_failed": summary.exchanges_failed,
            "notes": summary.notes,
        }
        self.stream.write(f'\n], "errors": {_dump(errors)}, "summary": {_dump(counts)}}}\n')
