"""Lifecycle rules: a run judged across its successive observations.

The tracker keeps a small snapshot of the last observation of each run (grouped by run id, in
recorded order) and compares every new observation with it. Violations are added to the result
of the later observation and name the earlier one in `related`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import yaml

from runcontract._data import data_dir
from runcontract.model import JSON, ObjectResult, Observation, Profile, Source, Violation
from runcontract.rules.registry import TERMINAL_STATUSES, TERMINAL_TIMESTAMPS, integer

if TYPE_CHECKING:
    from runcontract.engine.core import Engine

IMMUTABLE_FIELDS = ("object", "created_at", "thread_id", "assistant_id")
SUBMIT_PATH = re.compile(r"/runs/(?P<run>[^/]+)/submit_tool_outputs$")
RUN_EVENT = "thread.run."
# Runs remembered at once, so memory stays bounded whatever the input's size (about 1 KB a
# run). A run seen again after this many other runs is judged afresh from there; the summary
# counts the runs let go, so nothing is dropped silently.
DEFAULT_WINDOW = 50_000


@cache
def transitions() -> dict[str, frozenset[str]]:
    with (data_dir("contracts") / "lifecycle.yaml").open(encoding="utf-8") as handle:
        table = yaml.safe_load(handle)["transitions"]
    return {str(status): frozenset(str(n) for n in nexts) for status, nexts in table.items()}


@dataclass(slots=True)
class _Snapshot:
    """What the tracker remembers of a run's last observation."""

    source: Source
    status: str | None
    fixed: tuple[Any, ...]  # the IMMUTABLE_FIELDS, in order
    started_at: int | None
    expires_at: int | None
    ended: tuple[int | None, ...]  # the TERMINAL_TIMESTAMPS, in order
    usage: JSON  # as _compact_usage gives it
    call_ids: frozenset[str] | None  # required tool call ids, when the run requires action
    resumed: bool  # tool outputs were submitted since started_at was last stamped
    exchange: tuple[str, str] | None  # the submission this observation answered, if any


@dataclass(slots=True)
class _Now:
    """The observation being judged, with what the comparisons need of it."""

    observation: Observation
    run: dict[str, Any]
    profile: Profile
    submitted: frozenset[str] | None  # tool_call_ids, when it answers a recorded submission
    out: list[Violation]


def _call_ids(run: dict[str, Any]) -> frozenset[str] | None:
    action = run.get("required_action")
    if not isinstance(action, dict):
        return None
    outputs = action.get("submit_tool_outputs")
    calls = outputs.get("tool_calls") if isinstance(outputs, dict) else None
    if not isinstance(calls, list):
        return None
    return frozenset(
        str(call["id"])
        for call in calls
        if isinstance(call, dict) and isinstance(call.get("id"), str)
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


NO_END: tuple[None, None, None] = (None, None, None)
USAGE_COUNTS = ("prompt_tokens", "completion_tokens", "total_tokens")


def _compact_usage(usage: JSON) -> JSON:
    """Usage as a tuple of its three counts when it has them (a fraction of a dict's memory)."""
    if isinstance(usage, dict) and len(usage) == len(USAGE_COUNTS):
        counts = tuple(usage.get(key) for key in USAGE_COUNTS)
        if all(type(count) is int for count in counts):
            return counts
    return usage


def _usage_text(usage: JSON) -> str:
    if isinstance(usage, tuple):
        return ", ".join(f"{key} {count}" for key, count in zip(USAGE_COUNTS, usage, strict=True))
    return repr(usage)


def _status(run: dict[str, Any]) -> str | None:
    """The status as a string, or None when it is not one (the schema reports that)."""
    status = run.get("status")
    return status if isinstance(status, str) else None


def _leaves_requires_action(before: _Snapshot | None, run: dict[str, Any]) -> bool:
    """A run going from requires_action back to work had its tool outputs submitted."""
    return (
        before is not None
        and before.status == "requires_action"
        and _status(run) in ("queued", "in_progress")
    )


class LifecycleTracker:
    def __init__(
        self, engine: Engine, *, window: int = DEFAULT_WINDOW, files_in_order: bool = False
    ) -> None:
        self.engine = engine
        self.files_in_order = files_in_order
        self.window = window
        self.forgotten = 0
        # insertion-ordered: a run seen again is moved to the end, the oldest is let go first
        self._runs: dict[str, _Snapshot] = {}
        self._table = transitions()

    @property
    def runs(self) -> int:
        return len(self._runs)

    def observe(self, observation: Observation, result: ObjectResult) -> None:
        run = observation.run
        run_id = result.run_id
        if run_id is None or result.profile is None or not isinstance(run, dict):
            return
        runs = self._runs
        before = runs.pop(run_id, None)
        submitted = _submitted_ids(observation) if observation.request is not None else None
        exchange = _exchange(observation.source) if submitted is not None else None
        if before is not None and exchange is not None and exchange == before.exchange:
            submitted = None  # a later event of the same streamed answer: answered once already
        if before is not None or observation.event:
            now = _Now(observation, run, result.profile, submitted, result.violations)
            if observation.event:
                self._stream_event(now)
            if before is not None:
                self._compare(before, now)
        # (a submission whose run was not seen before has nothing to be compared with)
        runs[run_id] = self._snapshot(before, observation.source, run, submitted, exchange)
        if len(runs) > self.window:
            del runs[next(iter(runs))]
            self.forgotten += 1

    @staticmethod
    def _snapshot(
        before: _Snapshot | None,
        source: Source,
        run: dict[str, Any],
        submitted: frozenset[str] | None,
        exchange: tuple[str, str] | None,
    ) -> _Snapshot:
        # Once per observation, so one lookup per field and no helper calls.
        get = run.get
        status = get("status")
        if status.__class__ is not str:
            status = None
        started = get("started_at")
        if started.__class__ is not int:
            started = None
        expires = get("expires_at")
        ended: tuple[Any, ...] = (get("completed_at"), get("failed_at"), get("cancelled_at"))
        if ended == NO_END:
            ended = NO_END  # one shared tuple for the many runs not ended yet
        else:
            ended = tuple(v if v.__class__ is int else None for v in ended)
        resumed = before is not None and (
            _leaves_requires_action(before, run)
            or (before.resumed and started == before.started_at)
        )
        return _Snapshot(
            source,
            status,
            (get("object"), get("created_at"), get("thread_id"), get("assistant_id")),
            started,
            expires if expires.__class__ is int else None,
            ended,
            _compact_usage(get("usage")) if status in TERMINAL_STATUSES else None,
            _call_ids(run) if status == "requires_action" else None,
            resumed or submitted is not None,
            exchange or (before.exchange if before is not None else None),
        )

    def _add(
        self, now: _Now, code: str, path: str, message: str, *, value: JSON, related: Source | None
    ) -> None:
        if self.engine.is_enabled(code, now.profile):
            now.out.append(
                self.engine.violation(
                    code, path, message, value, source=now.observation.source, related=related
                )
            )

    def _stream_event(self, now: _Now) -> None:
        observation, run = now.observation, now.run
        event = observation.event
        if not event or not event.startswith(RUN_EVENT):
            return
        status = run.get("status")
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

    def _compare(self, before: _Snapshot, now: _Now) -> None:
        # Within one input the recorded order is known. Between two files it is not (a list
        # page may have been recorded before a poll kept in a file that sorts first), so there
        # only what must agree in any order is compared, unless the user says the files are in
        # order (--files-in-order).
        ordered = self.files_in_order or before.source.file == now.observation.source.file
        if ordered:
            self._status_change(before, now)
            self._started_at(before, now)
        self._identity(before, now)
        self._end_times(before, now, ordered=ordered)
        self._expiry(before, now, ordered=ordered)
        self._usage(before, now, ordered=ordered)
        if ordered and now.submitted is not None:
            self._tool_outputs(before, now, now.submitted)

    def _status_change(self, before: _Snapshot, now: _Now) -> None:
        was, old, status = before.source, before.status, _status(now.run)
        if old is None or status is None or status == old:
            return
        if old in TERMINAL_STATUSES:
            self._add(
                now,
                "L002",
                "$.status",
                f"status changed from {old} (final, at {was}) to {status}",
                value=status,
                related=was,
            )
        elif old in self._table and status not in self._table[old]:
            self._add(
                now,
                "L001",
                "$.status",
                f"status went from {old} (at {was}) to {status}, which its lifecycle does "
                "not allow",
                value=status,
                related=was,
            )

    def _identity(self, before: _Snapshot, now: _Now) -> None:
        was = before.source
        for key, previous in zip(IMMUTABLE_FIELDS, before.fixed, strict=True):
            current = now.run.get(key)
            if current != previous:
                self._add(
                    now,
                    "L003",
                    f"$.{key}",
                    f"{key} changed from {previous!r} (at {was}) to {current!r}",
                    value=current,
                    related=was,
                )

    def _end_times(self, before: _Snapshot, now: _Now, *, ordered: bool) -> None:
        was = before.source
        for key, previous in zip(TERMINAL_TIMESTAMPS, before.ended, strict=True):
            current = integer(now.run, key)
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

    def _expiry(self, before: _Snapshot, now: _Now, *, ordered: bool) -> None:
        expires, previous = integer(now.run, "expires_at"), before.expires_at
        if previous is None or expires is None or expires == previous:
            return
        if expires < previous and ordered:
            code = "L005"
        elif before.status not in TERMINAL_STATUSES and _status(now.run) not in TERMINAL_STATUSES:
            code = "L006"
        else:
            return
        self._add(
            now,
            code,
            "$.expires_at",
            f"expires_at changed from {previous} (at {before.source}) to {expires}",
            value=expires,
            related=before.source,
        )

    def _usage(self, before: _Snapshot, now: _Now, *, ordered: bool) -> None:
        usage = now.run.get("usage")
        if (
            before.status not in TERMINAL_STATUSES
            or before.usage is None
            or _compact_usage(usage) == before.usage
        ):
            return
        if not ordered and (usage is None or _status(now.run) not in TERMINAL_STATUSES):
            return  # out of order, an earlier observation of the run may simply lack it
        self._add(
            now,
            "L007",
            "$.usage",
            f"usage changed after the run ended: {_usage_text(before.usage)} (at {before.source}) "
            f"then {_usage_text(_compact_usage(usage))}",
            value=usage,
            related=before.source,
        )

    def _started_at(self, before: _Snapshot, now: _Now) -> None:
        run, submitted = now.run, now.submitted
        previous = before.started_at
        current = integer(run, "started_at")
        if previous is None or current == previous:
            return
        was = before.source
        if current is not None and current < previous:
            self._add(
                now,
                "L005",
                "$.started_at",
                f"started_at moved back from {previous} (at {was}) to {current}",
                value=current,
                related=was,
            )
        elif current is None or not (
            before.resumed or submitted is not None or _leaves_requires_action(before, run)
        ):
            self._add(
                now,
                "L010",
                "$.started_at",
                f"started_at changed from {previous} (at {was}) to {current} without the run "
                "resuming after tool outputs",
                value=current,
                related=was,
            )

    def _tool_outputs(self, before: _Snapshot, now: _Now, submitted: frozenset[str]) -> None:
        was = before.source
        if before.status != "requires_action" or before.call_ids is None:
            self._add(
                now,
                "L008",
                "$.status",
                f"tool outputs were accepted for a run whose status was {before.status} "
                f"(at {was}), not requires_action",
                value=before.status,
                related=was,
            )
            return
        if submitted != before.call_ids:
            missing = sorted(before.call_ids - submitted)
            extra = sorted(submitted - before.call_ids)
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
