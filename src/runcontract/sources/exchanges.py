"""One recorded HTTP exchange, whatever the recorder, and the run objects in its response.

HAR and every cassette format are first turned into Exchanges; from there on the rules are the
same for all: only run objects count (a run body, the runs of a list response, the `thread.run.*`
events of a stream), whatever the request was; error bodies and other objects are passed over.
An exchange that holds its request and its answer also ends with an `Answered`, so the HTTP rules
can judge it as the gate judges a live answer (runcontract.gate.replay).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final, NamedTuple, cast
from urllib.parse import urlsplit

import orjson

from runcontract.model import JSON, Observation, Profile, ReadError, Request, Source
from runcontract.sources import sse
from runcontract.sources.bodies import ParsedBody, RecordedBody, body_text
from runcontract.sources.context import FileContext, Unreadable, join_entry, kind_of
from runcontract.sources.headers import Headers, first, profile_hint
from runcontract.sources.jsonfile import is_list_response, loads
from runcontract.sources.limits import Limits
from runcontract.sources.secrets import scrub

_JSON_START = re.compile(r"\s*[\[{]")
# The mapping `runcontract gate --record` writes beside each interaction (vcrpy reads past it).
GATE_KEY: Final = "runcontract"


@dataclass(frozen=True, slots=True)
class GateMark:
    """What the gate wrote beside an interaction it recorded: the profile it judged by, which
    of its own requests it was ("lifecycle: completed", "schemathesis") and whether the request
    carried the API key (no recording shows the key itself), and whether the gate sent it again
    (a 429 or 5xx it retried: the answer to the retry is the one judged)."""

    profile: Profile | None
    origin: str | None
    sent_key: bool = True
    retried: bool = False


def gate_mark(value: object) -> GateMark | None:
    """The GateMark of an interaction's GATE_KEY mapping; None for anything else."""
    if not isinstance(value, dict):
        return None
    profile = value.get("profile")
    origin = value.get("origin")
    return GateMark(
        Profile(profile) if profile in set(Profile) else None,
        origin if isinstance(origin, str) else None,
        value.get("key") is not False,
        value.get("retried") is True,
    )


@dataclass(frozen=True, slots=True)
class Exchange:
    entry: str  # "interaction 3", "entry 12"
    method: str | None
    url: str | None
    request_headers: Headers
    request_body: RecordedBody
    status_code: int | None
    response_headers: Headers
    response_body: RecordedBody
    gate: GateMark | None = None  # only in the gate's own recordings

    @property
    def complete(self) -> bool:
        """Holds its request and its answer, so the HTTP rules can judge it."""
        return self.method is not None and self.url is not None and self.status_code is not None

    @classmethod
    def standalone_stream(cls, data: bytes) -> Exchange:
        """An event stream saved on its own: a response without its request."""
        stream_type = (("content-type", "text/event-stream"),)
        return cls("", None, None, (), None, None, stream_type, data)


@dataclass(frozen=True, slots=True)
class Answered:
    """A whole recorded exchange, after its run objects: what the HTTP rules judge.

    `runs` are the observations read from its answer and `unreadable` the parts of the answer
    that could not be read (a stream event that is not JSON), both already reported on their own.
    """

    exchange: Exchange
    source: Source
    runs: tuple[Observation, ...]
    unreadable: tuple[ReadError, ...]


class _Found(NamedTuple):  # a tuple: no dataclass to build at import
    """What the observations of one exchange share."""

    request: Request | None
    status_code: int | None
    profile_hint: Profile | None


def each_exchange(
    items: JSON,
    label: str,
    noun: str,
    parse: Callable[[JSON, str], Exchange],
    ctx: FileContext,
) -> Iterator[Exchange | ReadError]:
    """Every recorded exchange of a list (`label` names it), each parsed on its own.

    A broken entry is a ReadError naming it ("interaction 4: ...") and the rest go on.
    """
    if not isinstance(items, list):
        plural = "entries" if noun == "entry" else f"{noun}s"
        yield ctx.error(None, f"{label} is {kind_of(items)}, not a list of {plural}")
        return
    for number, item in enumerate(items, 1):
        entry = f"{noun} {number}"
        try:
            yield parse(item, entry)
        except Unreadable as exc:
            yield ctx.error(entry, str(exc))


def observations(
    exchange: Exchange, ctx: FileContext
) -> Iterator[Observation | ReadError | Answered]:
    """The run objects of an exchange's answer, then, for a whole exchange, its Answered."""
    if not exchange.complete:
        yield from _answer(exchange, ctx)
        return
    runs: list[Observation] = []
    unreadable: list[ReadError] = []
    for item in _answer(exchange, ctx):
        if isinstance(item, Observation):
            runs.append(item)
        else:
            unreadable.append(item)
        yield item
    yield Answered(exchange, Source(ctx.file, exchange.entry), tuple(runs), tuple(unreadable))


def _answer(exchange: Exchange, ctx: FileContext) -> Iterator[Observation | ReadError]:
    hint = profile_hint(exchange.request_headers)
    if exchange.gate is not None and exchange.gate.profile is not None:
        # the gate judged every answer by its profile, with or without the request's header
        hint = exchange.gate.profile
    found = _Found(_request(exchange, ctx.limits), exchange.status_code, hint)
    body = exchange.response_body
    if isinstance(body, ParsedBody):
        yield from _runs_in_json(_scrubbed(body.value), exchange.entry, found, ctx)
        return
    if body is None:
        return
    headers = exchange.response_headers
    try:
        text = body_text(body, first(headers, "content-encoding").lower(), ctx.limits)
    except Unreadable as exc:
        yield ctx.error(exchange.entry, f"response body: {exc}")
        return
    if not text:
        return
    # a key the target echoed into its answer (in bytes base64, gzip or !!binary hid from a
    # plain search as well) never reaches a run, and so no rule's message
    text = scrub(text)
    if "text/event-stream" in first(headers, "content-type").lower() or sse.looks_like_sse(text):
        yield from _runs_in_stream(text, exchange.entry, found, ctx)
    elif _JSON_START.match(text):
        try:
            value = loads(text)
        except orjson.JSONDecodeError as exc:
            yield ctx.error(exchange.entry, f"response body is not valid JSON ({exc})")
            return
        yield from _runs_in_json(value, exchange.entry, found, ctx)


def _runs_in_json(
    value: JSON, entry: str, found: _Found, ctx: FileContext
) -> Iterator[Observation]:
    if not isinstance(value, dict):
        return
    kind = value.get("object")
    if kind == "thread.run":
        yield _observation(value, entry, None, found, ctx)
    elif is_list_response(value):
        for index, item in enumerate(value["data"]):
            if isinstance(item, dict) and item.get("object") == "thread.run":
                yield _observation(item, join_entry(entry, f"data[{index}]"), None, found, ctx)


def _runs_in_stream(
    text: str, entry: str, found: _Found, ctx: FileContext
) -> Iterator[Observation | ReadError]:
    for event in sse.events(text):
        if event.name is not None and not sse.is_run_event(event.name):
            continue
        where = join_entry(entry, f"event {event.number}")
        try:
            run = loads(event.data)
        except orjson.JSONDecodeError as exc:
            if event.name is not None:  # an unnamed event with other data is not a run
                yield ctx.error(where, f"data of {event.name} is not valid JSON ({exc})")
            continue
        if event.name is None and not (isinstance(run, dict) and run.get("object") == "thread.run"):
            continue
        if not isinstance(run, dict):
            yield ctx.error(where, f"data of {event.name} is not a JSON object")
            continue
        # The event name claims a run; the object is kept even when it says otherwise, so the
        # contract can judge it. Its status is its own: thread.run.completed may carry incomplete.
        yield _observation(run, where, event.name, found, ctx)


def _observation(
    run: JSON, entry: str, event: str | None, found: _Found, ctx: FileContext
) -> Observation:
    return ctx.observation(
        run,
        entry,
        request=found.request,
        event=event,
        status_code=found.status_code,
        profile_hint=found.profile_hint,
    )


def _request(exchange: Exchange, limits: Limits) -> Request | None:
    if exchange.method is None and exchange.url is None:
        return None
    return Request(
        method=(exchange.method or "").upper(),
        path=_path_of(exchange.url or ""),
        body=_request_body(exchange, limits),
        headers=exchange.request_headers,
        url=scrub(exchange.url) if exchange.url else None,
    )


def _path_of(url: str) -> str:
    try:
        return urlsplit(url).path
    except ValueError:  # a malformed host such as "http://[::1"
        return url.partition("?")[0]


def _request_body(exchange: Exchange, limits: Limits) -> JSON:
    body = exchange.request_body
    if isinstance(body, ParsedBody):
        return _scrubbed(body.value)
    if body is None:
        return None
    encoding = first(exchange.request_headers, "content-encoding").lower()
    try:
        text = body_text(body, encoding, limits)
    except Unreadable:
        return None  # the request only gives context; an unreadable one is left out
    if not text or not _JSON_START.match(text):
        return None
    try:
        return orjson.loads(scrub(text))
    except orjson.JSONDecodeError:
        return None


def _scrubbed(value: JSON) -> JSON:
    if isinstance(value, str):
        return scrub(value)
    if not isinstance(value, dict | list):
        return value
    try:
        text = orjson.dumps(value).decode()
    except TypeError:  # an integer beyond 64 bits, which Python's json writes exactly
        try:
            text = json.dumps(value)
        except (ValueError, RecursionError):
            return None
    if "sk-" not in text and "earer" not in text and "EARER" not in text:
        return value
    try:
        return cast(JSON, json.loads(scrub(text)))
    except RecursionError:  # deeper than Python's json goes: left out rather than leaked
        return None
