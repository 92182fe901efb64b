"""The ids in schemathesis's requests are the target's own, in every phase.

A gate on the reference server, recorded: the create-run requests schemathesis generates carry
the assistant the gate created, the runs they name belong to the threads they name, and some
ids are left unknown so the 404 path is tried too.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml

from runcontract.gate.document import load_document
from runcontract.gate.phases import IdDraw, Ids
from runcontract.model import Profile
from tests.gate.helpers import gate

pytestmark = pytest.mark.timeout(120)

CREATE_RUN = re.compile(r"/v1/threads/(?:[^/]+/)?runs$")
ONE_RUN = re.compile(r"/v1/threads/(?P<thread>[^/?]+)/runs/(?P<run>[^/?]+)")


def interactions(path: Path) -> list[dict[str, Any]]:
    cassette = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    found: list[dict[str, Any]] = cassette["interactions"]
    return found


def body_of(message: dict[str, Any]) -> Any:
    body = message.get("body")
    text = body.get("string") if isinstance(body, dict) else body
    try:
        return json.loads(text) if text else None
    except (TypeError, ValueError):
        return None


def generated(interaction: dict[str, Any]) -> bool:
    return "x-schemathesis-testcaseid" in interaction["request"]["headers"]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    path = tmp_path_factory.mktemp("ids") / "gate.yaml"
    phases = "lifecycle,examples,coverage,fuzzing,stateful"
    # The budget caps what is sent; the in-process server costs nothing, so let every case go.
    result = gate(
        "--phases",
        phases,
        "--max-examples",
        "5",
        "--seed",
        "7",
        "--budget",
        "2000",
        "--record",
        str(path),
    )
    assert result.code == 0, result.out + result.err
    return interactions(path)


def test_most_generated_create_run_requests_carry_the_gate_s_assistant(
    recorded: list[dict[str, Any]],
) -> None:
    created = next(
        body_of(i["response"])["id"]
        for i in recorded
        if i["request"]["method"] == "POST" and i["request"]["uri"].endswith("/v1/assistants")
    )
    assistants: Counter[str] = Counter()
    for interaction in recorded:
        request = interaction["request"]
        creates = request["method"] == "POST" and CREATE_RUN.search(request["uri"])
        if creates and generated(interaction):
            body = body_of(request)
            named = body.get("assistant_id") if isinstance(body, dict) else None
            assistants["the gate's" if named == created else "another"] += 1
    total = sum(assistants.values())
    assert total > 100, assistants
    assert assistants["the gate's"] > 0.7 * total, assistants
    assert assistants["another"] > 0, assistants  # unknown ones are tried as well


def test_generated_run_paths_name_a_run_of_the_thread_they_name(
    recorded: list[dict[str, Any]],
) -> None:
    thread_of: dict[str, str] = {}
    for interaction in recorded:
        body = body_of(interaction["response"])
        if isinstance(body, dict) and body.get("object") == "thread.run":
            thread_of[body["id"]] = body["thread_id"]
    pairs: Counter[str] = Counter()
    for interaction in recorded:
        found = ONE_RUN.search(interaction["request"]["uri"])
        if found is not None and generated(interaction):
            owner = thread_of.get(found["run"])
            pairs["its own" if owner == found["thread"] else "unknown or another's"] += 1
    total = sum(pairs.values())
    assert total > 50, pairs
    assert pairs["its own"] > 0.7 * total, pairs


@functools.cache
def gate_schema() -> Any:
    return schemathesis.openapi.from_dict(load_document(Profile.V2).for_schemathesis())


def case(path: str, method: str, **parts: Any) -> Any:
    """A schemathesis case of the gate's document, as its phases make them."""
    return gate_schema()[path][method].Case(**parts)


def test_a_step_is_drawn_with_its_run_and_its_thread_and_cursors_of_the_listed_thread() -> None:
    ids = Ids(threads=["thread_1", "thread_2"], runs=["run_1", "run_2"], steps=["step_2"])
    parents = {"run_1": "thread_1", "run_2": "thread_2", "step_2": "run_2"}
    draw = IdDraw(ids, parents, known=set(parents) | set(parents.values()), probability=1.0)

    step_path = "/threads/{thread_id}/runs/{run_id}/steps/{step_id}"
    step = case(step_path, "GET", path_parameters={"thread_id": "x", "run_id": "y", "step_id": "z"})
    draw.draw(step)
    assert step.path_parameters == {"thread_id": "thread_2", "run_id": "run_2", "step_id": "step_2"}

    page = case(
        "/threads/{thread_id}/runs",
        "GET",
        path_parameters={"thread_id": "thread_1"},
        query={"after": "nope", "limit": 3},
    )
    draw.draw(page)
    assert page.path_parameters == {"thread_id": "thread_1"}  # known already: kept
    assert page.query == {"after": "run_1", "limit": 3}


def test_some_generated_ids_are_kept_and_the_draw_repeats() -> None:
    ids = Ids(threads=["thread_1"], runs=["run_1"], steps=[])
    draw = IdDraw(ids, {"run_1": "thread_1"}, known={"thread_1", "run_1"})
    outcomes: Counter[str] = Counter()
    for number in range(200):
        generated = {"thread_id": f"thread_{number}x", "run_id": f"run_{number}x"}
        first = case("/threads/{thread_id}/runs/{run_id}", "GET", path_parameters=dict(generated))
        again = case("/threads/{thread_id}/runs/{run_id}", "GET", path_parameters=dict(generated))
        draw.draw(first)
        draw.draw(again)
        assert first.path_parameters == again.path_parameters  # by content, not by order
        drawn = first.path_parameters == {"thread_id": "thread_1", "run_id": "run_1"}
        outcomes["drawn" if drawn else "kept"] += 1
        assert drawn or first.path_parameters == generated
    assert 150 < outcomes["drawn"] < 200, outcomes  # nine in ten, and the rest kept
