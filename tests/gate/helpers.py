"""Helpers of the gate's tests: the CLI with its own streams, and servers on loopback.

Network targets are loopback only: the reference server under uvicorn on 127.0.0.1, a port the
system picks, in a background thread, and a closed port for "unreachable".
"""

from __future__ import annotations

import atexit
import functools
import socket

from tests.command import Outcome, runcontract

FAKE_KEY = "sk-test-gate0123456789abcdefghij"  # a key-shaped secret the output must never show
KEY_ENV = "RUNCONTRACT_GATE_TEST_KEY"
# The gate without coverage (it enumerates ~1700 cases whatever --max-examples says) and with
# few examples: every fault is found by the rest, in about a second.
QUICK = ("--phases", "lifecycle,examples,fuzzing,stateful", "--max-examples", "5")


def gate(*argv: str) -> Outcome:
    return runcontract("gate", *argv)


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
