"""Lifecycle rules: valid walks give nothing; each break across observations gives its rule."""

from __future__ import annotations

import copy
import itertools
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import assume, given, reject, settings
from hypothesis import strategies as st

from runcontract.engine import Engine
from runcontract.engine.lifecycle import LifecycleTracker, facts_of, transitions
from runcontract.model import ObjectResult, Observation, Request, Severity, Source, Violation
from runcontract.vocabulary import TERMINAL_STATUSES
from tests.engines import default_engine
from tests.synth import PROFILES, TERMINAL, build_lifecycle, evolve

Run = dict[str, Any]


def observe(
    runs: list[Run],
    *,
    events: list[str | None] | None = None,
    requests: dict[int, Request] | None = None,
    engine: Engine | None = None,
) -> list[ObjectResult]:
    observations = [
        Observation(
            run,
            Source("walk.json", f"[{index}]"),
            index,
            request=(requests or {}).get(index),
            event=events[index] if events else None,
        )
        for index, run in enumerate(runs)
    ]
    return list((engine or default_engine()).judge_all(observations))


def violations(results: list[ObjectResult]) -> list[Violation]:
    return [v for result in results for v in result.violations]


@st.composite
def walks(draw: st.DrawFn, profile: str | None = None, path: str | None = None) -> list[Run]:
    rng = draw(st.randoms(use_true_random=False))
    return build_lifecycle(rng, profile or draw(st.sampled_from(PROFILES)), path)


@given(walks())
@settings(max_examples=200)
def test_a_valid_walk_has_no_violation(walk: list[Run]) -> None:
    assert violations(observe(walk)) == []


def test_every_status_pair_the_walks_take_is_in_the_table() -> None:
    table = transitions()
    rng = random.Random(7)
    seen = set()
    for _ in range(500):
        walk = build_lifecycle(rng)
        seen |= {(a["status"], b["status"]) for a, b in itertools.pairwise(walk)}
    assert all(after in table[before] for before, after in seen)
    assert ("requires_action", "queued") in seen


def _later(walk: list[Run], change: Callable[[Run], None], at: int | None = None) -> list[Run]:
    """The walk with one later observation changed (a copy: the walk is not touched)."""
    changed = copy.deepcopy(walk)
    change(changed[at if at is not None else len(changed) - 1])
    return changed


def _append(walk: list[Run], status: str) -> list[Run]:
    last = walk[-1]
    return [
        *walk,
        evolve(last, status, (last["started_at"] or last["created_at"]) + 5, random.Random(0)),
    ]


def _codes(results: list[ObjectResult]) -> set[tuple[str, Severity]]:
    return {(v.rule, v.severity) for v in violations(results)}


@given(walks())
def test_a_finished_run_that_changes_status_is_l002(walk: list[Run]) -> None:
    final = walk[-1]["status"]
    other = "in_progress" if final != "in_progress" else "queued"
    assert ("L002", Severity.ERROR) in _codes(observe(_append(walk, other)))


@given(walks(path="cancel"))
def test_a_cancelling_run_back_at_work_is_l001(walk: list[Run]) -> None:
    assume(any(run["status"] == "cancelling" for run in walk))
    cut = next(i for i, run in enumerate(walk) if run["status"] == "cancelling") + 1
    results = observe(_append(walk[:cut], "in_progress"))
    found = [v for v in violations(results) if v.rule == "L001"]
    assert found
    assert "cancelling" in found[0].message
    assert found[0].related == Source("walk.json", f"[{cut - 1}]")  # names the earlier one
    assert found[0].source == Source("walk.json", f"[{cut}]")


@given(walks())
def test_an_in_progress_run_back_in_the_queue_is_l001(walk: list[Run]) -> None:
    assume(walk[1]["status"] == "queued" and any(r["status"] == "in_progress" for r in walk))
    cut = next(i for i, run in enumerate(walk) if run["status"] == "in_progress") + 1
    assert ("L001", Severity.ERROR) in _codes(observe(_append(walk[:cut], "queued")))


@pytest.mark.parametrize("key", ["created_at", "thread_id", "assistant_id", "object"])
@given(walk=walks())
def test_a_changed_creation_field_is_l003(key: str, walk: list[Run]) -> None:
    def change(run: Run) -> None:
        run[key] = run[key] - 1 if key == "created_at" else f"{run[key]}x"

    results = observe(_later(walk, change))
    found = [v for v in violations(results) if v.rule == "L003"]
    assert found
    assert found[0].path == f"$.{key}"


@given(walks())
def test_a_changed_end_time_is_l004(walk: list[Run]) -> None:
    last = walk[-1]
    key = next((k for k in ("completed_at", "failed_at", "cancelled_at") if last.get(k)), None)
    if key is None:
        reject()
    again = copy.deepcopy(last)
    again[key] += 7
    assert ("L004", Severity.ERROR) in _codes(observe([*walk, again]))


@given(walks())
def test_started_at_moving_back_is_l005(walk: list[Run]) -> None:
    index = next((i for i, r in enumerate(walk) if r["started_at"] is not None), None)
    assume(index is not None and index + 1 < len(walk))
    assert index is not None

    def back(run: Run) -> None:
        run["started_at"] = walk[index]["started_at"] - 1
        run["created_at"] = min(run["created_at"], run["started_at"])

    found = _codes(observe(_later(walk, back, index + 1)))
    assert ("L005", Severity.ERROR) in found


@given(walks(path="complete"))
def test_started_at_moving_on_without_a_resume_is_l010(walk: list[Run]) -> None:
    assume(not any(r["status"] == "requires_action" for r in walk))
    index = next((i for i, r in enumerate(walk) if r["started_at"] is not None), None)
    assume(index is not None and index + 1 < len(walk) and walk[index + 1]["status"] != "expired")
    assert index is not None

    def forward(run: Run) -> None:
        run["started_at"] += 1
        for key in ("completed_at", "failed_at", "cancelled_at"):
            if run.get(key) is not None:
                run[key] += 1

    assert ("L010", Severity.ERROR) in _codes(observe(_later(walk, forward, index + 1)))


@given(walks())
def test_expires_at_moving_while_live_is_l006(walk: list[Run]) -> None:
    live = [i for i, r in enumerate(walk) if r["status"] not in TERMINAL]
    assume(len(live) >= 2)

    def extend(run: Run) -> None:
        run["expires_at"] += 60

    assert ("L006", Severity.ERROR) in _codes(observe(_later(walk, extend, live[1])))


@given(walks())
def test_usage_changing_after_the_end_is_l007(walk: list[Run]) -> None:
    assume(walk[-1].get("usage") is not None)
    again = copy.deepcopy(walk[-1])
    again["usage"]["completion_tokens"] += 1
    again["usage"]["total_tokens"] += 1
    assert ("L007", Severity.ERROR) in _codes(observe([*walk, again]))


def _submit_request(run: Run, ids: list[str]) -> Request:
    return Request(
        "POST",
        f"/v1/threads/{run['thread_id']}/runs/{run['id']}/submit_tool_outputs",
        {"tool_outputs": [{"tool_call_id": i, "output": "ok"} for i in ids]},
    )


@given(walks(path="tools"))
def test_tool_outputs_must_answer_the_required_calls(walk: list[Run]) -> None:
    index = next((i for i, r in enumerate(walk) if r["status"] == "requires_action"), None)
    assume(index is not None)
    assert index is not None
    answer = next(i for i in range(index, len(walk)) if walk[i]["status"] == "queued")
    asked = walk[answer - 1]["required_action"]["submit_tool_outputs"]["tool_calls"]
    ids = [call["id"] for call in asked]
    right = observe(walk, requests={answer: _submit_request(walk[answer], ids)})
    assert violations(right) == []
    wrong = observe(walk, requests={answer: _submit_request(walk[answer], [*ids[1:], "call_x"])})
    found = [v for v in violations(wrong) if v.rule == "L008"]
    assert found
    assert "call_x" in found[0].message


@given(walks())
def test_tool_outputs_accepted_by_a_run_not_asking_is_l008(walk: list[Run]) -> None:
    last = copy.deepcopy(walk[-1])
    results = observe([*walk, last], requests={len(walk): _submit_request(last, ["call_1"])})
    assert ("L008", Severity.ERROR) in _codes(results)


def test_stream_event_names_agree_with_the_status() -> None:
    walk = build_lifecycle(random.Random(11), "v2")
    events: list[str | None] = [f"thread.run.{r['status']}" for r in walk]
    events[0] = "thread.run.created"
    assert violations(observe(walk, events=events)) == []
    events[-1] = "thread.run.failed" if walk[-1]["status"] != "failed" else "thread.run.completed"
    assert ("L009", Severity.ERROR) in _codes(observe(walk, events=events))


def test_completed_event_carrying_incomplete_is_the_known_deviation() -> None:
    rng = random.Random(5)
    walk = next(
        w
        for w in (build_lifecycle(rng, "v2") for _ in range(500))
        if w[-1]["status"] == "incomplete"
    )
    events: list[str | None] = [None] * len(walk)
    events[-1] = "thread.run.completed"
    assert _codes(observe(walk, events=events)) == {("D007", Severity.WARNING)}
    strict = observe(walk, events=events, engine=Engine(strict=True))
    assert _codes(strict) == {("D007", Severity.ERROR)}


def test_interleaved_runs_are_kept_apart() -> None:
    rng = random.Random(9)
    first, second = build_lifecycle(rng, "v2"), build_lifecycle(rng, "v2")
    mixed = [run for pair in zip(first, second, strict=False) for run in pair]
    mixed += first[len(second) :] + second[len(first) :]
    assert violations(observe(mixed)) == []


def test_no_lifecycle_turns_the_rules_off() -> None:
    walk = build_lifecycle(random.Random(2), "v2")
    broken = _later(walk, lambda run: run.__setitem__("thread_id", "thread_other"))
    assert violations(observe(broken, engine=Engine(lifecycle=False))) == []
    assert violations(observe(broken)) != []


def test_a_streamed_answer_to_a_submission_counts_as_one_submission() -> None:
    """Every run event of a streamed submit_tool_outputs answer carries the same request."""
    walk = build_lifecycle(random.Random(4), "v2", "tools")
    answer = next(i for i, r in enumerate(walk) if i and walk[i - 1]["status"] == "requires_action")
    calls = walk[answer - 1]["required_action"]["submit_tool_outputs"]["tool_calls"]
    request = _submit_request(walk[answer], [call["id"] for call in calls])
    observations = []
    for index, run in enumerate(walk):
        streamed = index >= answer
        entry = f"interaction 2, event {index}" if streamed else f"interaction 1, event {index}"
        observations.append(
            Observation(
                run,
                Source("stream.yaml", entry),
                index,
                request=request if streamed else None,
                event=f"thread.run.{run['status']}",
            )
        )
    assert violations(list(default_engine().judge_all(observations))) == []
    # a second, separate exchange answering again is a submission to a run not asking
    again = Observation(
        walk[-1], Source("stream.yaml", "interaction 3, event 1"), len(walk), request=request
    )
    results = list(default_engine().judge_all([*observations, again]))
    assert [v.rule for v in violations(results)] == ["L008"]


def test_the_window_bounds_memory_and_counts_the_runs_let_go() -> None:
    rng = random.Random(8)
    walks = [build_lifecycle(rng, "v2", "complete") for _ in range(5)]
    moved = copy.deepcopy(walks[0][0])
    moved["thread_id"] = "thread_elsewhere"  # would be L003 against the first observation
    firsts = [walk[0] for walk in walks]

    def feed(tracker: LifecycleTracker) -> ObjectResult:
        for index, run in enumerate([*firsts, moved]):
            observation = Observation(run, Source("w.jsonl", f"line {index}"), index)
            result = default_engine().judge(observation)
            tracker.observe(observation, result)
        return result

    small = LifecycleTracker(default_engine(), window=3)
    assert feed(small).violations == []  # its history was let go
    assert small.runs == 3
    assert small.forgotten == 3
    assert [v.rule for v in feed(LifecycleTracker(default_engine())).violations] == ["L003"]


@pytest.mark.parametrize("from_facts", [False, True], ids=["observe", "observe_facts"])
def test_the_window_lets_go_the_run_seen_least_recently_not_first(from_facts: bool) -> None:
    """A run seen again moves to the end: the next to be let go is the oldest of the others,
    the first time the window fills (the tracker's dict becomes an OrderedDict then) and after.
    """
    rng = random.Random(10)
    first, second, third, fourth, fifth = (
        build_lifecycle(rng, "v2", "complete")[0] for _ in range(5)
    )
    tracker = LifecycleTracker(default_engine(), window=3)

    def see(run: dict[str, Any], line: int) -> list[str]:
        observation = Observation(run, Source("w.jsonl", f"line {line}"), line)
        result = default_engine().judge(observation)
        if from_facts:
            assert result.run_id is not None
            assert result.profile is not None
            tracker.observe_facts(
                result.run_id, result.profile, facts_of(run), observation.source, result.violations
            )
        else:
            tracker.observe(observation, result)
        return [v.rule for v in result.violations]

    def moved(run: dict[str, Any]) -> dict[str, Any]:
        changed = copy.deepcopy(run)
        changed["thread_id"] = "thread_elsewhere"  # L003 against a remembered observation
        return changed

    for line, run in enumerate([first, second, third, first, fourth]):
        see(run, line)  # fourth fills the window: second, seen least recently, is let go
    assert tracker.runs == 3
    assert see(moved(second), 5) == []  # judged afresh; third is let go
    assert see(moved(first), 6) == ["L003"]  # remembered, though seen before third
    see(fifth, 7)  # fourth is let go
    assert see(moved(third), 8) == []  # second is let go
    assert see(first, 9) == ["L003"]  # its thread changed back
    assert tracker.runs == 3


def test_runs_let_go_after_they_ended_are_not_counted_as_forgotten() -> None:
    """Only a run let go before it ended is sure to be seen again without its history."""
    rng = random.Random(9)
    ended = [build_lifecycle(rng, "v2", "complete")[-1] for _ in range(4)]
    under_way = [build_lifecycle(rng, "v2", "complete")[0] for _ in range(4)]
    assert all(run["status"] in TERMINAL_STATUSES for run in ended)
    assert not any(run["status"] in TERMINAL_STATUSES for run in under_way)
    tracker = LifecycleTracker(default_engine(), window=2)
    for index, run in enumerate([*ended, *under_way]):
        observation = Observation(run, Source("w.jsonl", f"line {index}"), index)
        tracker.observe(observation, default_engine().judge(observation))
    assert tracker.runs == 2
    # of the six let go, the four ended ones and two still under way: only those two count
    assert tracker.forgotten == 2
