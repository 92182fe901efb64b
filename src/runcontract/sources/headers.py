"""Recorded headers in one shape: (lower-case name, value) pairs, credentials already gone.

Recorders store headers as name → list (vcrpy, Ruby VCR), name → string (R vcr, .NET), a mix of
the two (agentops) or a list of {name, value} objects (HAR). Names come in any case.
"""

from __future__ import annotations

from collections.abc import Iterator

from runcontract.model import Profile
from runcontract.sources.secrets import is_credential_header, scrub

Headers = tuple[tuple[str, str], ...]


def normalise(raw: object) -> Headers:
    pairs: list[tuple[str, str]] = []
    for name, value in _raw_pairs(raw):
        lower = name.strip().lower()
        if not lower or is_credential_header(lower):
            continue
        values = value if isinstance(value, list) else [value]
        for item in values:
            text = _scalar_text(item)
            if text is not None:
                pairs.append((lower, scrub(text)))
    return tuple(pairs)


def _raw_pairs(raw: object) -> Iterator[tuple[str, object]]:
    if isinstance(raw, dict):
        for name, value in raw.items():
            if isinstance(name, str):
                yield name, value
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                yield item["name"], item.get("value")


def _scalar_text(value: object) -> str | None:
    # Containers are skipped, never printed: a YAML alias could make their text enormous.
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return None


def first(headers: Headers, name: str) -> str:
    for key, value in headers:
        if key == name:
            return value
    return ""


def profile_hint(request_headers: Headers) -> Profile | None:
    """The Assistants version a request asked for with `OpenAI-Beta: assistants=v1|v2`."""
    for key, value in request_headers:
        if key != "openai-beta":
            continue
        for token in value.split(","):
            flag = token.strip().lower()
            if flag == "assistants=v2":
                return Profile.V2
            if flag == "assistants=v1":
                return Profile.V1
    return None
