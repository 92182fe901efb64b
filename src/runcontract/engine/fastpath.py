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
from runcontract.rules.registry import LIVE_STATUSES
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


def contract_schema(profile: Profile) -> dict[str, Any]:
    """The object rules that JSON Schema can express, for objects that keep them all."""
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
    name = {"pattern": f"^{FUNCTION_NAME.pattern}$"}
    conditions.append(
        {
            "properties": {
                "id": {"pattern": "^run_"},  # I001
                "thread_id": {"pattern": "^thread_"},  # I002
                "assistant_id": {"pattern": "^asst_"},  # I003
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
                            "additionalProperties": {
                                "type": "string",
                                "maxLength": MAX_VALUE_LENGTH,
                            },
                        },
                    ]
                },
                "tools": {  # F001
                    "items": {
                        "if": {"properties": {"type": {"const": "function"}}, "required": ["type"]},
                        "then": {"properties": {"function": {"properties": {"name": name}}}},
                    }
                },
            }
        }
    )
    return {"allOf": conditions}


def _residue_is_clean(run: dict[str, Any]) -> bool:
    """The rules JSON Schema cannot express, for objects that passed the compiled part."""
    get = run.get
    created, started, expires = get("created_at"), get("started_at"), get("expires_at")
    if started is not None and started < created:  # T001
        return False
    if expires is not None and expires < created:  # T004
        return False
    floor = created if started is None else started
    for key in ("completed_at", "failed_at", "cancelled_at"):
        ended = get(key)
        if ended is not None and ended < floor:  # T002, T003
            return False
    usage = get("usage")
    if usage is not None and (
        usage["prompt_tokens"] + usage["completion_tokens"] != usage["total_tokens"]  # U002
    ):
        return False
    tools = get("tools")
    names = [t["function"]["name"] for t in tools if t["type"] == "function"] if tools else []
    if len(names) != len(set(names)):  # F005
        return False
    action = get("required_action")
    return action is None or _calls_are_clean(action["submit_tool_outputs"]["tool_calls"], names)


def _calls_are_clean(calls: list[dict[str, Any]], names: list[str]) -> bool:
    ids = [call["id"] for call in calls]
    if len(ids) != len(set(ids)):  # F003
        return False
    for call in calls:
        if (
            not call["id"].startswith("call_") or call["function"]["name"] not in names
        ):  # I004, F002
            return False
        try:
            orjson.loads(call["function"]["arguments"])  # F004
        except orjson.JSONDecodeError:
            return False
    return True


class FastVerdict:
    """`clean(run)`: True only when the run breaks no rule at all in this profile."""

    def __init__(self, profile: Profile) -> None:
        schema = dict(profile_schema(profile).bundle)
        schema["allOf"] = [*schema.get("allOf", []), contract_schema(profile)]
        self._is_valid = jsonschema_rs.validator_for(schema).is_valid

    def clean(self, run: Any) -> bool:
        return self._is_valid(run) and _residue_is_clean(run)
