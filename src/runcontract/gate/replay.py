"""The HTTP rules on recorded exchanges: `runcontract validate` judging a recording as an API.

Every exchange of a recording that holds its request and its answer (HAR, every cassette format,
the gate's own `--record` cassette) is handed to the gate's Judge, against the corrected document
of its profile, in recorded order and file by file: what one recording gave out (ids, whose run
is whose) says which later requests of the same recording were due a 4xx. The run objects in the
answers are judged by the engine on their own, as ever; only the HTTP rules are added here.

Offline, only what the recording shows can be judged. A walk through a thread's runs by their
cursors is judged as the gate's driver judges its own walks, against the runs the recording shows
created on that thread (when it shows the thread created too, so none can be missing from it).
What the server did between two recorded answers, and the rules the driver judges from the
scenarios it ran itself (H020-H026), need the live target: OFFLINE_NOTE says so, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

from runcontract.engine import Engine
from runcontract.gate.document import GateDocument, Operation, load_document
from runcontract.gate.judge import (
    Judge,
    cursors_well_formed,
    forbidden_parameters,
    walk_problems,
)
from runcontract.gate.phases import BUILTIN_RULES
from runcontract.gate.traffic import Exchange
from runcontract.model import JSON, ObjectResult, Profile, Violation
from runcontract.reproduce import attach, curl
from runcontract.sources.bodies import ParsedBody, RecordedBody, body_text
from runcontract.sources.context import Unreadable
from runcontract.sources.exchanges import Answered
from runcontract.sources.exchanges import Exchange as RecordedExchange
from runcontract.sources.headers import first, profile_hint
from runcontract.sources.limits import DEFAULT_LIMITS

OFFLINE_NOTE = (
    "not judged offline: what the server did between two recorded answers, and the rules the "
    "gate judges from the scenarios it drives itself (H020-H026); `runcontract gate` judges "
    "them live"
)
SCHEMATHESIS = "schemathesis"
# The checks of schemathesis that judge an answer against its request alone, so a recorded one
# too. Its status_code_conformance and content_type_conformance judge what H004 and H005 judge
# against the same document, and the gate reports them once, as the judge's: a replay leaves them
# out. The gate's other checks send requests of their own (ignored_auth, use_after_free, ...) or
# judge how a generated case was made (negative_data_rejection, positive_data_acceptance): they
# need the live target.
RESPONSE_CHECKS = ("response_schema_conformance", "response_headers_conformance")
MAX_CHECK_MESSAGE = 400
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


@dataclass(slots=True)
class _Walk:
    seen: list[str] = field(default_factory=list)
    after: str = ""  # the cursor the next page of the walk asks with


def _page_ids(page: JSON) -> list[str]:
    data = page.get("data") if isinstance(page, dict) else None
    return [str(item.get("id")) for item in data or [] if isinstance(item, dict)]


class Walks:
    """Walks through a thread's runs by their cursors, against the runs the recording created.

    Only threads the recording shows created count: every run of such a thread is in it, in the
    order the API created them. A walk is a page asked without a cursor and the pages that
    follow it by `after` = the last id of the page before; a page asked `before` a run is
    judged on its own. Pages of schemathesis's requests in a gate recording are left to the
    page rules, as the gate leaves them.
    """

    def __init__(self) -> None:
        self.threads: dict[str, list[str]] = {}  # thread id -> its runs in creation order
        self._walks: dict[tuple[str, str, int], _Walk] = {}

    def learn(self, exchange: Exchange, operation: Operation | None, run_ids: list[str]) -> None:
        if exchange.status is None or exchange.status >= 300:
            return
        body = exchange.json()
        if exchange.method == "POST" and exchange.path == RUNS_ROOT and isinstance(body, dict):
            if isinstance(body.get("id"), str):
                self.threads.setdefault(body["id"], [])
            return
        if operation is None or operation.operation_id not in ("createRun", "createThreadAndRun"):
            return
        thread = operation.path_ids(exchange.path).get("thread_id")
        if operation.operation_id == "createThreadAndRun" and isinstance(body, dict):
            thread = body.get("thread_id") if isinstance(body.get("thread_id"), str) else None
            if thread is not None:
                self.threads.setdefault(thread, [])
        runs = self.threads.get(thread or "")
        if runs is not None and run_ids and run_ids[0] not in runs:
            runs.append(run_ids[0])

    def problems(self, exchange: Exchange, operation: Operation | None) -> Iterator[str]:
        asked = self._page(exchange, operation)
        if asked is None:
            return
        thread, order, limit, page = asked
        query = exchange.query
        created = self.threads[thread]
        expected = list(created) if order == "asc" else list(reversed(created))
        ids = _page_ids(page)
        key = (thread, order, limit)
        if "before" in query and "after" not in query:
            before = query["before"]
            if before in expected:
                at = expected.index(before)
                want = expected[max(0, at - limit) : at]
                if ids != want:
                    yield f"order={order}, limit={limit}, before={before} gave {ids}, not {want}"
            return
        if "after" in query:
            walk = self._walks.get(key)
            if walk is None or walk.after != query["after"]:
                return  # a page on its own: where it starts is the page rules' to judge
        else:
            walk = self._walks[key] = _Walk()
        yield from walk_problems(walk.seen, ids, expected, order=order, limit=limit, page=page)
        walk.seen.extend(ids)
        if page.get("has_more") is True and ids:
            walk.after = str(page.get("last_id") or ids[-1])
            return
        del self._walks[key]
        missing = [run for run in expected if run not in walk.seen]
        if missing:
            yield (
                f"walking order={order} limit={limit} by after-cursors never reached "
                f"{', '.join(missing)}"
            )

    def _page(
        self, exchange: Exchange, operation: Operation | None
    ) -> tuple[str, str, int, dict[str, JSON]] | None:
        """(thread, order, limit, page) of a listRuns page this judges, else None."""
        if operation is None or operation.operation_id != "listRuns" or exchange.status != 200:
            return None
        thread = operation.path_ids(exchange.path).get("thread_id", "")
        query = exchange.query
        page = exchange.json()
        if (
            exchange.origin == SCHEMATHESIS
            or thread not in self.threads
            or not isinstance(page, dict)
            or any(forbidden_parameters(query))
            or not cursors_well_formed(query)
        ):
            return None
        order = "asc" if query.get("order") == "asc" else "desc"
        limit = int(query["limit"]) if query.get("limit", "").isdigit() else 20
        return thread, order, limit, page


class Conformance:
    """schemathesis's response checks on recorded answers, reported as the gate's phases report
    them (BUILTIN_RULES): against the document with RunObject left open, so a run is judged by
    the engine alone, and not where the judge's own rule already said the same."""

    def __init__(self) -> None:
        self._operations: dict[tuple[Profile, str, str], Any] = {}
        self._schemas: dict[Profile, Any] = {}

    def findings(
        self, document: GateDocument, operation: Operation, exchange: Exchange
    ) -> Iterator[tuple[str, str]]:
        """(rule code, message) for each check that fails on the exchange's answer."""
        import requests  # noqa: PLC0415 - schemathesis's own dependency; only replays pay for it
        from schemathesis.core.failures import FailureGroup  # noqa: PLC0415
        from schemathesis.core.transport import Response  # noqa: PLC0415
        from schemathesis.specs.openapi import checks  # noqa: PLC0415

        # What the checks read of the request, set as it was sent: preparing it anew would
        # check and re-encode the URL, a third of the time of a replay.
        request = requests.PreparedRequest()
        request.method, request.url = exchange.method, exchange.url
        request.headers = requests.structures.CaseInsensitiveDict(exchange.request_headers)
        headers: dict[str, list[str]] = {}
        for name, value in exchange.response_headers:
            headers.setdefault(name, []).append(value)
        response = Response(
            status_code=exchange.status or 0,
            headers=headers,
            content=exchange.response_body,
            request=request,
            elapsed=0.0,
            verify=False,
        )
        extra: dict[str, Any] = {}
        body = exchange.request_json()
        if operation.body_ref is not None and body is not None:
            extra = {"body": body, "media_type": "application/json"}
        try:
            case = self._operation(document, operation).Case(
                path_parameters=operation.path_ids(exchange.path), query=exchange.query, **extra
            )
        except Exception:  # noqa: BLE001 - a request schemathesis cannot model: the judge's alone
            return
        for name in RESPONSE_CHECKS:
            try:
                case.validate_response(response, checks=[getattr(checks, name)])
            except FailureGroup as group:
                for failure in group.exceptions:
                    text = " ".join(f"{failure.title}: {failure.message}".split())
                    yield BUILTIN_RULES[name], f"schemathesis {name}: {text[:MAX_CHECK_MESSAGE]}"
            except AssertionError as failure:  # one failure, raised on its own
                text = " ".join(str(failure).split())
                yield BUILTIN_RULES[name], f"schemathesis {name}: {text[:MAX_CHECK_MESSAGE]}"
            except Exception:  # noqa: BLE001, S112 - an answer schemathesis cannot read: the judge's
                continue

    def _operation(self, document: GateDocument, operation: Operation) -> Any:
        key = (document.profile, operation.method, operation.template)
        found = self._operations.get(key)
        if found is None:
            import schemathesis  # noqa: PLC0415

            schema = self._schemas.get(document.profile)
            if schema is None:
                schema = schemathesis.openapi.from_dict(document.for_schemathesis())
                self._schemas[document.profile] = schema
            found = self._operations[key] = schema[operation.template][operation.method]
        return found


def note_for(exchanges: int) -> str:
    """What the summary says once of the recorded exchanges judged (`exchanges` of them)."""
    judged = f"{exchanges} recorded exchange" + ("" if exchanges == 1 else "s")
    return f"{judged} judged by the HTTP rules; {OFFLINE_NOTE}"


class Replay:
    """The gate's judges for the recording being read, one per profile sharing what was learnt."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.exchanges = 0  # judged by the HTTP rules, over all files
        self._file: str | None = None
        self._judges: dict[Profile, Judge] = {}
        self._numbers: Iterator[int] = iter(())
        self._walks = Walks()
        self._conformance = Conformance()

    def judge(self, answered: Answered) -> ObjectResult | None:
        """The HTTP violations of one recorded exchange, as one result; None when it has none."""
        if answered.source.file != self._file:
            self._file = answered.source.file
            self._judges = {}
            self._numbers = iter(range(1, 1 << 62))
            self._walks = Walks()
        mark = answered.exchange.gate
        if mark is not None and mark.retried:
            return None  # the gate judged the answer to its retry, which comes next
        profile = self.profile_of(answered)
        judge = self._judge_for(profile)
        exchange = live_exchange(answered.exchange, next(self._numbers))
        found = judge.judge_recorded(exchange, answered.runs, answered.unreadable, answered.source)
        found.extend(self._walked(judge, exchange, answered, profile))
        found = self._checked(judge, exchange, found, answered, profile)
        self.exchanges += 1
        if not found:
            return None
        result = ObjectResult(answered.source, None, None, profile, found, exchange=True)
        # the recorded request as a command, as the gate gives it for its own findings
        attach(
            result,
            curl(exchange.method, exchange.url, exchange.request_headers, exchange.request_body),
        )
        return result

    def _walked(
        self, judge: Judge, exchange: Exchange, answered: Answered, profile: Profile
    ) -> list[Violation]:
        operation = judge.document.match(exchange.method, exchange.path)
        run_ids = [o.run.get("id") for o in answered.runs if isinstance(o.run, dict)]
        self._walks.learn(exchange, operation, [i for i in run_ids if isinstance(i, str)])
        if not self.engine.is_enabled("H001", profile):
            return []
        found = [
            self.engine.violation("H001", "$.data", message, None, source=answered.source)
            for message in dict.fromkeys(self._walks.problems(exchange, operation))
        ]
        return self.engine.catalogue.unsuppressed(found)

    def _checked(
        self,
        judge: Judge,
        exchange: Exchange,
        found: list[Violation],
        answered: Answered,
        profile: Profile,
    ) -> list[Violation]:
        """`found` with what schemathesis's response checks add, as the gate's phases add it.

        In a gate recording only schemathesis's own requests were checked so; in any other
        recording, every exchange of a documented operation is.
        """
        operation = judge.document.match(exchange.method, exchange.path)
        mark = answered.exchange.gate
        if operation is None or (mark is not None and exchange.origin != SCHEMATHESIS):
            return found
        if not any(self.engine.is_enabled(code, profile) for code in ("H003", "H006", "H007")):
            return found  # schemathesis's checks report nothing else: not run for nothing
        status = exchange.status or 0
        added = list(found)
        for named, message in self._conformance.findings(judge.document, operation, exchange):
            # the document's schema of an error answer is ErrorResponse: that is H003's
            code = "H003" if named == "H006" and status >= 400 else named
            if any(v.rule == code for v in found) or not self.engine.is_enabled(code, profile):
                continue  # the judge's own rule says it already, once
            if any((v.rule, v.message) == (code, message) for v in added):
                continue
            added.append(self.engine.violation(code, "$", message, None, source=answered.source))
        return self.engine.catalogue.unsuppressed(added)

    def note(self) -> str:
        return note_for(self.exchanges)

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
