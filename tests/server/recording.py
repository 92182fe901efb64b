"""Record what the reference server answers, and the standard flows that exercise it.

`Recorder` wraps the ASGI app (in-process or under uvicorn) and keeps every exchange: request
method, path, headers and JSON body; response status, headers and body (JSON, or the events of
a stream). From it tests get:

    recorder.json_bodies()        every JSON value the server sent (bodies and event data)
    recorder.runs()               every run object, in the order the server sent them
    recorder.write_jsonl(path)    those runs, one per line (what `runcontract validate` reads)
    recorder.write_har(path)      the whole recording as HAR 1.2, requests and streams included,
                                  so lifecycle rules that need the request (L008) or the event
                                  name (L009) can be judged from the file
    recorder.observations()       the runs as runcontract.model.Observation, for the engine

`standard_flows(client, clock)` drives a server through every path a run can take (plain,
tool round trip, failure, cancel, lists, stream, create-thread-and-run, v1, unknown ids) with a
ManualClock, reading the run at every step; `record_flows(faults, directory)` runs them against
a fresh app with the given faults and writes runs.jsonl and recording.har under `directory`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runcontract.model import Observation, Profile, Request, Source
from runcontract.server import FAIL_PHRASE, ManualClock, create_app

JSON = Any
STEP_SECONDS = 1.0
PROFILE_OF_HEADER = {"assistants=v1": Profile.V1, "assistants=v2": Profile.V2}


@dataclass
class Exchange:
    method: str
    path: str
    query: str
    request_headers: dict[str, str]
    request_body: JSON  # parsed JSON, or the text when it is not JSON, or None when empty
    request_raw: bytes = b""
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""
    body: JSON = None  # the parsed JSON body, when the response is JSON
    events: list[tuple[str, JSON]] = field(default_factory=list)  # (event, data) of a stream

    @property
    def is_stream(self) -> bool:
        return self.response_headers.get("content-type", "").startswith("text/event-stream")

    @property
    def profile(self) -> Profile | None:
        return PROFILE_OF_HEADER.get(self.request_headers.get("openai-beta", ""))

    def payloads(self) -> Iterator[tuple[str | None, JSON]]:
        """The JSON values of the response: the body, or each event's data (without [DONE])."""
        if self.is_stream:
            for name, data in self.events:
                if data is not None:
                    yield name, data
        elif self.body is not None:
            yield None, self.body


def parse_sse(text: str) -> list[tuple[str, JSON]]:
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        name, data = "", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[len("event:") :].strip()
            elif line.startswith("data:"):
                data.append(line[len("data:") :].strip())
        joined = "\n".join(data)
        events.append((name, None if joined == "[DONE]" else orjson.loads(joined)))
    return events


def _json_or_text(raw: bytes) -> JSON:
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", "replace")


class RecordingNotSettledError(AssertionError):
    pass


class Recorder:
    """An ASGI middleware that keeps every exchange with the app it wraps.

    Under uvicorn the app runs in another thread, and a client can be done with an answer before
    the app is: the SDK closes a stream at its `[DONE]` event, before the server has sent the
    stream's last (empty) message. Read a live server's recording after `settled()`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.exchanges: list[Exchange] = []
        self._unfinished = 0
        self._finished = threading.Condition()

    def settled(self, within: float = 30.0) -> Recorder:
        """Wait until every exchange begun is recorded; raise if that takes over `within` s."""
        with self._finished:
            if not self._finished.wait_for(lambda: self._unfinished == 0, timeout=within):
                raise RecordingNotSettledError(
                    f"{self._unfinished} exchange(s) still unfinished after {within} s"
                )
        return self

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        exchange = Exchange(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            request_headers=headers,
            request_body=None,
        )
        received = bytearray()
        sent = bytearray()
        done = False

        def finish() -> None:
            nonlocal done
            if done:
                return
            done = True
            try:
                self._keep(exchange, received, sent)
            finally:
                with self._finished:
                    self._unfinished -= 1
                    self._finished.notify_all()

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                received.extend(message.get("body", b""))
            return message

        async def send_and_keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                exchange.response_headers = {
                    k.decode("latin-1").lower(): v.decode("latin-1")
                    for k, v in message.get("headers", [])
                }
            elif message["type"] == "http.response.body":
                sent.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    # Recorded before the client gets the last byte, so a test that reads the
                    # recording right after its request already finds the exchange in it.
                    finish()
            await send(message)

        with self._finished:
            self._unfinished += 1
        try:
            await self.app(scope, receive_and_keep, send_and_keep)
        finally:
            finish()

    def _keep(self, exchange: Exchange, received: bytearray, sent: bytearray) -> None:
        exchange.request_raw = bytes(received)
        exchange.request_body = _json_or_text(exchange.request_raw)
        exchange.raw = bytes(sent)
        if exchange.is_stream:
            exchange.events = parse_sse(exchange.raw.decode())
        elif exchange.raw.strip():
            exchange.body = orjson.loads(exchange.raw)
        self.exchanges.append(exchange)

    # -- views -----------------------------------------------------------------------------------
    def json_bodies(self) -> list[JSON]:
        return [payload for exchange in self.exchanges for _, payload in exchange.payloads()]

    def run_entries(self) -> Iterator[tuple[int, Exchange, str, str | None, dict[str, Any]]]:
        """(exchange index, exchange, entry, event name, run) for every run sent, in order."""
        for index, exchange in enumerate(self.exchanges):
            for number, (event, payload) in enumerate(exchange.payloads()):
                if not isinstance(payload, dict):
                    continue
                if payload.get("object") == "thread.run":
                    entry = f"exchange {index + 1}" + (f", event {number + 1}" if event else "")
                    yield index, exchange, entry, event, payload
                elif payload.get("object") == "list":
                    for position, item in enumerate(payload.get("data", [])):
                        if isinstance(item, dict) and item.get("object") == "thread.run":
                            yield (
                                index,
                                exchange,
                                f"exchange {index + 1}, data[{position}]",
                                None,
                                item,
                            )

    def runs(self) -> list[dict[str, Any]]:
        return [run for *_, run in self.run_entries()]

    def observations(self, file: str = "<recording>") -> list[Observation]:
        found = []
        for sequence, (_, exchange, entry, event, run) in enumerate(self.run_entries()):
            request = Request(
                method=exchange.method,
                path=exchange.path,
                body=exchange.request_body,
                headers=tuple(
                    (k, v) for k, v in exchange.request_headers.items() if k != "authorization"
                ),
            )
            found.append(
                Observation(
                    run=run,
                    source=Source(file, entry),
                    sequence=sequence,
                    request=request,
                    event=event,
                    status_code=exchange.status,
                    profile_hint=exchange.profile,
                )
            )
        return found

    def write_jsonl(self, path: Path) -> Path:
        with path.open("wb") as handle:
            for run in self.runs():
                handle.write(orjson.dumps(run) + b"\n")
        return path

    def write_har(self, path: Path) -> Path:
        entries = []
        for exchange in self.exchanges:
            url = f"http://reference.test{exchange.path}"
            if exchange.query:
                url += f"?{exchange.query}"
            request: dict[str, Any] = {
                "method": exchange.method,
                "url": url,
                "headers": [
                    {"name": k, "value": v}
                    for k, v in exchange.request_headers.items()
                    if k != "authorization"
                ],
            }
            if exchange.request_raw:
                request["postData"] = {
                    "mimeType": exchange.request_headers.get("content-type", ""),
                    "text": exchange.request_raw.decode("utf-8", "replace"),
                }
            entries.append(
                {
                    "request": request,
                    "response": {
                        "status": exchange.status,
                        "headers": [
                            {"name": k, "value": v} for k, v in exchange.response_headers.items()
                        ],
                        "content": {
                            "mimeType": exchange.response_headers.get("content-type", ""),
                            "text": exchange.raw.decode(),
                        },
                    },
                }
            )
        document = {
            "log": {"version": "1.2", "creator": {"name": "runcontract tests"}, "entries": entries}
        }
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
        return path


# -- the standard flows --------------------------------------------------------------------------
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
LIVE = {"queued", "in_progress", "cancelling"}


class Api:
    """A thin JSON client of the reference server for one profile."""

    def __init__(self, client: TestClient, version: str = "v2", bearer: str = "sk-test") -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {bearer}", "OpenAI-Beta": f"assistants={version}"}

    def post(self, path: str, body: JSON = None, **params: Any) -> JSON:
        response = self.client.post(f"/v1{path}", headers=self.headers, json=body, params=params)
        return response.json()

    def get(self, path: str, **params: Any) -> JSON:
        return self.client.get(f"/v1{path}", headers=self.headers, params=params).json()


def poll(
    api: Api, thread_id: str, run_id: str, tick: Callable[[], object], *, after: int = 1
) -> JSON:
    """Read the run at every step until it stops on its own, then `after` steps more."""
    run = api.get(f"/threads/{thread_id}/runs/{run_id}")
    for _ in range(30):
        if run.get("status") not in LIVE:
            break
        tick()
        run = api.get(f"/threads/{thread_id}/runs/{run_id}")
    for _ in range(after):
        tick()
        run = api.get(f"/threads/{thread_id}/runs/{run_id}")
    return run


def standard_flows(client: TestClient, clock: ManualClock, step: float = STEP_SECONDS) -> None:
    """Every path of a run's life, each observed at every step (see the module docstring)."""
    v2, v1 = Api(client, "v2"), Api(client, "v1")

    def tick() -> None:
        clock.advance(step)

    assistant = v2.post(
        "/assistants",
        {
            "model": "gpt-4o",
            "name": "Weather helper",
            "instructions": "Answer briefly.",
            "tools": [WEATHER_TOOL],
        },
    )["id"]

    # 1. a plain run, read at every step and once after it ended
    first = v2.post("/threads", {"messages": [{"role": "user", "content": "Hello there"}]})["id"]
    run = v2.post(
        f"/threads/{first}/runs", {"assistant_id": assistant, "metadata": {"flow": "plain"}}
    )
    poll(v2, first, run["id"], tick)
    v2.post(f"/threads/{first}/runs/{run['id']}", {"metadata": {"flow": "plain", "seen": "yes"}})

    # 2. the tool round trip, then tool outputs sent again once the run is over (honest: 400)
    second = v2.post("/threads")["id"]
    v2.post(f"/threads/{second}/messages", {"role": "user", "content": "get_weather for Paris?"})
    run = v2.post(f"/threads/{second}/runs", {"assistant_id": assistant})
    waiting = poll(v2, second, run["id"], tick)
    action = waiting.get("required_action") or {}
    calls = action.get("submit_tool_outputs", {}).get("tool_calls", [])
    outputs = [{"tool_call_id": call["id"], "output": "18 degrees, clear"} for call in calls]
    v2.post(f"/threads/{second}/runs/{run['id']}/submit_tool_outputs", {"tool_outputs": outputs})
    poll(v2, second, run["id"], tick)
    v2.post(f"/threads/{second}/runs/{run['id']}/submit_tool_outputs", {"tool_outputs": outputs})
    v2.get(f"/threads/{second}/runs/{run['id']}/steps")

    # 3. a run that fails
    third = v2.post("/threads", {"messages": [{"role": "user", "content": f"{FAIL_PHRASE} now"}]})
    run = v2.post(f"/threads/{third['id']}/runs", {"assistant_id": assistant})
    poll(v2, third["id"], run["id"], tick)

    # 4. a run cancelled while in progress
    fourth = v2.post("/threads", {"messages": [{"role": "user", "content": "Take your time"}]})
    run = v2.post(f"/threads/{fourth['id']}/runs", {"assistant_id": assistant})
    tick()
    v2.get(f"/threads/{fourth['id']}/runs/{run['id']}")
    v2.post(f"/threads/{fourth['id']}/runs/{run['id']}/cancel")
    poll(v2, fourth["id"], run["id"], tick)

    # 5. two more runs on the first thread, then its list in pages, both orders
    for _ in range(2):
        run = v2.post(f"/threads/{first}/runs", {"assistant_id": assistant})
        poll(v2, first, run["id"], tick, after=0)
    page = v2.get(f"/threads/{first}/runs", limit=2)
    v2.get(f"/threads/{first}/runs", limit=2, after=page.get("last_id") or "")
    v2.get(f"/threads/{first}/runs", order="asc")

    # 6. a streamed run (the manual clock jumps from event to event)
    fifth = v2.post("/threads", {"messages": [{"role": "user", "content": "Stream please"}]})
    client.post(
        f"/v1/threads/{fifth['id']}/runs",
        headers=v2.headers,
        json={"assistant_id": assistant, "stream": True},
    )

    # 7. create thread and run, and a v1 run
    run = v2.post(
        "/threads/runs",
        {"assistant_id": assistant, "thread": {"messages": [{"role": "user", "content": "Hi"}]}},
    )
    poll(v2, run["thread_id"], run["id"], tick)
    assistant_v1 = v1.post("/assistants", {"model": "gpt-4-turbo", "instructions": "Be kind."})[
        "id"
    ]
    thread_v1 = v1.post("/threads", {"messages": [{"role": "user", "content": "Hello v1"}]})["id"]
    run = v1.post(f"/threads/{thread_v1}/runs", {"assistant_id": assistant_v1})
    poll(v1, thread_v1, run["id"], tick)

    # 8. ids the server does not know
    v2.get(f"/threads/{first}/runs/run_doesnotexist000000000000")
    v2.get("/threads/thread_doesnotexist000000000000/runs")


@dataclass
class Recording:
    recorder: Recorder
    jsonl: Path
    har: Path


def record_flows(faults: Sequence[str], directory: Path) -> Recording:
    """The standard flows against a fresh app with `faults`, written under `directory`."""
    clock = ManualClock()
    recorder = Recorder(create_app(faults=faults, clock=clock, step_seconds=STEP_SECONDS))
    with TestClient(recorder) as client:
        standard_flows(client, clock)
    directory.mkdir(parents=True, exist_ok=True)
    return Recording(
        recorder,
        recorder.write_jsonl(directory / "runs.jsonl"),
        recorder.write_har(directory / "recording.har"),
    )
