"""Every answer the gate gets is judged here, once, in the order the client completes them.

Run objects (a run body, the runs of a list page, the thread.run.* events of a stream) are found
by the same reader that `runcontract validate` uses on recordings and judged by the same engine
and lifecycle tracker, so live and recorded traffic get the same verdicts. The HTTP rules
(contracts/http.yaml) are judged against the gate's corrected OpenAPI document.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from runcontract.catalogue import emits
from runcontract.engine import Engine
from runcontract.gate.document import GateDocument, Operation
from runcontract.gate.traffic import Exchange
from runcontract.model import JSON, ObjectResult, Observation, Profile, ReadError, Source, Violation
from runcontract.reproduce import attach, curl
from runcontract.sources import DEFAULT_LIMITS
from runcontract.sources.context import FileContext
from runcontract.sources.exchanges import Exchange as RecordedExchange
from runcontract.sources.exchanges import observations

LIST_OPERATIONS = frozenset({"listRuns", "listRunSteps"})
ID_KEYS = ("id", "thread_id", "run_id", "assistant_id", "step_id")
BETA_VALUES = frozenset({"assistants=v1", "assistants=v2"})
SCHEMATHESIS = "schemathesis"


@dataclass(slots=True)
class Verdict:
    """What one exchange showed: the run objects in its answer and the HTTP rules it broke."""

    exchange: Exchange
    operation: Operation | None
    unit: str  # where it is reported: a lifecycle scenario or an operation
    results: list[ObjectResult] = field(default_factory=list)
    http: ObjectResult | None = None
    unreadable: list[ReadError] = field(default_factory=list)
    reproduce: str | None = None  # the request as a curl command, for findings added later too

    def violations(self) -> Iterator[Violation]:
        for result in self.results:
            yield from result.violations
        if self.http is not None:
            yield from self.http.violations

    @property
    def failed(self) -> bool:
        return any(r.failed for r in self.results) or bool(self.http and self.http.failed)


def unit_of(exchange: Exchange, operation: Operation | None) -> str:
    if exchange.origin != SCHEMATHESIS:
        return exchange.origin
    return operation.label if operation is not None else "requests outside the document"


def recorded(exchange: Exchange, entry: str) -> RecordedExchange:
    """The exchange as a recording would give it to the reader, so both read it alike."""
    return RecordedExchange(
        entry=entry,
        method=exchange.method,
        url=exchange.url,
        request_headers=exchange.request_headers,
        request_body=exchange.request_body or None,
        status_code=exchange.status,
        response_headers=exchange.response_headers,
        response_body=exchange.response_body or None,
    )


PARENT_KEYS = {
    "thread.run": "thread_id",
    "thread.run.step": "run_id",
    "thread.message": "thread_id",
}


def _objects(value: JSON) -> Iterator[dict[str, JSON]]:
    """Every object in a value, with a stack: answers can nest deeper than Python recurses."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(child for child in item.values() if isinstance(child, dict | list))
        elif isinstance(item, list):
            stack.extend(child for child in item if isinstance(child, dict | list))


def _parents(value: JSON) -> Iterator[tuple[str, str]]:
    """(object id, id of the object it belongs to): a run's thread, a step's run."""
    for item in _objects(value):
        key = PARENT_KEYS.get(str(item.get("object")))
        child, parent = item.get("id"), item.get(key) if key else None
        if isinstance(child, str) and isinstance(parent, str):
            yield child, parent


def _ids(value: JSON) -> Iterator[str]:
    for item in _objects(value):
        for key in ID_KEYS:
            found = item.get(key)
            if isinstance(found, str):
                yield found


class Judge:
    def __init__(self, engine: Engine, document: GateDocument, profile: Profile) -> None:
        self.engine = engine
        self.document = document
        self.profile = profile
        # One loop in the order answers came, though each is reported under its scenario or
        # operation: those are labels of one session, not files recorded in an unknown order, so
        # a run polled by a scenario and then answered to schemathesis is compared in order.
        self.judging = engine.judging(files_in_order=True)
        self.known_ids: set[str] = set()
        self.parents: dict[str, str] = {}
        self.verdicts: dict[int, Verdict] = {}
        self._sequence = itertools.count()
        self._interactions = itertools.count(1)

    # -- what the contract expects of a request ----------------------------------------------------
    def due_client_error(self, exchange: Exchange) -> str | None:
        """Why the contract gives this request a 4xx, or None if it may succeed."""
        return next(self._client_errors(exchange), None)

    def _client_errors(self, exchange: Exchange) -> Iterator[str]:
        operation = self.document.match(exchange.method, exchange.path)
        if operation is None:
            # A path outside the Runs document (the assistant, thread and message endpoints the
            # driver uses) is one the document says nothing about, so no 4xx is due there.
            if self.document.knows_path(exchange.path):
                yield "a method the path does not have (405)"
            return
        if not exchange.sent_key:
            yield "no valid API key (401)"
        beta = exchange.header("openai-beta", response=False)
        if not {part.strip().lower() for part in beta.split(",")} & BETA_VALUES:
            yield "no usable OpenAI-Beta header (400)"
        yield from (f"{problem} (400)" for problem in forbidden_parameters(exchange.query))
        ids = operation.path_ids(exchange.path)
        for name, value in ids.items():
            if value not in self.known_ids:
                yield f"{name} {value!r}, which the API never gave out (404)"
        for child, parent in (("run_id", "thread_id"), ("step_id", "run_id")):
            owner = self.parents.get(ids.get(child, ""))
            if owner is not None and parent in ids and owner != ids[parent]:
                yield f"{child} {ids[child]!r}, which belongs to {owner}, not {ids[parent]} (404)"
        if operation.body_ref is not None:
            body = exchange.request_json()
            if body is None or not self.document.allows_body(operation, body):
                yield "a body the document does not allow (400)"

    def allows_body(self, path: str, body: bytes) -> bool:
        operation = self.document.match("POST", path)
        if operation is None:
            return False
        probe = Exchange(0, "", "POST", "", path, (), body)
        parsed = probe.request_json()
        return parsed is not None and self.document.allows_body(operation, parsed)

    # -- judging ----------------------------------------------------------------------------------
    def judge(self, exchange: Exchange) -> Verdict:
        """The verdict on one answer, kept without its bodies: the gate holds every verdict."""
        operation = self.document.match(exchange.method, exchange.path)
        unit = unit_of(exchange, operation)
        verdict = Verdict(exchange, operation, unit)
        self.verdicts[exchange.number] = verdict
        if exchange.status is not None:
            exchange.interaction = next(self._interactions)
        if exchange.answered and not exchange.retried:
            self._judge_answer(exchange, operation, verdict)
            verdict.reproduce = curl(
                exchange.method, exchange.url, exchange.request_headers, exchange.request_body
            )
        # What the reports and later checks need is the exchange's line, status and verdict;
        # the caller keeps the bodies for as long as it needs them, and no longer.
        verdict.exchange = replace(
            exchange, request_body=b"", response_body=b"", _json=None, _parsed=True
        )
        for result in verdict.results:
            result.violations[:] = map(compact, result.violations)
            attach(result, verdict.reproduce)
        if verdict.http is not None:
            verdict.http.violations[:] = map(compact, verdict.http.violations)
            attach(verdict.http, verdict.reproduce)
        return verdict

    def _judge_answer(
        self, exchange: Exchange, operation: Operation | None, verdict: Verdict
    ) -> None:
        unit = verdict.unit
        entry = f"interaction {exchange.interaction}"
        source = Source(unit, entry)
        context = FileContext(unit, DEFAULT_LIMITS, lambda: next(self._sequence))
        for item in observations(recorded(exchange, entry), context):
            if isinstance(item, Observation):
                verdict.results.append(self._judge_run(item))
            elif isinstance(item, ReadError):
                verdict.unreadable.append(item)
        http = self._judged_http(exchange, operation, verdict.unreadable, source)
        if http:
            verdict.http = ObjectResult(source, None, None, self.profile, http, exchange=True)
        self._learn(exchange, operation, [r.run_id for r in verdict.results if r.run_id])

    def judge_recorded(
        self,
        exchange: Exchange,
        runs: Sequence[Observation],
        unreadable: Sequence[ReadError],
        source: Source,
    ) -> list[Violation]:
        """The HTTP rules on an exchange of a recording, whose run objects were judged already.

        What the judge learns from it (the ids given out, whose run is whose) is what it learns
        from a live answer, so later exchanges of the recording are judged as the gate judged
        them. Violations of rules the gate's driver adds later (add) are not among them.
        """
        operation = self.document.match(exchange.method, exchange.path)
        found = self._judged_http(exchange, operation, unreadable, source)
        for observation in runs:
            if isinstance(observation.run, dict):
                self.known_ids.update(_ids(observation.run))
                self.parents.update(_parents(observation.run))
        ids = [o.run.get("id") for o in runs if isinstance(o.run, dict)]
        self._learn(exchange, operation, [i for i in ids if isinstance(i, str)])
        return found

    def _judged_http(
        self,
        exchange: Exchange,
        operation: Operation | None,
        unreadable: Sequence[ReadError],
        source: Source,
    ) -> list[Violation]:
        return self.engine.catalogue.unsuppressed(
            list(self._http_rules(exchange, operation, unreadable, source))
        )

    def _learn(self, exchange: Exchange, operation: Operation | None, run_ids: list[str]) -> None:
        """The ids a successful answer gave out, for the 4xx due to requests on other ids."""
        if exchange.status is not None and exchange.status < 300:
            self.known_ids.update(_ids(exchange.json()))
            self.parents.update(_parents(exchange.json()))
            self.known_ids.update(run_ids)
            if operation is not None:
                self.known_ids.update(operation.path_ids(exchange.path).values())

    def _judge_run(self, observation: Observation) -> ObjectResult:
        result = self.judging.judge(observation)
        if isinstance(observation.run, dict):
            self.known_ids.update(_ids(observation.run))
            self.parents.update(_parents(observation.run))
        return result

    def add(self, number: int, code: str, message: str, path: str = "$") -> bool:
        """Add an HTTP violation found later (a page walk, a schemathesis check) to an exchange."""
        verdict = self.verdicts.get(number)
        if verdict is None or not self.engine.is_enabled(code, self.profile):
            return False
        source = Source(verdict.unit, f"interaction {verdict.exchange.interaction}")
        violation = self.engine.violation(code, path, message, None, source=source)
        violation = violation._replace(reproduce=verdict.reproduce)
        if verdict.http is None:
            verdict.http = ObjectResult(source, None, None, self.profile, [], exchange=True)
        if any((v.rule, v.message) == (code, message) for v in verdict.http.violations):
            return False
        found = self.engine.catalogue.unsuppressed([*verdict.http.violations, violation])
        if violation not in found:
            return False
        verdict.http.violations[:] = found
        return True

    # -- the HTTP rules ---------------------------------------------------------------------------
    @emits("http", "H002", "H003", "H014")
    def _http_rules(
        self,
        exchange: Exchange,
        operation: Operation | None,
        unreadable: Sequence[ReadError],
        source: Source,
    ) -> Iterator[Violation]:
        status = exchange.status
        assert status is not None  # answered exchanges have a status
        found: list[tuple[str, str, str, JSON]] = []
        if status >= 500:
            reason = self.due_client_error(exchange)
            if reason is not None:
                found.append(("H002", "$", f"answered {status} to {reason}", status))
        # The document gives the error shape for its own operations; what a server answers to a
        # method or path outside it (a 405 to TRACE) is not the contract's to say.
        if (
            status >= 400
            and operation is not None
            and not self.document.is_error_response(exchange.json())
        ):
            shape = "not JSON" if exchange.json() is None else "not an ErrorResponse"
            found.append(("H003", "$", f"the {status} answer's body is {shape}", None))
        if operation is not None:
            found.extend(self._documented(exchange, operation, status))
            if status < 300:
                found.extend(self._success(exchange, operation, status, unreadable))
        if exchange.media_type == "text/event-stream":
            for error in unreadable:
                found.append(("H014", "$", error.message, None))
            if b"[DONE]" not in exchange.response_body:
                found.append(("H014", "$", "the stream does not end with data: [DONE]", None))
        for code, path, message, value in found:
            if self.engine.is_enabled(code, self.profile):
                yield self.engine.violation(code, path, message, value, source=source)

    @emits("http", "H006", "H012")
    def _success(
        self,
        exchange: Exchange,
        operation: Operation,
        status: int,
        unreadable: Sequence[ReadError],
    ) -> Iterator[tuple[str, str, str, JSON]]:
        """What a 2xx answer's body must be: JSON that can be read, a page that adds up."""
        if exchange.media_type == "application/json" and exchange.json() is None:
            # Not JSON, or JSON nested deeper than any reader takes: nothing in it is judged.
            why = unreadable[0].message if unreadable else "it is not JSON"
            yield "H006", "$", f"the {status} answer cannot be read: {why}", None
        if operation.operation_id in LIST_OPERATIONS and status == 200:
            yield from envelope_problems(exchange.json())
            forbidden = list(forbidden_parameters(exchange.query))
            for problem in forbidden:
                yield "H012", "$", f"answered {status} to {problem}", status
            # A page is only as ordered as its request: against an order or limit the API
            # should have refused, or a cursor that is no id, any order is a guess.
            if not forbidden and cursors_well_formed(exchange.query):
                yield from page_problems(exchange.json(), exchange.query)

    @emits("http", "H004", "H005")
    def _documented(
        self, exchange: Exchange, operation: Operation, status: int
    ) -> Iterator[tuple[str, str, str, JSON]]:
        if not operation.documents_status(status):
            listed = ", ".join(sorted(operation.responses))
            yield (
                "H004",
                "$",
                f"{status} is not documented for {operation.operation_id} ({listed})",
                status,
            )
            return
        media = exchange.media_type
        if not media and not exchange.response_body:
            return
        documented = operation.media_types(status)
        if media not in documented:
            yield (
                "H005",
                "$",
                f"answered {media or 'no content type'}; the document gives "
                f"{', '.join(sorted(documented)) or 'no body'} for {status}",
                media,
            )
            return
        if status == 200 and operation.streams:
            body = exchange.request_json()
            asked = isinstance(body, dict) and body.get("stream") is True
            wanted = "text/event-stream" if asked else "application/json"
            if media != wanted:
                said = "stream: true" if asked else "no stream: true"
                yield "H005", "$", f"answered {media} to a request with {said}", media


# What a kept violation may hold: a schema message quotes the value it is about, which can be
# an answer's whole 10 MB metadata; the report needs the start of it and its size.
MAX_TEXT = 1_000


def compact(violation: Violation) -> Violation:
    """The violation with its message and value cut to MAX_TEXT characters, said so."""
    message, value = violation.message, violation.value
    if len(message) > MAX_TEXT:
        message = f"{message[:MAX_TEXT]}... ({len(message):,} characters)"
    if isinstance(value, str) and len(value) > MAX_TEXT:
        value = f"{value[:MAX_TEXT]}... ({len(value):,} characters)"
    elif isinstance(value, dict | list):
        try:
            size = len(orjson.dumps(value))
        except TypeError:  # an integer beyond 64 bits: no size to tell, and kept as it is
            size = 0
        if size > MAX_TEXT:
            kind = "an object" if isinstance(value, dict) else "an array"
            value = f"{kind} of {len(value):,} items, {size:,} bytes as JSON"
    if message is violation.message and value is violation.value:
        return violation
    return violation._replace(message=message, value=value)


LIMITS = range(1, 101)
ORDERS = ("asc", "desc")
CURSOR = re.compile(r"[A-Za-z0-9_-]{1,128}")


@emits("http", "H006")
def envelope_problems(page: JSON) -> Iterator[tuple[str, str, str, JSON]]:
    """H006 once for a page whose envelope is not a list's; its runs are judged all the same."""
    if isinstance(page, dict) and isinstance(page.get("data"), list):
        kind = page.get("object")
        if kind != "list":
            said = "has no object" if "object" not in page else f"has object {kind!r}"
            yield "H006", "$.object", f'the list page {said}; the document gives "list"', kind


def forbidden_parameters(query: dict[str, str]) -> Iterator[str]:
    """The list parameters the document forbids (limit 1..100, order asc or desc)."""
    limit = query.get("limit")
    if limit is not None and not (limit.isdigit() and int(limit) in LIMITS):
        yield f"limit={limit} outside 1..100"
    if query.get("order", "desc") not in ORDERS:
        yield f"order={query['order']}, neither asc nor desc"


def cursors_well_formed(query: dict[str, str]) -> bool:
    """after and before, when given, look like the ids the API gives out.

    The document types them as any string, so a server may answer a malformed one with a page;
    where that page starts is then undefined and nothing about its order can be judged.
    """
    return all(CURSOR.fullmatch(query[name]) for name in ("after", "before") if name in query)


@emits("http", "H001")
def page_problems(page: JSON, query: dict[str, str]) -> Iterator[tuple[str, str, str, JSON]]:
    """H001 on one list page: its order and its cursors against its own data."""
    if not isinstance(page, dict) or not isinstance(page.get("data"), list):
        return
    data = [item for item in page["data"] if isinstance(item, dict)]
    ids = [item.get("id") for item in data]
    first, last = (ids[0], ids[-1]) if ids else (None, None)
    if page.get("first_id") != first:
        yield (
            "H001",
            "$.first_id",
            f"first_id is {page.get('first_id')!r}, data[0].id is {first!r}",
            page.get("first_id"),
        )
    if page.get("last_id") != last:
        yield (
            "H001",
            "$.last_id",
            f"last_id is {page.get('last_id')!r}, data[-1].id is {last!r}",
            page.get("last_id"),
        )
    limit_text = query.get("limit", "20")
    limit = int(limit_text) if limit_text.isdigit() else 20
    if len(data) > limit:
        yield "H001", "$.data", f"{len(data)} objects on a page of limit {limit}", len(data)
    if page.get("has_more") is True and len(data) < limit:
        yield (
            "H001",
            "$.has_more",
            f"has_more is true on a page of {len(data)} < limit {limit}",
            True,
        )
    stamps: list[Any] = [item.get("created_at") for item in data]
    if all(isinstance(s, int) for s in stamps):
        descending = query.get("order", "desc") != "asc"
        for index, (before, after) in enumerate(itertools.pairwise(stamps)):
            if (after > before) if descending else (after < before):
                order = "desc" if descending else "asc"
                yield (
                    "H001",
                    f"$.data[{index + 1}].created_at",
                    f"order={order} but data[{index + 1}] (created_at {after}) follows "
                    f"data[{index}] (created_at {before})",
                    after,
                )
                break


def walk_problems(
    seen: list[str],
    ids: list[str],
    expected: list[str],
    *,
    order: str,
    limit: int,
    page: dict[str, Any],
) -> Iterator[str]:
    """H001 on one page of a walk by after-cursors through `expected` (the runs of a thread in
    the order asked for): a page that repeats a run, lists them out of order, or ends early.

    The gate's driver walks the runs it created; a recording's replay walks the runs the
    recording shows created on a thread (runcontract.gate.replay)."""
    repeated = [i for i in ids if i in seen]
    if repeated:
        yield f"order={order} limit={limit}: the after-cursor page repeats {', '.join(repeated)}"
    ours = [i for i in ids if i in expected]
    position = len(seen)
    want = expected[position : position + len(ours)]
    if ours and not repeated and ours != want:
        yield (
            f"order={order} limit={limit}: page at position {position} lists {ours}, where the "
            f"runs in creation order give {want}"
        )
    if page.get("has_more") is False and position + len(ours) < len(expected):
        yield (
            f"order={order} limit={limit}: has_more is false after {position + len(ours)} of "
            f"{len(expected)} runs"
        )
