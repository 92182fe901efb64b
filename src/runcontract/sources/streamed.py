"""JSON recordings (HAR, VCR cassettes saved as JSON, .NET session records) read entry by entry.

A recording of 50,000 interactions held whole took five times its size in memory; read entry by
entry, memory is bounded by the largest entry (its body), and time grows with the entries.
The file is read in two passes:

1. ijson (libyajl through its C backend where it is installed) checks the whole file without
   building anything: that it is JSON, what its top-level keys are (a document whose keys make
   it a recording only once all are known, or whose entries come twice, is not for this
   reader), and that the list of entries is a list.
2. The file is read again, and each entry's bytes are cut from it (`_entries`: brackets,
   commas and strings are all that takes, in a document the first pass has proven), parsed by
   orjson as the whole document is, made into an exchange and judged before the next is read,
   by the same functions as a whole document's entries. Not ijson: its parser keeps buffers
   as large as the largest string it has read, two for an escaped one, until the file ends.

Anything ijson might read differently from orjson (bad JSON, whose message must be
orjson's; numbers beyond 64 bits; a lone UTF-16 surrogate, which yajl would replace; nesting
orjson refuses) sends the file back to the whole-document reader, so every verdict and message
is the one the whole document gives. So do small files, which orjson reads faster whole."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import ijson
import orjson

from runcontract.model import Observation, ReadError
from runcontract.sources import exchanges, jsonfile
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
    number = 0
    for item in _entries(_Checked(chunks, None), recording.prefix.split(".")):
        number += 1
        entry = f"{recording.noun} {number}"
        try:
            exchange = recording.parse(item, entry)
        except Unreadable as exc:
            yield ctx.error(entry, str(exc))
            continue
        del item  # the entry's body, once it is an exchange, is not kept twice
        yield from exchanges.observations(exchange, ctx)


# The first pass has proven the document is JSON, so a few patterns are all the second one
# needs to find an item's end. A whole string; what a container nested no deeper than
# _NESTING holds; and, between two brackets, anything but a bracket or a quote, whole strings
# and whole such containers (a HAR entry is four deep: entry, request, headers, header), which
# the pattern passes over with no step of Python. Possessive (*+, ++): nothing is tried twice,
# so a container that turns out to be deeper costs a scan of its bytes, and Python goes in.
_NESTING: Final = 3
_STRING: Final = rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"'
_INSIDE = rb'(?:[^"\[\]{}]++|' + _STRING + rb")*+"
for _ in range(_NESTING):
    _INSIDE = rb'(?:[^"\[\]{}]++|' + _STRING + rb"|\{" + _INSIDE + rb"\}|\[" + _INSIDE + rb"\])*+"
_WHOLE: Final = rb"|" + _STRING + rb"|\{" + _INSIDE + rb"\}|\[" + _INSIDE + rb"\]"
_BETWEEN: Final = re.compile(rb'(?:[^"\[\]{}]++' + _WHOLE + rb")*+")
_BETWEEN_OR_COMMA: Final = re.compile(rb'(?:[^"\[\]{},]++' + _WHOLE + rb")*+")
# The rest of a string, from inside it: up to its closing quote, or to the end of the bytes
# (or the backslash before it, when the end cuts an escape in two).
_STRING_REST: Final = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*')
_SPACE: Final = re.compile(rb"[ \t\r\n]*")
_CHANGED: Final = "the file changed while it was read"


def _past(pattern: re.Pattern[bytes], data: bytearray, at: int) -> int:
    """Where `pattern`, matched at `at`, stops (each of them matches nothing as well)."""
    found = pattern.match(data, at)
    return found.end() if found else at


def _entries(source: _Checked, prefix: list[str]) -> Iterator[Any]:
    """Each item of the list at `prefix` (["log", "entries"]), read by orjson from its bytes.

    The first pass has proven the document is JSON with unique keys on the way to the list,
    so finding the list and each item's end needs only brackets, commas and strings. Each item
    is parsed as the whole document's reader parses a document (`jsonfile.loads`), and its
    bytes are dropped before it is yielded: at most the largest item's bytes and its value are
    held, and ijson's parser, which keeps buffers as large as the largest string it has read
    until the file ends, does not read this pass.
    """
    cutter = _Cutter(source)
    cutter.find_list(prefix)
    while True:
        cutter.start = cutter.at  # just after the list's "[" or an item's ","
        closer = cutter.value_end()
        if cutter.holds_a_value():
            yield cutter.cut()
        elif closer != ord(","):
            return  # an empty list
        else:
            raise Unreadable(_CHANGED)  # nothing before a comma
        if closer == ord("]"):
            return
        if closer != ord(","):
            raise Unreadable(_CHANGED)
        cutter.at += 1


class _Cutter:
    """The document's bytes in one buffer, which grows at its end and is dropped from its start.

    `at` is where reading is; `start` where the value being read starts: the bytes before it
    are dropped when more are added.
    """

    def __init__(self, source: _Checked) -> None:
        self.source = source
        self.data = bytearray()
        self.at = 0
        self.start = 0
        self.in_string: int | None = None  # inside a string cut by the end: where to go on

    def more(self) -> None:
        chunk = self.source.read(1)
        if not chunk:
            raise Unreadable(_CHANGED)  # the first pass read a whole document
        dropped = self.start
        if dropped:
            del self.data[:dropped]
            self.start = 0
            self.at -= dropped
            if self.in_string is not None:
                self.in_string -= dropped
        self.data += chunk

    def next_byte(self) -> int:
        """The byte at `at` after any white space, which `at` is moved past."""
        while True:
            self.at = _past(_SPACE, self.data, self.at)
            if self.at < len(self.data):
                return self.data[self.at]
            self.more()

    def string_end(self) -> int:
        """Where the string whose quote is at `at` ends (just after its closing quote)."""
        self.in_string = self.at + 1
        while True:
            stop = _past(_STRING_REST, self.data, self.in_string)
            if stop < len(self.data) and self.data[stop] == 0x22:  # its closing quote
                self.in_string = None
                return stop + 1
            self.in_string = stop
            self.more()

    def value_end(self) -> int:
        """Move `at` to the "," or closing bracket after the value at `at`; that byte."""
        data = self.data
        depth = 0
        while True:
            self.at = _past(_BETWEEN_OR_COMMA if depth == 0 else _BETWEEN, data, self.at)
            if self.at == len(data):
                self.more()
                continue
            byte = data[self.at]
            if byte == 0x22:  # a string the bytes do not close yet
                self.at = self.string_end()
                continue
            if byte in b"[{":
                depth += 1
            elif depth:
                depth -= 1  # "]" or "}" closing one of the value's own
            else:  # "," or the "]" or "}" around the value
                return byte
            self.at += 1

    def holds_a_value(self) -> bool:
        return _past(_SPACE, self.data, self.start) < self.at

    def cut(self) -> Any:
        """The value in the bytes from `start` to `at`, parsed; its bytes are dropped."""
        view = memoryview(self.data)[self.start : self.at]
        # an entry is a tree, which the cycle collector would walk for nothing while it is built
        collecting = gc.isenabled()
        gc.disable()
        try:
            value = jsonfile.loads(view)
        except orjson.JSONDecodeError:
            raise Unreadable(_CHANGED) from None  # JSON to the first pass, and so to orjson
        finally:
            view.release()
            if collecting:
                gc.enable()
        del self.data[: self.at]  # the largest item's bytes are not kept while it is judged
        self.start, self.at = 0, 0
        return value

    def find_list(self, prefix: list[str]) -> None:
        """Move `at` just past the "[" of the list at `prefix`, through objects' keys."""
        if self.next_byte() != ord("{"):
            raise Unreadable(_CHANGED)
        self.at += 1
        for depth, wanted in enumerate(prefix, 1):
            while True:
                if self.next_byte() != 0x22:
                    raise Unreadable(_CHANGED)  # "}": the key is not there
                self.start = self.at
                end = self.string_end()
                key = orjson.loads(bytes(self.data[self.start : end]))
                self.at = end
                if self.next_byte() != ord(":"):
                    raise Unreadable(_CHANGED)
                self.at += 1
                if key == wanted:
                    opening = "[" if depth == len(prefix) else "{"
                    if self.next_byte() != ord(opening):
                        raise Unreadable(_CHANGED)
                    self.at += 1
                    break
                self.start = self.at
                if self.value_end() != ord(","):
                    raise Unreadable(_CHANGED)
                self.at += 1
        self.start = self.at


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
