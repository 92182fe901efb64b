"""The HTTP rules on recorded exchanges: `runcontract validate` judging a recording as an API.

Every exchange of a recording that holds its request and its answer (HAR, every cassette format,
the gate's own `--record` cassette) is handed to the gate's Judge, against the corrected document
of its profile, in recorded order and file by file: what one recording gave out (ids, whose run
is whose) says which later requests of the same recording were due a 4xx. The run objects in the
answers are judged by the engine on their own, as ever; only the HTTP rules are added here.

Offline, only what the recording shows can be judged. What the server did between two recorded
answers, and the rules the gate's driver judges from the scenario it ran itself (H020-H026, and
the cursor walks of H001 across pages), need the live target: OFFLINE_NOTE says so, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import orjson

from runcontract.engine import Engine
from runcontract.gate.document import load_document
from runcontract.gate.judge import Judge
from runcontract.gate.traffic import Exchange
from runcontract.model import ObjectResult, Profile
from runcontract.sources.bodies import ParsedBody, RecordedBody, body_text
from runcontract.sources.context import Unreadable
from runcontract.sources.exchanges import Answered
from runcontract.sources.exchanges import Exchange as RecordedExchange
from runcontract.sources.headers import first, profile_hint
from runcontract.sources.limits import DEFAULT_LIMITS

OFFLINE_NOTE = (
    "not judged offline: what the server did between two recorded answers, and the rules the "
    "gate judges from the scenarios it drives itself (H020-H026, and H001 on a walk through "
    "pages); `runcontract gate` judges them live"
)
# Every Runs operation's path starts here, whatever prefix the host puts before it (/v1 at
# OpenAI, /openai on Azure, none in front of a proxy).
RUNS_ROOT = "/threads"


def path_below_base(url: str) -> str:
    """The path the document names (/threads/...), whatever base URL the recording used."""
    try:
        path = urlsplit(url).path
    except ValueError:  # a malformed host such as "http://[::1"
        path = url.partition("?")[0]
    at = path.find(RUNS_ROOT)
    return path[at:] if at >= 0 else path


def _bytes(body: RecordedBody, content_encoding: str) -> bytes:
    if body is None:
        return b""
    if isinstance(body, ParsedBody):
        try:
            return orjson.dumps(body.value)
        except TypeError:  # an integer beyond 64 bits: judged by the engine, not here
            return b""
    try:
        text = body_text(body, content_encoding, DEFAULT_LIMITS)
    except Unreadable:
        return b""  # said already, where the run objects were read
    if text is None:
        return body if isinstance(body, bytes) else b""
    return text.encode("utf-8")


def live_exchange(recorded: RecordedExchange, number: int) -> Exchange:
    """A recorded exchange in the shape the gate's judge takes: bytes, a path below the base."""
    url = recorded.url or ""
    request_encoding = first(recorded.request_headers, "content-encoding").lower()
    response_encoding = first(recorded.response_headers, "content-encoding").lower()
    mark = recorded.gate
    return Exchange(
        number=number,
        origin=mark.origin if mark is not None and mark.origin else "recording",
        method=(recorded.method or "").upper(),
        url=url,
        path=path_below_base(url),
        request_headers=recorded.request_headers,
        request_body=_bytes(recorded.request_body, request_encoding),
        status=recorded.status_code,
        response_headers=recorded.response_headers,
        response_body=_bytes(recorded.response_body, response_encoding),
        # Recorders drop credentials, so no recording shows the key; a request the gate sent
        # without one says so in its mark. Any other is taken to have carried it.
        sent_key=mark.sent_key if mark is not None else True,
        interaction=number,
    )


class Replay:
    """The gate's judges for the recording being read, one per profile sharing what was learnt."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.exchanges = 0  # judged by the HTTP rules, over all files
        self._file: str | None = None
        self._judges: dict[Profile, Judge] = {}
        self._numbers: Iterator[int] = iter(())

    def judge(self, answered: Answered) -> ObjectResult | None:
        """The HTTP violations of one recorded exchange, as one result; None when it has none."""
        if answered.source.file != self._file:
            self._file = answered.source.file
            self._judges = {}
            self._numbers = iter(range(1, 1 << 62))
        profile = self.profile_of(answered)
        judge = self._judge_for(profile)
        exchange = live_exchange(answered.exchange, next(self._numbers))
        found = judge.judge_recorded(exchange, answered.runs, answered.unreadable, answered.source)
        self.exchanges += 1
        if not found:
            return None
        return ObjectResult(answered.source, None, None, profile, found)

    def note(self) -> str:
        exchanges = f"{self.exchanges} recorded exchange" + ("" if self.exchanges == 1 else "s")
        return f"{exchanges} judged by the HTTP rules; {OFFLINE_NOTE}"

    def profile_of(self, answered: Answered) -> Profile:
        """The gate's profile, else the one the request asked for, else the run's or v2."""
        mark = answered.exchange.gate
        if mark is not None and mark.profile is not None:
            return mark.profile
        if self.engine.profile is not None:
            return self.engine.profile
        asked = profile_hint(answered.exchange.request_headers)
        if asked is not None:
            return asked
        for observation in answered.runs:
            if isinstance(observation.run, dict) and "file_ids" in observation.run:
                return Profile.V1
        return Profile.V2

    def _judge_for(self, profile: Profile) -> Judge:
        judge = self._judges.get(profile)
        if judge is None:
            judge = Judge(self.engine, load_document(profile), profile)
            shared = next(iter(self._judges.values()), None)
            if shared is not None:  # one recording, one API: ids given out hold for all
                judge.known_ids, judge.parents = shared.known_ids, shared.parents
            self._judges[profile] = judge
        return judge
