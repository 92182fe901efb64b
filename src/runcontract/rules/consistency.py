"""Status and field consistency: the status and the fields that depend on it agree."""

from __future__ import annotations

from typing import Any

from runcontract.model import Profile
from runcontract.rules.registry import (
    LIVE_STATUSES,
    NULL,
    Finding,
    object_check,
    schema_form,
    status_in,
)

STARTED_STATUSES = frozenset({"in_progress", "requires_action", "completed", "incomplete"})
# which terminal timestamp each status needs, and which statuses each timestamp may appear under
TIMESTAMP_OF_STATUS = {
    "completed": "completed_at",
    "incomplete": "completed_at",
    "failed": "failed_at",
    "cancelled": "cancelled_at",
}
STATUSES_OF_TIMESTAMP = {
    "completed_at": frozenset({"completed", "incomplete"}),
    "failed_at": frozenset({"failed"}),
    "cancelled_at": frozenset({"cancelled"}),
}


# `run.get(key, _ABSENT) is None`: present and null (an absent key is the schema's business,
# not reported twice); `run.get(key) is not None`: set. Spelled out, not calls: a broken run
# asks a dozen of them.
_ABSENT = object()


@object_check(
    "C001", "C002", "C003", "C004", "C005", "C006", "C007", "C008", "C009", "C010", "D006", "D008"
)
def status_fields(run: dict[str, Any], profile: Profile, out: list[Finding]) -> None:
    status = run.get("status")
    if not isinstance(status, str):
        return
    _required_action(run, status, out)
    _last_error(run, status, out)
    _terminal_timestamps(run, status, out)
    if status in STARTED_STATUSES and run.get("started_at", _ABSENT) is None:
        out.append(
            Finding("C007", "$.started_at", f"status is {status} but started_at is null", None)
        )
    _incomplete_details(run, status, out)
    if status in LIVE_STATUSES and run.get("expires_at", _ABSENT) is None:
        out.append(
            Finding("C010", "$.expires_at", f"status is {status} but expires_at is null", None)
        )


def _required_action(run: dict[str, Any], status: str, out: list[Finding]) -> None:
    if status == "requires_action":
        if run.get("required_action", _ABSENT) is None:
            out.append(
                Finding(
                    "C002",
                    "$.required_action",
                    "status is requires_action but required_action is null",
                    None,
                )
            )
    elif run.get("required_action") is not None:
        out.append(
            Finding(
                "C001",
                "$.required_action",
                f"required_action is set but status is {status}, not requires_action",
                run["required_action"],
            )
        )


def _last_error(run: dict[str, Any], status: str, out: list[Finding]) -> None:
    if status == "failed":
        if run.get("last_error", _ABSENT) is None:
            out.append(
                Finding("C003", "$.last_error", "status is failed but last_error is null", None)
            )
    elif run.get("last_error") is not None:
        out.append(
            Finding(
                "C004",
                "$.last_error",
                f"last_error is set but status is {status}, not failed",
                run["last_error"],
            )
        )


def _terminal_timestamps(run: dict[str, Any], status: str, out: list[Finding]) -> None:
    needed = TIMESTAMP_OF_STATUS.get(status)
    if needed is not None and run.get(needed, _ABSENT) is None:
        out.append(Finding("C005", f"$.{needed}", f"status is {status} but {needed} is null", None))
    for key, statuses in STATUSES_OF_TIMESTAMP.items():
        if status in statuses or run.get(key) is None:
            continue
        # The real API stamps completed_at on runs that expire (see deviations.yaml).
        code = "D008" if key == "completed_at" and status == "expired" else "C006"
        out.append(Finding(code, f"$.{key}", f"{key} is set but status is {status}", run[key]))


def _incomplete_details(run: dict[str, Any], status: str, out: list[Finding]) -> None:
    if status == "incomplete":
        if run.get("incomplete_details", _ABSENT) is None:
            out.append(
                Finding(
                    "C008",
                    "$.incomplete_details",
                    "status is incomplete but incomplete_details is null",
                    None,
                )
            )
    elif run.get("incomplete_details") is not None:
        # The real API once sent incomplete_details on a completed run (deviations.yaml).
        code = "D006" if status == "completed" else "C009"
        out.append(
            Finding(
                code,
                "$.incomplete_details",
                f"incomplete_details is set but status is {status}, not incomplete",
                run["incomplete_details"],
            )
        )


# What JSON Schema says of the same rules, for a run that keeps them all. The stand-ins (D006,
# D008) are held with the rules they stand in for: a run showing one is left to the check.
_OBJECT = {"type": "object"}
schema_form(
    "C001",
    "C002",
    schema=status_in({"requires_action"}, {"required_action": _OBJECT}, {"required_action": NULL}),
)
schema_form(
    "C003", "C004", schema=status_in({"failed"}, {"last_error": _OBJECT}, {"last_error": NULL})
)
for _status, _key in TIMESTAMP_OF_STATUS.items():
    schema_form("C005", schema=status_in({_status}, {_key: {"type": "integer"}}))
for _key, _statuses in STATUSES_OF_TIMESTAMP.items():
    schema_form("C006", "T005", "D008", schema=status_in(_statuses, {}, {_key: NULL}))
schema_form("C007", schema=status_in(STARTED_STATUSES, {"started_at": {"type": "integer"}}))
schema_form(
    "C008",
    "C009",
    "D006",
    schema=status_in({"incomplete"}, {"incomplete_details": _OBJECT}, {"incomplete_details": NULL}),
)
schema_form("C010", schema=status_in(LIVE_STATUSES, {"expires_at": {"type": "integer"}}))
