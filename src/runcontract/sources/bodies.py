"""Recorded HTTP bodies to text: base64, gzip and deflate undone, whatever the headers claim.

Recorders disagree about bodies: vcrpy keeps the gzip bytes the server sent, R vcr keeps a
`content-encoding: gzip` header over text it already decoded, agentops dropped the header after
decoding. So the bytes decide (gzip magic 1f 8b) and Content-Encoding is only a hint.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import zlib
from dataclasses import dataclass

from runcontract.model import JSON
from runcontract.sources.context import Unreadable
from runcontract.sources.limits import Limits
from runcontract.sources.streams import GZIP_MAGIC, gunzip


@dataclass(frozen=True, slots=True)
class ParsedBody:
    """A body the recorder stored as a JSON value rather than as text (.NET session records)."""

    value: JSON


RecordedBody = bytes | str | ParsedBody | None


def from_base64(text: str, *, strict: bool = False) -> bytes:
    try:
        if strict:
            return base64.b64decode(text, validate=True)
        # Ruby's Base64.encode64 wraps lines at 60 characters; the line breaks are not data.
        return base64.b64decode("".join(text.split()))
    except (binascii.Error, ValueError) as exc:
        raise Unreadable(f"body is not valid base64 ({exc})") from None


def body_text(body: bytes | str, content_encoding: str, limits: Limits) -> str | None:
    """The body as text, or None for a binary body (an image, a file download)."""
    if isinstance(body, str):
        if len(body) > limits.max_body_bytes:
            raise Unreadable(f"body is larger than {limits.max_body_bytes} bytes, the limit")
        return body
    data = decompressed(body, content_encoding, limits)
    try:
        return codecs.decode(data, "utf-8-sig")
    except UnicodeDecodeError:
        if "br" in content_encoding or "zstd" in content_encoding:
            raise Unreadable(
                f"body is {content_encoding.strip()}-compressed, which runcontract cannot decode"
            ) from None
        return None


def decompressed(data: bytes, content_encoding: str, limits: Limits) -> bytes:
    if len(data) > limits.max_body_bytes:
        raise Unreadable(f"body is larger than {limits.max_body_bytes} bytes, the limit")
    if data.startswith(GZIP_MAGIC):
        return b"".join(gunzip((data,), limits, max_output=limits.max_body_bytes))
    if "deflate" in content_encoding:
        return _inflate(data, limits)
    return data


def _inflate(data: bytes, limits: Limits) -> bytes:
    # "deflate" is zlib-wrapped by the standard and raw in some servers; plain text is neither.
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(data, limits.max_body_bytes + 1)
        except zlib.error:
            continue
        if len(out) > limits.max_body_bytes:
            raise Unreadable(f"body inflates to more than {limits.max_body_bytes} bytes, the limit")
        return out
    return data
