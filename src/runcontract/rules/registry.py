"""The registry of object checks: small named units, each owning the rule codes it can report.

A check is a plain function `(run, profile, out)` that appends Findings to `out`. Checks are
grouped by rule family so one pass over a run object serves several rules; the engine drops
findings of rules that are switched off or do not apply to the object's profile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runcontract.model import JSON, Profile
from runcontract.vocabulary import LIVE_STATUSES, TERMINAL_STATUSES, TERMINAL_TIMESTAMPS

__all__ = [  # the statuses are the vocabulary's, read by the rules from here
    "LIVE_STATUSES",
    "NO_END",
    "OBJECT_CHECKS",
    "TERMINAL_STATUSES",
    "TERMINAL_TIMESTAMPS",
    "CheckFunction",
    "Finding",
    "ObjectCheck",
    "as_integer",
    "integer",
    "object_check",
]


@dataclass(frozen=True, slots=True)
class Finding:
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
