"""The nouns of runcontract: observations of runs, violations of the contract, and results.

Sources produce observations, the engine turns them into violations, reporters render results.
Everything here is plain data so every layer can share it without importing the others.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, NamedTuple

JSON = Any
"""A parsed JSON value: dict, list, str, int, float, bool or None."""


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Profile(enum.StrEnum):
    """Which version of the Run contract an object is judged against."""

    SEED = "seed"  # 2024-01-25 spec, the seed's 19 fields
    V1 = "v1"  # 2024-04-15 spec, the last Assistants v1
    V2 = "v2"  # 2026-08-21 spec, current Assistants v2


class Source(NamedTuple):
    """Where an observation (or a read error) came from.

    `file` is the path as the user gave it (or "<stdin>"); `entry` names the place inside the file
    in the user's words: "line 12", "[3]", "interaction 5", "interaction 5, event 2", "data[0]".
    A tuple of two strings, which costs little to make and nothing for the garbage collector to
    keep: large inputs make one per object, and the lifecycle keeps many.
    """

    file: str
    entry: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.entry}" if self.entry else self.file


@dataclass(frozen=True, slots=True)
class Request:
    """What was asked when the observed run object was returned, where a recording says so."""

    method: str  # upper case
    path: str  # URL path without query, for example /v1/threads/thread_1/runs/run_1/cancel
    body: JSON = None  # parsed JSON body of the request, or None
    headers: tuple[tuple[str, str], ...] = ()  # lower-case names; never carries credentials
    url: str | None = None  # the full URL as recorded, query included, when there was one


@dataclass(frozen=True, slots=True)
class Observation:
    """One run object as it was seen, with where it came from and its place in order.

    `sequence` is the global recorded order across all inputs of one call; `event` is the SSE
    event name when the object came from a stream (for example "thread.run.completed");
    `profile_hint` comes from the recording (OpenAI-Beta header), when there is one.
    """

    run: JSON
    source: Source
    sequence: int = 0
    request: Request | None = None
    event: str | None = None
    status_code: int | None = None
    profile_hint: Profile | None = None


@dataclass(frozen=True, slots=True)
class ReadError:
    """An input, or part of one, that could not be read. Kept apart from contract violations."""

    source: Source
    message: str


class Violation(NamedTuple):
    """One broken rule: which rule, how bad, where in the object, and why.

    A named tuple: a file of broken runs makes several a run, and a tuple is the cheapest
    immutable record to make (and to send between `validate --jobs` processes).
    """

    rule: str
    severity: Severity
    path: str  # JSON path into the run object, such as $.required_action.submit_tool_outputs
    message: str
    value: JSON = None
    source: Source | None = None
    related: Source | None = None  # for lifecycle rules: the earlier observation it contradicts
    reproduce: str | None = None  # the request that showed it, as a command (reproduce.py)


@dataclass(slots=True)
class ObjectResult:
    """The verdict on one observation, or (`exchange`) the HTTP rules' verdict on one exchange."""

    source: Source
    run_id: str | None
    status: str | None
    profile: Profile | None
    violations: list[Violation] = field(default_factory=list)
    exchange: bool = False  # no run object: counted apart from them

    @property
    def failed(self) -> bool:
        return any(v.severity is Severity.ERROR for v in self.violations)


@dataclass(slots=True)
class Summary:
    files: int = 0
    objects: int = 0
    passed: int = 0
    failed: int = 0
    unreadable: int = 0
    warnings: int = 0
    errors: int = 0
    forgotten_runs: int = 0  # runs the lifecycle window let go of before they ended
    exchanges: int = 0  # recorded exchanges (request and answer) judged by the HTTP rules
    exchanges_failed: int = 0  # of those, the ones with an error
    notes: list[str] = field(default_factory=list)  # said once, under the counts
