"""A small Assistants server the gate was not built against, with the breaks third-party servers
showed (issue 9): it creates a run for every request to the run-creating paths, even ones the
document forbids, and counts them on its own side, so a test can hold the gate to --budget.

What it does wrong, each on purpose:
- answers 201 to every create (the contract gives 200);
- has no POST /threads/runs (404);
- accepts a run for any assistant id, and a second run on a thread whose run is active;
- gives runs instructions null although the assistant has instructions;
- answers metadata {} on create and null on every read;
- answers 500 to the cancel of an active run (the run goes on);
- lists steps with 200 for a run it never created;
- asks for a tool call of a function the gate never declared, once per run;
- answers 403 to a request without Authorization;
- answers a request with stream: true with plain text (and makes no run for it).

Runs move on by reads, not by time: each read of a run takes it one step further, so nothing in a
test depends on the machine's speed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

KEY = "sk-test-lenient0123456789abcdef"
CREATED_AT = 1_764_547_200
ACTIVE = ("queued", "in_progress", "requires_action")


def _error(status: int, message: str) -> JSONResponse:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None}}
    body["error"]["code"] = None
    return JSONResponse(body, status_code=status)


@dataclass
class Lenient:
    """The server's state; `runs_created` is what it created, whatever the gate thinks."""

    assistants: dict[str, dict[str, Any]] = field(default_factory=dict)
    threads: dict[str, list[str]] = field(default_factory=dict)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    reads: dict[str, int] = field(default_factory=dict)
    run_requests: int = 0
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def runs_created(self) -> int:
        return len(self.runs)

    def app(self) -> Starlette:
        app = Starlette(
            routes=[
                Route("/v1/assistants", self.create_assistant, methods=["POST"]),
                Route("/v1/assistants/{assistant}", self.get_assistant, methods=["GET", "DELETE"]),
                Route("/v1/threads", self.create_thread, methods=["POST"]),
                Route("/v1/threads/{thread}", self.delete_thread, methods=["DELETE"]),
                Route("/v1/threads/{thread}/runs", self.runs_of, methods=["GET", "POST"]),
                Route("/v1/threads/{thread}/runs/{run}", self.get_run, methods=["GET", "POST"]),
                Route("/v1/threads/{thread}/runs/{run}/cancel", self.cancel, methods=["POST"]),
                Route(
                    "/v1/threads/{thread}/runs/{run}/submit_tool_outputs",
                    self.submit,
                    methods=["POST"],
                ),
                Route("/v1/threads/{thread}/runs/{run}/steps", self.steps, methods=["GET"]),
            ]
        )

        async def gatekeeper(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                headers = dict(scope["headers"])
                if headers.get(b"authorization") != f"Bearer {KEY}".encode():
                    await _error(403, "no key")(scope, receive, send)
                    return
            await app(scope, receive, send)

        return gatekeeper  # type: ignore[return-value]

    def _id(self, prefix: str) -> str:
        return f"{prefix}_lenient{next(self.numbers):06d}"

    async def _body(self, request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    async def create_assistant(self, request: Request) -> Response:
        body = await self._body(request)
        assistant = {
            "id": self._id("asst"),
            "object": "assistant",
            "created_at": CREATED_AT,
            "model": body.get("model", "gpt-4o-mini"),
            "instructions": body.get("instructions"),
            "tools": body.get("tools") or [],
            "metadata": body.get("metadata") or {},
        }
        self.assistants[assistant["id"]] = assistant
        return JSONResponse(assistant, status_code=201)

    async def get_assistant(self, request: Request) -> Response:
        found = self.assistants.get(request.path_params["assistant"])
        return JSONResponse(found) if found else _error(404, "no such assistant")

    async def create_thread(self, request: Request) -> Response:
        thread = self._id("thread")
        self.threads[thread] = []
        body = {"id": thread, "object": "thread", "created_at": CREATED_AT, "metadata": {}}
        return JSONResponse(body, status_code=201)

    async def delete_thread(self, request: Request) -> Response:
        self.threads.pop(request.path_params["thread"], None)
        return JSONResponse({"id": request.path_params["thread"], "deleted": True})

    async def runs_of(self, request: Request) -> Response:
        thread = request.path_params["thread"]
        if request.method == "POST":
            # Every request makes a run, whatever its body, the thread or the assistant.
            self.run_requests += 1
            body = await self._body(request)
            if body.get("stream") is True:
                return Response("streaming is not supported", media_type="text/plain")
            return JSONResponse(self._new_run(thread, body), status_code=201)
        if thread not in self.threads:
            return _error(404, "no such thread")
        runs = [self.runs[r] for r in reversed(self.threads[thread])]
        if request.query_params.get("order") == "asc":
            runs.reverse()
        data = [self._shown(run) for run in runs]
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
                "has_more": False,
            }
        )

    def _new_run(self, thread: str, body: dict[str, Any]) -> dict[str, Any]:
        assistant = self.assistants.get(str(body.get("assistant_id")), {})
        run = {
            "id": self._id("run"),
            "object": "thread.run",
            "created_at": CREATED_AT,
            "assistant_id": body.get("assistant_id"),
            "thread_id": thread,
            "status": "queued",
            "started_at": None,
            "expires_at": CREATED_AT + 600,
            "cancelled_at": None,
            "failed_at": None,
            "completed_at": None,
            "required_action": None,
            "last_error": None,
            "model": assistant.get("model", "gpt-4o-mini"),
            "instructions": None,
            "tools": body.get("tools", assistant.get("tools", [])),
            "metadata": {},
            "usage": None,
            "incomplete_details": None,
            "temperature": 1.0,
            "top_p": 1.0,
            "max_completion_tokens": None,
            "max_prompt_tokens": None,
            "truncation_strategy": {"type": "auto", "last_messages": None},
            "response_format": "auto",
            "tool_choice": "auto",
            "parallel_tool_calls": True,
        }
        self.runs[run["id"]] = run
        self.threads.setdefault(thread, []).append(run["id"])
        self.reads[run["id"]] = 0
        return dict(run)

    def _shown(self, run: dict[str, Any]) -> dict[str, Any]:
        return {**run, "metadata": None}

    def _advance(self, run: dict[str, Any]) -> None:
        self.reads[run["id"]] += 1
        status = run["status"]
        if status == "queued":
            run.update(status="in_progress", started_at=CREATED_AT + 1)
        elif status == "in_progress" and self.reads[run["id"]] == 2:
            call = {
                "id": f"call_{run['id']}",
                "type": "function",
                "function": {"name": "lookup_something_else", "arguments": "{}"},
            }
            run.update(
                status="requires_action",
                required_action={
                    "type": "submit_tool_outputs",
                    "submit_tool_outputs": {"tool_calls": [call]},
                },
            )
        elif status == "in_progress":
            run.update(
                status="completed",
                completed_at=CREATED_AT + 2,
                expires_at=None,
                usage={"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
            )

    async def get_run(self, request: Request) -> Response:
        run = self.runs.get(request.path_params["run"])
        if run is None or run["thread_id"] != request.path_params["thread"]:
            return _error(404, "no such run")
        if request.method == "GET":
            self._advance(run)
        return JSONResponse(self._shown(run))

    async def cancel(self, request: Request) -> Response:
        run = self.runs.get(request.path_params["run"])
        if run is None:
            return _error(404, "no such run")
        if run["status"] in ACTIVE:
            return _error(500, "the executor failed")
        return _error(400, f"Cannot cancel run with status '{run['status']}'.")

    async def submit(self, request: Request) -> Response:
        run = self.runs.get(request.path_params["run"])
        if run is None:
            return _error(404, "no such run")
        if run["status"] != "requires_action":
            return _error(400, "Runs in this status do not accept tool outputs.")
        run.update(status="in_progress", required_action=None)
        return JSONResponse(self._shown(run))

    async def steps(self, request: Request) -> Response:
        # Any run id, known or not: an empty page.
        return JSONResponse(
            {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}
        )
