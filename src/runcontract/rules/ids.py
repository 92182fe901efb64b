"""Identifier conventions of the real API (warnings: the spec does not require them)."""

from __future__ import annotations

from operator import attrgetter
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
_PREFIX_OF = tuple((attrgetter(key), prefix) for _, key, prefix in PREFIXES)


@residue_form(*(code for code, _, _ in PREFIXES))
def ids_hold(run: RunFields) -> bool:
    for value_of, prefix in _PREFIX_OF:  # noqa: SIM110 - a loop: twice as fast as all() here
        if not value_of(run).startswith(prefix):
            return False
    return True
