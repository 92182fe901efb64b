"""What one gate run found, read back from its JSON report and its recording.

The gate's JSON report gives each violation with the unit and interaction it came from; the
recording (`--record`, a vcrpy cassette) gives that interaction's request and status. A finding
is distinct by (rule, operation): the operation is the request's method and path with its ids
replaced by their parameter names, so a lifecycle scenario's poll and a generated GET of the
same run land together. Each finding keeps its count and its first occurrence as the example.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

INTERACTION = re.compile(r"interaction (\d+)")
# The collection a path segment follows names the id it holds.
ID_AFTER = {
    "assistants": "{assistant_id}",
    "threads": "{thread_id}",
    "runs": "{run_id}",
    "steps": "{step_id}",
    "messages": "{message_id}",
}
# Path segments that are endpoints, never ids, even where an id could stand.
ACTIONS = frozenset({"runs", "cancel", "submit_tool_outputs", "steps", "messages"})
EXAMPLE_VALUE_CHARS = 160


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str  # the path as sent, query included, without the base URL's host
    status: int | None


@dataclass(frozen=True)
class Occurrence:
    rule: str
    severity: str
    where: str  # JSON path into the answer
    message: str
    value: str | None
    unit: str  # the gate's name for where it was seen: a scenario or an operation
    exchange: Exchange | None


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    operation: str
    count: int
    example: Occurrence
    disputed: str | None = None  # why this is the gate's error, when it is known to be


Disputes = Callable[[Occurrence], "str | None"]


def operation_of(method: str, path: str) -> str:
    """The operation a request is sent to: its ids replaced by their parameter names.

    `POST /v1/threads/t_1/runs/r_2/cancel` is `POST /threads/{thread_id}/runs/{run_id}/cancel`.
    """
    segments = urlsplit(path).path.strip("/").split("/")
    if segments[:1] == ["v1"]:
        segments = segments[1:]
    named: list[str] = []
    for index, segment in enumerate(segments):
        previous = segments[index - 1] if index else ""
        if previous in ID_AFTER and segment not in ACTIONS:
            named.append(ID_AFTER[previous])
        else:
            named.append(segment)
    return f"{method.upper()} /" + "/".join(named)


def read_recording(path: Path) -> list[Exchange]:
    """Interaction N of the gate's report is entry N - 1 of its recording."""
    if not path.is_file():
        return []
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    exchanges = []
    for interaction in (document or {}).get("interactions") or []:
        request = interaction.get("request") or {}
        status = ((interaction.get("response") or {}).get("status") or {}).get("code")
        parts = urlsplit(str(request.get("uri", "")))
        sent = parts.path + (f"?{parts.query}" if parts.query else "")
        exchanges.append(
            Exchange(str(request.get("method", "?")), sent, int(status) if status else None)
        )
    return exchanges


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if len(text) > EXAMPLE_VALUE_CHARS:
        return text[: EXAMPLE_VALUE_CHARS - 1] + "…"
    return text


def occurrences(report: Mapping[str, Any], recording: list[Exchange]) -> Iterator[Occurrence]:
    for result in report.get("results") or []:
        source = str(result.get("source", ""))
        match = INTERACTION.search(source)
        unit = source[: match.start()].rstrip(":") if match else source
        exchange = None
        if match and 0 < int(match.group(1)) <= len(recording):
            exchange = recording[int(match.group(1)) - 1]
        for violation in result.get("violations") or []:
            yield Occurrence(
                rule=str(violation.get("rule")),
                severity=str(violation.get("severity")),
                where=str(violation.get("path", "$")),
                message=str(violation.get("message", "")),
                value=_shown(violation.get("value")),
                unit=unit,
                exchange=exchange,
            )


def _no_dispute(occurrence: Occurrence) -> str | None:
    return None


def distinct(found: Iterable[Occurrence], disputed: Disputes = _no_dispute) -> list[Finding]:
    """One finding per (rule, operation), errors first, then by rule and count.

    Occurrences `disputed` names (the gate's known errors) make findings of their own, so a
    group never mixes what stands with what does not.
    """
    groups: dict[tuple[str, str, str | None], list[Occurrence]] = {}
    for occurrence in found:
        exchange = occurrence.exchange
        operation = operation_of(exchange.method, exchange.path) if exchange else occurrence.unit
        groups.setdefault((occurrence.rule, operation, disputed(occurrence)), []).append(occurrence)
    findings = [
        Finding(rule, members[0].severity, operation, len(members), members[0], why)
        for (rule, operation, why), members in groups.items()
    ]
    return sorted(
        findings,
        key=lambda f: (
            f.disputed is not None,
            f.severity != "error",
            f.rule,
            -f.count,
            f.operation,
        ),
    )


def read_findings(
    report_path: Path, recording_path: Path, disputed: Disputes = _no_dispute
) -> tuple[list[Finding], list[str]]:
    """The distinct findings, and the gate's reasons it could not check (its report's errors)."""
    if not report_path.is_file():
        return [], []
    report = json.loads(report_path.read_text(encoding="utf-8"))
    problems = [str(error.get("message", error)) for error in report.get("errors") or []]
    found = occurrences(report, read_recording(recording_path))
    return distinct(found, disputed), problems
