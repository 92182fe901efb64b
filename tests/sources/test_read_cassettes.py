"""The 15 real cassettes: every run observation found, in order, with its request."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from runcontract.model import Profile

from .helpers import CASSETTES, need_shared, read_all

EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "expected_cassettes.yaml").read_text(encoding="utf-8")
)
_REPEAT = re.compile(r"(?P<name>.+)\*(?P<count>\d+)")


def expand(names: list[str]) -> list[str]:
    """`in_progress*3` → three `in_progress`, as the README's table writes `in_progress x3`."""
    out: list[str] = []
    for name in names:
        repeated = _REPEAT.fullmatch(name)
        if repeated:
            out.extend([repeated["name"]] * int(repeated["count"]))
        else:
            out.append(name)
    return out


@pytest.fixture(autouse=True)
def _shared_corpus() -> None:
    need_shared()


def test_every_cassette_has_expectations() -> None:
    on_disk = {
        path.relative_to(CASSETTES).as_posix()
        for path in CASSETTES.rglob("*")
        if path.is_file() and path.name != "README.md"
    }
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cassette_observations(name: str) -> None:
    expected = EXPECTED[name]
    reading = read_all([CASSETTES / name])

    assert reading.errors == []
    assert [(done.observations, done.errors) for done in reading.done] == [
        (len(expand(expected["statuses"])), 0)
    ]
    assert reading.statuses == expand(expected["statuses"])
    events = [observation.event for observation in reading.observations]
    assert events == expected.get("events", [None] * len(events))
    profiles = expand(expected["profiles"]) if "profiles" in expected else None
    if profiles is None:
        profiles = [expected["profile"]] * len(events)
    assert [observation.profile_hint for observation in reading.observations] == [
        Profile(profile) for profile in profiles
    ]
    entries = [observation.source.entry for observation in reading.observations]
    assert entries[: len(expected.get("entries", []))] == expected.get("entries", [])

    for observation in reading.observations:
        assert observation.run["object"] == "thread.run"
        assert observation.status_code == 200
        assert observation.source.file == str(CASSETTES / name)
        request = observation.request
        assert request is not None
        assert request.method in {"GET", "POST"}
        assert request.path.startswith("/v1/threads/")
        assert "?" not in request.path
        assert all(header == header.lower() for header, _ in request.headers)


def test_sequence_is_global_and_increasing() -> None:
    reading = read_all([CASSETTES / name for name in sorted(EXPECTED)])
    sequences = [observation.sequence for observation in reading.observations]
    assert sequences == list(range(len(sequences)))
    assert len(reading.done) == len(EXPECTED)
    assert reading.items[-1] == reading.done[-1]


def test_submit_tool_outputs_request_is_recorded() -> None:
    reading = read_all([CASSETTES / "dotnet-session/openai__openai-dotnet__FunctionToolsWork.json"])
    submitted = [
        observation
        for observation in reading.observations
        if observation.request is not None
        and observation.request.path.endswith("/submit_tool_outputs")
    ]
    assert len(submitted) == 1
    request = submitted[0].request
    assert request is not None
    assert request.method == "POST"
    assert re.fullmatch(r"/v1/threads/thread_\w+/runs/run_\w+/submit_tool_outputs", request.path)
    outputs = request.body["tool_outputs"]
    assert outputs[0]["tool_call_id"].startswith("call_")
    assert outputs[0]["output"] == "tacos"
    assert submitted[0].run["status"] == "queued"
    assert ("openai-beta", "assistants=v2") in request.headers


def test_create_request_body_and_path_without_query() -> None:
    reading = read_all([CASSETTES / "dotnet-session/openai__openai-dotnet__FunctionToolsWork.json"])
    created = reading.observations[0].request
    assert created is not None
    assert (created.method, created.path) == ("POST", "/v1/threads/runs")
    assert created.body["assistant_id"].startswith("asst_")


def test_vcr_request_bodies_are_parsed_json_or_none() -> None:
    reading = read_all([CASSETTES / "ruby-vcr/alexrudall__ruby-openai__runs_streamed_create.yml"])
    first = reading.observations[0].request
    assert first is not None
    assert first.body["stream"] is True
    polled = read_all([CASSETTES / "r-vcr/wilkox__lemur__openaiassistant.yml"]).observations[-1]
    assert polled.request is not None
    assert (polled.request.method, polled.request.body) == ("GET", None)


def test_list_responses_yield_only_their_runs() -> None:
    reading = read_all([CASSETTES / "r-vcr/wilkox__lemur__runs-f61c730.yml"])
    listed = [obs for obs in reading.observations if obs.source.entry == "interaction 7, data[0]"]
    assert len(listed) == 1
    assert listed[0].request is not None
    assert listed[0].request.path.endswith("/runs")  # the query ?limit=20&order=desc is dropped
