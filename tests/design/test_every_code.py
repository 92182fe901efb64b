"""--select and --ignore act on every code of the catalogue, whichever check emits it.

For each code a run, a sequence of observations or an HTTP exchange that breaks it, judged three
ways: with `--ignore CODE` the code is gone, with `--select CODE` it is there and alone, with
`--ignore <its letter>` no code of its family is left. Object rules through `runcontract
validate`, lifecycle rules through the Python API's judging loop, HTTP rules through the gate's
judge (answers), the gate on the reference server with a fault mode (scenarios), and the judge's
one entry for findings made elsewhere (schemathesis's checks).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import runcontract
from runcontract.catalogue import load_catalogue
from runcontract.engine import Engine
from runcontract.gate.document import load_document
from runcontract.gate.judge import Judge
from runcontract.gate.phases import BUILTIN_RULES
from runcontract.gate.traffic import Exchange
from runcontract.model import Observation, Profile, Request, Source
from tests.command import runcontract as cli
from tests.gate.helpers import ERROR, exchange

pytestmark = pytest.mark.timeout(600)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
Run = dict[str, Any]


def _ways(code: str) -> list[tuple[str, str]]:
    """The three selections, as (option, value)."""
    return [("--ignore", code), ("--select", code), ("--ignore", code[0])]


def _assert_selected(code: str, option: str, value: str, found: set[str]) -> None:
    if option == "--select":
        assert found == {code}, found
    elif value == code:
        assert code not in found, found
    else:
        assert not {c for c in found if c.startswith(value)}, found


# -- object rules: `runcontract validate` on the examples named for them --------------------------
def _example_per_code() -> dict[str, Path]:
    chosen: dict[str, Path] = {}
    for path in sorted((EXAMPLES / "invalid").glob("*.json")):
        chosen.setdefault(path.stem.split("-")[0], path)
    return chosen


OBJECT_EXAMPLES = _example_per_code()


@pytest.mark.parametrize(("code", "path"), sorted(OBJECT_EXAMPLES.items()))
def test_validate_selects_and_ignores_each_object_code(code: str, path: Path) -> None:
    profile = path.stem.split("-")[1]
    for option, value in _ways(code):
        outcome = cli(
            "validate",
            "--strict",
            "--profile",
            profile,
            "--format",
            "json",
            option,
            value,
            str(path),
        )
        violations = [v for r in json.loads(outcome.out)["results"] for v in r["violations"]]
        _assert_selected(code, option, value, {v["rule"] for v in violations})
        # the selection decides the verdict too: what is left of the errors, and only that
        failed = any(v["severity"] == "error" for v in violations)
        assert outcome.code == (1 if failed else 0), outcome.output


# -- lifecycle rules: successive observations of one run, judged in order -------------------------
def _example(name: str) -> Run:
    run = json.loads((EXAMPLES / "valid" / f"{name}.json").read_text(encoding="utf-8"))
    assert isinstance(run, dict)
    return run


def _working() -> Run:
    return _example("v2-in_progress")


def _finished() -> Run:
    run = _working()
    run.update(
        status="completed",
        completed_at=run["started_at"] + 50,
        expires_at=None,
        usage={"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    )
    return run


def _changed(run: Run, **changes: Any) -> Run:
    later = copy.deepcopy(run)
    later.update(changes)
    return later


def _submitted(run: Run, call_ids: list[str]) -> Request:
    return Request(
        "POST",
        f"/v1/threads/{run['thread_id']}/runs/{run['id']}/submit_tool_outputs",
        {"tool_outputs": [{"tool_call_id": i, "output": "ok"} for i in call_ids]},
    )


def _in_order(*runs: Run | Observation) -> list[Observation]:
    return [
        item
        if isinstance(item, Observation)
        else Observation(item, Source("run.jsonl", f"line {n}"), sequence=n)
        for n, item in enumerate(runs, 1)
    ]


def _resumed_with_other_outputs() -> list[Observation]:
    asking = _example("v2-requires_action")
    queued = _changed(asking, status="queued", required_action=None)
    answer = Observation(
        queued, Source("run.jsonl", "line 2"), 2, request=_submitted(queued, ["call_other"])
    )
    return _in_order(asking, answer)


def _event(run: Run, event: str) -> list[Observation]:
    return [Observation(run, Source("stream.json", "event 1"), 1, event=event)]


LIFECYCLE_CASES: dict[str, Callable[[], list[Observation]]] = {
    "L001": lambda: _in_order(_changed(_working(), status="cancelling"), _working()),
    "L002": lambda: _in_order(_finished(), _changed(_finished(), status="failed")),
    "L003": lambda: _in_order(_working(), _changed(_working(), thread_id="thread_other")),
    "L004": lambda: _in_order(
        _finished(), _changed(_finished(), completed_at=_finished()["completed_at"] + 5)
    ),
    "L005": lambda: _in_order(
        _working(), _changed(_working(), expires_at=_working()["expires_at"] - 10)
    ),
    "L006": lambda: _in_order(
        _working(), _changed(_working(), expires_at=_working()["expires_at"] + 10)
    ),
    "L007": lambda: _in_order(
        _finished(),
        _changed(
            _finished(), usage={"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16}
        ),
    ),
    "L008": _resumed_with_other_outputs,
    "L009": lambda: _event(_working(), "thread.run.completed"),
    "L010": lambda: _in_order(
        _working(), _changed(_working(), started_at=_working()["started_at"] + 5)
    ),
    "D007": lambda: _event(_example("v2-incomplete"), "thread.run.completed"),
}


def test_the_lifecycle_cases_start_from_runs_that_keep_every_object_rule() -> None:
    """So what each case breaks is the change it makes, not the runs it starts from."""
    for run in (_working(), _finished(), _example("v2-requires_action")):
        assert runcontract.check(run, profile="v2", strict=True) == []


@pytest.mark.parametrize("code", sorted(LIFECYCLE_CASES))
def test_the_judging_loop_selects_and_ignores_each_lifecycle_code(code: str) -> None:
    observations = LIFECYCLE_CASES[code]()
    everything = runcontract.judge(observations, profile="v2", strict=True)
    assert code in {v.rule for r in everything for v in r.violations}
    for option, value in _ways(code):
        select, ignore = ([value], []) if option == "--select" else ([], [value])
        results = runcontract.judge(
            observations, profile="v2", strict=True, select=select, ignore=ignore
        )
        _assert_selected(code, option, value, {v.rule for r in results for v in r.violations})


# -- HTTP rules on single answers: the gate's judge -----------------------------------------------


def _page(first: str, ids: list[str], obj: str = "list") -> dict[str, Any]:
    runs = [dict(_working(), id=i) for i in ids]
    return {"object": obj, "data": runs, "first_id": first, "last_id": ids[-1], "has_more": False}


ANSWERS: dict[str, Callable[[], Exchange]] = {
    "H001": lambda: exchange(
        "GET", "/threads/thread_1/runs", 200, _page("run_b", ["run_a", "run_b"]), query="limit=2"
    ),
    "H002": lambda: exchange("GET", "/threads/thread_1/runs/run_unknown", 500, ERROR),
    "H003": lambda: exchange("GET", "/threads/thread_1/runs/run_1", 404, {"message": "flat"}),
    "H004": lambda: exchange("GET", "/threads/thread_1/runs/run_1", 403, ERROR),
    "H005": lambda: exchange(
        "GET", "/threads/thread_1/runs/run_1", 200, media="text/plain", raw=b"a run"
    ),
    "H006": lambda: exchange(
        "GET", "/threads/thread_1/runs", 200, _page("run_a", ["run_a"], obj="page")
    ),
    "H012": lambda: exchange(
        "GET", "/threads/thread_1/runs", 200, _page("run_a", ["run_a"]), query="limit=0"
    ),
    "H014": lambda: exchange(
        "POST",
        "/threads/thread_1/runs",
        200,
        request={"assistant_id": "asst_1", "stream": True},
        media="text/event-stream",
        raw=b"event: thread.run.created\ndata: " + json.dumps(_working()).encode() + b"\n\n",
    ),
}


def _judge(select: list[str] | None = None, ignore: list[str] | None = None) -> Judge:
    engine = Engine(profile=Profile.V2, strict=True, select=select or (), ignore=ignore or ())
    return Judge(engine, load_document(Profile.V2), Profile.V2)


@pytest.mark.parametrize("code", sorted(ANSWERS))
def test_the_gate_s_judge_selects_and_ignores_each_code_of_an_answer(code: str) -> None:
    everything = {v.rule for v in _judge().judge(ANSWERS[code]()).violations()}
    assert code in everything
    for option, value in _ways(code):
        chosen = {option.lstrip("-"): [value]}
        found = {v.rule for v in _judge(**chosen).judge(ANSWERS[code]()).violations()}
        _assert_selected(code, option, value, found)


# -- HTTP rules found elsewhere and handed to the judge: schemathesis's checks --------------------
LATER = sorted(set(BUILTIN_RULES.values()) - set(ANSWERS))


@pytest.mark.parametrize("code", LATER)
def test_the_gate_s_judge_selects_and_ignores_each_code_of_schemathesis(code: str) -> None:
    """schemathesis's failures reach the verdict only through `Judge.add` (gate/phases.py)."""
    for option, value in [("", ""), *_ways(code)]:
        chosen = {option.lstrip("-"): [value]} if option else {}
        judge = _judge(**chosen)
        verdict = judge.judge(exchange("GET", "/threads/thread_1/runs/run_1", 404, ERROR))
        assert list(verdict.violations()) == []
        judge.add(1, code, f"schemathesis found {code}")
        found = {v.rule for v in verdict.violations()}
        if option:
            _assert_selected(code, option, value, found)
        else:
            assert found == {code}


# -- HTTP rules of the scenarios: the gate on the reference server with a fault mode --------------
SCENARIO_FAULTS = {
    "H020": "any-assistant-accepted",
    "H021": "second-active-run-accepted",
    "H022": "metadata-dropped",
    "H023": "tools-not-inherited",
    "H024": "steps-of-unknown-run",
    "H025": "no-thread-and-run",
    "H026": "cancel-server-error",
}


@pytest.mark.parametrize(("code", "fault"), sorted(SCENARIO_FAULTS.items()))
def test_the_gate_selects_and_ignores_each_code_of_its_scenarios(
    code: str, fault: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNCONTRACT_DESIGN_KEY", "sk-test-design0123456789abcdefgh")
    for option, value in [("", ""), *_ways(code)]:
        report = tmp_path / f"{option}{value}.json"
        argv = [
            "gate",
            "--fault",
            fault,
            "--phases",
            "lifecycle",
            "--api-key-env",
            "RUNCONTRACT_DESIGN_KEY",
            "--report",
            f"json={report}",
        ]
        outcome = cli(*argv, *([option, value] if option else []))
        assert outcome.code in (0, 1), outcome.output
        results = json.loads(report.read_text(encoding="utf-8"))["results"]
        violations = [v for r in results for v in r["violations"]]
        found = {v["rule"] for v in violations}
        if option:
            _assert_selected(code, option, value, found)
        else:
            assert code in found, outcome.output
        failed = any(v["severity"] == "error" for v in violations)
        assert outcome.code == (1 if failed else 0), outcome.output


def test_these_cases_cover_every_code_of_the_catalogue() -> None:
    covered = [*OBJECT_EXAMPLES, *LIFECYCLE_CASES, *ANSWERS, *LATER, *SCENARIO_FAULTS]
    assert len(covered) == len(set(covered))
    assert sorted(set(load_catalogue().rules) - set(covered)) == []
