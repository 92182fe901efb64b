"""Helpers of the gate's tests: the CLI with its own streams, and servers on loopback.

Network targets are loopback only: the reference server under uvicorn on 127.0.0.1, a port the
system picks, in a background thread, and a closed port for "unreachable".
"""

from __future__ import annotations

import atexit
import functools
import os
import socket
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

from tests.command import Outcome, runcontract

FAKE_KEY = "sk-test-gate0123456789abcdefghij"  # a key-shaped secret the output must never show
KEY_ENV = "RUNCONTRACT_GATE_TEST_KEY"
# The gate without coverage (it enumerates ~1700 cases whatever --max-examples says) and with
# few examples: every fault is found by the rest, in about a second.
QUICK = ("--phases", "lifecycle,examples,fuzzing,stateful", "--max-examples", "5")


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
