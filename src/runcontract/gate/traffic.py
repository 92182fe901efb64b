"""One request the gate sent and what came back: the unit that is judged, recorded and reported.

Exchanges are numbered in the order they complete, which is also the order they are judged, the
order a recording lists them and, per thread, the order the server handled them (the client
sends one request per thread at a time). Answered exchanges are also numbered as interactions,
so "interaction 17" names the same exchange in the gate's report and in its recording.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import orjson

from runcontract.model import JSON

Headers = tuple[tuple[str, str], ...]


class Problem(enum.StrEnum):
    """Why an exchange has no usable answer. Kept apart from what the answer says."""

    UNREACHABLE = "unreachable"  # connection refused, DNS, TLS: nothing was checked
    TIMEOUT = "timeout"  # the target did not answer within --timeout / the request timeout
    REDIRECT = "redirect"  # a 3xx: not followed, so credentials never leave the target's host
    DEADLINE = "deadline"  # the gate's own time was up before the request could be sent
    UNSENDABLE = "unsendable"  # a generated request no HTTP client can send (a NUL in a header)
    BUDGET = "budget"  # the request would create a run beyond --budget, so it was not sent


# Problems that mean the gate could not do its job, as opposed to requests it chose not to send.
COULD_NOT_CHECK = frozenset(
    {Problem.UNREACHABLE, Problem.TIMEOUT, Problem.REDIRECT, Problem.DEADLINE}
)


@dataclass(slots=True)
class Exchange:
    number: int  # 1-based, in completion order; 0 until it completes
    origin: str  # "lifecycle: completed", "schemathesis", ...
    method: str
    url: str  # the full URL as sent (never carries credentials)
    path: str  # below the base URL, such as /threads/thread_1/runs
    request_headers: Headers  # lower-case names; credentials removed
    request_body: bytes
    status: int | None = None
    response_headers: Headers = ()
    response_body: bytes = b""
    elapsed: float = 0.0
    problem: Problem | None = None
    detail: str = ""  # one line about the problem
    retried: bool = False  # a 429 or 5xx answer the client tried again after
    sent_key: bool = False  # carried the target's API key (not the placeholder or none)
    interaction: int = 0  # 1-based among answered exchanges: its place in a recording
    _json: JSON = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    @property
    def label(self) -> str:
        return f"{self.method} {urlsplit(self.url).path}"

    def header(self, name: str, *, response: bool = True) -> str:
        for key, value in self.response_headers if response else self.request_headers:
            if key == name:
                return value
        return ""

    @property
    def media_type(self) -> str:
        return self.header("content-type").split(";", 1)[0].strip().lower()

    @property
    def query(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for part in urlsplit(self.url).query.split("&"):
            name, _, value = part.partition("=")
            if name:
                found.setdefault(name, value)
        return found

    def json(self) -> JSON:
        """The response body as JSON, or None when it is not JSON."""
        if not self._parsed:
            self._parsed = True
            if self.media_type != "text/event-stream" and self.response_body:
                try:
                    self._json = orjson.loads(self.response_body)
                except orjson.JSONDecodeError:
                    self._json = None
        return self._json

    def request_json(self) -> JSON:
        if not self.request_body:
            return None
        try:
            return orjson.loads(self.request_body)
        except orjson.JSONDecodeError:
            return None

    @property
    def answered(self) -> bool:
        return self.status is not None and self.problem is None
