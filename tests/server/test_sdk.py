"""Real HTTP: the official `openai` SDK against the server under uvicorn on 127.0.0.1.

The SDK marks every Assistants method deprecated (DeprecationWarning, in favour of the
Responses API). That is expected here, so each SDK call is made inside `sdk()`, which asserts
the deprecation rather than silencing it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai import AssistantEventHandler, OpenAI

from runcontract.engine import Engine
from runcontract.model import Profile
from tests.server.conformance import real_keys, schema_errors
from tests.server.conftest import LiveServer
from tests.server.recording import STEP_SECONDS, WEATHER_TOOL, Recorder

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


@contextmanager
def sdk() -> Iterator[None]:
    with pytest.warns(DeprecationWarning, match="deprecated"):
        yield


def sdk_client(server: LiveServer) -> OpenAI:
    return OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0, timeout=60)


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[OpenAI]:
    with sdk_client(live_server) as openai:
        yield openai


def check_recording(recorder: Recorder, tmp_path: Path) -> None:
    """Every run the server sent has its real shape, and the engine finds nothing wrong."""
    runs = recorder.settled().runs()
    assert runs
    for _, exchange, _, _, run in recorder.run_entries():
        profile = exchange.profile or Profile.V2
        assert tuple(run) == real_keys(profile)
        assert schema_errors(run, profile) == []
    found = Counter(
        (violation.rule, violation.severity)
        for result in Engine().judge_all(recorder.observations())
        for violation in result.violations
    )
    assert found == Counter()
    recorder.write_jsonl(tmp_path / "runs.jsonl")
    recorder.write_har(tmp_path / "recording.har")


def sdk_requests(recorder: Recorder) -> list[dict[str, str]]:
    return [exchange.request_headers for exchange in recorder.settled().exchanges]


def test_create_and_poll_to_completed(
    client: OpenAI, live_server: LiveServer, tmp_path: Path
) -> None:
    with sdk():
        assistant = client.beta.assistants.create(model="gpt-4o", instructions="Be brief.")
    with sdk():
        thread = client.beta.threads.create(messages=[{"role": "user", "content": "Hello"}])
    with sdk():
        run = client.beta.threads.runs.create_and_poll(
            thread_id=thread.id, assistant_id=assistant.id, metadata={"test": "poll"}
        )
    assert run.status == "completed"
    assert run.usage is not None
    assert run.usage.total_tokens == run.usage.prompt_tokens + run.usage.completion_tokens
    assert run.metadata == {"test": "poll"}
    assert run.expires_at is None
    assert run.completed_at is not None
    with sdk():
        messages = client.beta.threads.messages.list(thread_id=thread.id)
    assert [m.role for m in messages.data] == ["assistant", "user"]
    assert messages.data[0].status == "completed"
    headers = sdk_requests(live_server.recorder)
    assert {h["openai-beta"] for h in headers} == {"assistants=v2"}
    assert any(h.get("x-stainless-poll-helper") == "true" for h in headers)
    check_recording(live_server.recorder, tmp_path)


def test_tool_round_trip(client: OpenAI, live_server: LiveServer, tmp_path: Path) -> None:
    with sdk():
        assistant = client.beta.assistants.create(model="gpt-4o", tools=[WEATHER_TOOL])  # type: ignore[list-item]
    with sdk():
        thread = client.beta.threads.create(
            messages=[{"role": "user", "content": "What does get_weather say for Lima?"}]
        )
    with sdk():
        run = client.beta.threads.runs.create_and_poll(
            thread_id=thread.id, assistant_id=assistant.id
        )
    assert run.status == "requires_action"
    assert run.required_action is not None
    calls = run.required_action.submit_tool_outputs.tool_calls
    assert [call.function.name for call in calls] == ["get_weather"]
    outputs = [{"tool_call_id": call.id, "output": "21 degrees"} for call in calls]
    with sdk():
        done = client.beta.threads.runs.submit_tool_outputs_and_poll(
            thread_id=thread.id,
            run_id=run.id,
            tool_outputs=outputs,  # type: ignore[arg-type]
        )
    assert done.status == "completed"
    assert done.started_at is not None
    assert run.started_at is not None
    assert done.started_at >= run.started_at
    with sdk():
        steps = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id)
    assert [step.type for step in steps.data] == ["message_creation", "tool_calls"]
    check_recording(live_server.recorder, tmp_path)


def test_cancel_to_cancelled(paused_live_server: LiveServer, tmp_path: Path) -> None:
    server = paused_live_server
    assert server.clock is not None
    with sdk_client(server) as client:
        with sdk():
            assistant = client.beta.assistants.create(model="gpt-4o", instructions="Be slow.")
        with sdk():
            thread = client.beta.threads.create(messages=[{"role": "user", "content": "Wait"}])
        with sdk():
            run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
        with sdk():
            cancelling = client.beta.threads.runs.cancel(thread_id=thread.id, run_id=run.id)
        assert cancelling.status == "cancelling"
        server.clock.advance(STEP_SECONDS)
        with sdk():
            cancelled = client.beta.threads.runs.poll(thread_id=thread.id, run_id=run.id)
    assert cancelled.status == "cancelled"
    assert cancelled.cancelled_at is not None
    check_recording(server.recorder, tmp_path)


def test_list_with_pagination(client: OpenAI, live_server: LiveServer, tmp_path: Path) -> None:
    with sdk():
        assistant = client.beta.assistants.create(model="gpt-4o", instructions="Hi.")
    with sdk():
        thread = client.beta.threads.create()
    created = []
    for _ in range(3):
        with sdk():
            created.append(
                client.beta.threads.runs.create_and_poll(
                    thread_id=thread.id, assistant_id=assistant.id
                ).id
            )
    with sdk():
        page = client.beta.threads.runs.list(thread_id=thread.id, limit=2)
    assert [run.id for run in page.data] == created[:0:-1]
    assert page.has_next_page()
    everything = [run.id for run in page]  # the SDK follows `after` across pages
    assert everything == created[::-1]
    with sdk():
        oldest_first = client.beta.threads.runs.list(thread_id=thread.id, order="asc", limit=100)
    assert [run.id for run in oldest_first.data] == created
    assert not oldest_first.has_next_page()
    check_recording(live_server.recorder, tmp_path)


def test_a_streamed_run_through_the_sdk(
    client: OpenAI, live_server: LiveServer, tmp_path: Path
) -> None:
    with sdk():
        assistant = client.beta.assistants.create(model="gpt-4o", instructions="Hi.")
    with sdk():
        thread = client.beta.threads.create(messages=[{"role": "user", "content": "Stream"}])
    seen: list[str] = []

    class Handler(AssistantEventHandler):
        def on_event(self, event: Any) -> None:
            seen.append(event.event)

    with (
        sdk(),
        client.beta.threads.runs.stream(
            thread_id=thread.id, assistant_id=assistant.id, event_handler=Handler()
        ) as stream,
    ):
        stream.until_done()
        final = stream.get_final_run()
        text = "".join(stream.get_final_messages()[0].content[0].text.value)  # type: ignore[union-attr]
    assert final.status == "completed"
    assert seen[:3] == ["thread.run.created", "thread.run.queued", "thread.run.in_progress"]
    assert seen[-1] == "thread.run.completed"
    assert "Stream" in text
    check_recording(live_server.recorder, tmp_path)


def test_a_v1_run_over_plain_http(live_server: LiveServer, tmp_path: Path) -> None:
    headers = {"Authorization": "Bearer sk-test", "OpenAI-Beta": "assistants=v1"}
    with httpx.Client(base_url=live_server.base_url, headers=headers, timeout=60) as http:
        assistant = http.post("/assistants", json={"model": "gpt-4", "file_ids": []}).json()
        assert assistant["file_ids"] == []
        thread = http.post(
            "/threads", json={"messages": [{"role": "user", "content": "Hi"}]}
        ).json()
        run = http.post(
            f"/threads/{thread['id']}/runs",
            json={"assistant_id": assistant["id"], "instructions": "Be brief."},
        ).json()
        deadline = time.monotonic() + 60  # a bound, not a speed: CI machines are loaded
        while run["status"] in ("queued", "in_progress"):
            assert time.monotonic() < deadline
            time.sleep(0.02)
            response = http.get(f"/threads/{thread['id']}/runs/{run['id']}")
            assert response.status_code == 200
            run = response.json()
            live = run["status"] in ("queued", "in_progress")
            assert ("openai-poll-after-ms" in response.headers) == live
    assert run["status"] == "completed"
    assert tuple(run) == real_keys(Profile.V1)
    assert "tool_resources" not in run
    assert {e["openai-beta"] for e in sdk_requests(live_server.recorder)} == {"assistants=v1"}
    check_recording(live_server.recorder, tmp_path)
