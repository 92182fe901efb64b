"""Schemathesis's phases (examples, coverage, fuzzing, stateful) against the target, via the proxy.

Schemathesis generates the requests from the corrected document and runs its own checks and the
runcontract checks on every answer. Its built-in checks are kept, each under the HTTP rule that
names what it finds (contracts/http.yaml), except three:

    not_a_server_error          5xx answers are retried and reported apart from violations;
                                the contract's part of it (a 5xx where a 4xx is due) is H002
    object_level_authorization  needs two identities, the gate has one key
    max_response_time           speed is not part of the contract

Real ids make the generated requests reach the API's logic instead of its 404 path: a hook on
every case schemathesis makes, in every phase (`map_case`, and `before_add_examples` for the
document's own examples), puts the ids the lifecycle driver got into its id-bearing fields most of
the time (`IdDraw`), and leaves the generated ones, ids the API never gave out, the rest.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from runcontract.catalogue import declare
from runcontract.engine.nesting import MAX_NESTING, too_deep
from runcontract.gate.document import GateDocument
from runcontract.gate.judge import Judge
from runcontract.gate.proxy import EXCHANGE_HEADER, NotSentError, Proxy
from runcontract.reporters.text import counted

PHASES = ("examples", "coverage", "fuzzing", "stateful")
GATE_HOST = "http://runcontract.gate"
BUILTIN_RULES = {
    "status_code_conformance": "H004",
    "content_type_conformance": "H005",
    "response_schema_conformance": "H006",
    "response_headers_conformance": "H007",
    "unsupported_method": "H008",
    "allow_header_conformance": "H008",
    "ignored_auth": "H009",
    "missing_required_header": "H010",
    "ensure_resource_availability": "H011",
    "use_after_free": "H011",
    "negative_data_rejection": "H012",
    "positive_data_acceptance": "H013",
}
# schemathesis's checks are not ours to decorate: this table is their declaration
declare("http", f"{__name__}.BUILTIN_RULES", BUILTIN_RULES.values())
DISABLED_CHECKS = ("not_a_server_error", "object_level_authorization")
# A documented request can still meet a state that turns it away with 400: a finished run
# cannot be cancelled, a run that does not require action takes no tool outputs, a thread with
# an active run takes no new run. The real API answers these with 400, as the document says.
STATE_DEPENDENT = ("cancelRun", "submitToolOuputsToRun", "createRun", "listRuns", "listRunSteps")
ACCEPTED = ["2xx", "400", "401", "403", "404", "409", "429", "5xx"]
# How often a path parameter is drawn from the ids the target gave out; the rest are generated,
# so unknown ids (and their 404s) are tested too.
KNOWN_ID_PROBABILITY = 0.9


@dataclass(slots=True)
class Ids:
    threads: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    assistants: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PhaseReport:
    cases: Counter[str] = field(default_factory=Counter)  # phase -> cases run
    failed: Counter[str] = field(default_factory=Counter)  # phase -> scenarios with a failure
    operations: dict[str, Counter[str]] = field(default_factory=dict)  # operation -> phase -> cases
    errors: list[str] = field(default_factory=list)  # the gate could not do its job
    not_sent: int = 0
    replayed_differently: int = 0
    timed_out: bool = False
    seconds: float = 0.0
    builtin_failures: int = 0

    @property
    def total(self) -> int:
        return sum(self.cases.values())


def schemathesis_workers(workers: int) -> int:
    """Generation threads: one where concurrent ast.parse breaks the interpreter.

    CPython before 3.11.8 can raise "SystemError: AST constructor recursion depth mismatch"
    when two threads parse source at once (python/cpython#106905), which Hypothesis does to
    describe strategies. The lifecycle driver keeps every worker; only generation is serial.
    """
    if (3, 11) <= sys.version_info[:3] < (3, 11, 8):
        return 1
    return workers


PATH_IDS = ("thread_id", "run_id", "step_id")  # outermost first
CURSORS = ("after", "before")
CREATES_WITH_ASSISTANT = frozenset({"createRun", "createThreadAndRun"})
LISTS = {"listRuns": "run_id", "listRunSteps": "step_id"}  # what a page's cursors name


class IdDraw:
    """Puts the ids the target gave out into schemathesis's cases, whatever the phase.

    Every id-bearing field is drawn: thread_id, run_id and step_id in paths (together, so the
    run belongs to the thread and the step to the run), assistant_id in create-run bodies, and
    the after / before cursors of list pages (a run or step of the listed thread or run). Each
    case keeps its generated ids, ones the API never gave out, with the remaining probability,
    so the 404 path is tested too. Values the target already gave out (the links of the
    stateful phase) and the parameter a negative case breaks on purpose are left as they are.

    The draw is decided by the case's own content, not by the order cases come in, so a seeded
    gate draws the same ids with any number of workers.
    """

    def __init__(
        self,
        ids: Ids,
        parents: Mapping[str, str],
        known: Container[str],
        probability: float = KNOWN_ID_PROBABILITY,
    ) -> None:
        self.ids = ids
        self.parents = parents
        self.known = known
        self.probability = probability

    def install(self, schema: Any) -> None:
        schema.hooks.register_hook_with_name(self.map_case, "map_case")
        schema.hooks.register_hook_with_name(self.before_add_examples, "before_add_examples")

    def map_case(self, context: Any, case: Any) -> Any:
        self.draw(case)
        return case

    def before_add_examples(self, context: Any, examples: list[Any]) -> None:
        for case in examples:
            self.draw(case)

    def draw(self, case: Any) -> None:
        operation_id = str(case.operation.definition.raw.get("operationId", ""))
        # not a secret: a draw a seeded gate repeats, whatever order the cases come in
        rng = random.Random(zlib.crc32(_fingerprint(case, operation_id)))  # noqa: S311
        broken = _broken_on_purpose(case)
        path = dict(case.path_parameters or {})
        drawn = self._path_ids(rng, path, broken)
        if drawn:
            case.path_parameters = path | drawn
        body = case.body
        if (
            operation_id in CREATES_WITH_ASSISTANT
            and isinstance(body, dict)
            and "assistant_id" not in broken
            and self._wanted(rng, body.get("assistant_id"))
            and self.ids.assistants
        ):
            case.body = body | {"assistant_id": rng.choice(self.ids.assistants)}
        kind = LISTS.get(operation_id)
        query = case.query
        if kind is not None and isinstance(query, dict):
            owner = (path | drawn).get("thread_id" if kind == "run_id" else "run_id")
            pool = self._pool(kind, owner)
            cursors = {
                name: rng.choice(pool)
                for name in CURSORS
                if name in query and name not in broken and pool and self._wanted(rng, query[name])
            }
            if cursors:
                case.query = query | cursors

    def _wanted(self, rng: random.Random, value: Any) -> bool:
        """Whether a generated id is replaced: a string the API never gave out, most times."""
        return self._unknown(value) and rng.random() < self.probability

    def _path_ids(
        self, rng: random.Random, path: dict[str, Any], broken: set[str]
    ) -> dict[str, str]:
        present = [name for name in PATH_IDS if name in path and name not in broken]
        if not present or not any(self._unknown(path[name]) for name in present):
            return {}
        if rng.random() >= self.probability:
            return {}
        innermost = present[-1]
        level = PATH_IDS.index(innermost)
        owner = path.get(PATH_IDS[level - 1]) if level else None
        owner = owner if isinstance(owner, str) and owner in self.known else None
        pool = self._pool(innermost, owner)
        if not pool:
            return {}
        chosen = {innermost: rng.choice(pool)}
        for inner, outer in (("step_id", "run_id"), ("run_id", "thread_id")):
            parent = self.parents.get(chosen.get(inner, ""))
            if parent is not None:
                chosen[outer] = parent
        return {name: chosen[name] for name in present if name in chosen}

    def _unknown(self, value: Any) -> bool:
        return isinstance(value, str) and value not in self.known

    def _pool(self, kind: str, owner: str | None) -> list[str]:
        """The ids of a kind, those of the given thread or run first choice when it has any."""
        every = {"thread_id": self.ids.threads, "run_id": self.ids.runs, "step_id": self.ids.steps}
        values = sorted(set(every[kind]))
        if owner is None:
            return values
        owned = [value for value in values if self.parents.get(value) == owner]
        return owned or values


def _fingerprint(case: Any, operation_id: str) -> bytes:
    parts = [operation_id, case.path_parameters, case.query, case.body]
    return json.dumps(parts, sort_keys=True, default=repr).encode()


def _broken_on_purpose(case: Any) -> set[str]:
    """The parameters a negative case breaks: they keep the value that breaks them."""
    meta = getattr(case, "meta", None)
    if meta is None or str(meta.generation.mode.value) != "negative":
        return set()
    data = meta.phase.data
    names = {data.parameter} if data.parameter else set()
    names.update(m.parameter for m in getattr(data, "mutations", ()) if m.parameter)
    return {str(name) for name in names}


def config_dict(
    *,
    phases: Sequence[str],
    max_examples: int,
    workers: int,
    request_timeout: float,
    seed: int | None,
    placeholder: str,
) -> dict[str, Any]:
    """The schemathesis configuration of the gate, in the shape of schemathesis.toml."""
    checks: dict[str, Any] = {name: {"enabled": False} for name in DISABLED_CHECKS}
    config: dict[str, Any] = {
        "base-url": GATE_HOST,
        "workers": schemathesis_workers(workers),
        "headers": {"Authorization": f"Bearer {placeholder}"},
        "continue-on-failure": True,
        "max-redirects": 0,
        "request-timeout": request_timeout,
        "generation": {"max-examples": max_examples, "no-shrink": True, "database": "none"},
        "phases": {name: {"enabled": name in phases} for name in PHASES},
        "checks": checks,
        "operations": [
            {
                "include-operation-id": operation,
                "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
            }
            for operation in STATE_DEPENDENT
        ],
    }
    if seed is not None:
        config["seed"] = seed
        config["generation"]["deterministic"] = True
    return config


# What schemathesis gets instead of an answer nested too deep for Python's json module (which
# it parses answers with, in its worker threads): the gate judged the answer itself already.
STAND_IN = b'"runcontract: this answer nests too deep to parse; the gate judged it"'


def nests_too_deep(body: bytes) -> bool:
    """Whether a JSON body nests deeper than MAX_NESTING (or than orjson reads at all)."""
    if body.count(b"{") + body.count(b"[") <= MAX_NESTING:
        return False  # cannot nest deeper than it has brackets, and most answers are shallow
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return "depth" in str(exc) or "recursion" in str(exc)
    return too_deep(value) is not None


class Shield:
    """The proxy as schemathesis sees it: every answer one its JSON parser can take.

    An answer nested thousands of levels deep raises RecursionError in the schemathesis worker
    that parses it, which then dies with a traceback on stderr and leaves the run waiting for
    it. Such an answer reaches schemathesis as a JSON string saying so; the gate's verdict on
    the real answer stands, and schemathesis's own checks on the stand-in are not reported.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.replaced: set[int] = set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        held: dict[str, Any] | None = None

        async def guarded(message: dict[str, Any]) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                held = message  # until the body says whether it can pass
                return
            if message["type"] == "http.response.body" and held is not None:
                start, held = held, None
                headers = [(bytes(k), bytes(v)) for k, v in start.get("headers", [])]
                kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                body = message.get("body", b"")
                if b"json" in kind.lower() and nests_too_deep(body):
                    number = _tag_number(headers)
                    if number is not None:
                        self.replaced.add(number)
                    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                    headers.append((b"content-length", str(len(STAND_IN)).encode()))
                    start = {**start, "headers": headers}
                    message = {**message, "body": STAND_IN, "more_body": False}
                await send(start)
            await send(message)

        await self.app(scope, receive, guarded)


def _tag_number(headers: list[tuple[bytes, bytes]]) -> int | None:
    name = EXCHANGE_HEADER.lower().encode()
    tag = next((v for k, v in headers if k.lower() == name), None)
    if tag is None:
        return None
    with contextlib.suppress(ValueError):
        return int(tag.decode("latin-1").rpartition(":")[2])
    return None


def _exchange_number(recorder: Any, case_id: str) -> int | None:
    interaction = recorder.interactions.get(case_id)
    response = getattr(interaction, "response", None)
    if response is None:
        return None
    tags = response.headers.get(EXCHANGE_HEADER)
    tag = tags[0] if isinstance(tags, list) and tags else tags
    if not isinstance(tag, str):
        return None
    with contextlib.suppress(ValueError):
        return int(tag.rpartition(":")[2])
    return None


def _builtin_failures(recorder: Any) -> Iterator[tuple[int, str, str]]:
    """(exchange number, rule code, message) for each failed built-in check of a scenario."""
    for case_id, nodes in recorder.checks.items():
        for node in nodes:
            info = node.failure_info
            code = BUILTIN_RULES.get(node.name)
            if info is None or code is None:
                continue
            number = _exchange_number(recorder, info.failure.case_id or case_id)
            if number is None:
                number = _exchange_number(recorder, case_id)
            if number is None:
                continue
            failure = info.failure
            message = " ".join(f"{failure.title}: {failure.message}".split())
            yield number, code, f"schemathesis {node.name}: {message[:400]}"


def run_phases(
    *,
    document: GateDocument,
    proxy: Proxy,
    judge: Judge,
    config: dict[str, Any],
    progress: Callable[[str], None],
    ids: Ids | None = None,
    deadline: float = math.inf,
) -> PhaseReport:
    import schemathesis  # noqa: PLC0415 - only the gate pays for importing schemathesis
    from schemathesis.config import SchemathesisConfig  # noqa: PLC0415
    from schemathesis.engine import events  # noqa: PLC0415

    report = PhaseReport()
    started = time.monotonic()
    schema = schemathesis.openapi.from_dict(
        document.for_schemathesis(), config=SchemathesisConfig.from_dict(config)
    )
    shield = Shield(proxy)
    schema.app = shield
    if ids is not None:
        IdDraw(ids, judge.parents, judge.known_ids).install(schema)
    # Not schemathesis's max-time: with it, fuzzing and stateful repeat until the time is spent.
    stream = schemathesis.engine.from_schema(schema).execute()
    for event in stream:
        if time.monotonic() >= deadline and not report.timed_out:
            report.timed_out = True
            report.errors.append("the --timeout was reached during the schemathesis phases")
            stream.stop()
        if isinstance(event, events.ScenarioFinished):
            _scenario(event, report, judge, shield.replaced)
        elif isinstance(event, events.PhaseStarted | events.PhaseFinished):
            _phase(event, report, progress, finished=isinstance(event, events.PhaseFinished))
        elif isinstance(event, events.NonFatalError):
            _error(event.value, event.label, report)
        elif isinstance(event, events.FatalError):
            report.errors.append(
                f"schemathesis stopped: {type(event.exception).__name__}: {event.exception}"
            )
        elif isinstance(event, events.Interrupted) and not report.timed_out:
            report.errors.append("schemathesis was interrupted")
    report.seconds = time.monotonic() - started
    return report


def _phase(
    event: Any, report: PhaseReport, progress: Callable[[str], None], *, finished: bool
) -> None:
    phase = str(event.phase.name.value)
    if phase not in PHASES or not event.phase.is_enabled:
        return
    if not finished:
        progress(f"schemathesis {phase}: started")
        return
    for operation, cases in sorted(report.operations.items()):
        if cases[phase]:
            progress(f"schemathesis {phase}: {operation}: {cases[phase]} cases")
    progress(
        f"schemathesis {phase}: {report.cases[phase]} cases, "
        f"{counted(report.failed[phase], 'scenario')} with findings"
    )


def _error(error: Exception, label: str, report: PhaseReport) -> None:
    if isinstance(error, NotSentError):
        report.not_sent += 1
    elif type(error).__name__ == "FlakyFailure":
        # A stateful API answers a replayed request differently (the thread now has a run,
        # the budget is spent): the first answer was judged already.
        report.replayed_differently += 1
    else:
        report.errors.append(f"schemathesis {label}: {type(error).__name__}: {error}")


def _scenario(event: Any, report: PhaseReport, judge: Judge, replaced: Container[int]) -> None:
    phase = str(event.phase.value)
    recorder = event.recorder
    cases = len(recorder.interactions)
    report.cases[phase] += cases
    per_phase = report.operations.setdefault(recorder.label, Counter())
    per_phase[phase] += cases
    if event.status.value == "failure":
        report.failed[phase] += 1
    for number, named, message in _builtin_failures(recorder):
        verdict = judge.verdicts.get(number)
        if number in replaced or (verdict is not None and not verdict.exchange.answered):
            continue  # never sent (the budget), or a stand-in: schemathesis saw the gate's answer
        status = verdict.exchange.status if verdict is not None else None
        # The document's schema for an error answer is ErrorResponse: that is H003's.
        code = "H003" if named == "H006" and status is not None and status >= 400 else named
        if code == "H010" and verdict is not None and "authorization" in message.lower():
            # A missing Authorization header is the authentication rule, not the OpenAI-Beta one.
            code = "H009"
        if status is not None and (
            (code == "H010" and status >= 400) or (code == "H009" and status in (404, 405))
        ):
            # Turned away, not accepted: a 404 or 405 for a missing operation is H025's and
            # H008's, any other unexpected status H004's; one defect, one finding.
            continue
        if (
            verdict is not None
            and verdict.http is not None
            and any(v.rule == code for v in verdict.http.violations)
        ):
            continue  # the gate's own rule already says it, once
        if judge.add(number, code, message):
            report.builtin_failures += 1
