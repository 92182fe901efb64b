"""A compiled clean-or-not verdict, so the Python rules run only for objects that need them.

Most objects a gate sees keep the contract. For them one call into a compiled validator
(jsonschema-rs) decides: the profile's schema plus every object rule that JSON Schema can say
(status-dependent fields, metadata limits, name and id patterns, counts and time ranges), and a
short residue in Python for what it cannot (the order of timestamps, the usage sum, references
between fields). An object that passes both has no violation of any rule, warnings included; any
other object goes the full way, where the rules in runcontract.rules produce the findings.

The rules stay the source of truth: this is a necessary condition compiled for speed. The tests
that break each rule once (tests/engine/test_properties.py) fail if this verdict ever lets a
broken object through, because they go through the same Engine.check_run.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import orjson

from runcontract.model import Profile
from runcontract.rules.consistency import (
    STARTED_STATUSES,
    STATUSES_OF_TIMESTAMP,
    TIMESTAMP_OF_STATUS,
)
from runcontract.rules.metadata import MAX_KEY_LENGTH, MAX_KEYS, MAX_VALUE_LENGTH
from runcontract.rules.registry import LIVE_STATUSES, NO_END
from runcontract.rules.timestamps import ALL_TIMESTAMPS, LARGEST_SECONDS
from runcontract.rules.tools import FUNCTION_NAME
from runcontract.rules.usage import COUNTS, USAGE_EXPECTED
from runcontract.schemas import profile_schema

NULL: dict[str, Any] = {"type": "null"}


def _status_in(
    statuses: frozenset[str] | set[str],
    then: dict[str, Any],
    otherwise: dict[str, Any] | None = None,
) -> dict[str, Any]:
    condition: dict[str, Any] = {
        "if": {"properties": {"status": {"enum": sorted(statuses)}}, "required": ["status"]},
        "then": {"properties": then},
    }
    if otherwise is not None:
        condition["else"] = {"properties": otherwise}
    return condition


def contract_schema(profile: Profile, *, patterns: bool = True) -> dict[str, Any]:
    """The object rules that JSON Schema can express, for objects that keep them all.

    Without `patterns`, the rules that need a regular expression (I001 to I003, F001) are left
    out, for a caller that checks them more cheaply itself.
    """
    later = profile is not Profile.SEED
    timestamp = {"anyOf": [NULL, {"type": "integer", "minimum": 0, "maximum": LARGEST_SECONDS}]}
    conditions: list[dict[str, Any]] = [
        {"properties": dict.fromkeys(ALL_TIMESTAMPS, timestamp)},  # T006
        _status_in(
            {"requires_action"}, {"required_action": {"type": "object"}}, {"required_action": NULL}
        ),  # C001, C002
        _status_in(
            {"failed"}, {"last_error": {"type": "object"}}, {"last_error": NULL}
        ),  # C003, C004
        _status_in(set(STARTED_STATUSES), {"started_at": {"type": "integer"}}),  # C007
        _status_in(set(LIVE_STATUSES), {"usage": NULL}),  # U001
    ]
    for status, key in TIMESTAMP_OF_STATUS.items():  # C005
        conditions.append(_status_in({status}, {key: {"type": "integer"}}))
    for key, statuses in STATUSES_OF_TIMESTAMP.items():  # C006 (and with it T005)
        conditions.append(_status_in(set(statuses), {}, {key: NULL}))
    if later:
        conditions += [
            _status_in(
                {"incomplete"},
                {"incomplete_details": {"type": "object"}},
                {"incomplete_details": NULL},
            ),  # C008, C009
            _status_in(set(LIVE_STATUSES), {"expires_at": {"type": "integer"}}),  # C010
            _status_in(set(USAGE_EXPECTED), {"usage": {"type": "object"}}),  # U004
        ]
    limits: dict[str, Any] = {
        "usage": {  # U003
            "anyOf": [NULL, {"properties": {k: {"minimum": 0} for k in COUNTS}}]
        },
        "metadata": {  # M001 to M004
            "anyOf": [
                NULL,
                {
                    "type": "object",
                    "maxProperties": MAX_KEYS,
                    "propertyNames": {"maxLength": MAX_KEY_LENGTH},
                    "additionalProperties": {"type": "string", "maxLength": MAX_VALUE_LENGTH},
                },
            ]
        },
    }
    if patterns:
        name = {"pattern": f"^{FUNCTION_NAME.pattern}$"}
        limits.update(
            {
                "id": {"pattern": "^run_"},  # I001
                "thread_id": {"pattern": "^thread_"},  # I002
                "assistant_id": {"pattern": "^asst_"},  # I003
                "tools": {  # F001
                    "items": {
                        "if": {"properties": {"type": {"const": "function"}}, "required": ["type"]},
                        "then": {"properties": {"function": {"properties": {"name": name}}}},
                    }
                },
            }
        )
    conditions.append({"properties": limits})
    return {"allOf": conditions}


# Function names already found well formed: the same few tools come back run after run.
_GOOD_NAMES: set[str] = set()
_GOOD_NAMES_KEPT = 4096


def times_hold(
    created: int,
    started: int | None,
    expires: int | None,
    ends: tuple[int | None, int | None, int | None],
) -> bool:
    """T001 to T004 for a run that passed the compiled part (its timestamps are integers)."""
    if started is not None and started < created:  # T001
        return False
    if expires is not None and expires < created:  # T004
        return False
    if ends == NO_END:
        return True
    floor = created if started is None else started
    completed, failed, cancelled = ends  # T002, T003
    return (
        (completed is None or completed >= floor)
        and (failed is None or failed >= floor)
        and (cancelled is None or cancelled >= floor)
    )


def names_hold(names: list[str]) -> bool:
    """F001 and F005 for the function tools' names: each well formed, none there twice."""
    for name in names:
        if name not in _GOOD_NAMES:
            if not FUNCTION_NAME.fullmatch(name):
                return False
            if len(_GOOD_NAMES) >= _GOOD_NAMES_KEPT:
                _GOOD_NAMES.clear()
            _GOOD_NAMES.add(name)
    return len(set(names)) == len(names)


def calls_hold(calls: list[tuple[str, str, str]], names: list[str]) -> bool:
    """F002 to F004 and I004 for the required tool calls as (id, function name, arguments)."""
    if len({call[0] for call in calls}) != len(calls):  # F003
        return False
    for call_id, name, arguments in calls:
        if not call_id.startswith("call_") or name not in names:  # I004, F002
            return False
        try:
            orjson.loads(arguments)  # F004
        except orjson.JSONDecodeError:
            return False
    return True


def _residue_is_clean(run: dict[str, Any]) -> bool:
    """The rules JSON Schema cannot express, for a run that passed the compiled part."""
    get = run.get
    if not times_hold(
        run["created_at"],
        get("started_at"),
        get("expires_at"),
        (get("completed_at"), get("failed_at"), get("cancelled_at")),
    ):
        return False
    usage = get("usage")
    if usage is not None and (
        usage["prompt_tokens"] + usage["completion_tokens"] != usage["total_tokens"]  # U002
    ):
        return False
    tools = get("tools")
    names = [t["function"]["name"] for t in tools if t["type"] == "function"] if tools else []
    if not names_hold(names):
        return False
    action = get("required_action")
    return action is None or calls_hold(
        [
            (c["id"], c["function"]["name"], c["function"]["arguments"])
            for c in action["submit_tool_outputs"]["tool_calls"]
        ],
        names,
    )


class FastVerdict:
    """`clean(run)`: True only when the run breaks no rule at all in this profile.

    Given a relaxed copy of the profile's schema, "no rule but the deviations it allows".
    """

    def __init__(self, profile: Profile, bundle: dict[str, Any] | None = None) -> None:
        """`bundle`: the profile's schema to hold to, when not its own (a relaxed copy, say)."""
        schema = dict(profile_schema(profile).bundle if bundle is None else bundle)
        schema["allOf"] = [*schema.get("allOf", []), contract_schema(profile)]
        self._is_valid = jsonschema_rs.validator_for(schema).is_valid

    def clean(self, run: Any) -> bool:
        return self._is_valid(run) and _residue_is_clean(run)
