"""Lifecycle rules: a run judged across its successive observations.

The tracker keeps the facts of the last observation of each run (grouped by run id, in recorded
order) and compares the facts of every new observation with them. Facts come from a run dict
(`facts_of`) or straight from a decoder that has already proven the object clean
(`observe_facts`). Violations are added to the result of the later observation and name the
earlier one in `related`.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import msgspec

from runcontract.catalogue import contract_documents, emits
from runcontract.model import JSON, ObjectResult, Observation, Profile, Source, Violation
from runcontract.rules.registry import NO_END, as_integer
from runcontract.rules.usage import COUNTS
from runcontract.vocabulary import TERMINAL_STATUSES, TERMINAL_TIMESTAMPS

if TYPE_CHECKING:
    from runcontract.engine.core import Engine

IMMUTABLE_FIELDS = ("object", "created_at", "thread_id", "assistant_id")
SUBMIT_PATH = re.compile(r"/runs/(?P<run>[^/]+)/submit_tool_outputs$")
RUN_EVENT = "thread.run."
# Runs remembered at once, so memory stays bounded whatever the input's size (a few hundred
# bytes a run). A run seen again after this many other runs is judged afresh from there; the summary
# counts the runs let go, so nothing is dropped silently.
DEFAULT_WINDOW = 50_000
RESUMED_STATUSES = ("queued", "in_progress")


@cache
def transitions() -> dict[str, frozenset[str]]:
    table = contract_documents()["lifecycle.yaml"]["transitions"]
    return {str(status): frozenset(str(n) for n in nexts) for status, nexts in table.items()}


class RunFacts(msgspec.Struct, gc=False):
    """What the lifecycle rules look at in one observation of a run.

    One is kept for each run in the window, so it is a Struct the garbage collector does not
    track (nothing in it can hold a cycle): it is never walked, however many are kept.
    """

    status: str | None  # None when not a string (the schema reports that)
    object: Any  # the IMMUTABLE_FIELDS, as the run gives them
    created_at: Any
    thread_id: Any
    assistant_id: Any
    started_at: int | None  # None when not an integer
    expires_at: int | None
    completed_at: int | None  # the TERMINAL_TIMESTAMPS
    failed_at: int | None
    cancelled_at: int | None
    usage: JSON  # as _compact_usage gives it
    call_ids: tuple[str, ...] | None  # required tool call ids, sorted, when it requires action

    @property
    def fixed(self) -> tuple[Any, ...]:
        """The IMMUTABLE_FIELDS, in order."""
        return (self.object, self.created_at, self.thread_id, self.assistant_id)

    @property
    def ended(self) -> tuple[int | None, ...]:
        """The TERMINAL_TIMESTAMPS, in order."""
        return (self.completed_at, self.failed_at, self.cancelled_at)


class RunState(msgspec.Struct, gc=False):
    """What the tracker remembers of a run's last observation."""

    facts: RunFacts
    file: str  # where it was seen
    entry: str | None
    resumed: bool  # tool outputs were submitted since started_at was last stamped
    answered: tuple[str, str] | None  # the submission it answered: its file and interaction


@dataclass(slots=True)
class _Now:
    """The observation being judged, with what the comparisons need of it."""

    facts: RunFacts
    source: Source
    profile: Profile
    out: list[Violation]
    submitted: frozenset[str] | None  # tool_call_ids, when it answers a recorded submission


def _compact_usage(usage: JSON) -> JSON:
    """Usage as the tuple of its three counts when it has them, else as it is.

    The counts are what L007 compares: details beside them (prompt_token_details, in the real
    API's later runs) are left out, and a tuple keeps a fraction of a dict's memory.
    """
    if isinstance(usage, dict):
        get = usage.get
        prompt, completion, total = (
            as_integer(get("prompt_tokens")),
            as_integer(get("completion_tokens")),
            as_integer(get("total_tokens")),
        )
        if prompt is not None and completion is not None and total is not None:
            return (prompt, completion, total)
    return usage


def _usage_json(usage: JSON) -> JSON:
    """Usage as the run gave it, from its compact form."""
    return dict(zip(COUNTS, usage, strict=True)) if isinstance(usage, tuple) else usage


def _usage_text(usage: JSON) -> str:
    if isinstance(usage, tuple):
        return ", ".join(f"{key} {count}" for key, count in zip(COUNTS, usage, strict=True))
    return repr(usage)


def _call_ids(run: dict[str, Any]) -> tuple[str, ...] | None:
    action = run.get("required_action")
    if not isinstance(action, dict):
        return None
    outputs = action.get("submit_tool_outputs")
    calls = outputs.get("tool_calls") if isinstance(outputs, dict) else None
    if not isinstance(calls, list):
        return None
    return tuple(
        sorted(
            {
                str(call["id"])
                for call in calls
                if isinstance(call, dict) and isinstance(call.get("id"), str)
            }
        )
    )


_new_tuple = tuple.__new__  # a Source without its Python-level __new__


def facts_of(run: dict[str, Any]) -> RunFacts:
    """The facts of one run object."""
    # Once per observation, so one lookup per key and no helper call in the common case.
    get = run.get
    status = get("status")
    if status.__class__ is not str:
        status = None
    started = get("started_at")
    if started.__class__ is not int:
        started = as_integer(started)  # None, or an integral float as JSON Schema reads it
    expires = get("expires_at")
    if expires.__class__ is not int:
        expires = as_integer(expires)
    completed, failed, cancelled = get("completed_at"), get("failed_at"), get("cancelled_at")
    if completed.__class__ is not int:
        completed = as_integer(completed)
    if failed.__class__ is not int:
        failed = as_integer(failed)
    if cancelled.__class__ is not int:
        cancelled = as_integer(cancelled)
    usage = get("usage")
    if usage is not None:
        usage = _compact_usage(usage)
    return RunFacts(
        status=status,
        object=get("object"),
        created_at=get("created_at"),
        thread_id=get("thread_id"),
        assistant_id=get("assistant_id"),
        started_at=started,
        expires_at=expires,
        completed_at=completed,
        failed_at=failed,
        cancelled_at=cancelled,
        usage=usage,
        call_ids=_call_ids(run) if status == "requires_action" else None,
    )


def _exchange(source: Source) -> tuple[str, str]:
    """Which request and response an observation belongs to: its file and interaction.

    The run events of one streamed answer ("interaction 4, event 2", "..., event 7") share it.
    """
    entry = source.entry or ""
    return source.file, entry.split(", event ", 1)[0]


def _submitted_ids(observation: Observation) -> frozenset[str] | None:
    """The tool_call_ids a recorded submit_tool_outputs request answered, if one was recorded."""
    request = observation.request
    if request is None or request.method != "POST" or not SUBMIT_PATH.search(request.path):
        return None
    body = request.body
    outputs = body.get("tool_outputs") if isinstance(body, dict) else None
    if not isinstance(outputs, list):
        return frozenset()
    return frozenset(
        str(item["tool_call_id"])
        for item in outputs
        if isinstance(item, dict) and isinstance(item.get("tool_call_id"), str)
    )


class LifecycleTracker:
    def __init__(
        self, engine: Engine, *, window: int = DEFAULT_WINDOW, files_in_order: bool = False
    ) -> None:
        self.engine = engine
        self.files_in_order = files_in_order
        self.window = window
        self.forgotten = 0
        # in the order last seen: a run seen again is moved to the end, the oldest is let go.
        # A dict keeps that order too, and costs less to add to: it becomes an OrderedDict, which
        # can let the oldest go, when the window is first full (most inputs never fill it).
        self._runs: dict[str, RunState] = {}
        self._table = transitions()
        # the status changes no rule objects to, so most changes cost one set lookup
        self._allowed = frozenset(
            (status, following)
            for status, nexts in self._table.items()
            if status not in TERMINAL_STATUSES
            for following in nexts
        )

    @property
    def runs(self) -> int:
        return len(self._runs)

    def state(self, run_id: str) -> RunState | None:
        """What is remembered of the run's last observation, if it is remembered."""
        return self._runs.get(run_id)

    def remember(self, run_id: str, state: RunState) -> None:
        """Remember `state` as the run's last (a run already remembered keeps its place)."""
        self._runs[run_id] = state

    def forget(self, run_id: str) -> None:
        self._runs.pop(run_id, None)

    def observe(self, observation: Observation, result: ObjectResult) -> None:
        run = observation.run
        run_id = result.run_id
        profile = result.profile
        if run_id is None or profile is None or not isinstance(run, dict):
            return
        source = observation.source
        event = observation.event
        if observation.request is None and not event:
            self.observe_facts(run_id, profile, facts_of(run), source, result.violations)
            return
        submitted = _submitted_ids(observation)
        exchange = _exchange(source) if submitted is not None else None
        runs = self._runs
        before = runs.pop(run_id, None)
        if before is not None and exchange is not None and exchange == before.answered:
            submitted = None  # a later event of the same streamed answer: answered once already
        now = _Now(facts_of(run), source, profile, result.violations, submitted)
        if event:
            self._stream_event(now, event, run.get("status"))
        if before is None:
            # a submission whose run was not seen before has nothing to be compared with
            runs[run_id] = RunState(
                now.facts, source[0], source[1], submitted is not None, exchange
            )
        else:
            runs[run_id] = self._follow(before, now, exchange)
        if len(runs) > self.window:
            self._let_go_oldest()

    def observe_facts(
        self,
        run_id: str,
        profile: Profile,
        facts: RunFacts,
        source: Source,
        violations: list[Violation],
    ) -> None:
        """`observe` for an observation with no request and no stream event, from its facts."""
        file, entry = source
        self.observe_entry(run_id, profile, facts, file, entry, violations=violations)

    def observe_entry(
        self,
        run_id: str,
        profile: Profile,
        facts: RunFacts,
        file: str,
        entry: str | None,
        *,
        violations: list[Violation],
    ) -> None:
        """`observe_facts`, with the observation's source as its two strings (the fast lane's
        runs make a Source only for a report)."""
        runs = self._runs
        before = runs.pop(run_id, None)
        if before is None:  # the run's first observation, by far the most common
            runs[run_id] = RunState(facts, file, entry, False, self.fresh)
            if self.noting_firsts:
                self.first_seen(run_id, profile, facts, file, entry)
        elif facts == before.facts:
            # nothing a rule looks at changed, and no rule fires on that
            runs[run_id] = RunState(facts, file, entry, before.resumed, before.answered)
        else:
            if self.noting_changes:
                self.changing(run_id, before, profile, facts, file=file, entry=entry)
            source: Source = _new_tuple(Source, (file, entry))
            runs[run_id] = self._follow(
                before, _Now(facts, source, profile, violations, None), None
            )
        if len(runs) > self.window:
            self._let_go_oldest()

    # A tracker that tells what it sees (validate --jobs, jobs/stitch.py) is told, in
    # observe_entry, of each run seen for the first time (with `noting_firsts`) and of each
    # change of a run (with `noting_changes`), and may mark the runs it sees first (`fresh`: the
    # `answered` of their first state, which their later states keep, as no JSON Lines entry is
    # the answer to a request).
    noting_firsts = False
    noting_changes = False
    fresh: tuple[str, str] | None = None

    def first_seen(
        self, run_id: str, profile: Profile, facts: RunFacts, file: str, entry: str | None
    ) -> None:
        """A run seen for the first time (or again, after the window let it go)."""

    def changing(
        self,
        run_id: str,
        before: RunState,
        profile: Profile,
        facts: RunFacts,
        *,
        file: str,
        entry: str | None,
    ) -> None:
        """A run about to be compared with its last observation, whose facts changed."""

    def _let_go_oldest(self) -> None:
        """The oldest run leaves the window. Counted when it had not ended: its next observation
        is certain and will be judged without its history. A run that ended is rarely seen
        again, and then only the rules on a finished run would miss it."""
        runs = self._runs
        if not isinstance(runs, OrderedDict):
            runs = self._runs = OrderedDict(runs)  # in the same order: a dict's is insertion's
        _, oldest = runs.popitem(last=False)
        if oldest.facts.status not in TERMINAL_STATUSES:
            self.forgotten += 1

    def _follow(self, before: RunState, now: _Now, exchange: tuple[str, str] | None) -> RunState:
        """Compare the observation with the run's last one; what to remember of the run then."""
        old = before.facts
        was: Source = _new_tuple(Source, (before.file, before.entry))
        resumed, answered = before.resumed, before.answered
        facts = now.facts
        # tool outputs were submitted: recorded, or seen as the run going from requires_action
        # back to work
        answered_now = now.submitted is not None or (
            old.status == "requires_action" and facts.status in RESUMED_STATUSES
        )
        self._compare(old, was, resumed or answered_now, now)
        resumed = answered_now or (resumed and facts.started_at == old.started_at)
        file, entry = now.source
        return RunState(facts, file, entry, resumed, answered if exchange is None else exchange)

    def _add(
        self, now: _Now, code: str, path: str, message: str, *, value: JSON, related: Source | None
    ) -> None:
        if self.engine.is_enabled(code, now.profile):
            now.out.append(
                self.engine.violation(
                    code, path, message, value, source=now.source, related=related
                )
            )

    @emits("lifecycle", "L009", "D007")
    def _stream_event(self, now: _Now, event: str, status: JSON) -> None:
        if not event.startswith(RUN_EVENT):
            return
        named = event[len(RUN_EVENT) :]
        expected = "queued" if named == "created" else named
        if status == expected:
            return
        code = "D007" if (named, status) == ("completed", "incomplete") else "L009"
        self._add(
            now,
            code,
            "$.status",
            f"stream event {event} carries a run whose status is {status}",
            value=status,
            related=None,
        )

    def _compare(self, old: RunFacts, was: Source, resumed: bool, now: _Now) -> None:
        """Add what the change from `old` to `now` breaks.

        `resumed`: tool outputs were submitted since started_at was last stamped, or with `now`.
        """
        # Within one input the recorded order is known. Between two files it is not (a list
        # page may have been recorded before a poll kept in a file that sorts first), so there
        # only what must agree in any order is compared, unless the user says the files are in
        # order (--files-in-order). Each rule is looked at only when its facts changed in a way
        # it may object to.
        facts = now.facts
        status, previous = facts.status, old.status
        ordered = self.files_in_order or was.file == now.source.file
        if ordered:
            if status != previous and (previous, status) not in self._allowed:
                self._status_change(old, was, now)
            if old.started_at is not None and facts.started_at != old.started_at:
                self._started_at(old, was, resumed, now)
        if facts.fixed != old.fixed:
            self._identity(old, was, now)
        if old.ended not in (NO_END, facts.ended):
            self._end_times(old, was, now, ordered=ordered)
        if (
            old.expires_at is not None
            and facts.expires_at is not None
            and facts.expires_at != old.expires_at
        ):
            self._expiry(old, was, now, ordered=ordered)
        if old.usage is not None and facts.usage != old.usage and previous in TERMINAL_STATUSES:
            self._usage(old, was, now, ordered=ordered)
        if ordered and now.submitted is not None:
            self._tool_outputs(old, was, now, now.submitted)

    @emits("lifecycle", "L001", "L002")
    def _status_change(self, old: RunFacts, was: Source, now: _Now) -> None:
        previous, status = old.status, now.facts.status
        if previous is None or status is None or status == previous:
            return
        if previous in TERMINAL_STATUSES:
            self._add(
                now,
                "L002",
                "$.status",
                f"status changed from {previous} (final, at {was}) to {status}",
                value=status,
                related=was,
            )
        elif previous in self._table and status not in self._table[previous]:
            self._add(
                now,
                "L001",
                "$.status",
                f"status went from {previous} (at {was}) to {status}, which its lifecycle does "
                "not allow",
                value=status,
                related=was,
            )

    @emits("lifecycle", "L003")
    def _identity(self, old: RunFacts, was: Source, now: _Now) -> None:
        for key, previous, current in zip(
            IMMUTABLE_FIELDS, old.fixed, now.facts.fixed, strict=True
        ):
            if current != previous:
                self._add(
                    now,
                    "L003",
                    f"$.{key}",
                    f"{key} changed from {previous!r} (at {was}) to {current!r}",
                    value=current,
                    related=was,
                )

    @emits("lifecycle", "L004")
    def _end_times(self, old: RunFacts, was: Source, now: _Now, *, ordered: bool) -> None:
        for key, previous, current in zip(
            TERMINAL_TIMESTAMPS, old.ended, now.facts.ended, strict=True
        ):
            # cleared later is a change; out of order only two different times are
            if previous is not None and current != previous and (ordered or current is not None):
                self._add(
                    now,
                    "L004",
                    f"$.{key}",
                    f"{key} changed from {previous} (at {was}) to {current}",
                    value=current,
                    related=was,
                )

    @emits("lifecycle", "L005")
    def _moved_back(
        self, key: str, previous: int, current: int, was: Source, now: _Now, *, said: str
    ) -> bool:
        """L005 for a timestamp that moved to an earlier time; whether it did."""
        if current >= previous:
            return False
        self._add(
            now,
            "L005",
            f"$.{key}",
            f"{key} {said} from {previous} (at {was}) to {current}",
            value=current,
            related=was,
        )
        return True

    @emits("lifecycle", "L006")
    def _expiry(self, old: RunFacts, was: Source, now: _Now, *, ordered: bool) -> None:
        expires, previous = now.facts.expires_at, old.expires_at
        if previous is None or expires is None or expires == previous:
            return
        if ordered and self._moved_back("expires_at", previous, expires, was, now, said="changed"):
            return
        if old.status in TERMINAL_STATUSES or now.facts.status in TERMINAL_STATUSES:
            return
        self._add(
            now,
            "L006",
            "$.expires_at",
            f"expires_at changed from {previous} (at {was}) to {expires}",
            value=expires,
            related=was,
        )

    @emits("lifecycle", "L007")
    def _usage(self, old: RunFacts, was: Source, now: _Now, *, ordered: bool) -> None:
        usage = now.facts.usage
        if old.status not in TERMINAL_STATUSES or old.usage is None or usage == old.usage:
            return
        if not ordered and (usage is None or now.facts.status not in TERMINAL_STATUSES):
            return  # out of order, an earlier observation of the run may simply lack it
        self._add(
            now,
            "L007",
            "$.usage",
            f"usage changed after the run ended: {_usage_text(old.usage)} (at {was}) "
            f"then {_usage_text(usage)}",
            value=_usage_json(usage),
            related=was,
        )

    @emits("lifecycle", "L010")
    def _started_at(self, old: RunFacts, was: Source, resumed: bool, now: _Now) -> None:
        previous, current = old.started_at, now.facts.started_at
        if previous is None or current == previous:
            return
        if current is not None and self._moved_back(
            "started_at", previous, current, was, now, said="moved back"
        ):
            return
        if current is None or not resumed:
            self._add(
                now,
                "L010",
                "$.started_at",
                f"started_at changed from {previous} (at {was}) to {current} without the run "
                "resuming after tool outputs",
                value=current,
                related=was,
            )

    @emits("lifecycle", "L008")
    def _tool_outputs(
        self, old: RunFacts, was: Source, now: _Now, submitted: frozenset[str]
    ) -> None:
        if old.status != "requires_action" or old.call_ids is None:
            self._add(
                now,
                "L008",
                "$.status",
                f"tool outputs were accepted for a run whose status was {old.status} "
                f"(at {was}), not requires_action",
                value=old.status,
                related=was,
            )
            return
        asked = frozenset(old.call_ids)
        if submitted != asked:
            missing = sorted(asked - submitted)
            extra = sorted(submitted - asked)
            parts = []
            if missing:
                parts.append(f"unanswered: {', '.join(missing)}")
            if extra:
                parts.append(f"not asked for: {', '.join(extra)}")
            self._add(
                now,
                "L008",
                "$.required_action.submit_tool_outputs.tool_calls",
                f"the submitted tool outputs do not match the calls required at {was} "
                f"({'; '.join(parts)})",
                value=sorted(submitted),
                related=was,
            )
