"""Timestamp rules: Unix seconds, in the order of a run's life."""

from __future__ import annotations

from typing import Any

from runcontract.model import Profile
from runcontract.rules.registry import (
    NO_END,
    NULL,
    TERMINAL_TIMESTAMPS,
    Finding,
    RunFields,
    as_integer,
    object_check,
    residue_form,
    schema_form,
)

ALL_TIMESTAMPS = ("created_at", "started_at", "expires_at", *TERMINAL_TIMESTAMPS)
LARGEST_SECONDS = 10**11  # the year 5138: anything larger is milliseconds or garbage


@object_check("T001", "T002", "T003", "T004", "T005", "T006")
def timestamps(run: dict[str, Any], profile: Profile, out: list[Finding]) -> None:
    # Every value as an int or None (a wrong type is the schema's business; an integral float
    # is an integer to the schema, so to these rules too); one lookup each, and a call only
    # for what is neither an int nor null.
    values: dict[str, int] = {}
    for key in ALL_TIMESTAMPS:
        value = run.get(key)
        if value is None:
            continue
        if value.__class__ is not int:
            value = as_integer(value)
            if value is None:
                continue
        values[key] = value
        if not 0 <= value <= LARGEST_SECONDS:
            out.append(
                Finding("T006", f"$.{key}", f"{key} {value} is not a Unix time in seconds", value)
            )
    created = values.get("created_at")
    started = values.get("started_at")
    if created is not None and started is not None and started < created:
        out.append(
            Finding(
                "T001",
                "$.started_at",
                f"started_at {started} is before created_at {created}",
                started,
            )
        )
    ended = [key for key in TERMINAL_TIMESTAMPS if key in values]
    for key in ended:
        value = values[key]
        if started is not None and value < started:
            out.append(
                Finding("T002", f"$.{key}", f"{key} {value} is before started_at {started}", value)
            )
        if created is not None and value < created:
            out.append(
                Finding("T003", f"$.{key}", f"{key} {value} is before created_at {created}", value)
            )
    if len(ended) > 1:
        out.append(
            Finding(
                "T005",
                f"$.{ended[1]}",
                f"{' and '.join(ended)} are all set; a run ends only once",
                {key: values[key] for key in ended},
            )
        )
    expires = values.get("expires_at")
    if created is not None and expires is not None and expires < created:
        out.append(
            Finding(
                "T004",
                "$.expires_at",
                f"expires_at {expires} is before created_at {created}",
                expires,
            )
        )


_SECONDS = {"anyOf": [NULL, {"type": "integer", "minimum": 0, "maximum": LARGEST_SECONDS}]}
schema_form("T006", schema={"properties": dict.fromkeys(ALL_TIMESTAMPS, _SECONDS)})
# T005 (two end timestamps) is held by C006's form: no status allows two of them


@residue_form("T001", "T002", "T003", "T004")
def times_hold(run: RunFields) -> bool:
    created, started, expires = run.created_at, run.started_at, run.expires_at
    if started is not None and started < created:  # T001
        return False
    if expires is not None and expires < created:  # T004
        return False
    ends = run.ends
    if ends == NO_END:
        return True
    floor = created if started is None else started  # T002, or T003 for a run never started
    completed, failed, cancelled = ends
    return (
        (completed is None or completed >= floor)
        and (failed is None or failed >= floor)
        and (cancelled is None or cancelled >= floor)
    )
