"""One gate run: build the target and the client, drive the lifecycles, run the phases, collect.

`run_gate(options, key, progress)` is the primitive the CLI and the pytest plugin share. It never
raises for anything the target does: what the target did becomes verdicts, what kept the gate
from judging the target at all becomes `problems`, what it could not finish becomes `unfinished`,
and `GateOutcome.exit_code` keeps them apart: a contract break seen in a judged answer is a
verdict (exit 1) whatever could not finish; only a target that could not be judged, or a clean
result with gaps in it, is "could not check" (exit 3).
"""

from __future__ import annotations

import contextlib
import math
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from runcontract.engine import Engine
from runcontract.gate import checks
from runcontract.gate.cassette import Cassette
from runcontract.gate.client import PLACEHOLDER, Counters, GateClient, Policy, Target
from runcontract.gate.document import load_document
from runcontract.gate.driver import Driver, Pace, ScenarioResult, ScenarioStopped
from runcontract.gate.judge import Judge, Verdict
from runcontract.gate.phases import PHASES, Ids, PhaseReport, config_dict, run_phases
from runcontract.gate.proxy import Proxy
from runcontract.gate.secrets import Secret
from runcontract.gate.traffic import COULD_NOT_CHECK, Exchange
from runcontract.model import ObjectResult, Profile, Severity, Violation
from runcontract.vocabulary import ExitCode

# one table for every command (runcontract.vocabulary)
EXIT_OK, EXIT_VIOLATIONS = ExitCode.OK, ExitCode.VIOLATIONS
EXIT_USAGE, EXIT_COULD_NOT_CHECK = ExitCode.USAGE, ExitCode.COULD_NOT_CHECK
ALL_PHASES = ("lifecycle", *PHASES)
IN_PROCESS_LABEL = "reference server (in-process)"
IN_PROCESS_URL = "http://reference.runcontract.invalid/v1"
# The reference server's pace when it runs in-process: time is a manual clock the driver moves,
# so a step costs nothing and runs take as many polls as they would against the real API.
IN_PROCESS_STEP = 0.5
LIFECYCLE_SHARE = 0.5  # of the --timeout, when schemathesis's phases follow the scenarios
# Of --timeout, the part kept for what comes after the last request (cleanup, reports, the
# recording): requests stop this much before it.
WRITING_SHARE, MOST_WRITING_SECONDS = 0.05, 5.0


def writing_margin(timeout: float) -> float:
    return min(MOST_WRITING_SECONDS, timeout * WRITING_SHARE)


@dataclass(frozen=True, slots=True)
class GateOptions:
    base_url: str | None = None  # None: the embedded reference server, in-process
    api_key_env: str = "OPENAI_API_KEY"
    profile: Profile = Profile.V2
    strict: bool = False
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    max_examples: int = 20
    workers: int = 2
    budget: int = 30
    timeout: float = 600.0  # the whole gate, in seconds
    request_timeout: float = 30.0
    phases: tuple[str, ...] = ALL_PHASES
    record: Path | None = None
    assistant_id: str | None = None
    model: str = "gpt-4o-mini"
    seed: int | None = 0
    faults: tuple[str, ...] = ()  # in-process only: reference-server fault modes to switch on
    cleanup: bool = True


@dataclass(slots=True)
class GateOutcome:
    target: str
    profile: Profile
    verdicts: list[Verdict] = field(default_factory=list)
    scenarios: list[ScenarioResult] = field(default_factory=list)
    phases: PhaseReport | None = None
    counters: Counters = field(default_factory=Counters)
    problems: list[str] = field(default_factory=list)  # the target could not be judged
    unfinished: list[str] = field(default_factory=list)  # what could not be checked, and why
    seconds: float = 0.0
    budget: int = 0
    runs_created: int = 0  # distinct run ids seen in the target's answers
    recording: str = ""  # what --record wrote, in one line

    def results(self) -> Iterator[ObjectResult]:
        for verdict in self.verdicts:
            yield from verdict.results
            if verdict.http is not None:
                yield verdict.http

    def violations(self) -> Iterator[tuple[Verdict, Violation]]:
        for verdict in self.verdicts:
            for violation in verdict.violations():
                yield verdict, violation

    def count(self, severity: Severity) -> Counter[str]:
        return Counter(v.rule for _, v in self.violations() if v.severity is severity)

    @property
    def runs_observed(self) -> int:
        return sum(len(v.results) for v in self.verdicts)

    @property
    def exit_code(self) -> int:
        if self.problems:
            return EXIT_COULD_NOT_CHECK
        # A break seen in a judged answer stands, whatever else could not be checked.
        if self.count(Severity.ERROR):
            return EXIT_VIOLATIONS
        # Nothing found where the gate could not look everywhere is not a pass.
        if self.unfinished:
            return EXIT_COULD_NOT_CHECK
        return EXIT_OK


def build_target(options: GateOptions, key: str) -> Target:
    if options.base_url is None:
        from runcontract.server import ManualClock, create_app  # noqa: PLC0415

        clock = ManualClock()
        app = create_app(
            faults=options.faults, clock=clock, step_seconds=IN_PROCESS_STEP, api_key=key
        )
        return Target(
            IN_PROCESS_LABEL, IN_PROCESS_URL, httpx.ASGITransport(app=app), clock.advance, True
        )
    return Target(options.base_url.rstrip("/"), options.base_url.rstrip("/"))


def in_process_key() -> str:
    """A fresh key for the embedded server, so the user's real key is never needed for it."""
    return f"sk-runcontract-{secrets.token_hex(16)}"


def _unfinished(outcome: GateOutcome, client_counters: Counters) -> list[str]:
    found = list(outcome.unfinished)
    for problem, count in sorted(client_counters.problems.items()):
        if problem in COULD_NOT_CHECK:
            found.append(f"{count} request(s) got no usable answer: {problem}")
    for scenario in outcome.scenarios:
        if scenario.could_not_check:
            found.append(
                f"lifecycle scenario '{scenario.name}' could not finish: {scenario.detail}"
            )
    if outcome.phases is not None:
        found.extend(outcome.phases.errors)
    if not outcome.problems and not found and outcome.runs_observed == 0:
        found.append("no run object was observed, so no run was judged")
    return found


def _runs_created(verdicts: list[Verdict]) -> int:
    return len({r.run_id for v in verdicts if v.exchange.answered for r in v.results if r.run_id})


def run_gate(
    options: GateOptions,
    key: str,
    progress: Callable[[str], None],
    *,
    secret: Secret | None = None,
    counters_seen: Callable[[Counters], None] | None = None,
) -> GateOutcome:
    """Judge the target; `key` is its API key (never printed, never recorded). `counters_seen`
    is handed the client's live counters (requests sent, runs used), for a live display."""
    started = time.monotonic()
    deadline = (
        started + options.timeout - writing_margin(options.timeout)
        if math.isfinite(options.timeout)
        else math.inf
    )
    secret = secret or Secret(key)
    target = build_target(options, key)
    outcome = GateOutcome(target.label, options.profile, budget=options.budget)
    engine = Engine(
        profile=options.profile,
        strict=options.strict,
        select=options.select,
        ignore=options.ignore,
        lifecycle=True,
    )
    document = load_document(options.profile)
    judge = Judge(engine, document, options.profile)
    cassette = (
        Cassette(options.record, secret.mask, profile=options.profile) if options.record else None
    )

    def on_exchange(exchange: Exchange) -> None:
        judge.judge(exchange)
        if cassette is not None:
            cassette.add(exchange)

    client = GateClient(
        target,
        api_key=key,
        policy=Policy(
            request_timeout=options.request_timeout, deadline=deadline, budget=options.budget
        ),
        on_exchange=on_exchange,
        due_client_error=lambda exchange: judge.due_client_error(exchange) is not None,
    )
    if counters_seen is not None:
        counters_seen(client.counters)
    session = uuid.uuid4().hex
    checks.SESSIONS[session] = judge
    driver = Driver(
        client,
        judge,
        profile=options.profile,
        model=options.model,
        pace=Pace() if not target.in_process else Pace(first_poll=IN_PROCESS_STEP),
        gate_deadline=_lifecycle_deadline(options, started, deadline),
    )
    try:
        _drive(
            options=options,
            outcome=outcome,
            driver=driver,
            client=client,
            judge=judge,
            session=session,
            progress=progress,
        )
    finally:
        if options.cleanup and not target.in_process and options.base_url is not None:
            with contextlib.suppress(Exception):
                driver.cleanup()
        client.close()
        checks.SESSIONS.pop(session, None)
        outcome.verdicts = [judge.verdicts[n] for n in sorted(judge.verdicts)]
        outcome.counters = client.counters
        outcome.runs_created = _runs_created(outcome.verdicts)
        outcome.unfinished = _unfinished(outcome, client.counters)
        if not any(v.exchange.answered for v in outcome.verdicts) and not outcome.problems:
            outcome.problems.append("the target gave no answer, so nothing was judged")
        if cassette is not None:
            outcome.recording = cassette.close()  # written as it came: this ends the file
        outcome.seconds = time.monotonic() - started
    return outcome


def _lifecycle_deadline(options: GateOptions, started: float, deadline: float) -> float:
    """When the scenarios must be done: half the time when schemathesis's phases follow them,
    so a target whose runs never finish still has its endpoints judged by the phases."""
    if not math.isfinite(deadline) or not any(p in options.phases for p in PHASES):
        return deadline
    return started + LIFECYCLE_SHARE * (deadline - started)


def _drive(
    *,
    options: GateOptions,
    outcome: GateOutcome,
    driver: Driver,
    client: GateClient,
    judge: Judge,
    session: str,
    progress: Callable[[str], None],
) -> None:
    progress(f"target: {outcome.target}, profile {options.profile.value}")
    try:
        driver.setup(options.assistant_id)
    except ScenarioStopped as stop:
        first = next(iter(judge.verdicts.values()), None)
        if first is not None and first.exchange.status in (401, 403):
            outcome.problems.append(
                f"authentication refused: the target answered {first.exchange.status} to the "
                f"first authenticated request (is {options.api_key_env} the key for this "
                "target?)"
            )
        elif first is None or not first.exchange.answered:
            outcome.problems.append(f"setup failed, the target could not be reached: {stop}")
        else:
            # The target answered: what it answered is judged; the rest could not be checked.
            outcome.unfinished.append(f"setup failed, so no scenario could run: {stop}")
        return
    progress(f"setup: assistant {driver.fixtures.assistant}")
    if "lifecycle" in options.phases:
        # In-process, time is one manual clock that every poll moves: scenarios on two workers
        # would move each other's runs on, so one worker keeps each verdict repeatable (and a
        # scenario there costs milliseconds).
        workers = 1 if client.target.in_process else options.workers
        outcome.scenarios = driver.run_all(workers, lambda r: progress(_scenario_line(r)))
    schemathesis_phases = [p for p in PHASES if p in options.phases]
    if not schemathesis_phases:
        return
    if time.monotonic() >= client.policy.deadline:
        outcome.unfinished.append("the --timeout was reached before the schemathesis phases")
        return
    fixtures = driver.fixtures
    ids = Ids(
        threads=fixtures.threads,
        runs=fixtures.runs,
        steps=fixtures.steps,
        assistants=[fixtures.assistant] if fixtures.assistant else [],
    )
    config = config_dict(
        phases=schemathesis_phases,
        max_examples=options.max_examples,
        workers=options.workers,
        request_timeout=options.request_timeout,
        seed=options.seed,
        placeholder=PLACEHOLDER,
    )
    outcome.phases = run_phases(
        document=judge.document,
        proxy=Proxy(client, session),
        judge=judge,
        config=config,
        progress=progress,
        ids=ids,
        deadline=client.policy.deadline,
    )


def _scenario_line(result: ScenarioResult) -> str:
    seen = " -> ".join(dict.fromkeys(result.statuses)) or "no run"
    line = f"lifecycle {result.name}: {result.outcome} ({seen}; {result.seconds:.1f} s)"
    return f"{line}: {result.detail}" if result.detail else line
