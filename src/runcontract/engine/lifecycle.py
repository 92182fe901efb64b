"""Lifecycle rules: a run judged across its successive observations.

The tracker keeps a small snapshot of the last observation of each run (grouped by run id, in
recorded order) and compares every new observation with it. Violations are added to the result
of the later observation and name the earlier one in `related`.
"""

from __future__ import annotations

import re
from collections import OrderedDict
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
# Runs remembered at once. A run whose observations are further apart than this many other runs
# is judged afresh; the summary counts such runs so nothing is dropped silently.
DEFAULT_WINDOW = 200_000


@cache
def transitions() -> dict[str, frozenset[str]]:
    with (data_dir("contracts") / "lifecycle.yaml").open(encoding="utf-8") as handle:
        table = yaml.safe_load(handle)["transitions"]
    return {str(status): frozenset(str(n) for n in nexts) for status, nexts in table.items()}


@dataclass(slots=True)
class _Snapshot:
    """What the tracker remembers of a run's last observation."""

    source: Source
    status: Any
    fixed: tuple[Any, ...]  # the IMMUTABLE_FIELDS, in order
    started_at: int | None
    expires_at: int | None
    ended: tuple[int | None, ...]  # the TERMINAL_TIMESTAMPS, in order
    usage: JSON
    call_ids: frozenset[str] | None  # required tool call ids, when the run requires action
    resumed: bool  # tool outputs were submitted since started_at was last stamped


def _call_ids(run: dict[str, Any]) -> frozenset[str] | None:
    action = run.get("required_action")
    if not isinstance(action, dict):
        return None
    outputs = action.get("submit_tool_outputs")
    calls = outputs.get("tool_calls") if isinstance(outputs, dict) else None
    if not isinstance(calls, list):
        return None
    return frozenset(
        str(call["id"]) for call in calls if isinstance(call, dict) and isinstance(call.get("id"), str)
    )


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


def _leaves_requires_action(before: _Snapshot | None, run: dict[str, Any]) -> bool:
    """A run going from requires_action back to work had its tool outputs submitted."""
    return (
        before is not None
        and before.status == "requires_action"
        and run.get("status") in ("queued", "in_progress")
    )


class LifecycleTracker:
    def __init__(self, engine: Engine, *, window: int = DEFAULT_WINDOW) -> None:
        self.engine = engine
        self.window = window
        self.forgotten = 0
        self._runs: OrderedDict[str, _Snapshot] = OrderedDict()
        self._table = transitions()

    @property
    def runs(self) -> int:
        return len(self._runs)

    def observe(self, observation: Observation, result: ObjectResult) -> None:
        run = observation.run
        if not isinstance(run, dict) or result.run_id is None or result.profile is None:
            return
        profile = result.profile
        out = result.violations
        before = self._runs.pop(result.run_id, None)
        submitted = _submitted_ids(observation)
        self._stream_event(observation, run, profile, out)
        if before is not None:
            self._compare(before, observation, run, profile, submitted, out)
        elif submitted is not None:
            pass  # the run's earlier observations were not recorded: nothing to compare with
        self._runs[result.run_id] = self._snapshot(before, observation, run, submitted)
        if len(self._runs) > self.window:
            self._runs.popitem(last=False)
            self.forgotten += 1

    def _snapshot(
        self,
        before: _Snapshot | None,
        observation: Observation,
        run: dict[str, Any],
        submitted: frozenset[str] | None,
    ) -> _Snapshot:
        started = integer(run, "started_at")
        resumed = (
            submitted is not None
            or _leaves_requires_action(before, run)
            or (before is not None and before.resumed and started == before.started_at)
        )
        return _Snapshot(
            source=observation.source,
            status=run.get("status"),
            fixed=tuple(run.get(key) for key in IMMUTABLE_FIELDS),
            started_at=started,
            expires_at=integer(run, "expires_at"),
            ended=tuple(integer(run, key) for key in TERMINAL_TIMESTAMPS),
            usage=run.get("usage"),
            call_ids=_call_ids(run),
            resumed=resumed,
        )

    def _add(
        self,
        out: list[Violation],
        code: str,
        profile: Profile,
        path: str,
        message: str,
        value: JSON,
        observation: Observation,
        related: Source | None,
    ) -> None:
        if self.engine.is_enabled(code, profile):
            out.append(
                self.engine.violation(code, path, message, value, observation.source, related)
            )

    def _stream_event(
        self, observation: Observation, run: dict[str, Any], profile: Profile, out: list[Violation]
    ) -> None:
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
            out,
            code,
            profile,
            "$.status",
            f"stream event {event} carries a run whose status is {status}",
            status,
            observation,
            None,
        )

    def _compare(
        self,
        before: _Snapshot,
        observation: Observation,
        run: dict[str, Any],
        profile: Profile,
        submitted: frozenset[str] | None,
        out: list[Violation],
    ) -> None:
        was = before.source
        status = run.get("status")
        old = before.status
        if isinstance(old, str) and isinstance(status, str) and status != old:
            if old in TERMINAL_STATUSES:
                self._add(
                    out, "L002", profile, "$.status",
                    f"status changed from {old} (final, at {was}) to {status}",
                    status, observation, was,
                )
            elif old in self._table and status not in self._table[old]:
                self._add(
                    out, "L001", profile, "$.status",
                    f"status went from {old} (at {was}) to {status}, which its lifecycle does "
                    "not allow",
                    status, observation, was,
                )
        for key, previous in zip(IMMUTABLE_FIELDS, before.fixed, strict=True):
            current = run.get(key)
            if current != previous:
                self._add(
                    out, "L003", profile, f"$.{key}",
                    f"{key} changed from {previous!r} (at {was}) to {current!r}",
                    current, observation, was,
                )
        for key, previous in zip(TERMINAL_TIMESTAMPS, before.ended, strict=True):
            current = integer(run, key)
            if previous is not None and current != previous:
                self._add(
                    out, "L004", profile, f"$.{key}",
                    f"{key} changed from {previous} (at {was}) to {current}",
                    current, observation, was,
                )
        self._started_at(before, observation, run, profile, submitted, out)
        expires = integer(run, "expires_at")
        if before.expires_at is not None and expires is not None and expires != before.expires_at:
            code = "L005" if expires < before.expires_at else "L006"
            if code == "L005" or status not in TERMINAL_STATUSES:
                self._add(
                    out, code, profile, "$.expires_at",
                    f"expires_at changed from {before.expires_at} (at {was}) to {expires}",
                    expires, observation, was,
                )
        usage = run.get("usage")
        if old in TERMINAL_STATUSES and before.usage is not None and usage != before.usage:
            self._add(
                out, "L007", profile, "$.usage",
                f"usage changed after the run ended: {before.usage!r} (at {was}) then {usage!r}",
                usage, observation, was,
            )
        if submitted is not None:
            self._tool_outputs(before, observation, profile, submitted, out)

    def _started_at(
        self,
        before: _Snapshot,
        observation: Observation,
        run: dict[str, Any],
        profile: Profile,
        submitted: frozenset[str] | None,
        out: list[Violation],
    ) -> None:
        previous = before.started_at
        current = integer(run, "started_at")
        if previous is None or current == previous:
            return
        was = before.source
        if current is not None and current < previous:
            self._add(
                out, "L005", profile, "$.started_at",
                f"started_at moved back from {previous} (at {was}) to {current}",
                current, observation, was,
            )
        elif current is None or not (
            before.resumed or submitted is not None or _leaves_requires_action(before, run)
        ):
            self._add(
                out, "L010", profile, "$.started_at",
                f"started_at changed from {previous} (at {was}) to {current} without the run "
                "resuming after tool outputs",
                current, observation, was,
            )

    def _tool_outputs(
        self,
        before: _Snapshot,
        observation: Observation,
        profile: Profile,
        submitted: frozenset[str],
        out: list[Violation],
    ) -> None:
        was = before.source
        if before.status != "requires_action" or before.call_ids is None:
            self._add(
                out, "L008", profile, "$.status",
                f"tool outputs were accepted for a run whose status was {before.status} "
                f"(at {was}), not requires_action",
                before.status, observation, was,
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
                out, "L008", profile, "$.required_action.submit_tool_outputs.tool_calls",
                f"the submitted tool outputs do not match the calls required at {was} "
                f"({'; '.join(parts)})",
                sorted(submitted), observation, was,
            )
