"""Serve openai-responses' OpenAIMock over real HTTP on 127.0.0.1, and count the runs it keeps.

    <openai-responses venv>/bin/python openai_responses_bridge.py --port P --stats FILE

openai-responses is a pytest plugin: its `OpenAIMock` is a respx router whose routes keep state
(assistants, threads, runs) in a `StateStore`, and it normally answers the httpx requests of the
test it patches. This bridge only transports: each HTTP request becomes an httpx.Request to the
mock's base URL, `router.resolve` picks the route and runs the package's own handler, and its
answer (status, headers, body) goes back unchanged. Nothing is added to what the mock answers:

- every method goes to the mock (http.server alone would answer 501 to one it has no handler
  for); a request no route matches is what respx raises AllMockedAssertionError for, and over
  HTTP that is a 404 whose text says so (the mock has no such endpoint), as is a path outside
  /v1;
- an exception raised by a handler (a body it cannot parse, a missing field) would reach the
  test as that exception; over HTTP it is a 500 with the exception's name, as a web framework
  answers an unhandled error;
- runs never move by themselves: the mock creates them `queued` and only the test's own code
  changes them (through `openai_mock.state`); its cancel route stores `cancelled` and answers
  a copy marked `cancelling`. The bridge does neither.

It runs in the openai-responses venv, so it uses the standard library's HTTP server only. The
count of runs (distinct run ids the state store was given, whatever the answer) is written to
the stats file after every request that changed it: the run budget is checked on the server's
side.
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from openai_responses import OpenAIMock
from respx.models import AllMockedAssertionError

MOCK_BASE = "https://api.openai.com/v1"
PREFIX = "/v1"
# Hop-by-hop and length headers belong to this connection, not to the mock's answer.
NOT_FORWARDED = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


class RunCount:
    """Every run id the mock's run store was handed; deleting a thread does not lower it."""

    def __init__(self, mock: OpenAIMock, stats: Path) -> None:
        self.seen: set[str] = set()
        self.stats = stats
        runs = mock.state.beta.threads.runs
        store_put = runs.put

        def put(run: Any) -> None:
            self.seen.add(run.id)
            store_put(run)

        runs.put = put  # type: ignore[method-assign]
        self.write()

    def write(self) -> None:
        self.stats.write_text(json.dumps({"runs_created": len(self.seen)}))


def make_handler(mock: OpenAIMock, count: RunCount) -> type[BaseHTTPRequestHandler]:
    # respx routes and the state store are not thread-safe: one request at a time reaches them.
    lock = threading.Lock()

    class Bridge(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the gate records the traffic; a line per request here is noise

        def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in NOT_FORWARDED:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":  # HTTP: an answer to HEAD has no body, whatever its length
                self.wfile.write(body)

        def _bridge(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if not self.path.startswith(PREFIX + "/"):
                self._answer(404, [("content-type", "text/plain")], b"not under /v1\n")
                return
            request = httpx.Request(
                self.command,
                MOCK_BASE + self.path[len(PREFIX) :],
                headers=[(k, v) for k, v in self.headers.items() if k.lower() != "host"],
                content=body,
            )
            before = len(count.seen)
            with lock:
                try:
                    response = mock.router.resolve(request).response
                except AllMockedAssertionError:
                    response = httpx.Response(
                        404, text=f"openai-responses has no route for {self.command} {self.path}\n"
                    )
                except Exception as error:  # noqa: BLE001 - any handler failure is the mock's 500
                    response = httpx.Response(500, text=f"{type(error).__name__}\n")
                if len(count.seen) != before:
                    count.write()
            assert isinstance(response, httpx.Response)
            self._answer(response.status_code, list(response.headers.items()), response.read())

        def __getattr__(self, name: str) -> Any:
            # http.server answers 501 itself to a method without a do_<METHOD>: every method
            # (TRACE, QUERY, ...) goes to the mock instead, which is what is being judged.
            if name.startswith("do_"):
                return self._bridge
            raise AttributeError(name)

    return Bridge


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stats", type=Path, required=True)
    options = parser.parse_args()
    mock = OpenAIMock(base_url=MOCK_BASE)
    count = RunCount(mock, options.stats)
    server = ThreadingHTTPServer(("127.0.0.1", options.port), make_handler(mock, count))
    server.daemon_threads = True
    print(f"openai-responses bridge on http://127.0.0.1:{options.port}{PREFIX}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
