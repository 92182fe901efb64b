"""The one HTTP client of the gate: every request to the target goes through it.

It owns what must hold for every request, whoever asks (the lifecycle driver or schemathesis
through the proxy): the API key is added here and nowhere else; TLS is verified; redirects are
never followed, so credentials never reach another host; every request is bounded in time;
429 and 5xx answers are retried with backoff and Retry-After; run-creating requests are counted
against the budget; and requests on one thread go one at a time, so the order in which answers
about a run are judged is the order in which the server produced them, with any number of
workers.

The client runs on its own event loop in a background thread; the in-process reference server
runs on that same loop (through httpx's ASGI transport), so its state is only ever touched from
one thread. Callers in any thread use the blocking `request`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import re
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import httpx

from runcontract.gate.traffic import Exchange, Headers, Problem
from runcontract.redact import CREDENTIAL_HEADERS

T = TypeVar("T")

# Stands for the key in every request schemathesis builds, so the key itself never enters
# schemathesis: not its cases, its failure messages, nor its curl commands.
PLACEHOLDER = "runcontract-placeholder-key"
MAX_BODY_BYTES = 32 * 1024 * 1024
RUN_CREATING = re.compile(r"^/threads(/[^/]+)?/runs$")
THREAD_OF = re.compile(r"^/threads/(?P<thread>[^/]+)(/|$)")
HOP_HEADERS = frozenset(
    {"host", "content-length", "connection", "transfer-encoding", "keep-alive", "accept-encoding"}
)


@dataclass(frozen=True, slots=True)
class Policy:
    """How patient the client is. Every field bounds time or money."""

    request_timeout: float = 30.0
    deadline: float = math.inf  # time.monotonic() after which nothing more is sent
    budget: int = 30  # runs the gate may create
    rate_limit_retries: int = 4
    server_error_retries: int = 2
    backoff: float = 0.25  # first wait; doubles with each retry
    max_wait: float = 20.0  # the longest single wait, even if Retry-After asks for more


class LoopThread:
    """An asyncio event loop in a daemon thread, for callers that block."""

    def __init__(self, name: str = "runcontract-gate") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout)

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Awaitable[T]:
        """For a caller on another event loop: await the result without blocking it."""
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self.loop))

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self.loop.close()


@dataclass(slots=True)
class Target:
    """Where the gate sends requests: a base URL ending in the API prefix, as the SDK takes it."""

    label: str
    base_url: str
    transport: httpx.AsyncBaseTransport | None = None
    advance: Callable[[float], object] | None = None  # a manual clock: time passes on request
    in_process: bool = False

    async def pause(self, seconds: float) -> None:
        if self.advance is not None:
            self.advance(seconds)
            await asyncio.sleep(0)
        else:
            await asyncio.sleep(seconds)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A request as the client will send it (the key already in its headers)."""

    method: str
    url: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes
    origin: str


@dataclass(slots=True)
class Counters:
    sent: int = 0
    rate_limited: int = 0  # 429 answers, whether or not they were tried again
    retried: int = 0  # requests sent again after a 429, a 5xx or a lost connection
    server_errors: int = 0  # 5xx answers
    run_requests: int = 0  # run-creating requests sent: what --budget caps
    skipped_for_budget: int = 0
    # Final answers only: a transient problem whose retry got an answer is no problem.
    problems: dict[Problem, int] = field(default_factory=lambda: defaultdict(int))


def retry_after(value: str) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), None if unreadable."""
    value = value.strip()
    if not value:
        return None
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    with contextlib.suppress(TypeError, ValueError, IndexError):
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    return None


def clean_headers(pairs: Iterable[tuple[str, str]]) -> Headers:
    return tuple(
        (name.lower(), value) for name, value in pairs if name.lower() not in CREDENTIAL_HEADERS
    )


class GateClient:
    """Sends requests to the target, one thread at a time, and hands each answer on."""

    def __init__(
        self,
        target: Target,
        *,
        api_key: str,
        policy: Policy,
        on_exchange: Callable[[Exchange], None],
        due_client_error: Callable[[Exchange], bool],
    ) -> None:
        self.target = target
        self.policy = policy
        self.counters = Counters()
        self._key = api_key
        self._on_exchange = on_exchange
        self._due_client_error = due_client_error
        self._loop = LoopThread()
        self._locks: dict[str, asyncio.Lock] = {}
        self._numbers = itertools.count(1)
        self._http = self._loop.run(self._open())

    async def _open(self) -> httpx.AsyncClient:
        timeout = httpx.Timeout(self.policy.request_timeout)
        return httpx.AsyncClient(
            transport=self.target.transport,
            timeout=timeout,
            follow_redirects=False,
            verify=True,
            trust_env=self.target.transport is None,
        )

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError):
            self._loop.run(self._http.aclose(), timeout=5)
        self._loop.close()

    # -- the API ----------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        origin: str,
        json: Any = None,
        body: bytes | None = None,
        query: dict[str, Any] | str | None = None,
        headers: Iterable[tuple[str, str]] = (),
        authenticate: bool = True,
    ) -> Exchange:
        """Send one request (retrying 429/5xx as the policy allows); the last answer is returned."""
        return self._loop.run(
            self.arequest(
                method,
                path,
                origin=origin,
                json=json,
                body=body,
                query=query,
                headers=headers,
                authenticate=authenticate,
            )
        )

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Awaitable[T]:
        return self._loop.submit(coroutine)

    def pause(self, seconds: float) -> None:
        self._loop.run(self.target.pause(seconds))

    async def arequest(
        self,
        method: str,
        path: str,
        *,
        origin: str,
        json: Any = None,
        body: bytes | None = None,
        query: dict[str, Any] | str | None = None,
        headers: Iterable[tuple[str, str]] = (),
        authenticate: bool = True,
    ) -> Exchange:
        if json is not None:
            body = httpx.Request("POST", "http://x", json=json).content
            headers = [*headers, ("content-type", "application/json")]
        sending = self._headers(headers, authenticate=authenticate)
        url = self.target.base_url + path
        if query:
            url += "?" + (query if isinstance(query, str) else urlencode(query, doseq=True))
        match = THREAD_OF.match(path)
        lock = self._lock(match.group("thread")) if match else None
        out = Outgoing(method.upper(), url, path, sending, body or b"", origin)
        async with lock if lock is not None else contextlib.nullcontext():
            return await self._with_retries(out)

    def _lock(self, thread: str) -> asyncio.Lock:
        found = self._locks.get(thread)
        if found is None:
            found = self._locks[thread] = asyncio.Lock()
        return found

    def _headers(
        self, given: Iterable[tuple[str, str]], *, authenticate: bool
    ) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        placeholder = False
        for name, value in given:
            lower = name.lower()
            if lower in HOP_HEADERS:
                continue
            if lower == "authorization" and PLACEHOLDER in value:
                placeholder = True
                continue
            out.append((name, value))
        if (authenticate and not any(n.lower() == "authorization" for n, _ in out)) or placeholder:
            out = [(n, v) for n, v in out if n.lower() != "authorization"]
            out.append(("Authorization", f"Bearer {self._key}"))
        return out

    # -- sending ----------------------------------------------------------------------------------
    async def _with_retries(self, out: Outgoing) -> Exchange:
        # A lenient server creates a run for any request to these paths, even one the document
        # forbids, and a retried request may have created one before it failed: every send
        # of one is charged, whatever comes back, so --budget is a cap on what the target
        # can have created.
        creates = out.method == "POST" and RUN_CREATING.match(out.path) is not None
        if creates and not self._spend():
            return self._skipped(out)
        attempt = 0
        while True:
            exchange = await self._send_once(out)
            wait = self._retry_wait(exchange, attempt)
            if wait is not None and creates and not self._spend():
                wait = None
            if exchange.status == 429:
                self.counters.rate_limited += 1
            if wait is None:
                break
            exchange.retried = True
            self.counters.retried += 1
            self._complete(exchange)
            attempt += 1
            await asyncio.sleep(wait)
        self._complete(exchange)
        return exchange

    def _spend(self) -> bool:
        """Charge one run-creating request to the budget; False when it is spent."""
        if self.counters.run_requests >= self.policy.budget:
            return False
        self.counters.run_requests += 1
        return True

    def _retry_wait(self, exchange: Exchange, attempt: int) -> float | None:
        """How long to wait before trying `exchange` again, or None to keep its answer."""
        policy = self.policy
        backoff = policy.backoff * (2**attempt)
        wait: float
        if exchange.problem is Problem.UNREACHABLE and attempt == 0:
            wait = backoff
        elif exchange.status == 429 and attempt < policy.rate_limit_retries:
            told = retry_after(exchange.header("retry-after"))
            wait = told if told is not None else backoff
        elif (
            exchange.status is not None
            and exchange.status >= 500
            and exchange.method == "GET"
            and attempt < policy.server_error_retries
            and not self._due_client_error(exchange)
        ):
            wait = backoff
        else:
            return None
        if wait > policy.max_wait or time.monotonic() + wait >= policy.deadline:
            return None
        return wait

    def _complete(self, exchange: Exchange) -> None:
        exchange.number = next(self._numbers)
        if exchange.problem is not None and not exchange.retried:
            self.counters.problems[exchange.problem] += 1
        if exchange.status is not None and exchange.status >= 500:
            self.counters.server_errors += 1
        self._on_exchange(exchange)

    def _skipped(self, out: Outgoing) -> Exchange:
        self.counters.skipped_for_budget += 1
        exchange = self._exchange(out)
        exchange.problem = Problem.BUDGET
        exchange.detail = f"not sent: the budget of {self.policy.budget} runs is spent"
        self._complete(exchange)
        return exchange

    def _exchange(self, out: Outgoing) -> Exchange:
        bearer = f"Bearer {self._key}"
        return Exchange(
            number=0,
            origin=out.origin,
            method=out.method,
            url=out.url,
            path=out.path,
            request_headers=clean_headers(out.headers),
            request_body=out.body,
            sent_key=any(n.lower() == "authorization" and v == bearer for n, v in out.headers),
        )

    async def _send_once(self, out: Outgoing) -> Exchange:
        exchange = self._exchange(out)
        remaining = self.policy.deadline - time.monotonic()
        if remaining <= 0:
            exchange.problem = Problem.DEADLINE
            exchange.detail = "not sent: the gate's --timeout was reached"
            return exchange
        started = time.monotonic()
        self.counters.sent += 1
        try:
            request = self._http.build_request(
                out.method, out.url, headers=out.headers, content=out.body
            )
        except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeError, ValueError) as exc:
            exchange.problem = Problem.UNSENDABLE
            exchange.detail = f"not sent: {type(exc).__name__}: {exc}"
            return exchange
        try:
            async with asyncio.timeout(min(self.policy.request_timeout, remaining)):
                await self._receive(request, exchange)
        except TimeoutError:
            exchange.problem = Problem.TIMEOUT
            exchange.detail = f"no complete answer within {self.policy.request_timeout:g} s"
        except httpx.TimeoutException as exc:
            exchange.problem = Problem.TIMEOUT
            exchange.detail = f"{type(exc).__name__} after {self.policy.request_timeout:g} s"
        except httpx.LocalProtocolError as exc:
            exchange.problem = Problem.UNSENDABLE
            exchange.detail = f"not sent: {exc}"
        except (httpx.TransportError, OSError) as exc:
            exchange.problem = Problem.UNREACHABLE
            exchange.detail = _transport_detail(exc)
        exchange.elapsed = time.monotonic() - started
        if (
            exchange.problem is None
            and exchange.status is not None
            and 300 <= exchange.status < 400
        ):
            location = exchange.header("location")
            exchange.problem = Problem.REDIRECT
            exchange.detail = (
                f"answered {exchange.status} redirecting to {_origin_of(location)}; redirects "
                "are not followed (credentials stay with the target): use the final URL as "
                "--base-url"
            )
        return exchange

    async def _receive(self, request: httpx.Request, exchange: Exchange) -> None:
        response = await self._http.send(request, stream=True)
        try:
            exchange.status = response.status_code
            # The body is kept decoded, so the headers that describe its encoding go.
            exchange.response_headers = tuple(
                (name, value)
                for name, value in clean_headers(response.headers.multi_items())
                if name not in ("content-encoding", "content-length", "transfer-encoding")
            )
            chunks = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise httpx.ReadError(f"answer larger than {MAX_BODY_BYTES} bytes")
                chunks.append(chunk)
            exchange.response_body = b"".join(chunks)
        finally:
            await response.aclose()


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "a relative URL"


def _transport_detail(exc: BaseException) -> str:
    """One line about a failed connection; httpx often gives no message for a reset."""
    said = str(exc).strip()
    if not said and isinstance(exc, httpx.ReadError | httpx.RemoteProtocolError | OSError):
        said = "the connection was reset or closed before a complete answer"
    return f"{type(exc).__name__}: {said or 'no detail given'}"
