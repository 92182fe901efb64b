"""Identifier conventions of the real API (warnings: the spec does not require them)."""

from __future__ import annotations

from typing import Any

from runcontract.model import Profile
from runcontract.rules.registry import Finding, RunFields, object_check, residue_form, schema_form

PREFIXES = (
    ("I001", "id", "run_"),
    ("I002", "thread_id", "thread_"),
    ("I003", "assistant_id", "asst_"),
)


@object_check("I001", "I002", "I003")
def id_prefixes(run: dict[str, Any], profile: Profile, out: list[Finding]) -> None:
    for code, key, prefix in PREFIXES:
        value = run.get(key)
        if isinstance(value, str) and not value.startswith(prefix):
            out.append(
                Finding(code, f"$.{key}", f"{key} {value!r} does not start with {prefix}", value)
            )


for _code, _key, _prefix in PREFIXES:
    schema_form(_code, schema={"properties": {_key: {"pattern": f"^{_prefix}"}}}, pattern=True)
_PREFIX_OF = {key: prefix for _, key, prefix in PREFIXES}
_RUN, _THREAD, _ASSISTANT = _PREFIX_OF["id"], _PREFIX_OF["thread_id"], _PREFIX_OF["assistant_id"]


@residue_form(*(code for code, _, _ in PREFIXES))
def ids_hold(run: RunFields) -> bool:
    # spelled out, not a loop over PREFIXES: once a line, and three times as fast
    return (
        run.id.startswith(_RUN)
        and run.thread_id.startswith(_THREAD)
        and run.assistant_id.startswith(_ASSISTANT)
    )
