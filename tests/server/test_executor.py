"""The simulated executor, step by step on a ManualClock: every path a run can take."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from runcontract.model import Profile
from runcontract.server import FAIL_PHRASE, LONG_PHRASE, ManualClock, WallClock, create_app
from runcontract.server.clock import DEFAULT_START, wait_until
from runcontract.server.executor import Executor
from runcontract.server.store import Store
from tests.server.conformance import schema_errors
from tests.server.conftest import Harness
from tests.server.recording import WEATHER_TOOL, Api, poll

pytestmark = pytest.mark.timeout(60)

START = int(DEFAULT_START)
TIME_TOOL = {"type": "function", "function": {"name": "get_time", "parameters": {}}}


def start_run(
    h: Harness, text: str, *, tools: list[Any] | None = None, **options: Any
) -> tuple[str, dict[str, Any]]:
    assistant = h.v2.post(
        "/assistants", {"model": "gpt-4o", "tools": tools if tools is not None else [WEATHER_TOOL]}
    )["id"]
    thread = h.v2.post("/threads", {"messages": [{"role": "user", "content": text}]})["id"]
    return thread, h.v2.post(f"/threads/{thread}/runs", {"assistant_id": assistant, **options})


def read(h: Harness, thread: str, run: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = h.v2.get(f"/threads/{thread}/runs/{run['id']}")
    assert schema_errors(body, Profile.V2) == []
    return body


def times(run: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("started_at", "expires_at", "completed_at", "failed_at", "cancelled_at")
    return tuple(run[key] for key in keys)


def test_a_run_goes_queued_in_progress_completed(harness: Harness) -> None:
    thread, run = start_run(harness, "Hello")
    assert (run["status"], run["created_at"]) == ("queued", START)
    assert times(run) == (None, START + 600, None, None, None)
    assert run["usage"] is None
    harness.clock.advance(0.5)
    assert read(harness, thread, run)["status"] == "queued"  # a step lasts step_seconds
    harness.clock.advance(0.5)
    running = read(harness, thread, run)
    assert running["status"] == "in_progress"
    assert times(running) == (START + 1, START + 600, None, None, None)
    assert running["usage"] is None
    harness.tick()
    done = read(harness, thread, run)
    assert done["status"] == "completed"
    assert times(done) == (START + 1, None, START + 2, None, None)
    usage = done["usage"]
    assert usage["prompt_tokens"] > 0
    assert usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    harness.tick(5)
    assert read(harness, thread, run) == done  # a finished run never changes
    reply = harness.v2.get(f"/threads/{thread}/messages")["data"][0]
    assert (reply["role"], reply["run_id"], reply["status"]) == (
        "assistant",
        run["id"],
        "completed",
    )
    assert "Hello" in reply["content"][0]["text"]["value"]


def test_the_tool_round_trip_restamps_started_at(harness: Harness) -> None:
    thread, run = start_run(harness, "Please call get_weather for Oslo")
    harness.tick(2)
    waiting = read(harness, thread, run)
    assert waiting["status"] == "requires_action"
    assert waiting["started_at"] == START + 1
    calls = waiting["required_action"]["submit_tool_outputs"]["tool_calls"]
    assert [call["function"]["name"] for call in calls] == ["get_weather"]
    assert calls[0]["id"].startswith("call_")
    assert orjson.loads(calls[0]["function"]["arguments"]) == {"city": "example", "unit": "celsius"}
    harness.tick(3)
    assert read(harness, thread, run)["status"] == "requires_action"  # waits for the client
    steps = harness.v2.get(f"/threads/{thread}/runs/{run['id']}/steps")["data"]
    assert [(s["type"], s["status"]) for s in steps] == [("tool_calls", "in_progress")]
    outputs = [{"tool_call_id": calls[0]["id"], "output": "cold"}]
    resumed = harness.v2.post(
        f"/threads/{thread}/runs/{run['id']}/submit_tool_outputs", {"tool_outputs": outputs}
    )
    assert (resumed["status"], resumed["started_at"]) == ("queued", START + 1)
    assert resumed["required_action"] is None
    harness.tick()
    again = read(harness, thread, run)
    assert (again["status"], again["started_at"]) == ("in_progress", START + 6)
    harness.tick()
    done = read(harness, thread, run)
    assert (done["status"], done["started_at"], done["completed_at"]) == (
        "completed",
        START + 6,
        START + 7,
    )
    steps = harness.v2.get(f"/threads/{thread}/runs/{run['id']}/steps", order="asc")["data"]
    assert [(s["type"], s["status"]) for s in steps] == [
        ("tool_calls", "completed"),
        ("message_creation", "completed"),
    ]
    assert steps[0]["step_details"]["tool_calls"][0]["function"]["output"] == "cold"
    step_usage = sum(s["usage"]["total_tokens"] for s in steps)
    assert done["usage"]["total_tokens"] == step_usage
    reply = harness.v2.get(f"/threads/{thread}/messages")["data"][0]
    assert "cold" in reply["content"][0]["text"]["value"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, ["get_weather", "get_time"]),
        ({"parallel_tool_calls": False}, ["get_weather"]),
        ({"tool_choice": "none"}, []),
        ({"tool_choice": {"type": "function", "function": {"name": "get_time"}}}, ["get_time"]),
    ],
)
def test_which_tools_are_called(
    harness: Harness, options: dict[str, Any], expected: list[str]
) -> None:
    thread, run = start_run(
        harness, "get_weather and get_time", tools=[WEATHER_TOOL, TIME_TOOL], **options
    )
    finished = poll(harness.v2, thread, run["id"], harness.tick, after=0)
    if not expected:
        assert finished["status"] == "completed"
        return
    calls = finished["required_action"]["submit_tool_outputs"]["tool_calls"]
    assert [call["function"]["name"] for call in calls] == expected
    assert len({call["id"] for call in calls}) == len(calls)


def test_tool_choice_required_calls_a_tool_unasked(harness: Harness) -> None:
    thread, run = start_run(harness, "Hello", tools=[TIME_TOOL], tool_choice="required")
    finished = poll(harness.v2, thread, run["id"], harness.tick, after=0)
    assert finished["status"] == "requires_action"


def test_the_failure_phrase_fails_the_run(harness: Harness) -> None:
    thread, run = start_run(harness, f"Please {FAIL_PHRASE}")
    harness.tick(2)
    failed = read(harness, thread, run)
    assert failed["status"] == "failed"
    assert times(failed) == (START + 1, None, None, START + 2, None)
    assert failed["last_error"]["code"] == "server_error"
    assert failed["last_error"]["message"]
    assert failed["usage"]["completion_tokens"] == 0


def test_a_long_reply_over_max_completion_tokens_is_incomplete(harness: Harness) -> None:
    thread, run = start_run(harness, f"Tell me all {LONG_PHRASE}", max_completion_tokens=256)
    harness.tick(2)
    cut = read(harness, thread, run)
    assert cut["status"] == "incomplete"
    assert cut["incomplete_details"] == {"reason": "max_completion_tokens"}
    assert cut["completed_at"] == START + 2
    assert cut["usage"]["completion_tokens"] == 256
    message = harness.v2.get(f"/threads/{thread}/messages")["data"][0]
    assert message["status"] == "incomplete"
    assert message["incomplete_details"] == {"reason": "max_tokens"}


def test_a_long_reply_within_its_limit_completes(harness: Harness) -> None:
    thread, run = start_run(harness, f"Tell me all {LONG_PHRASE}")
    done = poll(harness.v2, thread, run["id"], harness.tick, after=0)
    assert done["status"] == "completed"
    assert done["usage"]["completion_tokens"] >= 700


@pytest.mark.parametrize("steps_before_cancel", [0, 1, 2])
def test_cancel_goes_through_cancelling(harness: Harness, steps_before_cancel: int) -> None:
    thread, run = start_run(harness, "Call get_weather")
    harness.tick(steps_before_cancel)
    expected_before = ["queued", "in_progress", "requires_action"][steps_before_cancel]
    assert read(harness, thread, run)["status"] == expected_before
    cancelling = harness.v2.post(f"/threads/{thread}/runs/{run['id']}/cancel")
    assert cancelling["status"] == "cancelling"
    assert cancelling["required_action"] is None
    assert cancelling["expires_at"] == START + 600
    harness.tick()
    cancelled = read(harness, thread, run)
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelled_at"] == START + steps_before_cancel + 1
    assert cancelled["expires_at"] is None
    assert cancelled["usage"] is None
    if steps_before_cancel == 2:
        steps = harness.v2.get(f"/threads/{thread}/runs/{run['id']}/steps")["data"]
        assert [s["status"] for s in steps] == ["cancelled"]


def test_a_run_left_waiting_expires(harness: Harness) -> None:
    thread, run = start_run(harness, "get_weather?")
    harness.tick(2)
    assert read(harness, thread, run)["status"] == "requires_action"
    harness.clock.advance(597)
    assert read(harness, thread, run)["status"] == "requires_action"
    harness.clock.advance(1)
    expired = read(harness, thread, run)
    assert expired["status"] == "expired"
    assert expired["required_action"] is None
    assert expired["expires_at"] is None
    assert (expired["completed_at"], expired["failed_at"], expired["cancelled_at"]) == (None,) * 3
    steps = harness.v2.get(f"/threads/{thread}/runs/{run['id']}/steps")["data"]
    assert [(s["status"], s["expired_at"]) for s in steps] == [("expired", START + 600)]
    response = harness.client.post(
        f"/v1/threads/{thread}/runs/{run['id']}/submit_tool_outputs",
        headers=harness.v2.headers,
        json={"tool_outputs": []},
    )
    assert response.status_code == 400


def test_a_run_slower_than_its_expiry_expires_in_the_queue() -> None:
    clock = ManualClock()
    with TestClient(create_app(clock=clock, step_seconds=1000)) as client:
        api = Api(client)
        assistant = api.post("/assistants", {"model": "m", "instructions": "x"})["id"]
        thread = api.post("/threads")["id"]
        run = api.post(f"/threads/{thread}/runs", {"assistant_id": assistant})
        clock.advance(599)
        assert api.get(f"/threads/{thread}/runs/{run['id']}")["status"] == "queued"
        clock.advance(1)
        expired = api.get(f"/threads/{thread}/runs/{run['id']}")
        assert (expired["status"], expired["started_at"]) == ("expired", None)


def test_a_big_jump_of_the_clock_replays_every_step(harness: Harness) -> None:
    thread, run = start_run(harness, "Hello")
    harness.clock.advance(10_000)
    done = read(harness, thread, run)
    assert (done["status"], done["started_at"], done["completed_at"]) == (
        "completed",
        START + 1,
        START + 2,
    )


def test_clocks() -> None:
    clock = ManualClock(100.0)
    assert clock.advance(2.5) == 102.5
    assert clock.advance_to(50) == 102.5  # never backwards
    with pytest.raises(ValueError, match="back in time"):
        clock.advance(-1)
    asyncio.run(wait_until(clock, 200.0))
    assert clock.now() == 200.0
    wall = WallClock()
    before = wall.now()
    asyncio.run(wait_until(wall, before + 0.01))
    assert wall.now() >= before + 0.01
    with pytest.raises(ValueError, match="step_seconds"):
        Executor(Store(), clock, step_seconds=-1)
