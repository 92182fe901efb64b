"""Server-sent events: the `event:`/`data:` blocks of a `text/event-stream` body.

Runs stream as `thread.run.*` events; step, message and delta events share the stream and are
not runs, and the stream ends with `data: [DONE]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

# The SSE standard ends lines with CRLF, LF or CR only; str.splitlines would also split on
# U+2028 and friends, which JSON data may carry unescaped.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FIELD_START = re.compile(r"\A\s*(?:event|data):")


class Event(NamedTuple):  # a tuple: no dataclass to build at import
    number: int  # 1-based position in the stream, counting every event
    name: str | None
    data: str


def looks_like_sse(text: str) -> bool:
    return _FIELD_START.match(text) is not None


def events(text: str) -> Iterator[Event]:
    number = 0
    name: str | None = None
    data: list[str] = []
    seen_field = False
    for line in _LINE_BREAK.split(text):
        if not line:
            if seen_field:
                number += 1
                yield Event(number, name, "\n".join(data))
            name, data, seen_field = None, [], False
            continue
        if line.startswith(":"):
            continue  # a comment, such as a keep-alive
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
        seen_field = True
    if seen_field:  # a stream cut off without its final blank line still delivered the event
        yield Event(number + 1, name, "\n".join(data))


def is_run_event(name: str) -> bool:
    return name.startswith("thread.run.") and not name.startswith("thread.run.step")
