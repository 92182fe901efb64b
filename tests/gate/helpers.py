"""Helpers of the gate's tests: the CLI with its own streams, and servers on loopback.

Network targets are loopback only: the reference server under uvicorn on 127.0.0.1, a port the
system picks, in a background thread, and a closed port for "unreachable".
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn

from runcontract.cli import run as runcontract

FAKE_KEY = "sk-test-gate0123456789abcdefghij"  # a key-shaped secret the output must never show
KEY_ENV = "RUNCONTRACT_GATE_TEST_KEY"
# The gate without coverage (it enumerates ~1700 cases whatever --max-examples says) and with
# few examples: every fault is found by the rest, in about a second.
QUICK = ("--phases", "lifecycle,examples,fuzzing,stateful", "--max-examples", "5")


@dataclass
class Result:
    code: int
    out: str
    err: str


def gate(*argv: str) -> Result:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = runcontract(["gate", *argv], stdout, stderr)
    return Result(code, stdout.getvalue(), stderr.getvalue())


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """`app` under uvicorn on 127.0.0.1; yields its base URL with the /v1 prefix."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", loop="asyncio"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="gate-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start within 10 s")
        time.sleep(0.005)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def closed_port() -> int:
    """A loopback port nothing listens on: bound, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
