"""A compiled clean-or-not verdict, so the Python rules run only for objects that need them.

Most objects a gate sees keep the contract. For them one call into a compiled validator
(jsonschema-rs) decides: the profile's schema plus every object rule's schema form (status-
dependent fields, metadata limits, name and id patterns, counts and time ranges), and the rules'
residue forms in Python for what JSON Schema cannot say (the order of timestamps, the usage sum,
references between fields). An object that passes both has no violation of any rule, warnings
included; any other object goes the full way, where the checks in runcontract.rules produce the
findings.

Both forms are declared beside each rule's check (runcontract.rules.registry), and the checks
stay the source of truth: this is a necessary condition compiled for speed. The tests that break
each rule once (tests/engine/test_properties.py) fail if this verdict ever lets a broken object
through, because they go through the same Engine.check_run.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from runcontract.catalogue import load_catalogue
from runcontract.model import Profile
from runcontract.rules.registry import RESIDUE_FORMS, SCHEMA_FORMS, RunFields
from runcontract.schemas import profile_schema


def contract_schema(profile: Profile, *, patterns: bool = True) -> dict[str, Any]:
    """The object rules' schema forms for `profile`: what objects that keep them all satisfy.

    A form is kept when one of its rules applies to the profile (the catalogue says which).
    Without `patterns`, the forms that need a regular expression (I001 to I003, F001) are left
    out, for a caller that runs those rules' residue forms instead.
    """
    rules = load_catalogue().rules
    return {
        "allOf": [
            form.schema
            for form in SCHEMA_FORMS
            if (patterns or not form.pattern)
            and any(profile in rules[code].profiles for code in form.codes)
        ]
    }


RESIDUES = tuple(form.holds for form in RESIDUE_FORMS)


def fields_of(run: dict[str, Any]) -> RunFields:
    """The RunFields of a run dict that passed the schema forms."""
    get = run.get
    usage = get("usage")
    tools = get("tools")
    action = get("required_action")
    return RunFields(
        run["id"],
        run["thread_id"],
        run["assistant_id"],
        run["created_at"],
        get("started_at"),
        get("expires_at"),
        (get("completed_at"), get("failed_at"), get("cancelled_at")),
        None
        if usage is None
        else (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]),
        [t["function"]["name"] for t in tools if t["type"] == "function"] if tools else [],
        None
        if action is None
        else [
            (c["id"], c["function"]["name"], c["function"]["arguments"])
            for c in action["submit_tool_outputs"]["tool_calls"]
        ],
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
        if not self._is_valid(run):
            return False
        fields = fields_of(run)
        return all(holds(fields) for holds in RESIDUES)
