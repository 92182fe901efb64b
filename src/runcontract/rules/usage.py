"""Usage rules: token usage appears once the run is done, and adds up."""

from __future__ import annotations

from typing import Any

from runcontract.model import Profile
from runcontract.rules.registry import (
    LIVE_STATUSES,
    NULL,
    Finding,
    RunFields,
    as_integer,
    object_check,
    residue_form,
    schema_form,
    status_in,
)

COUNTS = ("prompt_tokens", "completion_tokens", "total_tokens")
USAGE_EXPECTED = frozenset({"completed", "incomplete", "failed"})


@object_check("U001", "U002", "U003", "U004")
def usage(run: dict[str, Any], profile: Profile, out: list[Finding]) -> None:
    status = run.get("status")
    if not isinstance(status, str):
        status = None  # the schema reports it; a list or dict here is not a status to look up
    value = run.get("usage")
    if value is None:
        if status in USAGE_EXPECTED and "usage" in run:
            out.append(Finding("U004", "$.usage", f"status is {status} but usage is null", None))
        return
    if status in LIVE_STATUSES:
        out.append(
            Finding("U001", "$.usage", f"usage is set while the run is still {status}", value)
        )
    if not isinstance(value, dict):
        return
    counts = {key: as_integer(value.get(key)) for key in COUNTS}
    for key, count in counts.items():
        if count is not None and count < 0:
            out.append(Finding("U003", f"$.usage.{key}", f"{key} is negative ({count})", count))
    prompt, completion, total = (counts[key] for key in COUNTS)
    if (
        prompt is not None
        and completion is not None
        and total is not None
        and prompt + completion != total
    ):
        out.append(
            Finding(
                "U002",
                "$.usage.total_tokens",
                f"total_tokens {total} is not prompt_tokens {prompt} + "
                f"completion_tokens {completion} = {prompt + completion}",
                total,
            )
        )


schema_form("U001", schema=status_in(LIVE_STATUSES, {"usage": NULL}))
_COUNTED = {"properties": {key: {"minimum": 0} for key in COUNTS}}
schema_form("U003", schema={"properties": {"usage": {"anyOf": [NULL, _COUNTED]}}})
schema_form("U004", schema=status_in(USAGE_EXPECTED, {"usage": {"type": "object"}}))


@residue_form("U002")
def usage_adds_up(run: RunFields) -> bool:
    counts = run.counts
    return counts is None or counts[0] + counts[1] == counts[2]
