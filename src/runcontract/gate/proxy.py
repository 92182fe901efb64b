"""The ASGI app schemathesis talks to: it hands every request to the gate's client.

Schemathesis generates the requests and runs its checks on the answers; the gate's client sends
them, so the key, the budget, the timeouts, the retries and the per-thread order hold for these
requests exactly as for the lifecycle driver's. The answer goes back to schemathesis unchanged,
with one header naming the exchange, so the runcontract checks find the verdict the gate already
reached instead of judging the answer a second time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from runcontract.gate.client import GateClient
from runcontract.gate.traffic import Exchange, Problem

EXCHANGE_HEADER = "x-runcontract-exchange"
SKIPPED_HEADER = "x-runcontract-skipped"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class NotSentError(RuntimeError):
    """The gate's client got no answer; schemathesis records an error, never a verdict."""


class Proxy:
    def __init__(self, client: GateClient, session: str) -> None:
        self.client = client
        self.session = session

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            body.extend(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        raw_path = scope.get("raw_path") or scope["path"].encode()
        exchange: Exchange = await self.client.submit(
            self.client.arequest(
                scope["method"],
                raw_path.decode("latin-1"),
                origin="schemathesis",
                body=bytes(body),
                query=scope.get("query_string", b"").decode("latin-1") or None,
                headers=headers,
                authenticate=False,
            )
        )
        tag = f"{self.session}:{exchange.number}"
        if exchange.problem is Problem.BUDGET:
            # A documented answer that no check objects to; the runcontract checks skip it.
            await _respond(
                send,
                429,
                [
                    ("content-type", "application/json"),
                    (EXCHANGE_HEADER, tag),
                    (SKIPPED_HEADER, "budget"),
                ],
                b'{"error": {"message": "runcontract: the run budget is spent; not sent", '
                b'"type": "runcontract_budget", "param": null, "code": "budget_exhausted"}}',
            )
            return
        if exchange.status is None or exchange.problem is not None:
            raise NotSentError(f"runcontract gate: {exchange.problem}: {exchange.detail}")
        await _respond(
            send,
            exchange.status,
            [*exchange.response_headers, (EXCHANGE_HEADER, tag)],
            exchange.response_body,
        )


async def _respond(send: Send, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
