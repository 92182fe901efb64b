"""Servers that bend the contract the way third-party ones do, on loopback, through the gate."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
import pytest

from runcontract.server import create_app
from tests.gate.helpers import FAKE_KEY, QUICK, gate
from tests.serving import serving

pytestmark = pytest.mark.timeout(120)

LIST_RUNS = re.compile(r"^/v1/threads/[^/]+/runs$")


def lenient_order(app: Any) -> Any:
    """Reads any order it does not know as asc, where the contract answers 400."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and LIST_RUNS.match(scope["path"]):
            query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
            fixed = [
                (k, "asc" if k == "order" and v not in ("asc", "desc") else v) for k, v in query
            ]
            scope = {**scope, "query_string": urlencode(fixed).encode()}
        await app(scope, receive, send)

    return wrapped


def pages_without_object(app: Any) -> Any:
    """Leaves "object": "list" out of every list page, as openai-responses does."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        listing = scope["type"] == "http" and scope["method"] == "GET"
        listing = listing and LIST_RUNS.match(scope["path"]) is not None
        held: dict[str, Any] = {}

        async def rewrite(message: dict[str, Any]) -> None:
            if not listing:
                await send(message)
            elif message["type"] == "http.response.start":
                held.update(message)
            else:
                body = message.get("body", b"")
                page = orjson.loads(body) if held.get("status") == 200 else None
                if isinstance(page, dict) and page.get("object") == "list":
                    del page["object"]
                    body = orjson.dumps(page)
                headers = [(k, v) for k, v in held["headers"] if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
                await send({**held, "headers": headers})
                await send({**message, "body": body, "more_body": False})

        await app(scope, receive, rewrite)

    return wrapped


def run_gate(app: Any, key_env: str, *options: str) -> Any:
    with serving(app) as base_url:
        return gate("--base-url", base_url, "--api-key-env", key_env, "-v", *options)


def test_pages_for_an_order_the_server_should_refuse_are_h012_not_h001(key_env: str) -> None:
    app = lenient_order(create_app(step_seconds=0.02, api_key=FAKE_KEY))
    # the coverage phase sends the invalid orders (order=AAA, null, 0) that the issue saw
    result = run_gate(app, key_env, "--phases", "lifecycle,coverage", "--timeout", "100")
    assert " H001 " not in result.out, result.out
    assert re.search(r"^  warning H012 .*answered 200 to order=", result.out, re.M), result.out
    assert result.code == 0, result.out


def test_runs_in_pages_without_object_are_judged_and_the_envelope_named(key_env: str) -> None:
    app = pages_without_object(create_app(step_seconds=0.02, api_key=FAKE_KEY))
    result = run_gate(app, key_env, *QUICK)
    assert result.code == 1, result.out
    envelopes = re.findall(
        r"^  error   H006 .*GET /v1/threads/\S+/runs .*\$\.object: .*$", result.out, re.M
    )
    assert envelopes, result.out
    assert all("the list page has no object" in line for line in envelopes)
    # each page once: no answer is named twice for it
    answers = [re.search(r"\(interaction \d+\)", line).group(0) for line in envelopes]  # type: ignore[union-attr]
    assert len(answers) == len(set(answers))
    # the runs inside were judged: the list scenario's pages give run objects
    judged = re.search(r"(\d+) run objects judged", result.out)
    assert judged is not None
    assert int(judged.group(1)) > 0
