"""`--record PATH`: every answered exchange as a vcrpy cassette, with credentials gone.

The cassette lists interactions in the order the gate judged them (their interaction numbers),
so `runcontract validate PATH` reads the same run objects in the same order and judges them, and
each exchange by the HTTP rules, as the gate did. Beside each interaction the gate writes what
the recording cannot show (under GATE_KEY, a key vcrpy reads past): the profile it judged by (a
negative request of schemathesis carries no OpenAI-Beta header), which of the gate's requests it
was, `key: false` for a request sent without the API key (the key is never recorded) and
`retried: true` for an answer the gate asked again after (it judges the answer to the retry).

Credential headers are never recorded (the client drops them before anything
else sees the exchange), and the key, any `sk-` token and any bearer token are masked wherever
else they might appear, in bodies that are not UTF-8 (written as `!!binary`) as well.

Each interaction is written to the file as it arrives, so the recording costs no time after
the gate's deadline and holds nothing in memory: what is on disk when the gate stops is the
recording, readable even without its last line. What it keeps is bounded: a body beyond
MAX_BODY_BYTES is cut (and marked, so a reader says so rather than judging half a run), and
once the file reaches MAX_TOTAL_BYTES later interactions are counted, not written. The last
lines of the file and the gate's summary say what was cut or left out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any, Final

import yaml

from runcontract.gate.traffic import Exchange, Headers
from runcontract.model import Profile
from runcontract.sources.cassettes import CUT_KEY  # a cut body is marked so readers say so
from runcontract.sources.exchanges import GATE_KEY

Mask = Callable[[str], str]

MAX_BODY_BYTES: Final = 1024 * 1024
MAX_TOTAL_BYTES: Final = 64 * 1024 * 1024
MAX_WAITING: Final = 64  # answers held for one judged before them (workers finish out of turn)

# libyaml's emitter when PyYAML was built with it: the pure-Python one takes seconds a megabyte.
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def mask_bytes(raw: bytes, mask: Mask) -> bytes:
    """`mask` applied to bytes that are not UTF-8 text.

    Latin-1 maps every byte to one character and back, so the key and token patterns (all
    ASCII) are found and replaced where they sit, and every other byte is kept as it was.
    """
    return mask(raw.decode("latin-1")).encode("latin-1")


def _headers(pairs: Headers, mask: Mask) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in pairs:
        found.setdefault(name, []).append(mask(value))
    return found


def _body(raw: bytes, mask: Mask, limit: int) -> dict[str, Any]:
    """The body as vcrpy writes it, masked first (a cut must never split a key), then bounded."""
    try:
        text: str | bytes = mask(raw.decode("utf-8"))
    except UnicodeDecodeError:
        text = mask_bytes(raw, mask)  # written as !!binary, which the reader decodes
    size = len(text.encode("utf-8")) if isinstance(text, str) else len(text)
    if size <= limit:
        return {"string": text}
    if isinstance(text, str):
        kept: str | bytes = text.encode("utf-8")[:limit].decode("utf-8", "ignore")
    else:
        kept = text[:limit]
    return {"string": kept, CUT_KEY: size}


def _message(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class Cassette:
    """A recording written as exchanges arrive; `close()` ends it and says what it holds."""

    def __init__(
        self,
        path: Path,
        mask: Mask,
        *,
        profile: Profile = Profile.V2,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_total_bytes: int = MAX_TOTAL_BYTES,
    ) -> None:
        self.path = path
        self.mask = mask
        self.profile = profile
        self.max_body_bytes = max_body_bytes
        self.max_total_bytes = max_total_bytes
        self.written = 0  # interactions in the file
        self.cut = 0  # bodies cut to max_body_bytes
        self.left_out = 0  # interactions not written: the file had reached max_total_bytes
        self.size = 0
        self.failure = ""
        self._lock = threading.Lock()
        # answers judged out of turn wait here until those before them are written
        self._waiting: dict[int, str] = {}
        self._next = 1
        self._closed = False
        self._full = False
        self._file: IO[str] | None = None
        try:
            self._file = path.open("w", encoding="utf-8")
        except OSError as exc:
            self.failure = f"cannot write {path}: {exc.strerror or exc}"

    def add(self, exchange: Exchange) -> None:
        if exchange.status is None:
            return  # nothing came back: a recording holds answers, never made-up ones
        response_body = _body(exchange.response_body, self.mask, self.max_body_bytes)
        interaction = {
            "request": {
                "body": self._request_body(exchange.request_body),
                "headers": _headers(exchange.request_headers, self.mask),
                "method": exchange.method,
                "uri": self.mask(exchange.url),
            },
            "response": {
                "body": response_body,
                "headers": _headers(exchange.response_headers, self.mask),
                "status": {"code": exchange.status, "message": _message(exchange.status)},
            },
            GATE_KEY: self._mark(exchange),
        }
        cut = CUT_KEY in response_body
        text = yaml.dump(
            [interaction], Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120
        )
        with self._lock:
            self.cut += cut
            number = exchange.interaction or self._next
            self._waiting[number] = text
            if len(self._waiting) > MAX_WAITING:  # one answer never came: the rest go on
                self._next = min(self._waiting)
            while self._next in self._waiting:
                self._write(self._waiting.pop(self._next))
                self._next += 1

    def _mark(self, exchange: Exchange) -> dict[str, str | bool]:
        mark: dict[str, str | bool] = {"profile": self.profile.value, "origin": exchange.origin}
        if not exchange.sent_key:
            mark["key"] = False
        if exchange.retried:
            mark["retried"] = True
        return mark

    def _request_body(self, raw: bytes) -> str | bytes | None:
        if not raw:
            return None
        body = _body(raw, self.mask, self.max_body_bytes)
        if CUT_KEY in body:
            return None  # a request only gives context; a cut one would mislead
        value: str | bytes = body["string"]
        return value

    def _write(self, text: str) -> None:
        if self._closed or self._full or self._file is None or self.failure:
            self.left_out += 1
            return
        size = len(text.encode("utf-8"))
        if self.size + size > self.max_total_bytes:
            # nothing after it either: the recording stays the first part of the gate's traffic,
            # so a run is never judged offline from a later answer without its earlier ones
            self._full = True
            self.left_out += 1
            return
        try:
            if self.written == 0:
                self._file.write("interactions:\n")
            self._file.write(text)
            self._file.flush()  # on disk as it comes: a killed gate leaves what it saw
        except OSError as exc:
            self.failure = f"writing {self.path} failed: {exc.strerror or exc}"
            self.left_out += 1
            return
        self.size += size
        self.written += 1

    def close(self) -> str:
        """Write what is left and the closing lines; one line about the recording, for the user."""
        with self._lock:
            for number in sorted(self._waiting):  # answers whose predecessors never came
                self._write(self._waiting.pop(number))
            self._closed = True
            handle, self._file = self._file, None
            if handle is not None:
                try:
                    if self.written == 0:
                        handle.write("interactions: []\n")
                    handle.write("version: 1\n")
                    if self.cut or self.left_out:
                        note = yaml.dump({"runcontract_note": self._note()}, Dumper=_Dumper)
                        handle.write(note)
                    handle.close()
                except OSError as exc:
                    self.failure = self.failure or f"writing {self.path} failed: {exc.strerror}"
            if self.failure:
                return f"recording failed: {self.failure}; {self.written} interactions written"
            line = f"recording written: {self.path} ({self.written} interactions)"
            return f"{line}; {self._note()}" if self.cut or self.left_out else line

    def _note(self) -> str:
        parts = []
        if self.cut:
            parts.append(f"{self.cut} bodies cut to {self.max_body_bytes} bytes")
        if self.left_out:
            parts.append(
                f"{self.left_out} interactions not written (the recording reached "
                f"{self.max_total_bytes} bytes, its limit)"
            )
        return "; ".join(parts)
