"""Helpers of the gate's tests: the CLI with its own streams, and servers on loopback.

Network targets are loopback only: the reference server under uvicorn on 127.0.0.1, a port the
system picks, in a background thread, and a closed port for "unreachable".
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from runcontract.engine import Engine
from runcontract.gate.document import load_document
from runcontract.gate.judge import Judge
from runcontract.gate.traffic import Exchange
from runcontract.model import Profile
from tests.command import Outcome, runcontract

FAKE_KEY = "sk-test-gate0123456789abcdefghij"  # a key-shaped secret the output must never show
KEY_ENV = "RUNCONTRACT_GATE_TEST_KEY"
# The gate without coverage (it enumerates ~1700 cases whatever --max-examples says) and with
# few examples: every fault is found by the rest, in about a second.
QUICK = ("--phases", "lifecycle,examples,fuzzing,stateful", "--max-examples", "5")


# The API's error answer, as a 404 for a run it does not know gives it
ERROR = {
    "error": {
        "message": "No run found.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
}


def judge() -> Judge:
    """The gate's judge of a v2 target."""
    return Judge(Engine(profile=Profile.V2), load_document(Profile.V2), Profile.V2)


def exchange(
    method: str,
    path: str,
    status: int,
    body: Any = None,
    *,
    query: str = "",
    request: Any = None,
    media: str = "application/json",
    raw: bytes | None = None,
) -> Exchange:
    """One exchange of a v2 client with http://api.invalid/v1, its key sent, as the gate records
    it: `body` (or `raw` bytes) the answer, `request` the JSON it sent."""
    payload = raw if raw is not None else json.dumps(body).encode() if body is not None else b""
    return Exchange(
        number=1,
        origin="test",
        method=method,
        url="http://api.invalid/v1" + path + (f"?{query}" if query else ""),
        path=path,
        request_headers=(("openai-beta", "assistants=v2"), ("content-type", "application/json")),
        request_body=json.dumps(request).encode() if request is not None else b"",
        status=status,
        response_headers=(("content-type", media),),
        response_body=payload,
        sent_key=True,
    )


def gate(*argv: str) -> Outcome:
    return runcontract("gate", *argv)


def pytest_in(folder: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """The user's pytest, run in `folder`: the plugin loaded from its installed entry point."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *argv],
        cwd=folder,
        env={**os.environ, KEY_ENV: FAKE_KEY},
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )


def cases(junit: Path) -> dict[str, str]:
    """Test case name -> "passed", "failure" or "error"."""
    found = {}
    root = ElementTree.parse(junit).getroot()  # noqa: S314 - pytest's report, written here
    for case in root.iter("testcase"):
        outcome = next((child.tag for child in case if child.tag in ("failure", "error")), "passed")
        found[case.get("name", "")] = outcome
    return found


@functools.cache
def _bound_never_listening() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    atexit.register(sock.close)
    sock.bind(("127.0.0.1", 0))
    return sock


def closed_port() -> int:
    """A loopback port that refuses connections: bound and never listened on, for the session.

    Held, not released: a released port could be taken by a server of a test running at the
    same time (pytest-xdist).
    """
    port: int = _bound_never_listening().getsockname()[1]
    return port
