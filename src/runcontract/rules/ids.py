"""Identifier conventions of the real API (warnings: the spec does not require them)."""

from __future__ import annotations

from typing import Any

from runcontract.model import Profile
from runcontract.rules.registry import Finding, object_check

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
