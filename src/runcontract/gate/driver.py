"""The lifecycle driver: runs taken through each status the target lets a client reach.

Each scenario creates what it needs through the API's own endpoints (an assistant once, a thread
per scenario), drives one or more runs and reads them back: polling with a deadline, a backoff
and the server's own poll hint, and one more read after a run ends (a finished run must not
change). Every answer goes through the gate's client, which judges it in server order per thread,
so the lifecycle rules see each run's observations in the order they happened. Scenarios run on
several workers at once; each has its own thread, so they never share a run.

The driver keeps going past a non-conformant answer: the judge reports it, and the scenario goes
on with what it can use (a 2xx other than the documented 200 still carries the id it needs; a
target without POST /threads/runs gets a thread, then a run). A run that stops at requires_action
gets outputs for every tool call it asks for, in any scenario. Some breaks only a client that made
the request can know (a run accepted for an assistant that does not exist, a second active run on
one thread, a run that did not inherit its assistant): the driver reports them itself (H020-H026,
contracts/http.yaml).

A scenario that cannot go on (the target refused a request the scenario needs, a timeout, the
budget) stops and says why: coverage the verdict does not have, never a verdict on the API.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from runcontract.catalogue import emits
from runcontract.gate.client import GateClient
from runcontract.gate.judge import Judge, walk_problems
from runcontract.gate.traffic import Exchange, Problem
from runcontract.model import Profile
from runcontract.vocabulary import FAIL_PHRASE, LIVE_STATUSES, LONG_PHRASE, TERMINAL_STATUSES

TERMINAL = TERMINAL_STATUSES
PROBE_TOOL = {
    "type": "function",
    "function": {
        "name": "runcontract_probe",
        "description": "Returns the weather of a city; runcontract's gate answers the call itself.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
FORCE_PROBE = {"type": "function", "function": {"name": "runcontract_probe"}}
INSTRUCTIONS = "You are a test assistant for a conformance check. Answer in one short sentence."
UNKNOWN = "runcontractUnknown000000000"  # never given out: the API must answer 404
PROBE_OUTPUT = '{"weather": "sunny"}'
# How many times one poll answers tool calls before it gives up on the run.
MAX_TOOL_ROUNDS = 5
ACTIVE = LIVE_STATUSES
SCENARIOS = (
    "completed",
    "requires_action",
    "cancelled",
    "stream",
    "incomplete",
    "failed",
    "list pages",
    "unknown ids",
)


class ScenarioStopped(Exception):  # noqa: N818 - a state of the scenario, reported as such
    """The scenario cannot go on; the message says why in the user's words."""

    def __init__(self, message: str, *, could_not_check: bool = True) -> None:
        super().__init__(message)
        self.could_not_check = could_not_check


@dataclass(slots=True)
class ScenarioResult:
    name: str
    outcome: str = "not run"  # "done", "stopped", "skipped"
    detail: str = ""
    statuses: list[str] = field(default_factory=list)  # the statuses its runs were seen in
    could_not_check: bool = False
    seconds: float = 0.0


@dataclass(slots=True)
class Fixtures:
    """What the driver created, handed on to schemathesis so its requests reach real objects."""

    assistant: str | None = None
    # What a run inherits from the assistant when the request does not override it, as the
    # target itself answered for the assistant (None: the gate does not know it).
    model: str | None = None
    instructions: str | None = None
    tools: tuple[tuple[str, str], ...] | None = None
    created_assistant: bool = False
    threads: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)


MIN_RUN_DEADLINE = 20.0  # seconds: no run is given up on sooner, however short the --timeout


@dataclass(frozen=True, slots=True)
class Pace:
    """How the driver waits. Against the in-process server time is a manual clock: no sleep."""

    first_poll: float = 0.5
    max_poll: float = 3.0
    run_deadline: float = 180.0  # the longest one run may take to finish, in seconds


class Driver:
    def __init__(
        self,
        client: GateClient,
        judge: Judge,
        *,
        profile: Profile,
        model: str,
        pace: Pace,
        gate_deadline: float,
    ) -> None:
        self.client = client
        self.judge = judge
        self.profile = profile
        self.model = model
        self.pace = pace
        self.gate_deadline = gate_deadline  # the lifecycle's share of the gate's --timeout
        self.run_deadline = pace.run_deadline
        self.fixtures = Fixtures()
        # Seed-era traffic is v1 traffic on the wire: the seed API took the v1 header.
        beta = Profile.V1 if profile is Profile.SEED else profile
        self.headers = [("OpenAI-Beta", f"assistants={beta.value}")]
        self._reported: set[tuple[str, str]] = set()  # (rule, operation) the driver reported
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] = {}  # run id -> metadata in its create answer

    # -- requests ---------------------------------------------------------------------------------
    def call(
        self,
        scenario: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        query: dict[str, Any] | None = None,
    ) -> Exchange:
        exchange = self.client.request(
            method,
            path,
            origin=f"lifecycle: {scenario}",
            json=json,
            query=query,
            headers=self.headers,
        )
        if exchange.problem is Problem.BUDGET:
            raise ScenarioStopped("not run: the --budget of runs is spent", could_not_check=False)
        if exchange.problem is not None:
            raise ScenarioStopped(f"{exchange.label}: {exchange.problem}: {exchange.detail}")
        return exchange

    def expect(self, exchange: Exchange) -> dict[str, Any]:
        """The JSON object of a 2xx answer the scenario needs; anything else stops the scenario.

        Any 2xx will do: a 201 where the contract gives 200 is the judge's finding (H004), and
        the id the answer carries is all the scenario needs to go on.
        """
        body = exchange.json()
        status = exchange.status or 0
        if 200 <= status < 300 and isinstance(body, dict):
            return body
        if 200 <= status < 300:
            media = exchange.media_type or "no content type"
            what = "a body that is not JSON" if body is None else f"JSON {type(body).__name__}"
            raise ScenarioStopped(
                f"{exchange.label} answered {status} with {what} ({media}); the scenario needs "
                "a JSON object to go on"
            )
        message = ""
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            message = f": {body['error'].get('message')}"
        raise ScenarioStopped(
            f"{exchange.label} answered {status}{message}; the scenario needs a 2xx to go on"
        )

    def report(self, exchange: Exchange, code: str, message: str, path: str = "$") -> None:
        """A break the driver knows because it made the request; once per rule and operation."""
        operation = self.judge.document.match(exchange.method, exchange.path)
        key = (code, operation.operation_id if operation is not None else exchange.label)
        with self._lock:
            if key in self._reported:
                return
            self._reported.add(key)
        self.judge.add(exchange.number, code, message, path)

    @emits("http", "H025")
    def missing(self, exchange: Exchange) -> bool:
        """A documented operation answered 404/405 to a request on ids the API gave out."""
        if exchange.status not in (404, 405):
            return False
        operation = self.judge.document.match(exchange.method, exchange.path)
        name = operation.operation_id if operation is not None else exchange.label
        self.report(
            exchange,
            "H025",
            f"{exchange.label} answered {exchange.status}: the documented operation {name} is "
            "missing (every id in the request was given out by the API)",
        )
        return True

    def wait(self, seconds: float) -> None:
        self.client.pause(seconds)

    # -- building blocks --------------------------------------------------------------------------
    def setup(self, assistant_id: str | None) -> None:
        """The assistant every scenario uses: the one given, or one created for the gate."""
        if assistant_id is not None:
            body = self.expect(self.call("setup", "GET", f"/assistants/{assistant_id}"))
            self.fixtures.assistant = str(body.get("id", assistant_id))
        else:
            body = self.expect(
                self.call(
                    "setup",
                    "POST",
                    "/assistants",
                    json={
                        "model": self.model,
                        "name": "runcontract gate",
                        "instructions": INSTRUCTIONS,
                        "tools": [PROBE_TOOL],
                        "metadata": {"created_by": "runcontract gate"},
                    },
                )
            )
            if not isinstance(body.get("id"), str):
                raise ScenarioStopped("POST /assistants answered without an assistant id")
            self.fixtures.assistant = body["id"]
            self.fixtures.created_assistant = True
        fixtures = self.fixtures
        fixtures.model = body["model"] if isinstance(body.get("model"), str) else None
        instructions = body.get("instructions")
        fixtures.instructions = instructions if isinstance(instructions, str) else None
        tools = body.get("tools")
        fixtures.tools = _tool_names(tools) if isinstance(tools, list) else None

    def thread(self, scenario: str, text: str) -> str:
        body = self.expect(
            self.call(
                scenario, "POST", "/threads", json={"messages": [{"role": "user", "content": text}]}
            )
        )
        thread = str(body["id"])
        self.fixtures.threads.append(thread)
        return thread

    def create_run(self, scenario: str, thread: str, **options: Any) -> dict[str, Any]:
        exchange = self.call(
            scenario,
            "POST",
            f"/threads/{thread}/runs",
            json={"assistant_id": self.fixtures.assistant, **options},
        )
        body = self.expect(exchange)
        self.fixtures.runs.append(str(body["id"]))
        self.inherited(exchange, body, options)
        with self._lock:
            self._metadata[str(body["id"])] = body.get("metadata")
        return body

    @emits("http", "H023")
    def inherited(self, exchange: Exchange, run: dict[str, Any], options: dict[str, Any]) -> None:
        """H023: what the request did not override, the run takes from its assistant."""
        fixtures = self.fixtures
        found: list[str] = []
        model, instructions = run.get("model"), run.get("instructions")
        if "model" not in options and fixtures.model not in (None, model):
            found.append(f"model {model!r}, the assistant's is {fixtures.model!r}")
        if "instructions" not in options and fixtures.instructions not in (None, instructions):
            found.append(
                f"instructions {_short(instructions)}, the assistant's are "
                f"{_short(fixtures.instructions)}"
            )
        if "tools" not in options and fixtures.tools is not None:
            tools = run.get("tools")
            names = _tool_names(tools) if isinstance(tools, list) else None
            if names != fixtures.tools:
                found.append(f"tools {names}, the assistant's are {list(fixtures.tools)}")
        if found:
            self.report(
                exchange,
                "H023",
                "the run was created without overriding them, yet has " + "; ".join(found),
            )

    def poll(self, scenario: str, thread: str, run: str, until: frozenset[str]) -> dict[str, Any]:
        """Read the run until its status is in `until` (or final), within the run deadline.

        A run that asks for tool outputs on the way gets them (whatever functions it calls), so
        a target that calls tools at will still lets its runs end.
        """
        deadline = min(time.monotonic() + self.run_deadline, self.gate_deadline)
        interval = self.pace.first_poll
        rounds = 0
        while True:
            exchange = self.call(scenario, "GET", f"/threads/{thread}/runs/{run}")
            body = self.expect(exchange)
            self.kept_metadata(exchange, run, body)
            status = str(body.get("status"))
            if status in until or status in TERMINAL:
                return body
            if status == "requires_action" and rounds < MAX_TOOL_ROUNDS:
                rounds += 1
                self.answer_tools(scenario, thread, run, body)
                continue
            if time.monotonic() >= deadline:
                raise ScenarioStopped(f"run {run} was still {status} at the deadline")
            hint = exchange.header("openai-poll-after-ms")
            wait = int(hint) / 1000 if hint.isdigit() else interval
            self.wait(min(max(wait, 0.01), self.pace.max_poll))
            interval = min(interval * 1.5, self.pace.max_poll)

    @emits("http", "H022")
    def kept_metadata(self, exchange: Exchange, run: str, body: dict[str, Any]) -> None:
        """H022: the first read of a run keeps the metadata its create answer had."""
        with self._lock:
            if run not in self._metadata:
                return
            created = self._metadata.pop(run)
        if "metadata" in body and body.get("metadata") != created:
            self.report(
                exchange,
                "H022",
                f"metadata was {_short(created)} in the create answer and is "
                f"{_short(body.get('metadata'))} on the next read, with no modify between",
                "$.metadata",
            )

    def answer_tools(self, scenario: str, thread: str, run: str, state: dict[str, Any]) -> None:
        """Submit an output for every tool call the run asks for."""
        exchange = self.call(
            scenario,
            "POST",
            f"/threads/{thread}/runs/{run}/submit_tool_outputs",
            json={"tool_outputs": _outputs(state)},
        )
        if self.missing(exchange):
            raise ScenarioStopped(
                f"run {run} requires action and the target does not take tool outputs "
                f"({exchange.label} answered {exchange.status})"
            )
        self.expect(exchange)

    def settle(self, scenario: str, thread: str, run: str) -> dict[str, Any]:
        """One more read after the run ended: a finished run must read the same."""
        self.wait(self.pace.first_poll)
        return self.expect(self.call(scenario, "GET", f"/threads/{thread}/runs/{run}"))

    def stream(self, scenario: str, path: str, body: dict[str, Any]) -> tuple[str, list[str]]:
        """Send a stream request: the run it is about, and the statuses its events carried."""
        exchange = self.call(scenario, "POST", path, json={**body, "stream": True})
        statuses = self.streamed(exchange)
        results = [r for r in self.judge.verdicts[exchange.number].results if r.run_id]
        run = str(results[0].run_id)
        if run not in self.fixtures.runs:
            self.fixtures.runs.append(run)
        return run, statuses

    def streamed(self, exchange: Exchange) -> list[str]:
        """The statuses the run events of a stream answer carried; none stops the scenario."""
        status = exchange.status or 0
        if not 200 <= status < 300:
            self.expect(exchange)
        results = [r for r in self.judge.verdicts[exchange.number].results if r.run_id]
        if not results:
            media = exchange.media_type or "no content type"
            raise ScenarioStopped(
                f"{exchange.label} with stream: true answered {status} ({media}) without run "
                "events; the scenario needs them to go on"
            )
        return [r.status for r in results if r.status is not None]

    # -- scenarios --------------------------------------------------------------------------------
    def completed(self, result: ScenarioResult) -> None:
        name = result.name
        thread = self.thread(name, "Reply with the single word: ok.")
        run = self.create_run(name, thread)["id"]
        final = self.poll(name, thread, run, TERMINAL)
        result.statuses.append(final["status"])
        self.settle(name, thread, run)
        self.expect(self.call(name, "GET", f"/threads/{thread}/runs"))
        steps = self.expect(self.call(name, "GET", f"/threads/{thread}/runs/{run}/steps"))
        for step in steps.get("data") or []:
            if isinstance(step, dict) and isinstance(step.get("id"), str):
                self.fixtures.steps.append(step["id"])
                self.call(name, "GET", f"/threads/{thread}/runs/{run}/steps/{step['id']}")
        # A finished run takes neither tool outputs nor a cancellation: the contract says 400,
        # and the lifecycle rules judge any run the API sends back instead (L008, L002).
        self.missing(
            self.call(
                name,
                "POST",
                f"/threads/{thread}/runs/{run}/submit_tool_outputs",
                json={
                    "tool_outputs": [{"tool_call_id": "call_runcontractNotAsked", "output": "x"}]
                },
            )
        )
        self.missing(self.call(name, "POST", f"/threads/{thread}/runs/{run}/cancel"))
        self.call(name, "GET", f"/threads/{thread}/runs/{run}")

    def requires_action(self, result: ScenarioResult) -> None:
        name = result.name
        text = "Call runcontract_probe for Paris."
        forced = {"tools": [PROBE_TOOL], "tool_choice": FORCE_PROBE}
        exchange = self.call(
            name,
            "POST",
            "/threads/runs",
            json={
                "assistant_id": self.fixtures.assistant,
                "thread": {"messages": [{"role": "user", "content": text}]},
                **forced,
            },
        )
        if self.missing(exchange):
            # The rest of the scenario does not need the one-call form: a thread, then a run.
            thread = self.thread(name, text)
            run = str(self.create_run(name, thread, **forced)["id"])
        else:
            body = self.expect(exchange)
            thread, run = str(body["thread_id"]), str(body["id"])
            self.fixtures.threads.append(thread)
            self.fixtures.runs.append(run)
            self.inherited(exchange, body, forced)
        state = self.poll(name, thread, run, frozenset({"requires_action"}))
        result.statuses.append(state["status"])
        if state["status"] != "requires_action":
            raise ScenarioStopped(
                f"run {run} ended {state['status']} without requiring action, although "
                "tool_choice named the function",
                could_not_check=False,
            )
        submit = f"/threads/{thread}/runs/{run}/submit_tool_outputs"
        exchange = self.call(
            name, "POST", submit, json={"tool_outputs": _outputs(state), "stream": True}
        )
        if self.missing(exchange):
            raise ScenarioStopped(
                f"run {run} requires action and the target does not take tool outputs "
                f"({exchange.label} answered {exchange.status})"
            )
        result.statuses.extend(self.streamed(exchange))
        final = self.poll(name, thread, run, TERMINAL)
        result.statuses.append(final["status"])
        self.settle(name, thread, run)

    @emits("http", "H026")
    def cancelled(self, result: ScenarioResult) -> None:
        name = result.name
        thread = self.thread(name, "Write a long story about a lighthouse keeper.")
        run = str(self.create_run(name, thread)["id"])
        self.second_run(name, thread, run)
        exchange = self.call(name, "POST", f"/threads/{thread}/runs/{run}/cancel")
        status = exchange.status or 0
        if status >= 500:
            after = self.expect(self.call(name, "GET", f"/threads/{thread}/runs/{run}"))
            if after.get("status") in ACTIVE:
                # Still active after the failure, so it was active when the cancel came.
                self.report(
                    exchange,
                    "H026",
                    f"cancel of run {run} answered {status}; the run was {after.get('status')} "
                    "and the contract answers 200 with the run cancelling",
                )
            result.detail = f"cancel answered {status}"
        elif not self.missing(exchange) and not 200 <= status < 300:
            # The run may have finished before the cancellation arrived: the contract's 400.
            result.detail = f"cancel answered {status}; the run had finished"
        final = self.poll(name, thread, run, TERMINAL)
        result.statuses.append(final["status"])
        self.settle(name, thread, run)

    @emits("http", "H021")
    def second_run(self, name: str, thread: str, first: str) -> None:
        """H021: a thread takes no second run while one is active (the real API's 400)."""
        exchange = self.call(
            name,
            "POST",
            f"/threads/{thread}/runs",
            json={"assistant_id": self.fixtures.assistant},
        )
        status = exchange.status or 0
        if not 200 <= status < 300:
            return
        body = exchange.json()
        second = body.get("id") if isinstance(body, dict) else None
        if isinstance(second, str):
            self.fixtures.runs.append(second)
        # A finished run never becomes active again: if the first run is active after the
        # second was accepted, it was active when the second was asked for.
        now = self.expect(self.call(name, "GET", f"/threads/{thread}/runs/{first}"))
        if now.get("status") in ACTIVE:
            self.report(
                exchange,
                "H021",
                f"a second run ({second}) was accepted on thread {thread} while run {first} "
                f"was {now.get('status')}",
            )
        if isinstance(second, str):
            self.call(name, "POST", f"/threads/{thread}/runs/{second}/cancel")

    def stream_scenario(self, result: ScenarioResult) -> None:
        name = result.name
        thread = self.thread(name, "Reply with the single word: streamed.")
        run, statuses = self.stream(
            name, f"/threads/{thread}/runs", {"assistant_id": self.fixtures.assistant}
        )
        result.statuses.extend(statuses)
        final = self.poll(name, thread, run, TERMINAL)
        result.statuses.append(final["status"])
        self.settle(name, thread, run)

    def incomplete(self, result: ScenarioResult) -> None:
        name = result.name
        thread = self.thread(
            name,
            f"{LONG_PHRASE} Write a detailed essay of at least 1500 words on the history of tea.",
        )
        run = self.create_run(name, thread, max_completion_tokens=256)["id"]
        final = self.poll(name, thread, run, TERMINAL)
        result.statuses.append(final["status"])
        self.settle(name, thread, run)

    def failed(self, result: ScenarioResult) -> None:
        # The reference server fails a run on this phrase; other targets end it as they will.
        name = result.name
        thread = self.thread(name, f"{FAIL_PHRASE} Reply with the single word: failed.")
        run = self.create_run(name, thread)["id"]
        final = self.poll(name, thread, run, TERMINAL)
        result.statuses.append(final["status"])
        self.settle(name, thread, run)

    @emits("http", "H001")
    def list_pages(self, result: ScenarioResult) -> None:
        """Three runs on one thread, paged through in both orders, by both cursors."""
        name = result.name
        thread = self.thread(name, "Reply with the single word: listed.")
        created: list[str] = []
        for _ in range(3):
            run = self.create_run(name, thread)["id"]
            self.call(name, "POST", f"/threads/{thread}/runs/{run}/cancel")
            result.statuses.append(self.poll(name, thread, run, TERMINAL)["status"])
            created.append(run)
        newest_first = list(reversed(created))
        for order, expected in (("desc", newest_first), ("asc", created)):
            self.page_walk(name, thread, order, 100, expected)
            self.page_walk(name, thread, order, 1, expected)
            self.page_walk(name, thread, order, 2, expected)
        exchange = self.call(
            name,
            "GET",
            f"/threads/{thread}/runs",
            query={"order": "asc", "limit": 1, "before": created[2]},
        )
        page = self.expect(exchange)
        got = [item.get("id") for item in page.get("data") or [] if isinstance(item, dict)]
        if got != [created[1]]:
            self.judge.add(
                exchange.number,
                "H001",
                f"order=asc, limit=1, before={created[2]} gave {got}, not [{created[1]}]",
                "$.data",
            )
        # Parameters the document forbids: the contract's answer is 400, and the judge reports a
        # 2xx to them (H012), so a server that ignores them is seen whatever the phases send.
        for query in ({"order": "sideways"}, {"limit": 0}, {"limit": 101}):
            self.call(name, "GET", f"/threads/{thread}/runs", query=query)

    @emits("http", "H001")
    def page_walk(
        self, name: str, thread: str, order: str, limit: int, expected: list[str]
    ) -> None:
        seen: list[str] = []
        after: str | None = None
        last = 0
        for _ in range(len(expected) + 2):
            query: dict[str, Any] = {"order": order, "limit": limit}
            if after is not None:
                query["after"] = after
            exchange = self.call(name, "GET", f"/threads/{thread}/runs", query=query)
            last = exchange.number
            page = self.expect(exchange)
            ids = [str(item.get("id")) for item in page.get("data") or [] if isinstance(item, dict)]
            for problem in walk_problems(seen, ids, expected, order=order, limit=limit, page=page):
                self.judge.add(exchange.number, "H001", problem, "$.data")
            seen.extend(ids)
            if page.get("has_more") is not True or not ids:
                break
            after = str(page.get("last_id") or ids[-1])
        missing = [run for run in expected if run not in seen]
        if missing:
            self.judge.add(
                last,
                "H001",
                f"walking order={order} limit={limit} by after-cursors never reached "
                f"{', '.join(missing)}",
                "$.has_more",
            )

    @emits("http", "H024", "H020")
    def unknown_ids(self, result: ScenarioResult) -> None:
        """Ids the API never gave out: the contract's answer is 404 with an ErrorResponse."""
        name = result.name
        thread = self.thread(name, "Reply with the single word: unknown.")
        for method, path in (
            ("GET", f"/threads/{thread}/runs/run_{UNKNOWN}"),
            ("POST", f"/threads/{thread}/runs/run_{UNKNOWN}/cancel"),
            ("GET", f"/threads/thread_{UNKNOWN}/runs"),
            ("GET", f"/threads/{thread}/runs/run_{UNKNOWN}/steps"),
        ):
            exchange = self.call(name, method, path)
            status = exchange.status or 0
            if 200 <= status < 300:
                self.report(
                    exchange,
                    "H024",
                    f"{exchange.label} answered {status} for an id the API never gave out; "
                    "the contract answers 404",
                )
        exchange = self.call(
            name, "POST", f"/threads/{thread}/runs", json={"assistant_id": f"asst_{UNKNOWN}"}
        )
        status = exchange.status or 0
        if 200 <= status < 300:
            body = exchange.json()
            run = body.get("id") if isinstance(body, dict) else None
            self.report(
                exchange,
                "H020",
                f"a run ({run}) was created for assistant asst_{UNKNOWN}, which does not exist; "
                "the real API answers 404",
                "$.assistant_id",
            )
            if isinstance(run, str):
                self.fixtures.runs.append(run)
                self.call(name, "POST", f"/threads/{thread}/runs/{run}/cancel")

    def scenarios(self) -> list[tuple[str, Callable[[ScenarioResult], None]]]:
        steps = (
            self.completed,
            self.requires_action,
            self.cancelled,
            self.stream_scenario,
            self.incomplete,
            self.failed,
            self.list_pages,
            self.unknown_ids,
        )
        return list(zip(SCENARIOS, steps, strict=True))

    def run_all(
        self, workers: int, progress: Callable[[ScenarioResult], None]
    ) -> list[ScenarioResult]:
        chosen = self.scenarios()
        results = [ScenarioResult(name) for name, _ in chosen]
        # The scenarios share what is left before the deadline: a target whose runs never move
        # (one that keeps them queued) costs each run its share, not the whole --timeout, so
        # every scenario and the phases after them still get their turn.
        rounds = math.ceil(len(chosen) / max(1, workers))
        span = self.gate_deadline - time.monotonic()
        self.run_deadline = min(self.pace.run_deadline, max(MIN_RUN_DEADLINE, span / rounds))

        def one(index: int) -> ScenarioResult:
            result = results[index]
            started = time.monotonic()
            if started >= self.gate_deadline:
                result.outcome = "stopped"
                result.detail = "not run: the lifecycle's share of --timeout was spent"
                result.could_not_check = True
                progress(result)
                return result
            try:
                chosen[index][1](result)
                result.outcome = "done"
            except ScenarioStopped as stop:
                result.outcome = "stopped" if stop.could_not_check else "skipped"
                result.detail = str(stop)
                result.could_not_check = stop.could_not_check
            except (KeyError, TypeError, AttributeError, ValueError) as exc:
                # An answer too broken to go on from (a run without an id): its violations
                # are judged already; the scenario itself could not finish.
                result.outcome = "stopped"
                result.detail = f"an answer could not be used: {type(exc).__name__}: {exc}"
                result.could_not_check = True
            result.seconds = time.monotonic() - started
            progress(result)
            return result

        with ThreadPoolExecutor(
            max_workers=max(1, workers), thread_name_prefix="gate-driver"
        ) as pool:
            list(pool.map(one, range(len(chosen))))
        return results

    def cleanup(self) -> None:
        """Remove what the gate created on a remote target (best effort, never judged)."""
        for thread in self.fixtures.threads:
            self.client.request(
                "DELETE", f"/threads/{thread}", origin="cleanup", headers=self.headers
            )
        if self.fixtures.created_assistant and self.fixtures.assistant:
            self.client.request(
                "DELETE",
                f"/assistants/{self.fixtures.assistant}",
                origin="cleanup",
                headers=self.headers,
            )


def _outputs(state: dict[str, Any]) -> list[dict[str, str]]:
    """An output for every tool call a run asks for, whatever function it names."""
    action = state.get("required_action")
    submit = action.get("submit_tool_outputs") if isinstance(action, dict) else None
    calls = submit.get("tool_calls") if isinstance(submit, dict) else None
    return [
        {"tool_call_id": call["id"], "output": PROBE_OUTPUT}
        for call in calls or []
        if isinstance(call, dict) and isinstance(call.get("id"), str)
    ]


def _tool_names(tools: list[Any]) -> tuple[tuple[str, str], ...]:
    """Tools by type and function name: the API adds defaults to a tool's other fields."""
    names = []
    for tool in tools:
        if not isinstance(tool, dict):
            names.append(("?", ""))
            continue
        function = tool.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        names.append((str(tool.get("type")), str(name) if name is not None else ""))
    return tuple(names)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
