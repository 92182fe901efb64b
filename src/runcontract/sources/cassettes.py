"""Cassettes: VCR-style YAML (vcrpy, Ruby VCR, R vcr) and .NET test-proxy session records.

The three VCR dialects differ in details only, so one reader takes them all (see
shared/corpus/cassettes/README.md for the catalogue): `interactions` (vcrpy) or
`http_interactions` (Ruby, R); status in `code` or `status_code`; headers as lists or scalars;
bodies as a bare scalar (vcrpy requests), `{string: ...}` (text, or bytes from `!!binary`) or
`{base64_string: ...}`; methods in either case. Session records are JSON with parsed bodies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from runcontract.model import JSON, ReadError
from runcontract.sources import headers
from runcontract.sources.bodies import ParsedBody, RecordedBody, from_base64
from runcontract.sources.context import FileContext, Unreadable, kind_of
from runcontract.sources.exchanges import GATE_KEY, Exchange, each_exchange, gate_mark

VCR_KEYS: Final = ("interactions", "http_interactions")
CUT_KEY: Final = "truncated_from_bytes"  # written by runcontract.gate.cassette
SESSION_KEY: Final = "Entries"

_TEXT_TYPES: Final = ("json", "text/", "xml", "event-stream", "javascript", "urlencoded")


def vcr_exchanges(document: dict[str, JSON], ctx: FileContext) -> Iterator[Exchange | ReadError]:
    key = next(key for key in VCR_KEYS if key in document)
    yield from each_exchange(document[key], key, "interaction", vcr_exchange, ctx)


def vcr_exchange(interaction: object, entry: str) -> Exchange:
    if not isinstance(interaction, dict):
        raise Unreadable(f"expected a mapping, found {kind_of(interaction)}")
    request = _mapping(interaction.get("request"), "request")
    response = _mapping(interaction.get("response"), "response")
    status = response.get("status")
    code = status.get("code", status.get("status_code")) if isinstance(status, dict) else status
    return Exchange(
        entry=entry,
        method=_text(request.get("method")),
        url=_text(request.get("uri")),
        request_headers=headers.normalise(request.get("headers")),
        request_body=_vcr_body(request.get("body"), "request"),
        status_code=_status(code),
        response_headers=headers.normalise(response.get("headers")),
        response_body=_vcr_body(response.get("body"), "response"),
        gate=gate_mark(interaction.get(GATE_KEY)),
    )


def _vcr_body(body: object, side: str) -> RecordedBody:
    if isinstance(body, str | bytes):
        return body
    if not isinstance(body, dict):
        return None
    if body.get("file") is True:
        raise Unreadable(f"{side} body was saved to a separate file by R vcr (file: yes), not read")
    cut_from = body.get(CUT_KEY)
    if isinstance(cut_from, int) and not isinstance(cut_from, bool):
        # `runcontract gate --record` bounds what it keeps; half a run is not judged as a run
        raise Unreadable(f"{side} body of {cut_from} bytes was cut when it was recorded, not read")
    encoded = body.get("base64_string")
    if isinstance(encoded, str):
        return from_base64(encoded)
    text = body.get("string")
    return text if isinstance(text, str | bytes) else None


def session_exchanges(
    document: dict[str, JSON], ctx: FileContext
) -> Iterator[Exchange | ReadError]:
    yield from each_exchange(document[SESSION_KEY], "Entries", "entry", session_exchange, ctx)


def session_exchange(item: JSON, entry: str) -> Exchange:
    if not isinstance(item, dict):
        raise Unreadable(f"expected an object, found {kind_of(item)}")
    request_headers = headers.normalise(item.get("RequestHeaders"))
    response_headers = headers.normalise(item.get("ResponseHeaders"))
    return Exchange(
        entry=entry,
        method=_text(item.get("RequestMethod")),
        url=_text(item.get("RequestUri")),
        request_headers=request_headers,
        request_body=_session_body(item.get("RequestBody"), request_headers),
        status_code=_status(item.get("StatusCode")),
        response_headers=response_headers,
        response_body=_session_body(item.get("ResponseBody"), response_headers),
    )


def _session_body(body: JSON, recorded_headers: headers.Headers) -> RecordedBody:
    # The test proxy stores JSON bodies parsed, text bodies as a string or as a list of lines
    # (so SSE arrives as ["event: ...\n", "data: ...\n\n"]) and binary bodies as base64.
    if body is None:
        return None
    content_type = headers.first(recorded_headers, "content-type").lower()
    textual = not content_type or any(kind in content_type for kind in _TEXT_TYPES)
    if isinstance(body, str):
        if textual:
            return body
        try:
            return from_base64(body, strict=True)
        except Unreadable:
            return body
    is_lines = isinstance(body, list) and all(isinstance(line, str) for line in body)
    if is_lines and "json" not in content_type:
        return "".join(body)
    return ParsedBody(body)


def _mapping(value: object, what: str) -> dict[object, object]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Unreadable(f"{what} is {kind_of(value)}, not a mapping")
    return value


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _status(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
