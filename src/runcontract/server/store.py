"""In-memory state of the reference server: assistants, threads, messages, runs and run steps.

Plain records, kept profile-free: how an object looks on the wire (v1 or v2) is decided when it
is rendered (objects.py). Ids come from a seeded generator so a test sees the same ids each time.
"""

from __future__ import annotations

import copy
import random
import string
from dataclasses import dataclass, field
from typing import Any, Literal

from runcontract.server.errors import not_found

ID_ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 24  # the real API's ids carry 24 characters after the prefix (run_, thread_, ...)

JSONDict = dict[str, Any]
StepType = Literal["message_creation", "tool_calls"]


@dataclass(slots=True)
class Assistant:
    id: str
    created_at: int
    model: str
    name: str | None = None
    description: str | None = None
    instructions: str | None = None
    tools: list[JSONDict] = field(default_factory=list)
    tool_resources: JSONDict = field(default_factory=dict)
    file_ids: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    temperature: float = 1.0
    top_p: float = 1.0
    reasoning_effort: str | None = None
    response_format: Any = "auto"


@dataclass(slots=True)
class Thread:
    id: str
    created_at: int
    metadata: dict[str, str] = field(default_factory=dict)
    tool_resources: JSONDict = field(default_factory=dict)
    message_ids: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Message:
    id: str
    created_at: int
    thread_id: str
    role: Literal["user", "assistant"]
    content: list[JSONDict]
    assistant_id: str | None = None
    run_id: str | None = None
    attachments: list[JSONDict] = field(default_factory=list)
    file_ids: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    status: Literal["in_progress", "incomplete", "completed"] = "completed"
    completed_at: int | None = None
    incomplete_at: int | None = None
    incomplete_details: JSONDict | None = None

    @property
    def text(self) -> str:
        """The text parts of the message, joined: what the simulated model reads."""
        return "\n".join(
            str(part["text"]["value"]) for part in self.content if part.get("type") == "text"
        )


@dataclass(slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )


@dataclass(slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str
    output: str | None = None


@dataclass(slots=True)
class RunStep:
    id: str
    created_at: int
    run_id: str
    thread_id: str
    assistant_id: str
    type: StepType
    status: Literal["in_progress", "cancelled", "failed", "completed", "expired"] = "in_progress"
    message_id: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    completed_at: int | None = None
    cancelled_at: int | None = None
    failed_at: int | None = None
    expired_at: int | None = None
    last_error: JSONDict | None = None
    usage: Usage | None = None


@dataclass(slots=True)
class Plan:
    """What the simulated model will do, decided from the thread when the run is created."""

    calls: list[str] = field(default_factory=list)  # names of the functions it will call
    fail: bool = False
    long_reply: bool = False


@dataclass(slots=True)
class Run:
    id: str
    thread_id: str
    assistant_id: str
    created: float  # exact creation moment, for the executor; created_at is what clients see
    created_at: int
    expires_at: int | None
    model: str
    instructions: str | None
    tools: list[JSONDict]
    tool_resources: JSONDict
    file_ids: list[str]
    metadata: dict[str, str]
    temperature: float | None
    top_p: float | None
    reasoning_effort: str | None
    max_completion_tokens: int | None
    max_prompt_tokens: int | None
    truncation_strategy: JSONDict
    response_format: Any
    tool_choice: Any
    parallel_tool_calls: bool
    plan: Plan
    status: str = "queued"
    status_since: float = 0.0  # the moment the current status began
    started_at: int | None = None
    cancelled_at: int | None = None
    failed_at: int | None = None
    completed_at: int | None = None
    cancel_requested_at: int | None = None  # when a client asked to cancel; not on the wire
    required_action: list[ToolCall] | None = None
    last_error: JSONDict | None = None
    incomplete_details: JSONDict | None = None
    usage: Usage | None = None
    expires: float = 0.0  # the moment the run expires unless it finishes first
    terminal_since: float | None = None
    tools_answered: bool = False
    step_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Event:
    """One server-sent event of a run's life, with the objects as they were at that moment."""

    name: str
    moment: float
    data: Run | RunStep | Message | Thread | JSONDict


class Store:
    def __init__(self, seed: int = 0) -> None:
        # Ids must be reproducible in tests, not secret.
        self._random = random.Random(seed)  # noqa: S311
        self.assistants: dict[str, Assistant] = {}
        self.threads: dict[str, Thread] = {}
        self.messages: dict[str, Message] = {}
        self.runs: dict[str, Run] = {}
        self.steps: dict[str, RunStep] = {}
        self.events: dict[str, list[Event]] = {}  # run id -> its events, in order

    def new_id(self, prefix: str) -> str:
        return prefix + "".join(self._random.choices(ID_ALPHABET, k=ID_LENGTH))

    # -- lookups that answer 404 the way the real API does ---------------------------------------
    def assistant(self, assistant_id: str) -> Assistant:
        found = self.assistants.get(assistant_id)
        if found is None:
            raise not_found("assistant", assistant_id)
        return found

    def thread(self, thread_id: str) -> Thread:
        found = self.threads.get(thread_id)
        if found is None:
            raise not_found("thread", thread_id)
        return found

    def run(self, thread_id: str, run_id: str) -> Run:
        self.thread(thread_id)
        found = self.runs.get(run_id)
        if found is None or found.thread_id != thread_id:
            raise not_found("run", run_id)
        return found

    def step(self, run: Run, step_id: str) -> RunStep:
        found = self.steps.get(step_id)
        if found is None or found.run_id != run.id:
            raise not_found("run step", step_id)
        return found

    # -- additions -------------------------------------------------------------------------------
    def add_assistant(self, assistant: Assistant) -> Assistant:
        self.assistants[assistant.id] = assistant
        return assistant

    def add_thread(self, thread: Thread) -> Thread:
        self.threads[thread.id] = thread
        return thread

    def add_message(self, message: Message) -> Message:
        self.messages[message.id] = message
        self.threads[message.thread_id].message_ids.append(message.id)
        return message

    def add_run(self, run: Run) -> Run:
        self.runs[run.id] = run
        self.threads[run.thread_id].run_ids.append(run.id)
        self.events[run.id] = []
        return run

    def add_step(self, step: RunStep) -> RunStep:
        self.steps[step.id] = step
        self.runs[step.run_id].step_ids.append(step.id)
        return step

    def record(self, run: Run, name: str, moment: float, data: Any) -> None:
        """Keep an event with a copy of `data` as it is now: streams show each moment's state."""
        self.events[run.id].append(Event(name, moment, copy.deepcopy(data)))

    def thread_messages(self, thread: Thread) -> list[Message]:
        return [self.messages[i] for i in thread.message_ids]

    def thread_runs(self, thread: Thread) -> list[Run]:
        return [self.runs[i] for i in thread.run_ids]

    def run_steps(self, run: Run) -> list[RunStep]:
        return [self.steps[i] for i in run.step_ids]
