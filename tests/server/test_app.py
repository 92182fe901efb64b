"""The endpoints in-process: shapes per profile, errors as the real API gives them, pagination."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from runcontract.model import Profile
from runcontract.server import ManualClock, create_app
from tests.server.conformance import real_keys, schema_errors
from tests.server.conftest import Harness
from tests.server.recording import WEATHER_TOOL, Api, poll

pytestmark = pytest.mark.timeout(60)

ID_PATTERN = r"[A-Za-z0-9]{24}"


def make_run(h: Harness, text: str = "Hello", **options: Any) -> tuple[str, dict[str, Any]]:
    assistant = h.v2.post("/assistants", {"model": "gpt-4o", "tools": [WEATHER_TOOL]})["id"]
    thread = h.v2.post("/threads", {"messages": [{"role": "user", "content": text}]})["id"]
    run = h.v2.post(f"/threads/{thread}/runs", {"assistant_id": assistant, **options})
    return thread, run


def assert_error(
    response: Any, status: int, *, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert schema_errors(body, Profile.V2, "ErrorResponse") == []
    error: dict[str, Any] = body["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == code
    assert error["param"] == param
    return error


# -- profiles and shapes -------------------------------------------------------------------------
def test_ids_look_real_and_are_deterministic() -> None:
    def ids() -> list[str]:
        with TestClient(create_app(clock=ManualClock(), seed=7)) as client:
            api = Api(client)
            assistant = api.post("/assistants", {"model": "gpt-4o"})["id"]
            thread = api.post("/threads", {"messages": [{"role": "user", "content": "Hi"}]})
            run = api.post(f"/threads/{thread['id']}/runs", {"assistant_id": assistant})["id"]
            return [assistant, thread["id"], run]

    first = ids()
    assert first == ids()
    for value, prefix in zip(first, ("asst_", "thread_", "run_"), strict=True):
        assert re.fullmatch(prefix + ID_PATTERN, value)


@pytest.mark.parametrize("profile", [Profile.V1, Profile.V2])
def test_run_has_the_real_key_list_of_its_profile(harness: Harness, profile: Profile) -> None:
    api = harness.v2 if profile is Profile.V2 else harness.v1
    assistant = api.post("/assistants", {"model": "gpt-4o", "instructions": "Be brief."})["id"]
    thread = api.post("/threads", {"messages": [{"role": "user", "content": "Hi"}]})["id"]
    run = api.post(f"/threads/{thread}/runs", {"assistant_id": assistant})
    assert tuple(run) == real_keys(profile)
    finished = poll(api, thread, run["id"], harness.tick)
    assert finished["status"] == "completed"
    assert tuple(finished) == real_keys(profile)
    assert schema_errors(run, profile) == []
    assert schema_errors(finished, profile) == []


def test_the_same_run_reads_in_either_profile(harness: Harness) -> None:
    thread, run = make_run(harness)
    poll(harness.v2, thread, run["id"], harness.tick)
    v2 = harness.v2.get(f"/threads/{thread}/runs/{run['id']}")
    v1 = harness.v1.get(f"/threads/{thread}/runs/{run['id']}")
    assert {"tool_resources", "parallel_tool_calls", "reasoning_effort"} <= set(v2) - set(v1)
    assert v1["file_ids"] == []
    assert "file_ids" not in v2
    assert set(v1["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}
    assert v2["usage"]["prompt_token_details"] == {"cached_tokens": 0}
    assert "strict" not in v1["tools"][0]["function"]
    assert v2["tools"][0]["function"]["strict"] is False
    assert schema_errors(v1, Profile.V1) == []
    assert schema_errors(v2, Profile.V2) == []


def test_assistant_thread_and_message_shapes(harness: Harness) -> None:
    v2, v1 = harness.v2, harness.v1
    assistant = v2.post(
        "/assistants", {"model": "gpt-4o", "name": "Tutor", "tools": [{"type": "code_interpreter"}]}
    )
    assert list(assistant) == [
        "id", "object", "created_at", "name", "description", "model", "instructions", "tools",
        "top_p", "temperature", "reasoning_effort", "tool_resources", "metadata", "response_format",
    ]  # fmt: skip
    assert assistant["tool_resources"] == {"code_interpreter": {"file_ids": []}}
    assert v2.get(f"/assistants/{assistant['id']}") == assistant
    assert "file_ids" in v1.get(f"/assistants/{assistant['id']}")
    thread = v2.post("/threads", {"metadata": {"topic": "maths"}})
    assert list(thread) == ["id", "object", "created_at", "metadata", "tool_resources"]
    assert list(v1.get(f"/threads/{thread['id']}")) == ["id", "object", "created_at", "metadata"]
    message = v2.post(
        f"/threads/{thread['id']}/messages",
        {"role": "user", "content": [{"type": "text", "text": "2+2?"}], "metadata": {"n": "1"}},
    )
    assert message["object"] == "thread.message"
    assert message["content"] == [{"type": "text", "text": {"value": "2+2?", "annotations": []}}]
    assert message["attachments"] == []
    listed = v1.get(f"/threads/{thread['id']}/messages")
    assert listed["data"][0]["file_ids"] == []
    assert "attachments" not in listed["data"][0]


def test_create_thread_and_run_and_modify(harness: Harness) -> None:
    v2 = harness.v2
    assistant = v2.post("/assistants", {"model": "gpt-4o", "instructions": "Hi."})["id"]
    run = v2.post(
        "/threads/runs",
        {
            "assistant_id": assistant,
            "thread": {"messages": [{"role": "user", "content": "Hello"}]},
            "metadata": {"a": "1"},
            "temperature": 0.5,
            "max_completion_tokens": 1000,
            "truncation_strategy": {"type": "last_messages", "last_messages": 3},
            "response_format": {"type": "json_object"},
            "tool_choice": "none",
            "parallel_tool_calls": False,
        },
    )
    assert run["status"] == "queued"
    assert run["thread_id"].startswith("thread_")
    assert run["temperature"] == 0.5
    assert run["max_completion_tokens"] == 1000
    assert run["truncation_strategy"] == {"type": "last_messages", "last_messages": 3}
    assert run["response_format"] == {"type": "json_object"}
    assert run["tool_choice"] == "none"
    assert run["parallel_tool_calls"] is False
    assert schema_errors(run, Profile.V2) == []
    modified = v2.post(f"/threads/{run['thread_id']}/runs/{run['id']}", {"metadata": {"b": "2"}})
    assert modified["metadata"] == {"b": "2"}
    assert v2.get(f"/threads/{run['thread_id']}")["id"] == run["thread_id"]


def test_run_options_override_the_assistant(harness: Harness) -> None:
    thread, run = make_run(
        harness,
        model="gpt-4o-mini",
        instructions="Override.",
        additional_instructions="And more.",
        tools=[{"type": "code_interpreter"}],
        reasoning_effort="low",
        additional_messages=[{"role": "user", "content": "one more"}],
    )
    assert run["model"] == "gpt-4o-mini"
    assert run["instructions"] == "Override.\n\nAnd more."
    assert run["tools"] == [{"type": "code_interpreter"}]
    assert run["reasoning_effort"] == "low"
    messages = harness.v2.get(f"/threads/{thread}/messages", order="asc")["data"]
    assert [m["content"][0]["text"]["value"] for m in messages] == ["Hello", "one more"]


def test_messages_list_filters_by_run(harness: Harness) -> None:
    thread, run = make_run(harness)
    poll(harness.v2, thread, run["id"], harness.tick)
    everything = harness.v2.get(f"/threads/{thread}/messages")["data"]
    assert [m["role"] for m in everything] == ["assistant", "user"]
    of_run = harness.v2.get(f"/threads/{thread}/messages", run_id=run["id"])["data"]
    assert [m["run_id"] for m in of_run] == [run["id"]]


def test_steps_list_and_retrieve(harness: Harness) -> None:
    thread, run = make_run(harness)
    poll(harness.v2, thread, run["id"], harness.tick)
    steps = harness.v2.get(f"/threads/{thread}/runs/{run['id']}/steps")
    assert [s["type"] for s in steps["data"]] == ["message_creation"]
    step = steps["data"][0]
    assert re.fullmatch("step_" + ID_PATTERN, step["id"])
    assert harness.v2.get(f"/threads/{thread}/runs/{run['id']}/steps/{step['id']}") == step
    assert step["usage"]["total_tokens"] == (
        step["usage"]["prompt_tokens"] + step["usage"]["completion_tokens"]
    )
    include = "step_details.tool_calls[*].file_search.results[*].content"
    listed = harness.client.get(
        f"/v1/threads/{thread}/runs/{run['id']}/steps",
        headers=harness.v2.headers,
        params={"include[]": include},
    )
    assert listed.status_code == 200


# -- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "sk-no-scheme"]
)
def test_401_without_a_bearer_token(authorization: str | None) -> None:
    headers = {"OpenAI-Beta": "assistants=v2"}
    if authorization is not None:
        headers["Authorization"] = authorization
    with TestClient(create_app(clock=ManualClock())) as client:
        for method, path in (("GET", "/v1/threads/thread_x/runs"), ("POST", "/v1/nowhere")):
            error = assert_error(client.request(method, path, headers=headers), 401)
            assert "API key" in error["message"]


def test_401_with_another_key_when_one_is_set() -> None:
    with TestClient(create_app(clock=ManualClock(), api_key="sk-right-key-123")) as client:
        wrong = Api(client, bearer="sk-wrong-key-456")
        error = assert_error(
            client.post("/v1/assistants", headers=wrong.headers, json={"model": "m"}),
            401,
            code="invalid_api_key",
        )
        assert "sk-wrong-key-456" not in error["message"]
        right = Api(client, bearer="sk-right-key-123")
        assert right.post("/assistants", {"model": "m"})["object"] == "assistant"


@pytest.mark.parametrize("beta", [None, "assistants=v3", "realtime=v1"])
def test_400_without_a_usable_beta_header(harness: Harness, beta: str | None) -> None:
    headers = {"Authorization": "Bearer sk-test"}
    if beta is not None:
        headers["OpenAI-Beta"] = beta
    response = harness.client.post("/v1/assistants", headers=headers, json={"model": "gpt-4o"})
    assert_error(response, 400, code="invalid_beta")


def test_beta_header_may_list_several_features(harness: Harness) -> None:
    headers = {"Authorization": "Bearer sk-test", "OpenAI-Beta": "realtime=v1, assistants=v1"}
    body = harness.client.post("/v1/assistants", headers=headers, json={"model": "m"}).json()
    assert "file_ids" in body


def test_404_for_unknown_ids(harness: Harness) -> None:
    thread, run = make_run(harness)
    other = harness.v2.post("/threads")["id"]
    step_base = f"/v1/threads/{thread}/runs/{run['id']}/steps"
    cases = {
        "/v1/assistants/asst_nope": "No assistant found with id 'asst_nope'.",
        "/v1/threads/thread_nope": "No thread found with id 'thread_nope'.",
        "/v1/threads/thread_nope/runs": "No thread found with id 'thread_nope'.",
        "/v1/threads/thread_nope/messages": "No thread found with id 'thread_nope'.",
        f"/v1/threads/{thread}/runs/run_nope": "No run found with id 'run_nope'.",
        f"/v1/threads/{other}/runs/{run['id']}": f"No run found with id '{run['id']}'.",
        f"{step_base}/step_nope": "No run step found with id 'step_nope'.",
    }
    for path, message in cases.items():
        error = assert_error(harness.client.get(path, headers=harness.v2.headers), 404)
        assert error["message"] == message
        assert error["type"] == "invalid_request_error"
    for path in (
        f"/v1/threads/{thread}/runs/run_nope/cancel",
        f"/v1/threads/{thread}/runs/run_nope/submit_tool_outputs",
    ):
        response = harness.client.post(path, headers=harness.v2.headers, json={"tool_outputs": []})
        assert_error(response, 404)
    response = harness.client.post(
        f"/v1/threads/{thread}/runs", headers=harness.v2.headers, json={"assistant_id": "asst_x"}
    )
    assert_error(response, 404)


def test_404_for_unknown_paths_and_405_for_unknown_methods(harness: Harness) -> None:
    headers = harness.v2.headers
    error = assert_error(harness.client.get("/v1/nowhere", headers=headers), 404)
    assert error["message"] == "Invalid URL (GET /v1/nowhere)"
    assert_error(harness.client.get("/v2/threads", headers=headers), 404)
    thread, run = make_run(harness)
    for method, path in (
        ("DELETE", f"/v1/threads/{thread}/runs/{run['id']}"),
        ("PUT", f"/v1/threads/{thread}/runs"),
        ("GET", f"/v1/threads/{thread}/runs/{run['id']}/cancel"),
        ("PATCH", "/v1/assistants"),
        ("POST", f"/v1/threads/{thread}/runs/{run['id']}/steps"),
    ):
        error = assert_error(harness.client.request(method, path, headers=headers), 405)
        assert error["message"] == f"Invalid method for URL ({method} {path})"


def run_body(**fields: Any) -> dict[str, Any]:
    return {"assistant_id": "A", **fields}


FUNCTION = {"type": "function", "function": {"name": "f"}}
BAD_RUN_BODIES = [
    ({}, "missing_required_parameter", "assistant_id"),
    (run_body(colour="red"), "unknown_parameter", "colour"),
    ({"assistant_id": 7}, "invalid_type", "assistant_id"),
    (run_body(temperature="hot"), "invalid_type", "temperature"),
    (run_body(temperature=2.5), "decimal_above_max_value", "temperature"),
    (run_body(top_p=-0.1), "decimal_below_min_value", "top_p"),
    (run_body(max_completion_tokens=16), "integer_below_min_value", "max_completion_tokens"),
    (run_body(stream="yes"), "invalid_type", "stream"),
    (run_body(tools=[{"type": "code_interpreter"}] * 21), "array_above_max_length", "tools"),
    (run_body(tools=[{"type": "web"}]), "invalid_value", "tools[0].type"),
    (run_body(tools=[{"type": "retrieval"}]), "invalid_value", "tools[0].type"),
    (run_body(tools=[{"type": "function"}]), "missing_required_parameter", "tools[0].function"),
    (
        run_body(tools=[{"type": "function", "function": {"name": "get weather"}}]),
        "invalid_value",
        "tools[0].function.name",
    ),
    (run_body(tools=[FUNCTION, FUNCTION]), "invalid_value", "tools[1].function.name"),
    (
        run_body(metadata={f"k{i}": "v" for i in range(17)}),
        "object_above_max_properties",
        "metadata",
    ),
    (run_body(metadata={"k" * 65: "v"}), "string_above_max_length", "metadata." + "k" * 65),
    (run_body(metadata={"k": "v" * 513}), "string_above_max_length", "metadata.k"),
    (run_body(metadata={"k": 1}), "invalid_type", "metadata.k"),
    (run_body(tool_choice="sometimes"), "invalid_value", "tool_choice"),
    (
        run_body(tool_choice={"type": "function"}),
        "missing_required_parameter",
        "tool_choice.function",
    ),
    (run_body(response_format={"type": "xml"}), "invalid_value", "response_format.type"),
    # seen when the gate's generated runs reached an existing assistant (issue 9): echoed in
    # the run, these made it break its schema (S001)
    (
        run_body(response_format={"type": "json_schema", "json_schema": {"strict": True}}),
        "missing_required_parameter",
        "response_format.json_schema.name",
    ),
    (
        run_body(
            response_format={"type": "json_schema", "json_schema": {"name": "a", "strict": {}}}
        ),
        "invalid_type",
        "response_format.json_schema.strict",
    ),
    (
        run_body(tools=[{"type": "file_search", "file_search": {"ranking_options": {}}}]),
        "missing_required_parameter",
        "tools[0].file_search.ranking_options.score_threshold",
    ),
    (
        run_body(
            tools=[
                {"type": "file_search", "file_search": {"ranking_options": {"score_threshold": 2}}}
            ]
        ),
        "decimal_above_max_value",
        "tools[0].file_search.ranking_options.score_threshold",
    ),
    (
        run_body(tools=[{"type": "file_search", "file_search": {"max_num_results": 0}}]),
        "integer_below_min_value",
        "tools[0].file_search.max_num_results",
    ),
    (
        run_body(response_format={"type": "json_schema", "json_schema": {"name": 7}}),
        "invalid_type",
        "response_format.json_schema.name",
    ),
    (
        run_body(truncation_strategy={"type": "last_messages", "last_messages": 0}),
        "integer_below_min_value",
        "truncation_strategy.last_messages",
    ),
    (
        run_body(additional_messages=[{"role": "system", "content": "x"}]),
        "invalid_value",
        "additional_messages[0].role",
    ),
    (
        run_body(additional_messages=[{"role": "user", "content": []}]),
        "array_below_min_length",
        "additional_messages[0].content",
    ),
    (run_body(reasoning_effort="extreme"), "invalid_value", "reasoning_effort"),
]


def test_a_json_schema_response_format_is_echoed_in_the_run(harness: Harness) -> None:
    wanted = {
        "type": "json_schema",
        "json_schema": {
            "name": "weather_report",
            "description": "The weather",
            "schema": {"type": "object", "properties": {"celsius": {"type": "number"}}},
            "strict": None,
        },
    }
    _, run = make_run(harness, response_format=wanted)
    assert run["response_format"] == wanted
    assert schema_errors(run, Profile.V2) == []


def test_a_file_search_tool_with_null_settings_is_echoed_without_them(harness: Harness) -> None:
    _, run = make_run(harness, tools=[{"type": "file_search", "file_search": None}])
    assert run["tools"] == [{"type": "file_search"}]
    assert schema_errors(run, Profile.V2) == []


def test_a_file_search_tool_with_its_settings_is_echoed_in_the_run(harness: Harness) -> None:
    settings = {"max_num_results": 5, "ranking_options": {"ranker": "auto", "score_threshold": 0.5}}
    _, run = make_run(harness, tools=[{"type": "file_search", "file_search": settings}])
    assert run["tools"] == [{"type": "file_search", "file_search": settings}]
    assert schema_errors(run, Profile.V2) == []


@pytest.mark.parametrize(("body", "code", "param"), BAD_RUN_BODIES)
def test_400_for_invalid_run_bodies(harness: Harness, body: Any, code: str, param: str) -> None:
    thread = harness.v2.post("/threads")["id"]
    response = harness.client.post(
        f"/v1/threads/{thread}/runs", headers=harness.v2.headers, json=body
    )
    assert_error(response, 400, code=code, param=param)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [(b"{not json", "not valid JSON"), (b"[1, 2]", "must be a JSON object")],
)
def test_400_for_bodies_that_are_not_json_objects(
    harness: Harness, raw: bytes, fragment: str
) -> None:
    response = harness.client.post(
        "/v1/assistants",
        headers={**harness.v2.headers, "Content-Type": "application/json"},
        content=raw,
    )
    assert fragment in assert_error(response, 400)["message"]


def test_400_for_other_invalid_bodies(harness: Harness) -> None:
    client, headers = harness.client, harness.v2.headers
    assert_error(
        client.post("/v1/assistants", headers=headers, json={}),
        400,
        code="missing_required_parameter",
        param="model",
    )
    assert_error(
        client.post("/v1/threads", headers=headers, json={"messages": "hi"}),
        400,
        code="invalid_type",
        param="messages",
    )
    thread = harness.v2.post("/threads")["id"]
    assert_error(
        client.post(f"/v1/threads/{thread}/messages", headers=headers, json={"content": "x"}),
        400,
        code="missing_required_parameter",
        param="role",
    )
    thread, run = make_run(harness)
    assert_error(
        client.post(
            f"/v1/threads/{thread}/runs/{run['id']}", headers=headers, json={"status": "completed"}
        ),
        400,
        code="unknown_parameter",
        param="status",
    )
    assert_error(
        client.post(
            f"/v1/threads/{thread}/runs/{run['id']}/submit_tool_outputs", headers=headers, json={}
        ),
        400,
        code="missing_required_parameter",
        param="tool_outputs",
    )
    v1_only = {"assistant_id": "A", "tools": [{"type": "file_search"}]}
    response = client.post(f"/v1/threads/{thread}/runs", headers=harness.v1.headers, json=v1_only)
    assert_error(response, 400, code="invalid_value", param="tools[0].type")
    response = client.post(
        f"/v1/threads/{thread}/runs",
        headers=headers,
        json={"assistant_id": "A"},
        params={"include[]": "everything"},
    )
    assert_error(response, 400, code="invalid_value", param="include[]")
    response = client.post(
        f"/v1/threads/{thread}/runs",
        headers=harness.v1.headers,
        json={"assistant_id": "A", "parallel_tool_calls": True},
    )
    assert_error(response, 400, code="unknown_parameter", param="parallel_tool_calls")  # v2 only


def test_400_for_a_run_on_a_thread_with_nothing_to_answer(harness: Harness) -> None:
    assistant = harness.v2.post("/assistants", {"model": "gpt-4o"})["id"]
    thread = harness.v2.post("/threads")["id"]
    response = harness.client.post(
        f"/v1/threads/{thread}/runs", headers=harness.v2.headers, json={"assistant_id": assistant}
    )
    assert_error(response, 400, code="invalid_thread")


def test_400_while_the_thread_has_an_active_run(harness: Harness) -> None:
    thread, run = make_run(harness)
    assistant = run["assistant_id"]
    response = harness.client.post(
        f"/v1/threads/{thread}/runs", headers=harness.v2.headers, json={"assistant_id": assistant}
    )
    assert run["id"] in assert_error(response, 400)["message"]
    response = harness.client.post(
        f"/v1/threads/{thread}/messages",
        headers=harness.v2.headers,
        json={"role": "user", "content": "more"},
    )
    assert run["id"] in assert_error(response, 400)["message"]
    poll(harness.v2, thread, run["id"], harness.tick, after=0)
    again = harness.v2.post(f"/threads/{thread}/runs", {"assistant_id": assistant})
    assert again["status"] == "queued"


def test_400_for_cancelling_a_finished_run(harness: Harness) -> None:
    thread, run = make_run(harness)
    path = f"/v1/threads/{thread}/runs/{run['id']}/cancel"
    assert harness.client.post(path, headers=harness.v2.headers).json()["status"] == "cancelling"
    error = assert_error(harness.client.post(path, headers=harness.v2.headers), 400)
    assert error["message"] == "Cannot cancel run with status 'cancelling'."
    harness.tick()
    error = assert_error(harness.client.post(path, headers=harness.v2.headers), 400)
    assert error["message"] == "Cannot cancel run with status 'cancelled'."


def test_400_for_tool_outputs_a_run_does_not_require(harness: Harness) -> None:
    thread, run = make_run(harness)
    poll(harness.v2, thread, run["id"], harness.tick, after=0)
    path = f"/v1/threads/{thread}/runs/{run['id']}/submit_tool_outputs"
    body = {"tool_outputs": [{"tool_call_id": "call_x", "output": "x"}]}
    error = assert_error(harness.client.post(path, headers=harness.v2.headers, json=body), 400)
    assert error["message"] == 'Runs in status "completed" do not accept tool outputs.'


def test_400_for_tool_outputs_that_do_not_answer_the_calls(harness: Harness) -> None:
    thread, run = make_run(harness, "get_weather please")
    waiting = poll(harness.v2, thread, run["id"], harness.tick, after=0)
    assert waiting["status"] == "requires_action"
    path = f"/v1/threads/{thread}/runs/{run['id']}/submit_tool_outputs"
    for outputs in ([], [{"tool_call_id": "call_other", "output": "x"}]):
        response = harness.client.post(
            path, headers=harness.v2.headers, json={"tool_outputs": outputs}
        )
        assert_error(response, 400, param="tool_outputs")


# -- pagination ----------------------------------------------------------------------------------
@pytest.fixture
def five_runs(harness: Harness) -> tuple[str, list[str]]:
    """A thread with five finished runs, oldest first."""
    assistant = harness.v2.post("/assistants", {"model": "gpt-4o", "instructions": "Hi."})["id"]
    thread = harness.v2.post("/threads")["id"]
    ids = []
    for _ in range(5):
        run = harness.v2.post(f"/threads/{thread}/runs", {"assistant_id": assistant})
        poll(harness.v2, thread, run["id"], harness.tick, after=0)
        ids.append(run["id"])
    return thread, ids


def runs_page(h: Harness, thread: str, **params: Any) -> dict[str, Any]:
    page: dict[str, Any] = h.v2.get(f"/threads/{thread}/runs", **params)
    if page["data"]:  # the schema wants string cursors; the real API sends null on empty pages
        assert schema_errors(page, Profile.V2, "ListRunsResponse") == []
    assert set(page) == {"object", "data", "first_id", "last_id", "has_more"}
    return page


def ids_of(page: dict[str, Any]) -> list[str]:
    return [run["id"] for run in page["data"]]


def test_list_defaults_to_newest_first(harness: Harness, five_runs: tuple[str, list[str]]) -> None:
    thread, ids = five_runs
    page = runs_page(harness, thread)
    assert ids_of(page) == ids[::-1]
    assert (page["first_id"], page["last_id"], page["has_more"]) == (ids[4], ids[0], False)


def test_list_pages_forward_with_after(harness: Harness, five_runs: tuple[str, list[str]]) -> None:
    thread, ids = five_runs
    seen, after, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"limit": 2, "order": "asc"}
        if after is not None:
            params["after"] = after
        page = runs_page(harness, thread, **params)
        seen += ids_of(page)
        pages += 1
        assert page["first_id"] == page["data"][0]["id"]
        assert page["last_id"] == page["data"][-1]["id"]
        if not page["has_more"]:
            break
        after = page["last_id"]
    assert (seen, pages) == (ids, 3)


def test_list_pages_back_with_before(harness: Harness, five_runs: tuple[str, list[str]]) -> None:
    thread, ids = five_runs
    # newest first the list is 4 3 2 1 0: the page before run 1 is the two closest to it, 3 2
    page = runs_page(harness, thread, limit=2, before=ids[1])
    assert ids_of(page) == [ids[3], ids[2]]
    assert page["has_more"] is True
    page = runs_page(harness, thread, limit=2, order="asc", before=ids[1])
    assert ids_of(page) == [ids[0]]
    assert page["has_more"] is False
    page = runs_page(harness, thread, after=ids[4], before=ids[1])
    assert ids_of(page) == [ids[3], ids[2]]


def test_empty_list_has_null_cursors(harness: Harness) -> None:
    thread = harness.v2.post("/threads")["id"]
    page = runs_page(harness, thread)
    assert page == {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }


@pytest.mark.parametrize(
    ("params", "code", "param"),
    [
        ({"limit": 0}, "integer_below_min_value", "limit"),
        ({"limit": 101}, "integer_above_max_value", "limit"),
        ({"limit": "ten"}, "invalid_type", "limit"),
        ({"order": "sideways"}, "invalid_value", "order"),
        ({"after": "run_unknown"}, "invalid_value", "after"),
        ({"before": "run_unknown"}, "invalid_value", "before"),
    ],
)
def test_400_for_invalid_list_parameters(
    harness: Harness, params: dict[str, Any], code: str, param: str
) -> None:
    thread = harness.v2.post("/threads")["id"]
    response = harness.client.get(
        f"/v1/threads/{thread}/runs", headers=harness.v2.headers, params=params
    )
    assert_error(response, 400, code=code, param=param)


HEADERS = {"Authorization": "Bearer test", "OpenAI-Beta": "assistants=v2"}


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", "/v1/threads/thread_x/runs", "GET, HEAD, POST"),
        ("put", "/v1/threads/thread_x/runs/run_x/cancel", "POST"),
        # a concrete path is matched before the templated one, as OpenAPI matches them
        ("get", "/v1/threads/runs", "POST"),
    ],
)
def test_a_405_says_which_methods_the_path_has(method: str, path: str, allowed: str) -> None:
    response = getattr(TestClient(create_app()), method)(path, headers=HEADERS)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_a_null_body_is_not_an_object() -> None:
    client = TestClient(create_app())
    response = client.post("/v1/threads", headers=HEADERS, content=b"null")
    assert response.status_code == 400
    assert "not null" in response.json()["error"]["message"]
