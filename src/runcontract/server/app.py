"""The reference server as an ASGI app: the Assistants endpoints a run needs, under /v1.

    assistants        POST /v1/assistants, GET /v1/assistants/{id}
    threads           POST /v1/threads, GET /v1/threads/{id}
    messages          POST|GET /v1/threads/{id}/messages
    runs              POST /v1/threads/runs (create thread and run)
                      POST|GET /v1/threads/{id}/runs, GET|POST /v1/threads/{id}/runs/{run_id}
                      POST .../cancel, POST .../submit_tool_outputs
    run steps         GET .../steps, GET .../steps/{step_id}

Every request needs a bearer token (401 otherwise) and an `OpenAI-Beta: assistants=v1|v2`
header, which picks the shape of every object in the answer. Handlers are async and the store is
touched only from the event loop, so no locks are needed. Fault modes (faults.py) change the
answers only through the hooks of the FaultSet.
"""

from __future__ import annotations

import copy
import itertools
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from runcontract.model import Profile
from runcontract.server import validation as check
from runcontract.server.clock import Clock, WallClock, wait_until
from runcontract.server.errors import (
    ApiError,
    ToolOutputsRefusedError,
    UnknownIdError,
    bad_request,
    internal_error,
    invalid_url,
    method_not_allowed,
    missing_auth,
    missing_beta,
    unsupported_beta,
    wrong_key,
)
from runcontract.server.executor import (
    CANCELLABLE_STATUSES,
    DEFAULT_STEP_SECONDS,
    EXPIRY_SECONDS,
    Executor,
    plan_for,
)
from runcontract.server.faults import FaultSet, RenderContext, RunDefaults
from runcontract.server.objects import (
    render_any,
    render_assistant,
    render_list,
    render_message,
    render_run,
    render_step,
    render_thread,
    wire_status,
)
from runcontract.server.store import (
    Assistant,
    Event,
    JSONDict,
    Message,
    Run,
    Store,
    Thread,
)
from runcontract.vocabulary import LIVE_STATUSES, TERMINAL_STATUSES

API_PREFIX = "/v1"
JSON_MEDIA_TYPE = "application/json"
SSE_MEDIA_TYPE = "text/event-stream; charset=utf-8"
DONE = "event: done\ndata: [DONE]\n\n"
LIST_PARAMETERS = ("limit", "order", "after", "before")
RUN_EVENT = "thread.run."
PROFILES = {"v1": Profile.V1, "v2": Profile.V2}

T = TypeVar("T")
Handler = Callable[[Request], Awaitable[Response]]


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # The real API pretty-prints its JSON answers with two spaces.
    return Response(
        orjson.dumps(body, option=orjson.OPT_INDENT_2),
        status_code=status,
        media_type=JSON_MEDIA_TYPE,
        headers=headers,
    )


def _error(error: ApiError) -> Response:
    return _json(error.body(), error.status)


class BearerAuth:
    """401 for any request without a bearer token (or, when a key is set, with another key)."""

    def __init__(
        self,
        app: ASGIApp,
        api_key: str | None = None,
        render: Callable[[ApiError], Response] = _error,
    ) -> None:
        self.app = app
        self.api_key = api_key
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        value = headers.get(b"authorization", b"").decode("latin-1").strip()
        scheme, _, token = value.partition(" ")
        token = token.strip()
        error = None
        if scheme.lower() != "bearer" or not token:
            error = missing_auth()
        elif self.api_key is not None and not secrets.compare_digest(token, self.api_key):
            error = wrong_key(token)
        if error is not None:
            await self.render(error)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _paginate(
    items: Sequence[T],
    id_of: Callable[[T], str],
    *,
    limit: int,
    order: str,
    after: str | None,
    before: str | None,
) -> tuple[list[T], bool]:
    """The page of `items` (oldest first) that limit/order/after/before select, and has_more."""
    ordered = list(items) if order == "asc" else list(reversed(items))
    ids = [id_of(item) for item in ordered]
    start, end = 0, len(ordered)
    for name, cursor in (("after", after), ("before", before)):
        if cursor is None:
            continue
        if cursor not in ids:
            raise bad_request(
                f"Invalid '{name}': no object with id '{cursor}' in this list.",
                param=name,
                code="invalid_value",
            )
        if name == "after":
            start = ids.index(cursor) + 1
        else:
            end = ids.index(cursor)
    window = ordered[start:end] if start <= end else []
    page = window[-limit:] if before is not None and after is None else window[:limit]
    return page, len(window) > limit


class ReferenceServer:
    """The state and the handlers of one server instance."""

    def __init__(
        self,
        *,
        faults: Sequence[str] = (),
        clock: Clock | None = None,
        step_seconds: float = DEFAULT_STEP_SECONDS,
        seed: int = 0,
    ) -> None:
        self.faults = FaultSet(faults, seed=seed)
        self.clock: Clock = clock if clock is not None else WallClock()
        self.store = Store(seed)
        self.executor = Executor(self.store, self.clock, step_seconds, self.faults)
        self._request_ids = itertools.count(1)
        self._routes: list[Route] = []

    # -- plumbing --------------------------------------------------------------------------------
    def profile(self, request: Request) -> Profile:
        header = request.headers.get("openai-beta")
        if header is None:
            raise missing_beta()
        for item in header.split(","):
            name, _, version = item.strip().partition("=")
            if name.strip().lower() == "assistants":
                found = PROFILES.get(version.strip().lower())
                if found is None:
                    raise unsupported_beta(item.strip())
                return found
        raise missing_beta()

    def headers(self) -> dict[str, str]:
        return {
            "openai-version": "2020-10-01",
            "x-request-id": f"req_{next(self._request_ids):032x}",
        }

    def respond(
        self, body: Any, *, headers: dict[str, str] | None = None, created: bool = False
    ) -> Response:
        status = self.faults.created_status(200) if created else 200
        return _json(body, status, headers={**self.headers(), **(headers or {})})

    def error_response(self, error: ApiError) -> Response:
        return _json(self.faults.error_body(error.body(), error), error.status)

    def run_body(
        self, run: Run, profile: Profile, now: float | None = None, *, created: bool = False
    ) -> JSONDict:
        moment = self.clock.now() if now is None else now
        ctx = RenderContext(run, moment, self.executor.step_seconds, profile, created)
        return self.faults.render_run(render_run(run, profile), ctx)

    def run_response(self, run: Run, profile: Profile, *, created: bool = False) -> Response:
        extra = {}
        if run.status in LIVE_STATUSES:
            # Tells the SDK's poll helpers how soon the run may have changed.
            extra["openai-poll-after-ms"] = str(max(1, int(self.executor.step_seconds * 1000)))
        body = self.run_body(run, profile, created=created)
        return self.respond(body, headers=extra, created=created)

    def thread(self, request: Request) -> Thread:
        return self.store.thread(request.path_params["thread_id"])

    def run(self, request: Request) -> Run:
        run_id = self.faults.incoming_id(request.path_params["run_id"])
        run = self.store.run(request.path_params["thread_id"], run_id)
        return self.executor.advance(run)

    async def body(self, request: Request, checker: check.Checker) -> dict[str, Any]:
        parsed = check.parse_body(await request.body())
        checked: dict[str, Any] = checker(parsed, "body")
        return checked

    def page(
        self,
        request: Request,
        items: Sequence[T],
        id_of: Callable[[T], str],
        render: Callable[[T], JSONDict],
    ) -> Response:
        query = dict(request.query_params)
        while True:
            try:
                limit, order, after, before = check.list_params(query)
                after = self.faults.incoming_id(after) if after is not None else None
                before = self.faults.incoming_id(before) if before is not None else None
                chosen, has_more = _paginate(
                    items, id_of, limit=limit, order=order, after=after, before=before
                )
                break
            except ApiError as error:
                if error.param not in LIST_PARAMETERS:
                    raise
                answer = self.faults.invalid_parameter(error)
                if answer is not None:
                    raise answer from None
                # ignored as if it had not been sent; each pass drops one, so this ends
                del query[error.param]
        data = self.faults.order_page([render(item) for item in chosen], order)
        return self.respond(self.faults.list_page(render_list(data, has_more=has_more)))

    def stream(
        self, run: Run, profile: Profile, first_event: int, *, created: bool = False
    ) -> Response:
        return StreamingResponse(
            self._events(run, profile, first_event, created),
            status_code=self.faults.created_status(200) if created else 200,
            media_type=SSE_MEDIA_TYPE,
            headers=self.headers(),
        )

    async def _events(
        self, run: Run, profile: Profile, index: int, created: bool
    ) -> AsyncIterator[str]:
        while True:
            self.executor.advance(run)
            events = self.store.events[run.id]
            while index < len(events):
                yield self._sse(events[index], profile, created)
                index += 1
            if run.status in TERMINAL_STATUSES or run.status == "requires_action":
                break
            due = self.executor.next_moment(run)
            if due is None:
                break
            await wait_until(self.clock, due)
        yield DONE

    def _sse(self, event: Event, profile: Profile, created: bool) -> str:
        name = event.name
        if isinstance(event.data, Run):
            data = self.run_body(event.data, profile, now=event.moment, created=created)
            if name.startswith(RUN_EVENT):
                name = RUN_EVENT + wire_status(name[len(RUN_EVENT) :], profile)
            name = self.faults.stream_event(name, data)
        else:
            data = render_any(event.data, profile)
        return f"event: {name}\ndata: {orjson.dumps(data).decode()}\n\n"

    # -- building objects ------------------------------------------------------------------------
    def new_message(self, thread: Thread, fields: dict[str, Any]) -> Message:
        return self.store.add_message(
            Message(
                id=self.store.new_id("msg_"),
                created_at=int(self.clock.now()),
                thread_id=thread.id,
                role=fields["role"],
                content=fields["content"],
                attachments=list(fields.get("attachments") or []),
                file_ids=list(fields.get("file_ids") or []),
                metadata=fields.get("metadata") or {},
            )
        )

    def new_thread(self, fields: dict[str, Any]) -> Thread:
        thread = self.store.add_thread(
            Thread(
                id=self.store.new_id("thread_"),
                created_at=int(self.clock.now()),
                metadata=fields.get("metadata") or {},
                tool_resources=fields.get("tool_resources") or {},
            )
        )
        for message in fields.get("messages") or []:
            self.new_message(thread, message)
        return thread

    def new_run(
        self, thread: Thread, assistant: Assistant, options: dict[str, Any], profile: Profile
    ) -> Run:
        def given(key: str, default: Any) -> Any:
            value = options.get(key)
            return default if value is None else value

        inherited = self.faults.run_defaults(
            RunDefaults(
                model=assistant.model,
                instructions=assistant.instructions or "",
                tools=copy.deepcopy(assistant.tools),
            ),
            assistant,
        )
        instructions = given("instructions", inherited.instructions)
        extra = options.get("additional_instructions")
        if extra:
            instructions = f"{instructions}\n\n{extra}" if instructions else extra
        asked = [m.text for m in self.store.thread_messages(thread) if m.role == "user"]
        if not asked and not instructions:
            raise bad_request(
                "Run creation requires a Thread with a user message or an assistant with "
                "instructions.",
                code="invalid_thread",
            )
        tools = given("tools", inherited.tools)
        tool_choice = given("tool_choice", "auto")
        parallel = bool(options.get("parallel_tool_calls", True))
        now = self.clock.now()
        created_at = int(now)
        return Run(
            id=self.store.new_id("run_"),
            thread_id=thread.id,
            assistant_id=assistant.id,
            created=now,
            created_at=created_at,
            expires_at=created_at + EXPIRY_SECONDS,
            model=given("model", inherited.model),
            instructions=instructions,
            tools=tools,
            tool_resources=copy.deepcopy(assistant.tool_resources),
            file_ids=list(assistant.file_ids) if profile is Profile.V1 else [],
            metadata=options.get("metadata") or {},
            temperature=given("temperature", assistant.temperature),
            top_p=given("top_p", assistant.top_p),
            reasoning_effort=given("reasoning_effort", assistant.reasoning_effort),
            max_completion_tokens=options.get("max_completion_tokens"),
            max_prompt_tokens=options.get("max_prompt_tokens"),
            truncation_strategy=given(
                "truncation_strategy", {"type": "auto", "last_messages": None}
            ),
            response_format=given("response_format", assistant.response_format),
            tool_choice=tool_choice,
            parallel_tool_calls=parallel,
            plan=self.faults.plan_run(
                plan_for(
                    tools=tools,
                    tool_choice=tool_choice,
                    parallel_tool_calls=parallel,
                    last_user_text=asked[-1] if asked else "",
                ),
                tools,
                tool_choice,
            ),
        )

    def ensure_idle(self, thread: Thread, doing: str) -> None:
        active = self.executor.active_run(thread)
        if active is None:
            return
        if doing == "run":
            error = self.faults.second_active_run(
                bad_request(f"Thread {thread.id} already has an active run {active.id}.")
            )
            if error is not None:
                raise error
            return
        raise bad_request(f"Can't add messages to {thread.id} while a run {active.id} is active.")

    def run_assistant(self, assistant_id: str) -> Assistant:
        try:
            return self.store.assistant(assistant_id)
        except UnknownIdError:
            stand_in = self.faults.unknown_assistant(assistant_id, int(self.clock.now()))
            if stand_in is None:
                raise
            return stand_in

    # -- assistants, threads, messages -----------------------------------------------------------
    async def create_assistant(self, request: Request) -> Response:
        profile = self.profile(request)
        fields = await self.body(request, check.create_assistant(profile))
        tools = fields.get("tools") or []
        resources = fields.get("tool_resources") or {}
        if profile is Profile.V2 and not resources:
            kinds = {tool["type"] for tool in tools}
            if "code_interpreter" in kinds:
                resources = {"code_interpreter": {"file_ids": []}}
        assistant = self.store.add_assistant(
            Assistant(
                id=self.store.new_id("asst_"),
                created_at=int(self.clock.now()),
                model=fields["model"],
                name=fields.get("name"),
                description=fields.get("description"),
                instructions=fields.get("instructions"),
                tools=tools,
                tool_resources=resources,
                file_ids=list(fields.get("file_ids") or []),
                metadata=fields.get("metadata") or {},
                temperature=_or(fields.get("temperature"), 1.0),
                top_p=_or(fields.get("top_p"), 1.0),
                reasoning_effort=fields.get("reasoning_effort"),
                response_format=_or(fields.get("response_format"), "auto"),
            )
        )
        return self.respond(render_assistant(assistant, profile), created=True)

    async def get_assistant(self, request: Request) -> Response:
        profile = self.profile(request)
        assistant = self.store.assistant(request.path_params["assistant_id"])
        return self.respond(render_assistant(assistant, profile))

    async def create_thread(self, request: Request) -> Response:
        profile = self.profile(request)
        fields = await self.body(request, check.create_thread(profile))
        return self.respond(render_thread(self.new_thread(fields), profile), created=True)

    async def get_thread(self, request: Request) -> Response:
        profile = self.profile(request)
        return self.respond(render_thread(self.thread(request), profile))

    async def create_message(self, request: Request) -> Response:
        profile = self.profile(request)
        thread = self.thread(request)
        fields = await self.body(request, check.message(profile, root=True))
        self.ensure_idle(thread, "message")
        message = self.new_message(thread, fields)
        return self.respond(render_message(message, profile), created=True)

    async def list_messages(self, request: Request) -> Response:
        profile = self.profile(request)
        thread = self.thread(request)
        self.executor.advance_thread(thread)
        messages = self.store.thread_messages(thread)
        run_id = request.query_params.get("run_id")
        if run_id is not None:
            messages = [m for m in messages if m.run_id == self.faults.incoming_id(run_id)]
        return self.page(request, messages, lambda m: m.id, lambda m: render_message(m, profile))

    # -- runs ------------------------------------------------------------------------------------
    async def create_run(self, request: Request) -> Response:
        profile = self.profile(request)
        thread = self.thread(request)
        check.include_params(request.query_params.getlist("include[]"))
        options = await self.body(request, check.create_run(profile))
        assistant = self.run_assistant(options["assistant_id"])
        self.ensure_idle(thread, "run")
        for message in options.get("additional_messages") or []:
            self.new_message(thread, message)
        run = self.executor.start(self.new_run(thread, assistant, options, profile))
        if options.get("stream"):
            return self.stream(run, profile, 0, created=True)
        return self.run_response(run, profile, created=True)

    async def create_thread_and_run(self, request: Request) -> Response:
        profile = self.profile(request)
        options = await self.body(request, check.create_thread_and_run(profile))
        assistant = self.run_assistant(options["assistant_id"])
        fields = dict(options.get("thread") or {})
        if options.get("tool_resources") and not fields.get("tool_resources"):
            fields["tool_resources"] = options["tool_resources"]
        thread = self.new_thread(fields)
        run = self.new_run(thread, assistant, options, profile)
        self.executor.start(run, new_thread=thread)
        if options.get("stream"):
            return self.stream(run, profile, 0, created=True)
        return self.run_response(run, profile, created=True)

    async def list_runs(self, request: Request) -> Response:
        profile = self.profile(request)
        thread = self.thread(request)
        self.executor.advance_thread(thread)
        runs = self.store.thread_runs(thread)
        return self.page(request, runs, lambda r: r.id, lambda r: self.run_body(r, profile))

    async def get_run(self, request: Request) -> Response:
        profile = self.profile(request)
        return self.run_response(self.run(request), profile)

    async def modify_run(self, request: Request) -> Response:
        profile = self.profile(request)
        run = self.run(request)
        fields = await self.body(request, check.modify_run)
        if "metadata" in fields:
            run.metadata = fields["metadata"] or {}
        return self.run_response(run, profile)

    async def cancel_run(self, request: Request) -> Response:
        profile = self.profile(request)
        run = self.run(request)
        if run.status in CANCELLABLE_STATUSES:
            refused = self.faults.refuse_cancel(run)
            if refused is not None:
                raise refused
        return self.run_response(self.executor.cancel(run), profile)

    async def submit_tool_outputs(self, request: Request) -> Response:
        profile = self.profile(request)
        run = self.run(request)
        fields = await self.body(request, check.submit_tool_outputs)
        first_event = len(self.store.events[run.id])
        try:
            self.executor.submit_tool_outputs(run, fields["tool_outputs"])
        except ToolOutputsRefusedError as refused:
            error = self.faults.refuse_tool_outputs(refused)
            if error is not None:
                raise error from None
            return self.run_response(run, profile)
        if fields.get("stream"):
            return self.stream(run, profile, first_event)
        return self.run_response(run, profile)

    async def list_steps(self, request: Request) -> Response:
        profile = self.profile(request)
        try:
            run = self.run(request)
        except UnknownIdError as unknown:
            error = self.faults.steps_of_unknown_run(unknown)
            if error is not None:
                raise error from None
            return self.respond(self.faults.list_page(render_list([], has_more=False)))
        check.include_params(request.query_params.getlist("include[]"))
        steps = self.store.run_steps(run)
        return self.page(request, steps, lambda s: s.id, lambda s: render_step(s, profile))

    async def get_step(self, request: Request) -> Response:
        profile = self.profile(request)
        run = self.run(request)
        check.include_params(request.query_params.getlist("include[]"))
        step = self.store.step(run, request.path_params["step_id"])
        return self.respond(render_step(step, profile))

    # -- errors ----------------------------------------------------------------------------------
    async def api_error(self, request: Request, exc: Exception) -> Response:
        error = exc if isinstance(exc, ApiError) else internal_error()
        if isinstance(error, UnknownIdError):
            error = self.faults.unknown_id(error)
        return self.error_response(error)

    async def http_error(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status == 405:
            # HTTP requires a 405 to say which methods the resource has
            allowed = self.allowed_methods(request)
            response = self.error_response(method_not_allowed(request.method, request.url.path))
            response.headers["Allow"] = ", ".join(allowed)
            return response
        if status == 404:
            return self.error_response(invalid_url(request.method, request.url.path))
        return self.error_response(ApiError(status, str(getattr(exc, "detail", "error"))))

    def allowed_methods(self, request: Request) -> list[str]:
        """The methods of the path, concrete paths first as OpenAPI matches them.

        /v1/threads/runs is a path of its own (POST only), not a thread called "runs".
        """
        matching = [
            route
            for route in self._routes
            if route.endpoint not in (self.not_allowed, self.missing)
            and route.matches(request.scope)[0] is not Match.NONE
        ]
        concrete = [route for route in matching if "{" not in route.path]
        return sorted({method for route in concrete or matching for method in route.methods or ()})

    async def not_allowed(self, request: Request) -> Response:
        raise HTTPException(405)

    async def unexpected_error(self, request: Request, exc: Exception) -> Response:
        return self.error_response(internal_error())

    async def missing(self, request: Request) -> Response:
        raise HTTPException(404)

    def routes(self) -> list[Route]:
        runs = f"{API_PREFIX}/threads/{{thread_id}}/runs"
        run = f"{runs}/{{run_id}}"
        # (path, handler, method, the spec's operationId, spelled as the spec spells it)
        table: list[tuple[str, Handler, str, str]] = [
            (f"{API_PREFIX}/assistants", self.create_assistant, "POST", "createAssistant"),
            (
                f"{API_PREFIX}/assistants/{{assistant_id}}",
                self.get_assistant,
                "GET",
                "getAssistant",
            ),
            (f"{API_PREFIX}/threads", self.create_thread, "POST", "createThread"),
            (
                f"{API_PREFIX}/threads/runs",
                self.create_thread_and_run,
                "POST",
                "createThreadAndRun",
            ),
            (f"{API_PREFIX}/threads/{{thread_id}}", self.get_thread, "GET", "getThread"),
            (
                f"{API_PREFIX}/threads/{{thread_id}}/messages",
                self.create_message,
                "POST",
                "createMessage",
            ),
            (
                f"{API_PREFIX}/threads/{{thread_id}}/messages",
                self.list_messages,
                "GET",
                "listMessages",
            ),
            (runs, self.create_run, "POST", "createRun"),
            (runs, self.list_runs, "GET", "listRuns"),
            (run, self.get_run, "GET", "getRun"),
            (run, self.modify_run, "POST", "modifyRun"),
            (f"{run}/cancel", self.cancel_run, "POST", "cancelRun"),
            (
                f"{run}/submit_tool_outputs",
                self.submit_tool_outputs,
                "POST",
                "submitToolOuputsToRun",
            ),
            (f"{run}/steps", self.list_steps, "GET", "listRunSteps"),
            (f"{run}/steps/{{step_id}}", self.get_step, "GET", "getRunStep"),
        ]
        # an operation a fault takes away answers as a path the server does not have
        self._routes = [
            Route(path, handler if self.faults.serves(op) else self.missing, methods=[method])
            for path, handler, method, op in table
        ]
        if self.faults.serves("createThreadAndRun"):
            # a concrete path shadows the templated one beside it (OpenAPI's matching order)
            shadow = Route(
                f"{API_PREFIX}/threads/runs",
                self.not_allowed,
                methods=["GET", "PUT", "PATCH", "DELETE", "OPTIONS"],
            )
            self._routes.insert(0, shadow)
        return self._routes


def _or(value: T | None, default: T) -> T:
    return default if value is None else value


def create_app(
    *,
    faults: Sequence[str] = (),
    clock: Clock | None = None,
    step_seconds: float = DEFAULT_STEP_SECONDS,
    api_key: str | None = None,
    seed: int = 0,
) -> Starlette:
    """The reference server as an ASGI app; `app.state.server` is its ReferenceServer.

    `faults` names fault modes of runcontract.server.faults (an unknown name raises
    UnknownFaultError); `clock` drives the executor (the wall clock by default); any non-empty
    bearer token is accepted unless `api_key` is given; `seed` fixes the generated ids.
    """
    server = ReferenceServer(faults=faults, clock=clock, step_seconds=step_seconds, seed=seed)
    app = Starlette(
        routes=server.routes(),
        middleware=[Middleware(BearerAuth, api_key=api_key, render=server.error_response)],
        exception_handlers={
            ApiError: server.api_error,
            HTTPException: server.http_error,
            Exception: server.unexpected_error,
        },
    )
    app.state.server = server
    return app
