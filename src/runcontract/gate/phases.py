"""Schemathesis's phases (examples, coverage, fuzzing, stateful) against the target, via the proxy.

Schemathesis generates the requests from the corrected document and runs its own checks and the
runcontract checks on every answer. Its built-in checks are kept, each under the HTTP rule that
names what it finds (contracts/http.yaml), except three:

    not_a_server_error          5xx answers are retried and reported apart from violations;
                                the contract's part of it (a 5xx where a 4xx is due) is H002
    object_level_authorization  needs two identities, the gate has one key
    max_response_time           speed is not part of the contract

Real ids make the generated requests reach the API's logic instead of its 404 path: the threads,
runs, steps and assistant the lifecycle driver created are given to schemathesis as dictionaries
that path parameters and assistant_id draw from most of the time.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from runcontract.gate.document import GateDocument
from runcontract.gate.judge import Judge
from runcontract.gate.proxy import EXCHANGE_HEADER, NotSentError, Proxy

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


def config_dict(
    *,
    phases: Sequence[str],
    max_examples: int,
    workers: int,
    request_timeout: float,
    seed: int | None,
    ids: Ids,
    placeholder: str,
) -> dict[str, Any]:
    """The schemathesis configuration of the gate, in the shape of schemathesis.toml."""
    checks: dict[str, Any] = {name: {"enabled": False} for name in DISABLED_CHECKS}
    dictionaries: dict[str, Any] = {}
    parameters: dict[str, Any] = {}
    for name, values, keys in (
        ("threads", ids.threads, ("path.thread_id",)),
        ("runs", ids.runs, ("path.run_id",)),
        ("steps", ids.steps, ("path.step_id",)),
        ("assistants", ids.assistants, ("body.assistant_id",)),
    ):
        if values:
            dictionaries[name] = {"values": sorted(set(values))}
            for key in keys:
                parameters[key] = {"dictionary": name, "probability": KNOWN_ID_PROBABILITY}
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
    if dictionaries:
        config["dictionaries"] = dictionaries
        config["parameters"] = parameters
    return config


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
    schema.app = proxy
    # Not schemathesis's max-time: with it, fuzzing and stateful repeat until the time is spent.
    stream = schemathesis.engine.from_schema(schema).execute()
    for event in stream:
        if time.monotonic() >= deadline and not report.timed_out:
            report.timed_out = True
            report.errors.append("the --timeout was reached during the schemathesis phases")
            stream.stop()
        if isinstance(event, events.ScenarioFinished):
            _scenario(event, report, judge)
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
        f"{report.failed[phase]} scenarios with findings"
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


def _scenario(event: Any, report: PhaseReport, judge: Judge) -> None:
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
        if verdict is not None and not verdict.exchange.answered:
            continue  # the proxy's stand-in for a request not sent (the budget) is no answer
        status = verdict.exchange.status if verdict is not None else None
        # The document's schema for an error answer is ErrorResponse: that is H003's.
        code = "H003" if named == "H006" and status is not None and status >= 400 else named
        if code == "H010" and verdict is not None and "authorization" in message.lower():
            # A missing Authorization header is the authentication rule, not the OpenAI-Beta one.
            code = "H009"
        if (
            verdict is not None
            and verdict.http is not None
            and any(v.rule == code for v in verdict.http.violations)
        ):
            continue  # the gate's own rule already says it, once
        if judge.add(number, code, message):
            report.builtin_failures += 1
