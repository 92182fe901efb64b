"""The simulated model: a deterministic state machine for runs, advanced lazily from a clock.

Nothing runs in the background. Whenever a run is read, `Executor.advance` replays every
transition that the clock says is due, step by step, each step lasting `step_seconds`:

    queued -> in_progress -> completed            (an assistant message and usage are written)
                          -> requires_action      (the last user message names a function tool)
                               -- submit_tool_outputs --> queued -> in_progress -> completed
                          -> failed               (the last user message has FAIL_PHRASE)
                          -> incomplete           (the reply would pass max_completion_tokens)
    queued | in_progress | requires_action -- cancel --> cancelling -> cancelled
    any live status, once the clock passes expires_at (created_at + 600) --> expired

Trigger phrases, put anywhere in the last user message before the run is created:
    "runcontract:fail"  the run fails with last_error {"code": "server_error", ...}
    "runcontract:long"  the reply is about 700 tokens long, so a run created with
                        max_completion_tokens below that ends incomplete

Each transition also appends the server-sent events the real API emits for it to the store, so
a stream is just these events read in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from runcontract.server.clock import Clock
from runcontract.server.errors import ToolOutputsRefusedError, bad_request
from runcontract.server.store import (
    JSONDict,
    Message,
    Plan,
    Run,
    RunStep,
    Store,
    Thread,
    ToolCall,
    Usage,
)
from runcontract.vocabulary import FAIL_PHRASE, LIVE_STATUSES, LONG_PHRASE, TERMINAL_STATUSES

if TYPE_CHECKING:
    from runcontract.server.faults import FaultSet

EXPIRY_SECONDS = 600  # the real API expires a run 10 minutes after it is created
DEFAULT_STEP_SECONDS = 0.5

CANCELLABLE_STATUSES = frozenset({"queued", "in_progress", "requires_action"})
FAILURE_MESSAGE = "The simulated model failed, as the trigger phrase asked."
_PROMPT_OVERHEAD = 24  # tokens the real API spends on framing before any message
_LONG_REPLY_TOKENS = 700


def count_tokens(text: str) -> int:
    """A stand-in tokenizer: about four characters a token, at least one."""
    return max(1, (len(text) + 3) // 4)


def function_names(tools: Sequence[Mapping[str, Any]]) -> list[str]:
    return [
        str(tool["function"]["name"])
        for tool in tools
        if tool.get("type") == "function" and isinstance(tool.get("function"), Mapping)
    ]


def plan_for(
    *,
    tools: Sequence[Mapping[str, Any]],
    tool_choice: Any,
    parallel_tool_calls: bool,
    last_user_text: str,
) -> Plan:
    names = function_names(tools)
    calls: list[str]
    if tool_choice == "none":
        calls = []
    elif isinstance(tool_choice, Mapping) and tool_choice.get("type") == "function":
        forced = tool_choice.get("function", {}).get("name")
        calls = [forced] if forced in names else []
    else:
        calls = [name for name in names if name in last_user_text]
        if not calls and tool_choice == "required" and names:
            calls = names[:1]
    if not parallel_tool_calls:
        calls = calls[:1]
    return Plan(
        calls=calls,
        fail=FAIL_PHRASE in last_user_text,
        long_reply=LONG_PHRASE in last_user_text,
    )


def example_arguments(tool: Mapping[str, Any]) -> str:
    """Arguments a model might send: one plausible value per declared parameter, as JSON."""
    parameters = tool.get("function", {}).get("parameters")
    properties = parameters.get("properties") if isinstance(parameters, Mapping) else None
    values: dict[str, Any] = {}
    if isinstance(properties, Mapping):
        for name, spec in properties.items():
            values[str(name)] = _example_value(spec)
    return orjson.dumps(values).decode()


def _example_value(spec: Any) -> Any:
    if not isinstance(spec, Mapping):
        return None
    enum = spec.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    kind = spec.get("type")
    examples: dict[str, Any] = {
        "string": "example",
        "integer": 1,
        "number": 1,
        "boolean": True,
        "array": [],
        "object": {},
    }
    return examples.get(kind) if isinstance(kind, str) else None


class Executor:
    def __init__(
        self, store: Store, clock: Clock, step_seconds: float, faults: FaultSet | None = None
    ) -> None:
        if step_seconds < 0:
            raise ValueError(f"step_seconds must not be negative, got {step_seconds!r}")
        self.store = store
        self.clock = clock
        self.step_seconds = float(step_seconds)
        self.faults = faults

    # -- starting ---------------------------------------------------------------------------------
    def start(self, run: Run, *, new_thread: Thread | None = None) -> Run:
        run.status_since = run.created
        run.expires = float(run.expires_at if run.expires_at is not None else run.created)
        self.store.add_run(run)
        if new_thread is not None:
            self.store.record(run, "thread.created", run.created, new_thread)
        self.store.record(run, "thread.run.created", run.created, run)
        self.store.record(run, "thread.run.queued", run.created, run)
        return run

    def prompt_tokens(self, thread: Thread, instructions: str | None) -> int:
        texts = [m.text for m in self.store.thread_messages(thread)]
        framing = _PROMPT_OVERHEAD + count_tokens(instructions or "")
        return framing + sum(count_tokens(t) for t in texts)

    # -- advancing --------------------------------------------------------------------------------
    def advance(self, run: Run) -> Run:
        now = self.clock.now()
        while True:
            due = self.next_moment(run)
            if due is None or due > now:
                return run
            self._transition(run, due)

    def advance_thread(self, thread: Thread) -> None:
        for run in self.store.thread_runs(thread):
            self.advance(run)

    def active_run(self, thread: Thread) -> Run | None:
        self.advance_thread(thread)
        for run in self.store.thread_runs(thread):
            if run.status in LIVE_STATUSES:
                return run
        return None

    def next_moment(self, run: Run) -> float | None:
        """When the run changes next on its own, or None if it waits for a client or is done."""
        if run.status in TERMINAL_STATUSES:
            return None
        if run.status == "requires_action":
            return run.expires
        step_due = run.status_since + self.step_seconds
        if run.status == "cancelling":
            return step_due
        return min(step_due, run.expires)

    def _transition(self, run: Run, moment: float) -> None:
        if run.status != "cancelling" and moment >= run.expires:
            self._expire(run, run.expires)
        elif run.status == "queued":
            self._begin(run, moment)
        elif run.status == "in_progress":
            if run.plan.calls and not run.tools_answered:
                self._require_action(run, moment)
            elif run.plan.fail:
                self._fail(run, moment)
            else:
                self._reply(run, moment)
        elif run.status == "cancelling":
            if self.faults is not None and self.faults.overrides_cancel(run):
                self._resume_after_cancel(run, moment)
            else:
                self._cancelled(run, moment)

    def _set_status(self, run: Run, status: str, moment: float) -> None:
        run.status = status
        run.status_since = moment
        if status in TERMINAL_STATUSES:
            run.terminal_since = moment
            run.expires_at = None
            run.required_action = None

    def _begin(self, run: Run, moment: float) -> None:
        # Stamped again when a run resumes after tool outputs, as the real API does.
        run.started_at = int(moment)
        self._set_status(run, "in_progress", moment)
        self.store.record(run, "thread.run.in_progress", moment, run)

    def _require_action(self, run: Run, moment: float) -> None:
        tools = {name: tool for tool in run.tools for name in function_names([tool])}
        calls = [
            ToolCall(self.store.new_id("call_"), name, example_arguments(tools[name]))
            for name in run.plan.calls
        ]
        step = self.store.add_step(
            RunStep(
                id=self.store.new_id("step_"),
                created_at=int(moment),
                run_id=run.id,
                thread_id=run.thread_id,
                assistant_id=run.assistant_id,
                type="tool_calls",
                tool_calls=calls,
            )
        )
        self.store.record(run, "thread.run.step.created", moment, step)
        self.store.record(run, "thread.run.step.in_progress", moment, step)
        run.required_action = [ToolCall(c.id, c.name, c.arguments) for c in calls]
        self._set_status(run, "requires_action", moment)
        self.store.record(run, "thread.run.requires_action", moment, run)

    def _steps_usage(self, run: Run) -> Usage:
        total = Usage(0, 0)
        for step in self.store.run_steps(run):
            if step.usage is not None:
                total = total + step.usage
        return total

    def _reply_text(self, run: Run) -> str:
        answered = [c for s in self.store.run_steps(run) for c in s.tool_calls if c.output]
        if answered:
            results = "; ".join(f"{c.name} returned {c.output!r}" for c in answered)
            text = f"Simulated reply built from the tool results: {results}."
        else:
            thread = self.store.threads[run.thread_id]
            asked = [m.text for m in self.store.thread_messages(thread) if m.role == "user"]
            snippet = asked[-1][:120] if asked else ""
            text = f'Simulated reply to "{snippet}".' if snippet else "Simulated reply."
        if run.plan.long_reply:
            filler = " This sentence makes the simulated reply longer."
            while count_tokens(text) < _LONG_REPLY_TOKENS:
                text += filler
        return text

    def _reply(self, run: Run, moment: float) -> None:
        at = int(moment)
        text = self._reply_text(run)
        before = self._steps_usage(run)
        prompt = self.prompt_tokens(self.store.threads[run.thread_id], run.instructions)
        completion = count_tokens(text)
        reason = None
        if (
            run.max_prompt_tokens is not None
            and before.prompt_tokens + prompt > run.max_prompt_tokens
        ):
            reason, completion, text = "max_prompt_tokens", 0, ""
            prompt = max(0, run.max_prompt_tokens - before.prompt_tokens)
        elif (
            run.max_completion_tokens is not None
            and before.completion_tokens + completion > run.max_completion_tokens
        ):
            reason = "max_completion_tokens"
            completion = max(0, run.max_completion_tokens - before.completion_tokens)
            text = text[: completion * 4]
        message = self.store.add_message(
            Message(
                id=self.store.new_id("msg_"),
                created_at=at,
                thread_id=run.thread_id,
                role="assistant",
                content=[],
                assistant_id=run.assistant_id,
                run_id=run.id,
                status="in_progress",
            )
        )
        step = self.store.add_step(
            RunStep(
                id=self.store.new_id("step_"),
                created_at=at,
                run_id=run.id,
                thread_id=run.thread_id,
                assistant_id=run.assistant_id,
                type="message_creation",
                message_id=message.id,
            )
        )
        record = self.store.record
        record(run, "thread.run.step.created", moment, step)
        record(run, "thread.run.step.in_progress", moment, step)
        record(run, "thread.message.created", moment, message)
        record(run, "thread.message.in_progress", moment, message)
        part: JSONDict = {"type": "text", "text": {"value": text, "annotations": []}}
        delta = {
            "id": message.id,
            "object": "thread.message.delta",
            "delta": {"content": [{"index": 0, **part}]},
        }
        record(run, "thread.message.delta", moment, delta)
        message.content = [part]
        step.usage = Usage(prompt, completion)
        step.status = "completed"
        step.completed_at = at
        if reason is None:
            message.status, message.completed_at = "completed", at
            record(run, "thread.message.completed", moment, message)
        else:
            message.status, message.incomplete_at = "incomplete", at
            message.incomplete_details = {"reason": "max_tokens"}
            record(run, "thread.message.incomplete", moment, message)
        record(run, "thread.run.step.completed", moment, step)
        run.usage = self._steps_usage(run)
        run.completed_at = at
        if reason is None:
            self._set_status(run, "completed", moment)
            record(run, "thread.run.completed", moment, run)
        else:
            run.incomplete_details = {"reason": reason}
            self._set_status(run, "incomplete", moment)
            record(run, "thread.run.incomplete", moment, run)

    def _fail(self, run: Run, moment: float) -> None:
        prompt = self.prompt_tokens(self.store.threads[run.thread_id], run.instructions)
        run.usage = self._steps_usage(run) + Usage(prompt, 0)
        run.failed_at = int(moment)
        run.last_error = {"code": "server_error", "message": FAILURE_MESSAGE}
        self._set_status(run, "failed", moment)
        self.store.record(run, "thread.run.failed", moment, run)

    def _end_open_steps(self, run: Run, status: str, moment: float) -> None:
        for step in self.store.run_steps(run):
            if step.status != "in_progress":
                continue
            if status == "cancelled":
                step.status, step.cancelled_at = "cancelled", int(moment)
            else:
                step.status, step.expired_at = "expired", int(moment)
            self.store.record(run, f"thread.run.step.{status}", moment, step)

    def _cancelled(self, run: Run, moment: float) -> None:
        self._end_open_steps(run, "cancelled", moment)
        run.cancelled_at = int(moment)
        self._set_status(run, "cancelled", moment)
        self.store.record(run, "thread.run.cancelled", moment, run)

    def _resume_after_cancel(self, run: Run, moment: float) -> None:
        # Only a fault gets here. Its tool calls count as answered, so the run can finish; a run
        # cancelled while queued is stamped as it starts, so only the cancel's own rules break.
        run.tools_answered = True
        if run.started_at is None:
            run.started_at = int(moment)
        self._set_status(run, "in_progress", moment)
        self.store.record(run, "thread.run.in_progress", moment, run)

    def _expire(self, run: Run, moment: float) -> None:
        self._end_open_steps(run, "expired", moment)
        self._set_status(run, "expired", moment)
        self.store.record(run, "thread.run.expired", moment, run)

    # -- what clients do to a run -----------------------------------------------------------------
    def cancel(self, run: Run) -> Run:
        self.advance(run)
        if run.status not in CANCELLABLE_STATUSES:
            raise bad_request(f"Cannot cancel run with status '{run.status}'.")
        now = self.clock.now()
        run.required_action = None
        run.cancel_requested_at = int(now)
        self._set_status(run, "cancelling", now)
        self.store.record(run, "thread.run.cancelling", now, run)
        return run

    def submit_tool_outputs(self, run: Run, outputs: Sequence[Mapping[str, Any]]) -> Run:
        self.advance(run)
        if run.status != "requires_action" or run.required_action is None:
            raise ToolOutputsRefusedError(
                400, f'Runs in status "{run.status}" do not accept tool outputs.'
            )
        expected = [call.id for call in run.required_action]
        given = [str(output.get("tool_call_id")) for output in outputs]
        if sorted(given) != sorted(expected):
            raise bad_request(
                f"Expected tool outputs for call_ids {expected}, got {given}.",
                param="tool_outputs",
            )
        now = self.clock.now()
        answers = {str(o.get("tool_call_id")): str(o.get("output", "")) for o in outputs}
        step = next(
            s
            for s in self.store.run_steps(run)
            if s.type == "tool_calls" and s.status == "in_progress"
        )
        for call in step.tool_calls:
            call.output = answers[call.id]
        arguments = sum(count_tokens(c.arguments) for c in step.tool_calls)
        step.usage = Usage(
            self.prompt_tokens(self.store.threads[run.thread_id], run.instructions),
            arguments + 8 * len(step.tool_calls),
        )
        step.status = "completed"
        step.completed_at = int(now)
        run.tools_answered = True
        run.required_action = None
        self.store.record(run, "thread.run.step.completed", now, step)
        self._set_status(run, "queued", now)
        self.store.record(run, "thread.run.queued", now, run)
        return run
