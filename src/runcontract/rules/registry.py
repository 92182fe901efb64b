"""The registry of object rules: each rule defined once, in its family's module, in two forms.

The check: a plain function `(run, profile, out)` that appends Findings to `out`, the source of
truth for what a broken run is told. Checks are grouped by rule family so one pass over a run
object serves several rules; the engine drops findings of rules that are switched off or do not
apply to the object's profile.

Its fast forms, beside it: what a run that keeps the rule satisfies, as a JSON Schema fragment
(`schema_form`) or, where JSON Schema cannot say it, a predicate over the few fields it reads
(`residue_form`, on a RunFields). The engine compiles them (engine/fastpath.py for run dicts,
engine/fastlane.py for JSON Lines bytes) into a verdict "breaks no rule" that spares the check
for the many runs that keep the contract. Each fast form names the codes it stands for; the
tests require every code of a check to have one, and hold the compiled verdict to the checks on
runs that break each rule and runs that keep them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from runcontract.model import JSON, Profile
from runcontract.vocabulary import LIVE_STATUSES, TERMINAL_STATUSES, TERMINAL_TIMESTAMPS

__all__ = [  # the statuses are the vocabulary's, read by the rules from here
    "LIVE_STATUSES",
    "NO_END",
    "NULL",
    "OBJECT_CHECKS",
    "TERMINAL_STATUSES",
    "TERMINAL_TIMESTAMPS",
    "CheckFunction",
    "Finding",
    "ObjectCheck",
    "ResidueForm",
    "RunFields",
    "SchemaForm",
    "as_integer",
    "integer",
    "object_check",
    "residue_form",
    "schema_form",
    "status_in",
]


class Finding(NamedTuple):
    """What a rule found on a run: its code, where (a JSON path), why, and the value there."""

    code: str
    path: str
    message: str
    value: JSON = None


CheckFunction = Callable[[dict[str, Any], Profile, list[Finding]], None]


@dataclass(frozen=True, slots=True)
class ObjectCheck:
    name: str
    codes: frozenset[str]
    run: CheckFunction


OBJECT_CHECKS: list[ObjectCheck] = []


def object_check(*codes: str) -> Callable[[CheckFunction], CheckFunction]:
    def register(function: CheckFunction) -> CheckFunction:
        OBJECT_CHECKS.append(ObjectCheck(function.__name__, frozenset(codes), function))
        return function

    return register


class RunFields(NamedTuple):
    """What the residue forms read of a run that satisfies every schema form.

    The schema forms have made the types plain by then: the ids are strings, the timestamps
    integers or None, the usage counts integers, the tools and calls well shaped.
    """

    id: str
    thread_id: str
    assistant_id: str
    created_at: int
    started_at: int | None
    expires_at: int | None
    ends: tuple[int | None, int | None, int | None]  # the TERMINAL_TIMESTAMPS
    counts: tuple[int, int, int] | None  # usage's prompt, completion, total; None: no usage
    names: list[str]  # the function tools' names, in order
    calls: list[tuple[str, str, str]] | None  # required tool calls: (id, function name, arguments)


@dataclass(frozen=True, slots=True)
class SchemaForm:
    """A JSON Schema every run that keeps the rules `codes` satisfies (not to be mutated).

    `pattern`: it needs a regular expression; the JSON Lines lane leaves it out for the
    residue form of the same rules, which it runs faster.
    """

    codes: frozenset[str]
    schema: dict[str, Any]
    pattern: bool = False


@dataclass(frozen=True, slots=True)
class ResidueForm:
    """`holds(fields)`: False when the run breaks one of the rules `codes`."""

    codes: frozenset[str]
    holds: Callable[[RunFields], bool]


SCHEMA_FORMS: list[SchemaForm] = []
RESIDUE_FORMS: list[ResidueForm] = []


def schema_form(*codes: str, schema: dict[str, Any], pattern: bool = False) -> None:
    SCHEMA_FORMS.append(SchemaForm(frozenset(codes), schema, pattern))


def residue_form(
    *codes: str,
) -> Callable[[Callable[[RunFields], bool]], Callable[[RunFields], bool]]:
    def register(holds: Callable[[RunFields], bool]) -> Callable[[RunFields], bool]:
        RESIDUE_FORMS.append(ResidueForm(frozenset(codes), holds))
        return holds

    return register


NULL: dict[str, Any] = {"type": "null"}


def status_in(
    statuses: frozenset[str] | set[str],
    then: dict[str, Any],
    otherwise: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The schema "when the status is one of `statuses`, these properties; else those"."""
    condition: dict[str, Any] = {
        "if": {"properties": {"status": {"enum": sorted(statuses)}}, "required": ["status"]},
        "then": {"properties": then},
    }
    if otherwise is not None:
        condition["else"] = {"properties": otherwise}
    return condition


NO_END: tuple[None, None, None] = (None, None, None)  # the TERMINAL_TIMESTAMPS of a run not ended


def as_integer(value: Any) -> int | None:
    """The value as an int when JSON Schema counts it an integer (1700000000.0 is), else None."""
    if value.__class__ is int:
        return value
    if value.__class__ is float and value.is_integer():
        return int(value)
    return None


def integer(run: dict[str, Any], key: str) -> int | None:
    """The field as an int, or None when absent, null or not an integer (the schema's business)."""
    return as_integer(run.get(key))
