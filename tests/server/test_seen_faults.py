"""The fault modes that reproduce third-party Assistants servers (issue 9), over real HTTP.

Each test serves the app under uvicorn on 127.0.0.1 with a ManualClock (the test decides when
a run takes its next step, so nothing depends on speed), shows the faulty behaviour, and shows
the honest server doing what the real API does for the same requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from runcontract.engine import Engine
from runcontract.model import Profile
from runcontract.server import CATALOGUE, ManualClock, create_app
from tests.server.conformance import schema_errors
from tests.server.recording import WEATHER_TOOL, Recorder
from tests.serving import serving

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]

STEP = 1.0
HEADERS = {"Authorization": "Bearer sk-test", "OpenAI-Beta": "assistants=v2"}
CLOCK_TOOL = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
}
LIVE = {"queued", "in_progress", "requires_action", "cancelling"}


@dataclass
class Target:
    """A server on loopback, a JSON client of it, and the clock its runs step by."""

    base_url: str
    http: httpx.Client
    clock: ManualClock
    recorder: Recorder

    def tick(self, steps: int = 1) -> None:
        self.clock.advance(STEP * steps)

    def post(self, path: str, body: Any = None, **params: Any) -> httpx.Response:
        return self.http.post(path.lstrip("/"), json=body, params=params)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path.lstrip("/"), params=params)

    def ok(self, response: httpx.Response) -> Any:
        assert response.status_code in (200, 201), response.text
        return response.json()

    def assistant(self, **fields: Any) -> str:
        body = {"model": "gpt-4o", "tools": [WEATHER_TOOL], **fields}
        return str(self.ok(self.post("/assistants", body))["id"])

    def thread(self, text: str = "Hello") -> str:
        body = {"messages": [{"role": "user", "content": text}]}
        return str(self.ok(self.post("/threads", body))["id"])

    def run(self, thread: str, assistant: str, **options: Any) -> dict[str, Any]:
        body = {"assistant_id": assistant, **options}
        run: dict[str, Any] = self.ok(self.post(f"/threads/{thread}/runs", body))
        return run

    def read(self, thread: str, run: str) -> dict[str, Any]:
        found: dict[str, Any] = self.ok(self.get(f"/threads/{thread}/runs/{run}"))
        return found

    def until_stopped(self, thread: str, run: str) -> dict[str, Any]:
        """Step the run until it waits for the client or ends (bounded: 20 steps)."""
        found = self.read(thread, run)
        for _ in range(20):
            if found["status"] not in LIVE - {"requires_action"}:
                break
            self.tick()
            found = self.read(thread, run)
        return found


@contextmanager
def target(*faults: str, seed: int = 0) -> Iterator[Target]:
    clock = ManualClock()
    recorder = Recorder(create_app(faults=faults, clock=clock, step_seconds=STEP, seed=seed))
    with (
        serving(recorder) as base_url,
        httpx.Client(base_url=base_url + "/", headers=HEADERS, timeout=10) as http,
    ):
        yield Target(base_url, http, clock, recorder)


@contextmanager
def sdk_client(server: Target) -> Iterator[OpenAI]:
    """The official SDK; it marks every Assistants method deprecated, which is expected here."""
    with (
        OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0, timeout=10) as client,
        pytest.warns(DeprecationWarning, match="deprecated"),
    ):
        yield client


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The error of an answer in the real API's ErrorResponse shape."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert schema_errors(body, Profile.V2, "ErrorResponse") == []
    error: dict[str, Any] = body["error"]
    return error


def rules_broken(recorder: Recorder) -> set[str]:
    return {
        violation.rule
        for result in Engine().judge_all(recorder.observations())
        for violation in result.violations
    }


# the fault modes of issue 9's Deliver list, by name
SEEN = (
    "timestamps-in-milliseconds",
    "create-answers-201",
    "no-thread-and-run",
    "no-submit-tool-outputs",
    "lenient-parameters",
    "cancel-overridden",
    "cancel-server-error",
    "tools-not-inherited",
    "any-assistant-accepted",
    "second-active-run-accepted",
    "detail-errors",
    "metadata-dropped",
    "steps-of-unknown-run",
    "list-without-object",
    "random-tool-calls",
)


def test_each_fault_seen_on_a_third_party_server_says_what_it_breaks() -> None:
    rules = Engine().catalogue.rules
    for name in SEEN:
        fault = CATALOGUE[name]
        assert fault.description
        assert fault.__doc__, name  # the docstring says what the gate should flag
        assert fault.rule is None or fault.rule in rules, name


# -- answers to requests -------------------------------------------------------------------------
def _creates(server: Target) -> list[int]:
    """The status of each kind of create, streamed run included, then of two reads."""
    assistant = server.post("/assistants", {"model": "gpt-4o"})
    thread = server.post("/threads")
    thread_id = thread.json()["id"]
    message = server.post(f"/threads/{thread_id}/messages", {"role": "user", "content": "Hi"})
    run = server.post(f"/threads/{thread_id}/runs", {"assistant_id": assistant.json()["id"]})
    server.tick(5)
    body = {"assistant_id": assistant.json()["id"], "stream": True}
    streamed = server.post(f"/threads/{thread_id}/runs", body)
    thread_body = {"messages": [{"role": "user", "content": "Hi"}]}
    both = server.post(
        "/threads/runs", {"assistant_id": assistant.json()["id"], "thread": thread_body}
    )
    reads = [server.get(f"/threads/{thread_id}"), server.get(f"/threads/{thread_id}/runs")]
    answers = [assistant, thread, message, run, streamed, both, *reads]
    assert streamed.headers["content-type"].startswith("text/event-stream")
    assert "event: done" in streamed.text
    return [answer.status_code for answer in answers]


def test_create_answers_201() -> None:
    with target() as honest:
        assert _creates(honest) == [200] * 8
    with target("create-answers-201") as faulty:
        assert _creates(faulty) == [201] * 6 + [200, 200]


def test_no_thread_and_run_answers_404_as_for_a_path_the_server_does_not_have() -> None:
    body = {"thread": {"messages": [{"role": "user", "content": "Hi"}]}}
    with target() as honest:
        run = honest.ok(honest.post("/threads/runs", {"assistant_id": honest.assistant(), **body}))
        assert run["object"] == "thread.run"
        assert honest.get("/threads/runs").status_code == 405
    with target("no-thread-and-run") as faulty:
        assistant = faulty.assistant()
        answer = faulty.post("/threads/runs", {"assistant_id": assistant, **body})
        error = error_of(answer, 404)
        assert error["message"] == "Invalid URL (POST /v1/threads/runs)"
        # the other way to a run still works
        assert faulty.run(faulty.thread(), assistant)["status"] == "queued"


def _to_requires_action(server: Target) -> tuple[str, dict[str, Any]]:
    thread = server.thread("What does get_weather say for Paris?")
    run = server.run(thread, server.assistant())
    waiting = server.until_stopped(thread, run["id"])
    assert waiting["status"] == "requires_action"
    return thread, waiting


def test_no_submit_tool_outputs_answers_404_and_the_run_waits() -> None:
    def submit(server: Target, thread: str, run: dict[str, Any]) -> httpx.Response:
        calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
        outputs = [{"tool_call_id": call["id"], "output": "18 C"} for call in calls]
        path = f"/threads/{thread}/runs/{run['id']}/submit_tool_outputs"
        return server.post(path, {"tool_outputs": outputs})

    with target() as honest:
        thread, run = _to_requires_action(honest)
        assert honest.ok(submit(honest, thread, run))["status"] == "queued"
    with target("no-submit-tool-outputs") as faulty:
        thread, run = _to_requires_action(faulty)
        error = error_of(submit(faulty, thread, run), 404)
        assert error["message"].startswith("Invalid URL (POST /v1/threads/")
        assert faulty.read(thread, run["id"])["status"] == "requires_action"


INVALID_LIST_PARAMETERS = [
    {"order": "AAA"},
    {"limit": "0"},
    {"limit": "1000"},
    {"limit": "many"},
    {"after": "not-a-cursor"},
    {"before": "run_unknown"},
]


@pytest.mark.parametrize(
    "query", INVALID_LIST_PARAMETERS, ids=lambda q: "=".join(next(iter(q.items())))
)
def test_lenient_parameters_ignore_what_the_honest_server_refuses(query: dict[str, str]) -> None:
    def runs_of(server: Target) -> tuple[str, list[str]]:
        assistant, thread = server.assistant(), server.thread()
        for _ in range(3):
            server.until_stopped(thread, server.run(thread, assistant)["id"])
        return thread, [
            run["id"] for run in server.ok(server.get(f"/threads/{thread}/runs"))["data"]
        ]

    (param,) = query
    with target() as honest:
        thread, _ = runs_of(honest)
        error = error_of(honest.get(f"/threads/{thread}/runs", **query), 400)
        assert error["param"] == param
        assert error["type"] == "invalid_request_error"
    with target("lenient-parameters") as faulty:
        thread, default_page = runs_of(faulty)
        page = faulty.ok(faulty.get(f"/threads/{thread}/runs", **query))
        # read as if the parameter had not been sent: the default page, newest first
        assert [run["id"] for run in page["data"]] == default_page
        assert len(default_page) == 3
        if param != "order":  # a valid parameter beside it still counts
            page = faulty.ok(faulty.get(f"/threads/{thread}/runs", **query, order="asc"))
            assert [run["id"] for run in page["data"]] == list(reversed(default_page))


# -- cancel --------------------------------------------------------------------------------------
def _cancel_in_progress(server: Target) -> tuple[str, list[dict[str, Any]]]:
    """Cancel a run in progress, then read it at every step: the cancel answer and each read."""
    thread = server.thread()
    run = server.run(thread, server.assistant())
    server.tick()
    assert server.read(thread, run["id"])["status"] == "in_progress"
    seen = [server.ok(server.post(f"/threads/{thread}/runs/{run['id']}/cancel"))]
    for _ in range(4):
        server.tick()
        seen.append(server.read(thread, run["id"]))
    return thread, seen


def test_cancel_overridden_goes_back_to_work_and_ends_completed_and_cancelled() -> None:
    with target() as honest:
        _, seen = _cancel_in_progress(honest)
        assert [run["status"] for run in seen] == ["cancelling"] + ["cancelled"] * 4
        assert seen[0]["cancelled_at"] is None
        assert seen[-1]["cancelled_at"] is not None
        assert seen[-1]["completed_at"] is None
        assert rules_broken(honest.recorder) == set()
    with target("cancel-overridden") as faulty:
        _, seen = _cancel_in_progress(faulty)
        statuses = [run["status"] for run in seen]
        assert statuses == ["cancelling", "in_progress", "completed", "completed", "completed"]
        assert seen[0]["cancelled_at"] == seen[0]["created_at"] + 1  # stamped by the cancel
        assert seen[1]["cancelled_at"] == seen[0]["cancelled_at"]
        assert seen[-1]["cancelled_at"] == seen[0]["cancelled_at"]
        assert seen[-1]["completed_at"] is not None
        # the illegal move, both end stamps, and a cancelled_at under a status not its own
        assert rules_broken(faulty.recorder) == {"L001", "T005", "C006"}
        # cancelled while still queued, it is stamped started when it goes back to work, after
        # the cancelled_at it already carries: T002 as well, as FakeAI showed (issue 9)
        thread = faulty.thread()
        queued = faulty.run(thread, faulty.assistant())
        faulty.ok(faulty.post(f"/threads/{thread}/runs/{queued['id']}/cancel"))
        faulty.tick()
        resumed = faulty.read(thread, queued["id"])
        assert resumed["status"] == "in_progress"
        assert resumed["started_at"] == resumed["cancelled_at"] + 1
        assert rules_broken(faulty.recorder) == {"L001", "T005", "C006", "T002"}


def test_cancel_server_error_answers_500_and_the_run_goes_on() -> None:
    with target() as honest, sdk_client(honest) as client:
        thread = honest.thread()
        run = honest.run(thread, honest.assistant())
        cancelled = client.beta.threads.runs.cancel(run["id"], thread_id=thread)
        assert cancelled.status == "cancelling"
    with target("cancel-server-error") as faulty, sdk_client(faulty) as client:
        thread = faulty.thread()
        run = faulty.run(thread, faulty.assistant())
        with pytest.raises(openai.InternalServerError) as caught:
            client.beta.threads.runs.cancel(run["id"], thread_id=thread)
        assert caught.value.status_code == 500
        assert caught.value.body["type"] == "server_error"  # type: ignore[index]
        finished = faulty.until_stopped(thread, run["id"])
        assert finished["status"] == "completed"
        assert finished["cancelled_at"] is None
        # a finished run still gets the honest 400: only a live run's cancel fails
        late = faulty.post(f"/threads/{thread}/runs/{run['id']}/cancel")
        assert error_of(late, 400)["message"] == "Cannot cancel run with status 'completed'."


# -- what a run is created with ------------------------------------------------------------------
def names(tools: list[Any]) -> list[str]:
    return [tool.model_dump()["function"]["name"] for tool in tools]


def test_tools_not_inherited_gives_a_run_none_of_its_assistants_defaults() -> None:
    fields = {"model": "gpt-4o", "instructions": "Answer in French.", "tools": [WEATHER_TOOL]}

    def runs(server: Target) -> tuple[Any, Any]:
        with sdk_client(server) as client:
            assistant = client.beta.assistants.create(**fields)  # type: ignore[arg-type]
            thread = client.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
            plain = client.beta.threads.runs.create(thread.id, assistant_id=assistant.id)
            server.until_stopped(thread.id, plain.id)
            given = client.beta.threads.runs.create(
                thread.id,
                assistant_id=assistant.id,
                model="gpt-4o-mini",
                instructions="Be brief.",
                tools=[CLOCK_TOOL],  # type: ignore[list-item]
            )
        return plain, given

    with target() as honest:
        plain, given = runs(honest)
        assert (plain.model, plain.instructions) == ("gpt-4o", "Answer in French.")
        assert names(plain.tools) == ["get_weather"]
    with target("tools-not-inherited") as faulty:
        plain, faulty_given = runs(faulty)
        assert plain.tools == []
        assert plain.instructions is None
        assert plain.model not in ("gpt-4o", "")
        # what the request gives is kept: only the assistant's defaults are lost
        for run in (given, faulty_given):
            assert (run.model, run.instructions) == ("gpt-4o-mini", "Be brief.")
            assert names(run.tools) == ["get_time"]


def test_any_assistant_accepted_runs_for_an_assistant_that_does_not_exist() -> None:
    nobody = "asst_doesnotexist000000000000"
    thread_body = {"messages": [{"role": "user", "content": "Hi"}]}
    with target() as honest, sdk_client(honest) as client:
        thread = honest.thread()
        with pytest.raises(openai.NotFoundError) as caught:
            client.beta.threads.runs.create(thread, assistant_id=nobody)
        assert caught.value.message.endswith(f"No assistant found with id '{nobody}'.")
        both = honest.post("/threads/runs", {"assistant_id": nobody, "thread": thread_body})
        assert error_of(both, 404)["message"] == f"No assistant found with id '{nobody}'."
        assert honest.ok(honest.get(f"/threads/{thread}/runs"))["data"] == []
    with target("any-assistant-accepted") as faulty, sdk_client(faulty) as client:
        thread = faulty.thread()
        run = client.beta.threads.runs.create(thread, assistant_id=nobody)
        assert run.assistant_id == nobody
        assert faulty.until_stopped(thread, run.id)["status"] == "completed"
        both = faulty.ok(
            faulty.post("/threads/runs", {"assistant_id": nobody, "thread": thread_body})
        )
        assert both["assistant_id"] == nobody
        # an assistant that exists is still the one used
        real = faulty.assistant(model="gpt-4o-mini")
        assert faulty.run(faulty.thread(), real)["model"] == "gpt-4o-mini"


def test_second_active_run_accepted_leaves_two_live_runs_on_one_thread() -> None:
    with target() as honest, sdk_client(honest) as client:
        assistant, thread = honest.assistant(), honest.thread()
        first = client.beta.threads.runs.create(thread, assistant_id=assistant)
        with pytest.raises(openai.BadRequestError) as caught:
            client.beta.threads.runs.create(thread, assistant_id=assistant)
        assert f"already has an active run {first.id}" in caught.value.message
    with target("second-active-run-accepted") as faulty, sdk_client(faulty) as client:
        assistant, thread = faulty.assistant(), faulty.thread()
        first = client.beta.threads.runs.create(thread, assistant_id=assistant)
        second = client.beta.threads.runs.create(thread, assistant_id=assistant)
        listed = faulty.ok(faulty.get(f"/threads/{thread}/runs"))["data"]
        assert {run["id"]: run["status"] for run in listed} == {
            first.id: "queued",
            second.id: "queued",
        }
        # a message still waits for the runs to end, as on the honest server
        busy = faulty.post(f"/threads/{thread}/messages", {"role": "user", "content": "And?"})
        assert error_of(busy, 400)["message"].startswith("Can't add messages to")


def test_metadata_dropped_reads_an_empty_metadata_back_as_null() -> None:
    def metadata(server: Target) -> list[Any]:
        assistant, thread = server.assistant(), server.thread()
        run = server.run(thread, assistant, metadata={})
        seen = [run["metadata"], server.read(thread, run["id"])["metadata"]]
        listed = server.ok(server.get(f"/threads/{thread}/runs"))["data"]
        seen.append(listed[0]["metadata"])
        server.until_stopped(thread, run["id"])
        kept = server.run(thread, assistant, metadata={"flow": "kept"})
        seen.append(server.read(thread, kept["id"])["metadata"])
        return seen

    with target() as honest:
        assert metadata(honest) == [{}, {}, {}, {"flow": "kept"}]
    with target("metadata-dropped") as faulty:
        assert metadata(faulty) == [{}, None, None, {"flow": "kept"}]


# -- answers about runs and lists ----------------------------------------------------------------
def test_steps_of_unknown_run_answer_an_empty_list() -> None:
    def steps(server: Target) -> httpx.Response:
        thread = server.thread()
        return server.get(f"/threads/{thread}/runs/run_doesnotexist000000000000/steps")

    with target() as honest:
        error = error_of(steps(honest), 404)
        assert error["message"] == "No run found with id 'run_doesnotexist000000000000'."
    with target("steps-of-unknown-run") as faulty:
        page = faulty.ok(steps(faulty))
        assert page == {
            "object": "list",
            "data": [],
            "first_id": None,
            "last_id": None,
            "has_more": False,
        }
        # one step of that run is still a 404: only the list answers as if it were there
        one = faulty.get(
            f"/threads/{faulty.thread()}/runs/run_doesnotexist000000000000/steps/step_x"
        )
        assert error_of(one, 404)["message"].startswith("No run found")


def _lists(server: Target) -> list[dict[str, Any]]:
    thread, run = _to_requires_action(server)
    return [
        server.ok(server.get(f"/threads/{thread}/runs")),
        server.ok(server.get(f"/threads/{thread}/messages")),
        server.ok(server.get(f"/threads/{thread}/runs/{run['id']}/steps")),
    ]


def test_list_without_object_leaves_out_the_envelopes_object() -> None:
    with target() as honest:
        pages = _lists(honest)
        assert [page["object"] for page in pages] == ["list"] * 3
        assert schema_errors(pages[0], Profile.V2, "ListRunsResponse") == []
    with target("list-without-object") as faulty:
        pages = _lists(faulty)
        for page in pages:
            assert set(page) == {"data", "first_id", "last_id", "has_more"}
            assert len(page["data"]) == 1
        assert schema_errors(pages[0], Profile.V2, "ListRunsResponse") != []


def test_detail_errors_answer_in_fastapis_shape() -> None:
    unknown = "/threads/thread_doesnotexist000000000000"
    with target() as honest:
        assert error_of(honest.get(unknown), 404)["message"].startswith("No thread found")
        assert error_of(honest.get("/assistants/x", order="AAA"), 404)["code"] is None
    with target("detail-errors") as faulty:
        answers = {
            404: faulty.get(unknown),
            400: faulty.post("/assistants", {"model": 7}),
            401: faulty.http.get("threads/x", headers={"Authorization": ""}),
            405: faulty.http.delete("threads/runs"),
        }
        for status, answer in answers.items():
            assert answer.status_code == status, answer.text
            body = answer.json()
            assert list(body) == ["detail"], body
            assert isinstance(body["detail"], str)
            assert body["detail"]
        assert answers[404].json() == {
            "detail": "No thread found with id 'thread_doesnotexist000000000000'."
        }


# -- the model -----------------------------------------------------------------------------------
def _plans(seed: int, *faults: str, tool_choice: str | None = None) -> list[str | None]:
    """For 30 runs that name no function: the function each one calls (None: none)."""
    called: list[str | None] = []
    with target(*faults, seed=seed) as server:
        assistant = server.assistant(tools=[WEATHER_TOOL, CLOCK_TOOL])
        options = {"tool_choice": tool_choice} if tool_choice else {}
        for _ in range(30):
            thread = server.thread("Tell me something nice.")
            run = server.until_stopped(thread, server.run(thread, assistant, **options)["id"])
            if run["status"] == "requires_action":
                (call,) = run["required_action"]["submit_tool_outputs"]["tool_calls"]
                called.append(call["function"]["name"])
                outputs = [{"tool_call_id": call["id"], "output": "ok"}]
                path = f"/threads/{thread}/runs/{run['id']}/submit_tool_outputs"
                server.ok(server.post(path, {"tool_outputs": outputs}))
                run = server.until_stopped(thread, run["id"])
            else:
                called.append(None)
            assert run["status"] == "completed"
        assert rules_broken(server.recorder) == set()
    return called


def test_random_tool_calls_call_a_third_of_the_time_repeatably() -> None:
    assert _plans(0) == [None] * 30
    called = _plans(0, "random-tool-calls")
    calls = [name for name in called if name is not None]
    assert 5 <= len(calls) <= 15, called  # about a third of 30
    assert set(calls) == {"get_weather", "get_time"}
    assert _plans(0, "random-tool-calls") == called  # the same seed, the same calls
    assert _plans(1, "random-tool-calls") != called
    assert _plans(0, "random-tool-calls", tool_choice="none") == [None] * 30
