"""Which reader a file needs, decided by its first bytes; the file name only breaks ties.

JSON and JSONL both start with `{` or `[`: a file whose first line is a complete JSON value with
more content after it is JSONL, whatever it is called. YAML is everything that is not JSON,
unless the name insists on JSON (then the JSON reader reports what is wrong).

JSON Lines are judged line by line, so a NUL or a byte that is not UTF-8 in one line is that
line's error, not the file's: a file is called binary only when it is not JSON Lines, or when
its name says JSON Lines and not one line of its start is JSON (an image named .jsonl).
"""

from __future__ import annotations

import codecs
import enum
import re
from typing import Final

import orjson

from runcontract.sources.context import Unreadable
from runcontract.sources.jsonfile import UTF8_BOM, loads
from runcontract.sources.limits import MiB
from runcontract.sources.sse import looks_like_sse

SNIFF_BYTES: Final = 1 * MiB

_JSONL_NAMES: Final = (".jsonl", ".ndjson")
_JSON_NAMES: Final = (".json", ".har")
_YAML_NAMES: Final = (".yaml", ".yml")
_UTF16_BOMS: Final = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_LEADING_SPACE = re.compile(rb"[ \t\r\n]*")


class Format(enum.Enum):
    JSON = "JSON document"
    JSON_OR_YAML = "JSON document, or YAML when it is not JSON (a name that does not say)"
    JSONL = "JSON Lines"
    YAML = "YAML document (which may be written as JSON)"
    SSE = "event stream"


def sniff(head: bytes, name: str) -> Format:
    """The format of input starting with `head`; `name` is the lower-case name without .gz."""
    if head.startswith(_UTF16_BOMS):
        raise Unreadable("UTF-16 text is not supported; save the file as UTF-8")
    body = head.removeprefix(UTF8_BOM)
    start = _LEADING_SPACE.match(body)
    text = body[start.end() if start else 0 :]
    if name.endswith(_JSONL_NAMES) and _some_line_is_json(text, whole=len(head) < SNIFF_BYTES):
        return Format.JSONL
    if text[:1] in (b"{", b"[") and _first_line_is_json_and_more_follows(text):
        return Format.JSONL
    _check_text(head)
    return _text_format(head, text, name)


def _text_format(head: bytes, text: bytes, name: str) -> Format:
    if not text:
        if len(head) < SNIFF_BYTES:
            raise Unreadable("empty file")
        return _by_name(name)
    if text[:1] in (b"{", b"["):
        if name.endswith(_JSONL_NAMES):
            return Format.JSONL
        if name.endswith(_JSON_NAMES):
            return Format.JSON
        return Format.YAML if name.endswith(_YAML_NAMES) else Format.JSON_OR_YAML
    if looks_like_sse(text[:64].decode("utf-8", "replace")):
        return Format.SSE
    return _by_name(name)


def _check_text(head: bytes) -> None:
    if b"\x00" in head:
        raise Unreadable("not a text file (binary data)")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise Unreadable(f"not UTF-8 text (byte {exc.start} of the file)") from None


def _some_line_is_json(text: bytes, *, whole: bool) -> bool:
    lines = text.split(b"\n")
    if not whole:
        lines.pop()  # cut by the sniff's limit: not a line yet
    for line in lines:
        if line.lstrip()[:1] in (b"{", b"["):
            try:
                loads(line)
            except orjson.JSONDecodeError:
                continue
            return True
    return False


def _by_name(name: str) -> Format:
    if name.endswith(_JSONL_NAMES):
        return Format.JSONL
    if name.endswith(_JSON_NAMES):
        return Format.JSON
    return Format.YAML


def _first_line_is_json_and_more_follows(text: bytes) -> bool:
    line, newline, rest = text.partition(b"\n")
    if not newline or not rest.strip():
        return False
    try:
        loads(line)
    except orjson.JSONDecodeError:
        return False
    return True
