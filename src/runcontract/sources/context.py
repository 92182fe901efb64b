"""What every reader needs while it reads one file: its name, the limits, the global order.

Readers raise `Unreadable` for a failure that stops the current file or entry, and build every
Observation and ReadError through a FileContext, so sequence numbers stay global and messages
stay one short, secret-free line.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runcontract.errors import RuncontractError
from runcontract.model import JSON, Observation, Profile, ReadError, Request, Source
from runcontract.sources.limits import Limits
from runcontract.sources.secrets import scrub

if TYPE_CHECKING:
    from runcontract.engine.fastlane import Prejudged

MAX_MESSAGE_CHARS = 300


class Passed(enum.Enum):
    """What a fast lane says of a line that another process judges: the reader makes no item of
    it (`validate --jobs`, where each worker judges the runs it owns)."""

    OVER = "over"


# the engine's fast lane: a line, its file and number in, its verdict out when the lane knows it
FastLane = Callable[[bytes, str, int], "Prejudged | Passed | None"]


class Unreadable(RuncontractError):  # noqa: N818 - it names the state of the input, not a failure of ours
    """The input (or one entry of it) cannot be read; the message says why, in one line."""


def one_line(message: str) -> str:
    flat = " ".join(scrub(message).split())
    if len(flat) > MAX_MESSAGE_CHARS:
        flat = flat[: MAX_MESSAGE_CHARS - 1] + "…"
    return flat


_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),  # before int: a bool is an int to Python, not to JSON
    (int, "a number"),
    (float, "a number"),
    (str, "a string"),
    (list, "an array"),
    (dict, "an object"),
    (bytes, "binary data"),
    (datetime.date, "a date"),
)


def kind_of(value: object) -> str:
    """The JSON name of a value's type, for messages such as "found a string"."""
    if value is None:
        return "null"
    for kind, name in _KINDS:
        if isinstance(value, kind):
            return name
    return f"a YAML {type(value).__name__}"


def join_entry(entry: str | None, part: str) -> str:
    return f"{entry}, {part}" if entry else part


@dataclass(slots=True)
class FileContext:
    file: str
    limits: Limits
    next_sequence: Callable[[], int]
    # The engine's fast lane, for JSON Lines: a line's run and profile when it is clean, else None
    fast_lane: FastLane | None = None
    # what the file gave so far: observations (and prejudged runs), and read errors
    found: int = 0
    failed: int = 0

    def observation(
        self,
        run: JSON,
        entry: str | None,
        *,
        request: Request | None = None,
        event: str | None = None,
        status_code: int | None = None,
        profile_hint: Profile | None = None,
    ) -> Observation:
        self.found += 1
        return Observation(
            run=run,
            source=Source(self.file, entry),
            sequence=self.next_sequence(),
            request=request,
            event=event,
            status_code=status_code,
            profile_hint=profile_hint,
        )

    def error(self, entry: str | None, message: str) -> ReadError:
        self.failed += 1
        return ReadError(Source(self.file, scrub(entry) if entry else None), one_line(message))
