"""The catalogue of fault modes: each makes the server misbehave in one way, as a rule forbids.

A fault is a small transformation applied at one well-defined hook of the server, so the honest
code path never asks which faults are on:

    render_run     a run object about to be sent (every response and every stream event)
    order_page     the data of a list page, before its cursors are computed
    unknown_id     the error answered for an id the server does not know
    stream_event   the name of a server-sent event carrying a run
    refuse_tool_outputs
                   the 400 for tool outputs sent to a run that does not require them
    incoming_id    an id a client sends back (so a fault that renames ids keeps flows working)
    serves         whether an operation (by its operationId) exists at all
    created_status the status code of an answer that creates an object
    invalid_parameter
                   the 400 for an invalid list parameter (limit, order, after, before)
    error_body     the JSON body of an error answer
    list_page      a list answer, envelope and all
    unknown_assistant
                   the assistant a run gets when its assistant_id is unknown (none: 404)
    second_active_run
                   the 400 for a run created on a thread that already has an active run
    refuse_cancel  the error answered instead of cancelling a live run (none: cancel it)
    overrides_cancel
                   whether a cancelling run goes back to work instead of ending cancelled
    steps_of_unknown_run
                   the error for listing the steps of a run the server does not know
    run_defaults   what a run takes from its assistant when the request does not override it
    plan_run       what the simulated model will do in a run (which functions it calls)

Faults that need time (a value that moves between observations) count steps of the executor:
`steps_since_created` and `steps_since_terminal` of the run being rendered.

Each fault trips the rule named by `rule` and, as far as the rules allow, nothing outside that
rule's family, so the fault-by-rule matrix stays clean. Some faults reproduce what third-party
servers were seen doing (issue 9); a break that no rule of contracts/ names yet has `rule` None,
and its docstring says what the gate should flag (random-tool-calls breaks nothing: the gate
has to cope with it).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from runcontract.errors import RuncontractError
from runcontract.model import Profile
from runcontract.server.errors import (
    ApiError,
    ToolOutputsRefusedError,
    UnknownIdError,
    internal_error,
)
from runcontract.server.executor import function_names
from runcontract.server.objects import render_usage
from runcontract.server.store import Assistant, JSONDict, Plan, Run, Usage
from runcontract.vocabulary import LIVE_STATUSES, TERMINAL_STATUSES, TERMINAL_TIMESTAMPS

TIMESTAMP_KEYS = (
    "created_at",
    "started_at",
    "expires_at",
    "cancelled_at",
    "failed_at",
    "completed_at",
)
TERMINAL_TIMESTAMP_KEYS = TERMINAL_TIMESTAMPS
LIVE, TERMINAL = LIVE_STATUSES, TERMINAL_STATUSES


class UnknownFaultError(RuncontractError, ValueError):
    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        valid = ", ".join(sorted(CATALOGUE))
        super().__init__(
            f"unknown fault {', '.join(repr(n) for n in names)}; valid faults: {valid}"
        )


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What a render hook may know: the run as it is, the moment, and the executor's pace."""

    run: Run
    now: float
    step_seconds: float
    profile: Profile
    answers_create: bool = False  # this is the answer to the request that created the run

    def _steps(self, since: float) -> int:
        unit = self.step_seconds if self.step_seconds > 0 else 1.0
        return max(0, int((self.now - since) / unit + 1e-9))

    @property
    def steps_since_created(self) -> int:
        return self._steps(self.run.created)

    @property
    def steps_since_terminal(self) -> int | None:
        since = self.run.terminal_since
        return None if since is None else self._steps(since)


@dataclass(frozen=True, slots=True)
class RunDefaults:
    """What a run takes from its assistant for each of these the request leaves out."""

    model: str
    instructions: str | None
    tools: list[JSONDict]


class Fault:
    """The identity at every hook; a fault overrides the one hook it needs."""

    name: ClassVar[str]
    rule: ClassVar[str | None]  # None: no rule of contracts/ names the break yet
    description: ClassVar[str]

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        return body

    def order_page(self, data: list[JSONDict], order: str) -> list[JSONDict]:
        return data

    def unknown_id(self, error: ApiError) -> ApiError:
        return error

    def stream_event(self, name: str, body: JSONDict) -> str:
        return name

    def refuse_tool_outputs(self, error: ToolOutputsRefusedError) -> ApiError | None:
        """The error to answer, or None to accept the outputs (and ignore them)."""
        return error

    def incoming_id(self, object_id: str) -> str:
        return object_id

    def serves(self, operation: str) -> bool:
        return True

    def created_status(self, status: int) -> int:
        return status

    def invalid_parameter(self, error: ApiError) -> ApiError | None:
        """The error to answer, or None to ignore the parameter (as if it were not sent)."""
        return error

    def error_body(self, body: JSONDict, error: ApiError) -> JSONDict:
        return body

    def list_page(self, page: JSONDict) -> JSONDict:
        return page

    def unknown_assistant(self, assistant_id: str, created_at: int) -> Assistant | None:
        """The assistant to run with, or None to answer 404."""
        return None

    def second_active_run(self, error: ApiError) -> ApiError | None:
        """The error to answer, or None to create the run anyway."""
        return error

    def refuse_cancel(self, run: Run) -> ApiError | None:
        return None

    def overrides_cancel(self, run: Run) -> bool:
        return False

    def steps_of_unknown_run(self, error: UnknownIdError) -> ApiError | None:
        """The error to answer, or None to answer an empty list."""
        return error

    def run_defaults(self, defaults: RunDefaults, assistant: Assistant) -> RunDefaults:
        return defaults

    def plan_run(
        self,
        plan: Plan,
        tools: Sequence[Mapping[str, Any]],
        tool_choice: Any,
        chance: random.Random,
    ) -> Plan:
        return plan


CATALOGUE: dict[str, type[Fault]] = {}


def fault(cls: type[Fault]) -> type[Fault]:
    if cls.name in CATALOGUE:
        raise ValueError(f"fault {cls.name!r} is defined twice")
    CATALOGUE[cls.name] = cls
    return cls


def _usage_of(body: JSONDict) -> dict[str, Any] | None:
    usage = body.get("usage")
    return usage if isinstance(usage, dict) else None


# -- timestamps ----------------------------------------------------------------------------------
@fault
class CompletedBeforeStarted(Fault):
    name = "completed-before-started"
    rule = "T002"
    description = "a completed run's completed_at is one second before its started_at"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        if body.get("status") == "completed" and isinstance(body.get("started_at"), int):
            body["completed_at"] = body["started_at"] - 1
        return body


@fault
class TimestampsInMilliseconds(Fault):
    """Seen on a third-party server (issue 9): T001 and T003 follow from it on every run."""

    name = "timestamps-in-milliseconds"
    rule = "T006"
    description = "every *_at timestamp is sent in milliseconds instead of seconds"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        for key in TIMESTAMP_KEYS:
            if isinstance(body.get(key), int):
                body[key] *= 1000
        return body


@fault
class ExpiresBeforeCreated(Fault):
    name = "expires-before-created"
    rule = "T004"
    description = "a live run's expires_at is one second before its created_at"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        if body.get("expires_at") is not None:
            body["expires_at"] = body["created_at"] - 1
        return body


# -- consistency ---------------------------------------------------------------------------------
@fault
class RequiredActionWithoutStatus(Fault):
    name = "required-action-without-status"
    rule = "C001"
    description = "a queued or in_progress run carries a required_action (with no tool calls)"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        if body.get("status") in ("queued", "in_progress"):
            body["required_action"] = {
                "type": "submit_tool_outputs",
                "submit_tool_outputs": {"tool_calls": []},
            }
        return body


@fault
class StatusWithoutTimestamp(Fault):
    name = "status-without-timestamp"
    rule = "C005"
    description = "a completed run has completed_at null"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        if body.get("status") == "completed":
            body["completed_at"] = None
        return body


@fault
class FailedWithoutError(Fault):
    name = "failed-without-error"
    rule = "C003"
    description = "a failed run has last_error null"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        if body.get("status") == "failed":
            body["last_error"] = None
        return body


# -- usage ---------------------------------------------------------------------------------------
@fault
class UsageWhileInProgress(Fault):
    name = "usage-while-in-progress"
    rule = "U001"
    description = "an in_progress run already reports usage (prompt tokens so far)"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        if body.get("status") == "in_progress":
            body["usage"] = render_usage(Usage(42, 0), ctx.profile)
        return body


@fault
class UsageDoesNotAddUp(Fault):
    name = "usage-does-not-add-up"
    rule = "U002"
    description = "usage.total_tokens is one more than prompt_tokens + completion_tokens"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        usage = _usage_of(body)
        if usage is not None:
            usage["total_tokens"] += 1
        return body


@fault
class NegativeTokenCount(Fault):
    name = "negative-token-count"
    rule = "U003"
    description = "usage.completion_tokens is negative (and total_tokens follows it)"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        usage = _usage_of(body)
        if usage is not None:
            usage["completion_tokens"] = -max(1, usage["completion_tokens"])
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        return body


# -- metadata ------------------------------------------------------------------------------------
@fault
class MetadataTooManyKeys(Fault):
    name = "metadata-too-many-keys"
    rule = "M001"
    description = "a run's metadata has 17 keys"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        metadata = dict(body.get("metadata") or {})
        index = 0
        while len(metadata) < 17:
            metadata.setdefault(f"extra_{index}", "x")
            index += 1
        body["metadata"] = metadata
        return body


@fault
class MetadataKeyTooLong(Fault):
    name = "metadata-key-too-long"
    rule = "M002"
    description = "a run's metadata has a key of 65 characters"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        body["metadata"] = {**(body.get("metadata") or {}), "k" * 65: "x"}
        return body


# -- tools ---------------------------------------------------------------------------------------
def _tool_calls(body: JSONDict) -> list[JSONDict]:
    action = body.get("required_action")
    if not isinstance(action, dict):
        return []
    calls = action.get("submit_tool_outputs", {}).get("tool_calls")
    return calls if isinstance(calls, list) else []


@fault
class UnknownToolFunction(Fault):
    name = "unknown-tool-function"
    rule = "F002"
    description = "a required tool call names a function the run does not have"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        for call in _tool_calls(body):
            call["function"]["name"] = "no_such_function"
        return body


@fault
class BadFunctionName(Fault):
    name = "bad-function-name"
    rule = "F001"
    description = "function names (in tools and tool calls) end with '!', outside [a-zA-Z0-9_-]"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        for tool in body.get("tools") or []:
            if tool.get("type") == "function":
                tool["function"] = {**tool["function"], "name": tool["function"]["name"] + "!"}
        for call in _tool_calls(body):
            call["function"]["name"] += "!"
        return body


# -- ids -----------------------------------------------------------------------------------------
@fault
class BadIdPrefix(Fault):
    name = "bad-id-prefix"
    rule = "I001"
    description = "run ids start with 'run-' instead of 'run_' (a warning; ids sent back work)"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        if isinstance(body.get("id"), str) and body["id"].startswith("run_"):
            body["id"] = "run-" + body["id"][4:]
        return body

    def incoming_id(self, object_id: str) -> str:
        return "run_" + object_id[4:] if object_id.startswith("run-") else object_id


# -- lifecycle -----------------------------------------------------------------------------------
@fault
class FinishedRunChangesStatus(Fault):
    name = "finished-run-changes-status"
    rule = "L002"
    description = "a completed run reads as expired (completed_at null) one step later"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        later = ctx.steps_since_terminal
        if body.get("status") == "completed" and later is not None and later >= 1:
            body["status"] = "expired"
            body["completed_at"] = None
        return body


@fault
class CreatedAtMoves(Fault):
    name = "created-at-moves"
    rule = "L003"
    description = "created_at goes back one second with every step of the run"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        body["created_at"] -= ctx.steps_since_created
        return body


@fault
class TerminalTimestampChanges(Fault):
    name = "terminal-timestamp-changes"
    rule = "L004"
    description = "a finished run's completed/failed/cancelled_at moves on with every step"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        later = ctx.steps_since_terminal
        if later:
            for key in TERMINAL_TIMESTAMP_KEYS:
                if isinstance(body.get(key), int):
                    body[key] += later
        return body


@fault
class StartedAtMovesBack(Fault):
    name = "started-at-moves-back"
    rule = "L005"
    description = "started_at reads one second later while the run is live than once it ends"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        if body.get("status") in LIVE and isinstance(body.get("started_at"), int):
            body["started_at"] += 1
        return body


@fault
class ExpiresAtMoves(Fault):
    name = "expires-at-moves"
    rule = "L006"
    description = "a live run's expires_at moves one second later with every step"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        if isinstance(body.get("expires_at"), int):
            body["expires_at"] += ctx.steps_since_created
        return body


@fault
class UsageChangesAfterTerminal(Fault):
    name = "usage-changes-after-terminal"
    rule = "L007"
    description = "a finished run's usage grows by one completion token with every step"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        later = ctx.steps_since_terminal
        usage = _usage_of(body)
        if later and usage is not None:
            usage["completion_tokens"] += later
            usage["total_tokens"] += later
        return body


@fault
class ToolOutputsIgnored(Fault):
    name = "tool-outputs-ignored"
    rule = "L008"
    description = "tool outputs for a run that does not require them get 200 (ignored), not 400"

    def refuse_tool_outputs(self, error: ToolOutputsRefusedError) -> ApiError | None:
        return None


@fault
class WrongStreamEvent(Fault):
    name = "wrong-stream-event"
    rule = "L009"
    description = "streams name the event of an in_progress run thread.run.queued"

    def stream_event(self, name: str, body: JSONDict) -> str:
        if body.get("object") == "thread.run" and body.get("status") == "in_progress":
            return "thread.run.queued"
        return name


# -- HTTP (checked by the gate) ------------------------------------------------------------------
@fault
class ListOutOfOrder(Fault):
    name = "list-out-of-order"
    rule = "H001"
    description = "list pages come in the opposite order to the one asked for"

    def order_page(self, data: list[JSONDict], order: str) -> list[JSONDict]:
        return list(reversed(data))


@fault
class ServerErrorOnUnknownId(Fault):
    name = "server-error-on-unknown-id"
    rule = "H002"
    description = "an unknown id gets 500 server_error instead of 404"

    def unknown_id(self, error: ApiError) -> ApiError:
        return internal_error()


# -- schema --------------------------------------------------------------------------------------
@fault
class MissingRequiredField(Fault):
    name = "missing-required-field"
    rule = "S001"
    description = "run objects lack the required key 'model'"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        body.pop("model", None)
        return body


# -- seen on third-party servers (issue 9) -------------------------------------------------------
# Each reproduces one behaviour the gate met on an open-source Assistants server. Where no rule of
# contracts/ names the break yet, `rule` is None and the docstring says what the gate should flag.
# Operations are named by the spec's operationId (its own spelling: submitToolOuputsToRun).
@fault
class CreateAnswers201(Fault):
    """openai-responses answers 201 to every create; the document lists only 200 for them."""

    name = "create-answers-201"
    rule = "H004"
    description = "every create (assistant, thread, message, run, thread and run) answers 201"

    def created_status(self, status: int) -> int:
        return 201


@fault
class NoThreadAndRun(Fault):
    """FakeAI has no POST /threads/runs: a documented operation missing (404 for its own
    path). The gate goes on with create thread, then run."""

    name = "no-thread-and-run"
    rule = "H025"
    description = "POST /threads/runs (create thread and run) is missing: 404 Invalid URL"

    def serves(self, operation: str) -> bool:
        return operation != "createThreadAndRun"


@fault
class NoSubmitToolOutputs(Fault):
    """A documented operation missing (submit_tool_outputs, 404), so a run that requires
    action can never go on."""

    name = "no-submit-tool-outputs"
    rule = "H025"
    description = "POST .../submit_tool_outputs is missing: 404 Invalid URL"

    def serves(self, operation: str) -> bool:
        return operation != "submitToolOuputsToRun"


@fault
class LenientParameters(Fault):
    """The document bounds limit to 1-100 and order to asc|desc; the real API answers 400."""

    name = "lenient-parameters"
    rule = "H012"
    description = (
        "invalid list parameters (order=AAA, limit=0, limit=1000, an unknown after/before) "
        "are ignored, not answered 400"
    )

    def invalid_parameter(self, error: ApiError) -> ApiError | None:
        return None


@fault
class CancelOverridden(Fault):
    """FakeAI's executor overrides a cancel: cancelling -> in_progress -> completed, with
    cancelled_at set from the cancel on (so T005 and C006 follow the L001, and T002 when the
    run was cancelled while queued: it starts after its cancelled_at)."""

    name = "cancel-overridden"
    rule = "L001"
    description = (
        "a cancelled run goes cancelling -> in_progress -> completed, cancelled_at set from "
        "the cancel on"
    )

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        asked = ctx.run.cancel_requested_at
        if asked is not None and body.get("cancelled_at") is None:
            body["cancelled_at"] = asked
        return body

    def overrides_cancel(self, run: Run) -> bool:
        return True


@fault
class CancelServerError(Fault):
    """A 5xx to the cancel of a live run (the real API answers 200 with the run
    cancelling)."""

    name = "cancel-server-error"
    rule = "H026"
    description = "the cancel of a live run answers 500 server_error (and the run goes on)"

    def refuse_cancel(self, run: Run) -> ApiError | None:
        return internal_error()


@fault
class ToolsNotInherited(Fault):
    """Found because the gate made the request: a run whose tools, model or instructions are
    not its assistant's although the request did not override them."""

    name = "tools-not-inherited"
    rule = "H023"
    description = (
        "a run not given tools/instructions/model gets no tools, null instructions and "
        "another model, not its assistant's"
    )

    def run_defaults(self, defaults: RunDefaults, assistant: Assistant) -> RunDefaults:
        model = "gpt-3.5-turbo" if assistant.model != "gpt-3.5-turbo" else "gpt-4o"
        return RunDefaults(model=model, instructions=None, tools=[])


@fault
class AnyAssistantAccepted(Fault):
    """Found because the gate made the request: a run created for an assistant id the
    server never gave out (the real API answers 404 "No assistant found with id ...")."""

    name = "any-assistant-accepted"
    rule = "H020"
    description = "a run for an assistant id that does not exist is created, not answered 404"

    def unknown_assistant(self, assistant_id: str, created_at: int) -> Assistant | None:
        return Assistant(id=assistant_id, created_at=created_at, model="gpt-4o")


@fault
class SecondActiveRunAccepted(Fault):
    """Found because the gate made the request: a second active run on one thread (the real
    API answers 400 "Thread ... already has an active run ...")."""

    name = "second-active-run-accepted"
    rule = "H021"
    description = "a run on a thread that already has an active run is created, not 400"

    def second_active_run(self, error: ApiError) -> ApiError | None:
        return None


@fault
class DetailErrors(Fault):
    """FastAPI's default error shape, as FakeAI and others answer."""

    name = "detail-errors"
    rule = "H003"
    description = 'error answers are {"detail": "..."} instead of {"error": {...}}'

    def error_body(self, body: JSONDict, error: ApiError) -> JSONDict:
        return {"detail": error.message}


@fault
class MetadataDropped(Fault):
    """Found because the gate made the request: metadata {} given on create (the create
    answer echoes it) reads back as null with no modify between."""

    name = "metadata-dropped"
    rule = "H022"
    description = "a run's empty metadata reads as null after the answer that created it"

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        if body.get("metadata") == {} and not ctx.answers_create:
            body["metadata"] = None
        return body


@fault
class StepsOfUnknownRun(Fault):
    """Found because the gate made the request: the steps of a run that does not exist
    listed with 200 (the real API answers 404)."""

    name = "steps-of-unknown-run"
    rule = "H024"
    description = "listing the steps of an unknown run answers 200 with an empty list, not 404"

    def steps_of_unknown_run(self, error: UnknownIdError) -> ApiError | None:
        return None


@fault
class ListWithoutObject(Fault):
    """openai-responses leaves out the list envelope's "object": "list"."""

    name = "list-without-object"
    rule = "H006"
    description = 'list answers lack "object": "list"'

    def list_page(self, page: JSONDict) -> JSONDict:
        page.pop("object", None)
        return page


@fault
class RandomToolCalls(Fault):
    """FakeAI's model calls a tool at random. No rule is broken (a model may call a tool it
    has); the gate must answer the call and finish the scenario with a verdict."""

    name = "random-tool-calls"
    rule = None
    description = (
        "about a third of runs that call no function call one of theirs, drawn at random "
        "(seeded), and require action"
    )

    def plan_run(
        self,
        plan: Plan,
        tools: Sequence[Mapping[str, Any]],
        tool_choice: Any,
        chance: random.Random,
    ) -> Plan:
        names = function_names(tools)
        if plan.calls or not names or tool_choice == "none":
            return plan
        if chance.random() >= 1 / 3:
            return plan
        return replace(plan, calls=[chance.choice(names)])


@dataclass(frozen=True, slots=True)
class FaultInfo:
    name: str
    rule: str | None
    description: str


def list_faults() -> list[FaultInfo]:
    return [FaultInfo(c.name, c.rule, c.description) for c in CATALOGUE.values()]


class FaultSet:
    """The faults switched on, applied in the order given; with none, every hook is the identity."""

    def __init__(self, names: Iterable[str] = (), *, seed: int = 0) -> None:
        names = list(dict.fromkeys(names))
        unknown = [name for name in names if name not in CATALOGUE]
        if unknown:
            raise UnknownFaultError(unknown)
        self.faults: tuple[Fault, ...] = tuple(CATALOGUE[name]() for name in names)
        # Faults that draw at random draw from this, so a server's seed repeats its faults too.
        self.chance = random.Random(seed)  # noqa: S311 - repeatable, not secret

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.faults]

    def render_run(self, body: JSONDict, ctx: RenderContext) -> JSONDict:
        for item in self.faults:
            body = item.render_run(body, ctx)
        return body

    def order_page(self, data: list[JSONDict], order: str) -> list[JSONDict]:
        for item in self.faults:
            data = item.order_page(data, order)
        return data

    def unknown_id(self, error: ApiError) -> ApiError:
        for item in self.faults:
            error = item.unknown_id(error)
        return error

    def stream_event(self, name: str, body: JSONDict) -> str:
        for item in self.faults:
            name = item.stream_event(name, body)
        return name

    def refuse_tool_outputs(self, error: ToolOutputsRefusedError) -> ApiError | None:
        answer: ApiError | None = error
        for item in self.faults:
            if isinstance(answer, ToolOutputsRefusedError):
                answer = item.refuse_tool_outputs(answer)
        return answer

    def incoming_id(self, object_id: str) -> str:
        for item in self.faults:
            object_id = item.incoming_id(object_id)
        return object_id

    def serves(self, operation: str) -> bool:
        return all(item.serves(operation) for item in self.faults)

    def created_status(self, status: int) -> int:
        for item in self.faults:
            status = item.created_status(status)
        return status

    def invalid_parameter(self, error: ApiError) -> ApiError | None:
        answer: ApiError | None = error
        for item in self.faults:
            if answer is not None:
                answer = item.invalid_parameter(answer)
        return answer

    def error_body(self, body: JSONDict, error: ApiError) -> JSONDict:
        for item in self.faults:
            body = item.error_body(body, error)
        return body

    def list_page(self, page: JSONDict) -> JSONDict:
        for item in self.faults:
            page = item.list_page(page)
        return page

    def unknown_assistant(self, assistant_id: str, created_at: int) -> Assistant | None:
        for item in self.faults:
            stand_in = item.unknown_assistant(assistant_id, created_at)
            if stand_in is not None:
                return stand_in
        return None

    def second_active_run(self, error: ApiError) -> ApiError | None:
        answer: ApiError | None = error
        for item in self.faults:
            if answer is not None:
                answer = item.second_active_run(answer)
        return answer

    def refuse_cancel(self, run: Run) -> ApiError | None:
        for item in self.faults:
            error = item.refuse_cancel(run)
            if error is not None:
                return error
        return None

    def overrides_cancel(self, run: Run) -> bool:
        return any(item.overrides_cancel(run) for item in self.faults)

    def steps_of_unknown_run(self, error: UnknownIdError) -> ApiError | None:
        answer: ApiError | None = error
        for item in self.faults:
            if isinstance(answer, UnknownIdError):
                answer = item.steps_of_unknown_run(answer)
        return answer

    def run_defaults(self, defaults: RunDefaults, assistant: Assistant) -> RunDefaults:
        for item in self.faults:
            defaults = item.run_defaults(defaults, assistant)
        return defaults

    def plan_run(self, plan: Plan, tools: Sequence[Mapping[str, Any]], tool_choice: Any) -> Plan:
        for item in self.faults:
            plan = item.plan_run(plan, tools, tool_choice, self.chance)
        return plan
