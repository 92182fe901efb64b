"""Single contract breaks of a valid run, each with the rule it must trip: the catalogue's cases.

Shared by the property tests (tests/engine/test_properties.py), the fast lane's differential
tests and the script that writes tests/examples.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from runcontract.model import Profile, Severity
from tests.strategies import Run, runs
from tests.synth import LIVE, PROFILES, STATUSES


def _calls(run: Run) -> list[Run]:
    calls: list[Run] = run["required_action"]["submit_tool_outputs"]["tool_calls"]
    return calls


def _functions(run: Run) -> list[Run]:
    return [t for t in run["tools"] if t["type"] == "function"]


def _end_key(run: Run) -> str:
    return {"failed": "failed_at", "cancelled": "cancelled_at"}.get(run["status"], "completed_at")


@dataclass(frozen=True)
class Break:
    """One contract break: which runs it applies to, how to make it, the rule it must trip."""

    code: str
    applies: Callable[[Run], bool] | tuple[str, ...]  # a condition, or the statuses it needs
    apply: Callable[[Run], None]
    profiles: tuple[str, ...] = PROFILES
    severity: Severity = Severity.ERROR

    def draw_run(self, data: st.DataObject) -> Run:
        """A valid run this break applies to (drawing the status, not filtering for it)."""
        profile = data.draw(st.sampled_from(self.profiles))
        if isinstance(self.applies, tuple):
            statuses = [s for s in self.applies if s in STATUSES[profile]]
            run = data.draw(runs(profile, data.draw(st.sampled_from(statuses))))
        else:
            run = data.draw(runs(profile))
            assume(self.applies(run))
        return run

    def draw_broken(self, data: st.DataObject) -> tuple[Run, Profile]:
        """A run with this break made, and the profile of the valid run it was made from."""
        run = self.draw_run(data)
        profile = Profile(run_profile(run))
        self.apply(run)
        return run, profile


def _set(key: str, value: Callable[[Run], Any]) -> Callable[[Run], None]:
    def change(run: Run) -> None:
        run[key] = value(run)

    return change


def _status(*statuses: str) -> tuple[str, ...]:
    return statuses


def _always(run: Run) -> bool:
    return True


def _add_function(name: str) -> Callable[[Run], None]:
    def change(run: Run) -> None:
        run["tools"].append({"type": "function", "function": {"name": name}})

    return change


def _dup_function(run: Run) -> None:
    run["tools"].append(copy.deepcopy(_functions(run)[0]))


def _dup_call(run: Run) -> None:
    calls = _calls(run)
    calls.append(copy.deepcopy(calls[0]))


def _metadata(entries: dict[str, Any]) -> Callable[[Run], None]:
    return _set("metadata", lambda run: entries)


def _usage_negative(run: Run) -> None:
    run["usage"] = {"prompt_tokens": -5, "completion_tokens": 10, "total_tokens": 5}


def _usage_sum(run: Run) -> None:
    run["usage"]["total_tokens"] += 1


ENDED = ("completed", "failed", "cancelled", "incomplete")


def _end_before_start(run: Run) -> None:
    run["started_at"] = run["created_at"] + 10
    run[_end_key(run)] = run["created_at"] + 5


LIVE_STATUSES = tuple(sorted(LIVE))

BREAKS = [
    Break("S001", _always, lambda run: run.pop("model")),
    Break("S001", _always, _set("status", lambda run: "paused")),
    Break(
        "T001",
        ("in_progress", "requires_action", "completed"),
        _set("started_at", lambda r: r["created_at"] - 10),
    ),
    Break("T002", ENDED, _end_before_start),
    Break("T003", ENDED, lambda r: r.__setitem__(_end_key(r), r["created_at"] - 1)),
    Break("T004", LIVE_STATUSES, _set("expires_at", lambda r: r["created_at"] - 1)),
    Break("T005", _status("completed"), _set("failed_at", lambda r: r["completed_at"])),
    Break("T006", _always, _set("created_at", lambda r: r["created_at"] * 1000)),
    Break(
        "C001",
        ("queued", "in_progress", "completed", "failed", "cancelled"),
        _set(
            "required_action",
            lambda r: {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": []}},
        ),
    ),
    Break("C002", _status("requires_action"), _set("required_action", lambda r: None)),
    Break("C003", _status("failed"), _set("last_error", lambda r: None)),
    Break(
        "C004",
        _status("completed"),
        _set("last_error", lambda r: {"code": "server_error", "message": "x"}),
        severity=Severity.WARNING,
    ),
    Break("C005", _status("completed", "incomplete"), _set("completed_at", lambda r: None)),
    Break(
        "C006",
        _status("queued", "in_progress"),
        _set("cancelled_at", lambda r: r["created_at"] + 1),
    ),
    Break(
        "C007",
        _status("in_progress", "requires_action", "completed"),
        _set("started_at", lambda r: None),
    ),
    Break(
        "C008", _status("incomplete"), _set("incomplete_details", lambda r: None), profiles=("v2",)
    ),
    Break(
        "C009",
        _status("queued", "failed"),
        _set("incomplete_details", lambda r: {"reason": "max_prompt_tokens"}),
        profiles=("v1", "v2"),
    ),
    Break(
        "C010",
        LIVE_STATUSES,
        _set("expires_at", lambda r: None),
        profiles=("v1", "v2"),
        severity=Severity.WARNING,
    ),
    Break(
        "U001",
        LIVE_STATUSES,
        _set("usage", lambda r: {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}),
    ),
    Break("U002", ("completed", "incomplete", "failed"), _usage_sum),
    Break("U003", _status("completed", "failed"), _usage_negative),
    Break(
        "U004",
        _status("completed", "incomplete", "failed"),
        _set("usage", lambda r: None),
        profiles=("v1", "v2"),
        severity=Severity.WARNING,
    ),
    Break("M001", _always, _metadata({f"key{i}": "v" for i in range(17)})),
    Break("M002", _always, _metadata({"k" * 65: "v"})),
    Break("M003", _always, _metadata({"k": "v" * 513})),
    Break("M004", _always, _metadata({"k": 5}), profiles=("seed", "v1")),
    Break("F001", _always, _add_function("get weather!")),
    Break("F001", _always, _add_function("x" * 65)),
    Break(
        "F002",
        _status("requires_action"),
        lambda r: _calls(r)[0]["function"].__setitem__("name", "not_a_tool_of_this_run"),
    ),
    Break("F003", _status("requires_action"), _dup_call),
    Break(
        "F004",
        _status("requires_action"),
        lambda r: _calls(r)[0]["function"].__setitem__("arguments", "{query: x"),
        severity=Severity.WARNING,
    ),
    Break("F005", lambda r: bool(_functions(r)), _dup_function),
    Break("I001", _always, _set("id", lambda r: "xyz_" + r["id"]), severity=Severity.WARNING),
    Break(
        "I002",
        _always,
        _set("thread_id", lambda r: "t_" + r["thread_id"]),
        severity=Severity.WARNING,
    ),
    Break(
        "I003",
        _always,
        _set("assistant_id", lambda r: "a_" + r["assistant_id"]),
        severity=Severity.WARNING,
    ),
    Break(
        "I004",
        _status("requires_action"),
        lambda r: _calls(r)[0].__setitem__("id", "toolu_1"),
        severity=Severity.WARNING,
    ),
]

# Deviations of the real API: warnings by default, errors under --strict.
DEVIATIONS = [
    Break("D001", _always, _set("instructions", lambda r: None)),
    Break("D002", _always, _set("max_completion_tokens", lambda r: 16), profiles=("v1", "v2")),
    Break("D003", _always, lambda r: r.pop("parallel_tool_calls"), profiles=("v2",)),
    Break("D004", _always, lambda r: r.pop("usage"), profiles=("seed",)),
    Break("D004", _always, lambda r: r.pop("required_action"), profiles=("seed",)),
    Break(
        "D005",
        ("completed", "failed", "cancelled", "expired"),
        _set("expires_at", lambda r: None),
        profiles=("seed",),
    ),
    Break(
        "D006",
        _status("completed"),
        _set("incomplete_details", lambda r: {"reason": "max_prompt_tokens"}),
        profiles=("v1", "v2"),
    ),
    Break(
        "D008",
        ("expired",),
        _set("completed_at", lambda r: (r["started_at"] or r["created_at"]) + 1),
    ),
]


def run_profile(run: Run) -> str:
    if "file_ids" not in run:
        return "v2"
    return "v1" if "truncation_strategy" in run else "seed"
