"""JSON recordings (HAR, VCR cassettes saved as JSON, .NET session records) read entry by entry.

A recording of 50,000 interactions held whole took five times its size in memory; read entry by
entry, memory is bounded by the largest entry (its body), and time grows with the entries.
ijson (libyajl through its C backend where it is installed) does the reading, in two passes:

1. The whole file is checked without building anything: that it is JSON, what its top-level keys
   are (a document whose keys make it a recording only once all are known, or whose entries
   come twice, is not for this reader), and that the list of entries is a list.
2. The file is read again, and each entry is built, parsed into an exchange and judged before the
   next is read, by the same functions as a whole document's entries.

Anything this reader might read differently from orjson (bad JSON, whose message must be
orjson's; numbers beyond 64 bits; a lone UTF-16 surrogate, which yajl would replace; nesting
orjson refuses) sends the file back to the whole-document reader, so every verdict and message
is the one the whole document gives. So do small files, which orjson reads faster whole.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import ijson

from runcontract.model import Observation, ReadError
from runcontract.sources import exchanges
from runcontract.sources.cassettes import SESSION_KEY, VCR_KEYS, session_exchange, vcr_exchange
from runcontract.sources.context import FileContext, Unreadable
from runcontract.sources.har import har_exchange
from runcontract.sources.jsonfile import UTF8_BOM
from runcontract.sources.streams import too_large

# orjson refuses documents nested deeper than 1024; well short of that, the whole reader decides
_MAX_DEPTH: Final = 500
# A \u escape of a UTF-16 surrogate: yajl makes "?" of a lone one where orjson refuses the
# document, so a document with one (or with what may be one) is left to orjson.
_SURROGATE: Final = re.compile(rb"\\u[dD][89a-fA-F]")
_STARTS: Final = frozenset({"start_map", "start_array"})
_ENDS: Final = frozenset({"end_map", "end_array"})
_KINDS: Final = {
    "start_map": "object",
    "start_array": "array",
    "string": "string",
    "number": "number",
    "boolean": "boolean",
    "null": "null",
}

_END: Final = object()


@dataclass(frozen=True, slots=True)
class Recording:
    """Where a recording keeps its entries, and how one entry becomes an exchange."""

    prefix: str  # ijson's path to the list: "log.entries", "interactions", "Entries"
    noun: str
    parse: Callable[[Any, str], exchanges.Exchange]


def recording_in(chunks: Iterable[bytes], cap: int) -> Recording | None:
    """The recording these bytes hold, when they can be read entry by entry just as whole.

    None for anything else (plain runs, bad JSON, ...), which the whole-document reader reads.
    Raises Unreadable for a file beyond `cap`, the whole-document limit, as that reader would.
    """
    shape = _Shape()
    try:
        if not shape.read(ijson.basic_parse(_Checked(chunks, cap), use_float=True)):
            return None
    except Unreadable:
        raise
    except Exception:  # noqa: BLE001 - whatever yajl refuses, orjson's message says why
        return None
    return shape.recording()


def read_recording(
    recording: Recording, chunks: Iterable[bytes], ctx: FileContext
) -> Iterator[Observation | ReadError | exchanges.Answered]:
    """Every entry's observations and read errors, as the whole document's reader yields them."""
    entries = ijson.items(_Checked(chunks, None), f"{recording.prefix}.item", use_float=True)
    number = 0
    while True:
        # an entry is a tree, which the cycle collector would walk for nothing while it is built
        collecting = gc.isenabled()
        gc.disable()
        try:
            item = next(entries, _END)
        finally:
            if collecting:
                gc.enable()
        if item is _END:
            return
        number += 1
        entry = f"{recording.noun} {number}"
        try:
            exchange = recording.parse(item, entry)
        except Unreadable as exc:
            yield ctx.error(entry, str(exc))
            continue
        del item  # the entry's body, once it is an exchange, is not kept twice
        yield from exchanges.observations(exchange, ctx)


@dataclass(slots=True)
class _Shape:
    """What the first pass learns: the top-level keys, the keys of `log`, the kind of each."""

    top: set[str] = field(default_factory=set)
    log: set[str] = field(default_factory=set)
    kinds: dict[str, str] = field(default_factory=dict)
    is_object: bool = False

    def read(self, events: Iterable[tuple[str, Any]]) -> bool:
        """Take every parser event; False as soon as the document is not for this reader.

        The loop runs once per event of the whole file (a hundred and more per entry), so it
        does little for the events below the top two levels, which are nearly all.
        """
        depth = 0
        top, log, kinds = self.top, self.log, self.kinds
        section = ""  # the top-level key whose value is being read
        pending: str | None = None  # the path of the value whose first event comes next
        for event, value in events:
            if event == "map_key":
                if depth == 1:
                    # "object": a run or a list page, plain runs, which streaming gains nothing on
                    if value == "object" or not self._new_key(top, value):
                        return False
                    section = pending = value
                elif depth == 2 and section == "log":
                    if not self._new_key(log, value):
                        return False
                    pending = f"log.{value}"
                continue
            if pending is not None:
                kinds[pending] = _KINDS.get(event, "")
                pending = None
            if event in _STARTS:
                depth += 1
                if depth > _MAX_DEPTH:
                    return False
                if depth == 1:
                    self.is_object = event == "start_map"
                    if not self.is_object:
                        return False
            elif event in _ENDS:
                depth -= 1
        return True

    @staticmethod
    def _new_key(keys: set[str], key: object) -> bool:
        # a repeated key (the last one counts) or a dotted one (ijson's paths join keys with
        # dots, so "log.entries" would name two places) is for the whole reader
        if not isinstance(key, str) or key in keys or "." in key:
            return False
        keys.add(key)
        return True

    def recording(self) -> Recording | None:
        # the choice of documents.observations_in_document, made on the keys alone
        top = self.top
        if not self.is_object or "object" in top:
            return None
        if "log" in top and self.kinds.get("log") == "object" and "entries" in self.log:
            found = Recording("log.entries", "entry", har_exchange)
        elif vcr := next((key for key in VCR_KEYS if key in top), None):
            found = Recording(vcr, "interaction", vcr_exchange)
        elif SESSION_KEY in top:
            found = Recording(SESSION_KEY, "entry", session_exchange)
        else:
            return None
        # not a list: the whole reader says what it is instead
        return found if self.kinds.get(found.prefix) == "array" else None


class _Checked:
    """The bytes as a file for ijson: without the BOM, counted against the cap, surrogates seen."""

    def __init__(self, chunks: Iterable[bytes], cap: int | None) -> None:
        self.chunks = iter(chunks)
        self.cap = cap
        self.read_so_far = 0
        self.tail = b""  # the end of the bytes so far: an escape cut by a chunk's end is in it
        self.ended = False

    def read(self, size: int = -1) -> bytes:
        if size == 0 or self.ended:
            return b""  # ijson asks for nothing first, to learn whether it reads bytes or text
        chunk = next(self.chunks, b"")  # a chunk at a time, whatever size ijson asks for
        if not chunk:
            self.ended = True
            if lone_surrogate(self.tail, len(self.tail) - _NEEDS_AFTER, len(self.tail)):
                raise _NotForStreaming
            return b""
        if self.read_so_far == 0:
            chunk = chunk.removeprefix(UTF8_BOM)
        self.read_so_far += len(chunk)
        if self.cap is not None and self.read_so_far > self.cap:
            raise Unreadable(too_large(self.cap, "file"))
        # escapes near the end are judged with the next chunk, which holds what follows them
        window = self.tail + chunk
        if lone_surrogate(window, len(self.tail) - _NEEDS_AFTER, len(window) - _NEEDS_AFTER):
            raise _NotForStreaming
        self.tail = window[-_TAIL:]
        return chunk or b" "  # an empty chunk would end ijson's reading early


_NEEDS_AFTER: Final = 12  # an escape and the one after it: "\\uD83C\\uDF2E"
_TAIL: Final = 64


def lone_surrogate(data: bytes, start: int, end: int) -> bool:
    """Whether a \\u escape starting in data[start:end] may be half of a surrogate pair alone.

    Only "may": a run of backslashes before it longer than `data` holds counts as yes, and the
    file is then read whole, which is always right.
    """
    for match in _SURROGATE.finditer(data, max(start, 0)):
        at = match.start()
        if at >= end:
            break
        escapes = _escapes(data, at)
        if escapes is None:
            return True
        if not escapes:
            continue  # an escaped backslash, then a "u"
        if data[at + 3] in b"89abAB":  # a high surrogate: a low one must follow
            after = data[at + 6 : at + 12]
            if not (
                after[:3] in (b"\\ud", b"\\uD") and after[3:4] in b"cdefCDEF" and len(after) == 6
            ):
                return True
        else:  # a low surrogate: a high one must come before
            before = data[at - 6 : at] if at >= 6 else b""
            high = (
                before[:3] in (b"\\ud", b"\\uD") and before[3:4] in b"89abAB" and before[3:4] != b""
            )
            if not (high and _escapes(data, at - 6)):
                return True
    return False


def _escapes(data: bytes, at: int) -> bool | None:
    """Whether the backslash at `at` starts an escape (None: the bytes before it do not say)."""
    before = at
    while before > 0 and data[before - 1] == 0x5C:  # a backslash
        before -= 1
    if before == 0 and at > 0:
        return None
    return (at - before) % 2 == 0


class _NotForStreaming(Exception):  # noqa: N818 - a decision, not a failure
    """The document is read whole instead."""
