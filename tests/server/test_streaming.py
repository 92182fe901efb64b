"""Streams (`stream: true`): the events of the real API, in its order, ending with [DONE]."""

from __future__ import annotations

from typing import Any

import pytest

from runcontract.model import Profile
from runcontract.server import FAIL_PHRASE
from tests.server.conformance import real_keys, schema_errors
from tests.server.conftest import Harness
from tests.server.recording import WEATHER_TOOL, parse_sse

pytestmark = pytest.mark.timeout(60)

COMPLETION_EVENTS = [
    "thread.run.step.created",
    "thread.run.step.in_progress",
    "thread.message.created",
    "thread.message.in_progress",
    "thread.message.delta",
    "thread.message.completed",
    "thread.run.step.completed",
    "thread.run.completed",
]


def stream(
    h: Harness, path: str, body: dict[str, Any], version: str = "v2"
) -> list[tuple[str, Any]]:
    headers = h.v2.headers if version == "v2" else h.v1.headers
    response = h.client.post(f"/v1{path}", headers=headers, json={**body, "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.text.endswith("event: done\ndata: [DONE]\n\n")
    events = parse_sse(response.text)
    assert events[-1] == ("done", None)
    profile = Profile.V2 if version == "v2" else Profile.V1
    for name, data in events:
        if isinstance(data, dict) and data.get("object") == "thread.run":
            status = "queued" if name == "thread.run.created" else name.removeprefix("thread.run.")
            assert data["status"] == status
            assert tuple(data) == real_keys(profile)
            assert schema_errors(data, profile) == []
    return events[:-1]


def names(events: list[tuple[str, Any]]) -> list[str]:
    return [name for name, _ in events]


def assistant(h: Harness, **extra: Any) -> str:
    body = {"model": "gpt-4o", "instructions": "Be brief.", "tools": [WEATHER_TOOL], **extra}
    result: str = h.v2.post("/assistants", body)["id"]
    return result


def test_create_run_streams_the_whole_run(harness: Harness) -> None:
    thread = harness.v2.post("/threads", {"messages": [{"role": "user", "content": "Hi"}]})["id"]
    events = stream(harness, f"/threads/{thread}/runs", {"assistant_id": assistant(harness)})
    assert names(events) == [
        "thread.run.created",
        "thread.run.queued",
        "thread.run.in_progress",
        *COMPLETION_EVENTS,
    ]
    delta = dict(events)["thread.message.delta"]
    assert delta["object"] == "thread.message.delta"
    text = delta["delta"]["content"][0]["text"]["value"]
    completed = dict(events)["thread.message.completed"]
    assert completed["content"][0]["text"]["value"] == text
    final = events[-1][1]
    assert final["usage"]["total_tokens"] > 0
    assert final == harness.v2.get(f"/threads/{thread}/runs/{final['id']}")


def test_create_thread_and_run_streams_the_thread_first(harness: Harness) -> None:
    events = stream(
        harness,
        "/threads/runs",
        {
            "assistant_id": assistant(harness),
            "thread": {"messages": [{"role": "user", "content": "Hi"}]},
        },
    )
    assert names(events)[:3] == ["thread.created", "thread.run.created", "thread.run.queued"]
    assert events[0][1]["object"] == "thread"
    assert events[0][1]["id"] == events[1][1]["thread_id"]


def test_a_stream_stops_at_requires_action_and_resumes_with_the_outputs(harness: Harness) -> None:
    thread = harness.v2.post(
        "/threads", {"messages": [{"role": "user", "content": "get_weather?"}]}
    )
    events = stream(harness, f"/threads/{thread['id']}/runs", {"assistant_id": assistant(harness)})
    assert names(events) == [
        "thread.run.created",
        "thread.run.queued",
        "thread.run.in_progress",
        "thread.run.step.created",
        "thread.run.step.in_progress",
        "thread.run.requires_action",
    ]
    run = events[-1][1]
    calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
    outputs = [{"tool_call_id": call["id"], "output": "warm"} for call in calls]
    events = stream(
        harness,
        f"/threads/{thread['id']}/runs/{run['id']}/submit_tool_outputs",
        {"tool_outputs": outputs},
    )
    assert names(events) == [
        "thread.run.step.completed",
        "thread.run.queued",
        "thread.run.in_progress",
        *COMPLETION_EVENTS,
    ]
    step = events[0][1]
    assert step["step_details"]["tool_calls"][0]["function"]["output"] == "warm"
    assert events[-1][1]["started_at"] > run["started_at"]


def test_a_failing_run_streams_its_failure(harness: Harness) -> None:
    thread = harness.v2.post("/threads", {"messages": [{"role": "user", "content": FAIL_PHRASE}]})
    events = stream(harness, f"/threads/{thread['id']}/runs", {"assistant_id": assistant(harness)})
    assert names(events) == [
        "thread.run.created",
        "thread.run.queued",
        "thread.run.in_progress",
        "thread.run.failed",
    ]
    assert events[-1][1]["last_error"]["code"] == "server_error"


def test_v1_streams_have_v1_shapes(harness: Harness) -> None:
    helper = harness.v1.post("/assistants", {"model": "gpt-4", "instructions": "Hi."})["id"]
    thread = harness.v1.post("/threads", {"messages": [{"role": "user", "content": "Hi"}]})["id"]
    events = stream(harness, f"/threads/{thread}/runs", {"assistant_id": helper}, version="v1")
    message = dict(events)["thread.message.completed"]
    assert "file_ids" in message
    assert "attachments" not in message
    assert "file_ids" in events[-1][1]
