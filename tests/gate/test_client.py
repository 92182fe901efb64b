"""The gate's one HTTP client: the key, retries, Retry-After, redirects, budget, order."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from runcontract.gate.client import PLACEHOLDER, GateClient, Policy, Target, retry_after
from runcontract.gate.traffic import Exchange, Problem
from tests.serving import serving

pytestmark = pytest.mark.timeout(60)
KEY = "sk-test-client0123456789"
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Scripted:
    """An ASGI app answering from a script, recording what it was sent."""

    answers: list[Answer]
    seen: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.seen.append({"method": scope["method"], "path": scope["path"], "headers": headers})
        status, extra, body = self.answers.pop(0) if self.answers else (200, {}, b"{}")
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in extra.items()],
            }
        )
        await send({"type": "http.response.body", "body": body})


@contextmanager
def client_for(
    app: Any,
    *,
    policy: Policy | None = None,
    due: Callable[[Exchange], bool] | None = None,
) -> Iterator[tuple[GateClient, list[Exchange]]]:
    """A client of an ASGI app in process, or of a `Target` as it is (a real socket)."""
    seen: list[Exchange] = []
    target = (
        app
        if isinstance(app, Target)
        else Target("scripted", "http://scripted.invalid/v1", httpx.ASGITransport(app=app))
    )
    client = GateClient(
        target,
        api_key=KEY,
        policy=policy or Policy(backoff=0.01),
        on_exchange=seen.append,
        due_client_error=due or (lambda _e: False),
    )
    try:
        yield client, seen
    finally:
        client.close()


def json_error(status: int) -> bytes:
    return json.dumps(
        {"error": {"message": f"{status}", "type": "x", "param": None, "code": None}}
    ).encode()


def test_the_key_is_sent_as_a_bearer_token_and_kept_out_of_the_exchange() -> None:
    app = Scripted([])
    with client_for(app) as (client, _):
        exchange = client.request("GET", "/threads/t/runs", origin="test")
    assert app.seen[0]["headers"]["authorization"] == f"Bearer {KEY}"
    assert exchange.sent_key
    assert all(name != "authorization" for name, _ in exchange.request_headers)


def test_the_placeholder_is_swapped_for_the_key_and_other_credentials_pass_unchanged() -> None:
    app = Scripted([])
    with client_for(app) as (client, seen):
        client.request(
            "GET",
            "/a",
            origin="schemathesis",
            authenticate=False,
            headers=[("Authorization", f"Bearer {PLACEHOLDER}")],
        )
        client.request(
            "GET",
            "/b",
            origin="schemathesis",
            authenticate=False,
            headers=[("Authorization", "Bearer wrong")],
        )
        client.request("GET", "/c", origin="schemathesis", authenticate=False)
    assert [s["headers"].get("authorization") for s in app.seen] == [
        f"Bearer {KEY}",
        "Bearer wrong",
        None,
    ]
    assert [e.sent_key for e in seen] == [True, False, False]


def test_a_429_is_retried_after_the_time_retry_after_asks() -> None:
    app = Scripted([(429, {"retry-after": "0.2"}, json_error(429)), (200, {}, b"{}")])
    with client_for(app) as (client, seen):
        started = time.monotonic()
        exchange = client.request("POST", "/threads/t/runs/r/cancel", origin="test")
        waited = time.monotonic() - started
    assert exchange.status == 200
    assert waited >= 0.2
    assert [e.status for e in seen] == [429, 200]
    assert [e.retried for e in seen] == [True, False]
    assert client.counters.rate_limited == 1


def test_a_retry_after_longer_than_the_deadline_is_not_waited_for() -> None:
    app = Scripted([(429, {"retry-after": "60"}, json_error(429))])
    policy = Policy(deadline=time.monotonic() + 5)
    with client_for(app, policy=policy) as (client, _):
        exchange = client.request("GET", "/threads/t/runs", origin="test")
    assert exchange.status == 429


def test_a_5xx_is_retried_for_a_read_but_not_for_a_write_nor_when_a_4xx_is_due() -> None:
    errors: list[Answer] = [(500, {}, json_error(500))] * 3
    app = Scripted([*errors, (200, {}, b"{}")])
    with client_for(app) as (client, _):
        assert client.request("GET", "/threads/t/runs", origin="test").status == 500
    assert len(app.seen) == 3  # the first try and two retries, then the 500 is kept
    app = Scripted([(500, {}, json_error(500)), (200, {}, b"{}")])
    with client_for(app) as (client, _):
        assert client.request("POST", "/threads/t/runs/r/cancel", origin="test").status == 500
    assert len(app.seen) == 1
    app = Scripted([(500, {}, json_error(500)), (200, {}, b"{}")])
    with client_for(app, due=lambda _e: True) as (client, _):
        assert client.request("GET", "/threads/unknown/runs", origin="test").status == 500
    assert len(app.seen) == 1


def test_a_redirect_is_never_followed_so_the_key_never_leaves_the_target() -> None:
    app = Scripted([(307, {"location": "https://elsewhere.invalid/v1/threads"}, b"")])
    with client_for(app) as (client, _):
        exchange = client.request("GET", "/threads/t/runs", origin="test")
    assert len(app.seen) == 1
    assert exchange.problem is Problem.REDIRECT
    assert "https://elsewhere.invalid" in exchange.detail
    assert "/v1/threads" not in exchange.detail


def test_run_creating_requests_stop_at_the_budget() -> None:
    run = json.dumps({"id": "run_1", "object": "thread.run"}).encode()
    app = Scripted([(200, {}, run)] * 5)
    with client_for(app, policy=Policy(budget=2)) as (client, _):
        answers = [
            client.request("POST", path, origin="test", json={"assistant_id": "a"})
            for path in ("/threads/t/runs", "/threads/runs", "/threads/t/runs")
        ]
    assert [a.problem for a in answers] == [None, None, Problem.BUDGET]
    assert len(app.seen) == 2
    assert client.counters.run_requests == 2
    assert client.counters.skipped_for_budget == 1


def test_a_request_no_http_client_can_send_is_not_sent() -> None:
    app = Scripted([])
    with serving(app) as base_url:
        client = GateClient(
            Target(base_url, base_url),
            api_key=KEY,
            policy=Policy(),
            on_exchange=lambda _e: None,
            due_client_error=lambda _e: False,
        )
        try:
            exchange = client.request(
                "GET", "/threads/t/runs", origin="test", headers=[("X-Probe", "a\x00b")]
            )
        finally:
            client.close()
    assert exchange.problem is Problem.UNSENDABLE
    assert app.seen == []


def test_an_answer_never_takes_longer_than_the_request_timeout() -> None:
    async def stalls(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        import asyncio

        await asyncio.sleep(3600)

    client = GateClient(
        Target("stalls", "http://stalls.invalid/v1", httpx.ASGITransport(app=stalls)),
        api_key=KEY,
        policy=Policy(request_timeout=0.2),
        on_exchange=lambda _e: None,
        due_client_error=lambda _e: False,
    )
    started = time.monotonic()
    try:
        exchange = client.request("GET", "/threads/t/runs", origin="test")
    finally:
        client.close()
    assert exchange.problem is Problem.TIMEOUT
    assert time.monotonic() - started < 30  # a bound far above 0.2 s, far below the stall


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("2", 2.0), ("0.5", 0.5), ("", None), ("soon", None), ("-3", 0.0)],
)
def test_retry_after_reads_seconds(header: str, seconds: float | None) -> None:
    assert retry_after(header) == seconds


def test_retry_after_reads_an_http_date() -> None:
    before = time.time()
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(before + 30))
    found = retry_after(later)
    took = time.time() - before
    assert found is not None
    assert 29 - took <= found <= 30  # the date drops the fraction of a second


def test_requests_on_one_thread_go_one_at_a_time_and_other_threads_overlap() -> None:
    """Server order per run: the lifecycle rules see a run's answers in the order made."""
    import asyncio
    import contextlib
    from concurrent.futures import ThreadPoolExecutor

    in_flight: dict[str, int] = {}
    most: dict[str, int] = {}
    # Each request waits until both threads have one in flight (or 20 s, and the test fails):
    # an overlap that does not depend on the machine's speed, as a sleep would.
    arrived: set[str] = set()
    both_arrived = asyncio.Event()

    async def slow(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        thread = scope["path"].split("/")[3]
        in_flight[thread] = in_flight.get(thread, 0) + 1
        most[thread] = max(most.get(thread, 0), in_flight[thread])
        most["all"] = max(most.get("all", 0), sum(in_flight.values()))
        arrived.add(thread)
        if len(arrived) == 2:
            both_arrived.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both_arrived.wait(), 20)
        in_flight[thread] -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    client = GateClient(
        Target("slow", "http://slow.invalid/v1", httpx.ASGITransport(app=slow)),
        api_key=KEY,
        policy=Policy(),
        on_exchange=lambda _e: None,
        due_client_error=lambda _e: False,
    )
    paths = [f"/threads/{t}/runs/run_1" for t in ("a", "b") for _ in range(4)]
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda p: client.request("GET", p, origin="test"), paths))
    finally:
        client.close()
    assert most["a"] == 1
    assert most["b"] == 1
    assert most["all"] == 2


def test_credential_headers_are_dropped_from_what_the_gate_keeps() -> None:
    from runcontract.gate.client import clean_headers

    kept = clean_headers(
        [
            ("Authorization", "Bearer sk-test-abcdefghijkl"),
            ("Set-Cookie", "__cf_bm=session; Path=/"),
            ("Cookie", "a=b"),
            ("Content-Type", "application/json"),
        ]
    )
    assert kept == (("content-type", "application/json"),)


def test_a_429_not_waited_for_is_counted_but_not_called_retried() -> None:
    app = Scripted([(429, {"retry-after": "60"}, json_error(429))])
    with client_for(app) as (client, seen):
        client.request("GET", "/threads/t/runs", origin="test")
    assert len(app.seen) == 1
    assert client.counters.rate_limited == 1
    assert client.counters.retried == 0
    assert [e.retried for e in seen] == [False]


def test_every_run_creating_send_is_charged_whatever_the_answer() -> None:
    """No release on a 201 or a 4xx, and a retry is a send: the budget is a cap."""
    app = Scripted(
        [
            (201, {}, b'{"id": "run_1"}'),
            (400, {}, json_error(400)),
            (429, {"retry-after": "0"}, json_error(429)),
            (200, {}, b'{"id": "run_2"}'),
        ]
    )
    with client_for(app, policy=Policy(budget=3, backoff=0.01)) as (client, seen):
        answers = [
            client.request("POST", "/threads/t/runs", origin="test", body=b"not json")
            for _ in range(4)
        ]
    # The third request's 429 would be retried, but the retry would be a fourth send.
    assert [a.status for a in answers] == [201, 400, 429, None]
    assert answers[3].problem is Problem.BUDGET
    assert len(app.seen) == 3
    assert client.counters.run_requests == 3
    assert client.counters.retried == 0
    assert [e.retried for e in seen] == [False, False, False, False]


def test_a_transient_failure_whose_retry_was_answered_is_no_problem() -> None:
    dropped: list[int] = []

    async def drops_once(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if not dropped:
            dropped.append(1)
            raise OSError("connection dropped")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    with client_for(drops_once) as (client, _):
        exchange = client.request("GET", "/threads/t/runs", origin="test")
    assert exchange.status == 200
    assert client.counters.retried == 1
    assert dict(client.counters.problems) == {}


def test_a_connection_reset_names_its_error_class_and_says_reset() -> None:
    """httpx gives a reset no message; the detail must not be an empty "ReadError:"."""
    import socket
    import struct
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]

    def reset_each() -> None:
        for _ in range(2):  # the request and its one retry
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.recv(65536)
            # SO_LINGER 0: close sends RST, not FIN.
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    worker = threading.Thread(target=reset_each, daemon=True)
    worker.start()
    target = Target("resets", f"http://127.0.0.1:{port}/v1")
    try:
        with client_for(target, policy=Policy(backoff=0.01, request_timeout=10)) as (client, _):
            exchange = client.request("GET", "/threads/t/runs", origin="test")
    finally:
        listener.close()
        worker.join(timeout=10)
    assert exchange.problem is Problem.UNREACHABLE
    name, _, said = exchange.detail.partition(": ")
    assert name in {"ReadError", "RemoteProtocolError", "ConnectError"}, exchange.detail
    assert said.strip(), exchange.detail
    if name == "ReadError":
        assert "reset" in said
