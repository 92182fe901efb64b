"""Misbehaving targets for the hardening tests: small ASGI apps served on loopback.

Each is what a hostile or broken API might do to the gate: echo the key into a body that is not
text, send integers no 64-bit field holds, pad every run with megabytes of metadata.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


async def echo_key_in_binary(scope: Scope, receive: Receive, send: Send) -> None:
    """Everything answered 200 with a body that is not UTF-8 and holds the request's key."""
    if scope["type"] != "http":
        return
    credential = dict(scope["headers"]).get(b"authorization", b"")
    key = credential.removeprefix(b"Bearer ")
    body = b"\xff\xfe\x00binary " + credential + b" \x80\x81 " + key + b" \xc3\x28 end"
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/octet-stream"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def rewrite_runs(app: App, change: Callable[[dict[str, Any]], bytes]) -> App:
    """`app` with every JSON run object it answers replaced by `change(run)` (streams untouched)."""

    async def rewritten(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        start: Message = {}
        parts: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            parts.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = _changed(b"".join(parts), change)
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await app(scope, receive, hold)

    return rewritten


def _changed(body: bytes, change: Callable[[dict[str, Any]], bytes]) -> bytes:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body  # an event stream or an empty answer
    if isinstance(value, dict) and value.get("object") == "thread.run":
        return change(value)
    return body


def with_huge_timestamps(run: dict[str, Any]) -> bytes:
    """The run with created_at of 2^64: valid JSON, beyond every 64-bit integer."""
    text = orjson.dumps({**run, "created_at": 0}).decode()
    return text.replace('"created_at":0', f'"created_at":{2**64}', 1).encode()


def with_padding(size: int) -> Callable[[dict[str, Any]], bytes]:
    """The run with one metadata value of `size` characters: an answer too big to keep whole."""

    def pad(run: dict[str, Any]) -> bytes:
        return orjson.dumps({**run, "metadata": {"padding": "x" * size}})

    return pad
