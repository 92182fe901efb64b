"""Helpers of the gate's tests: the CLI with its own streams, and servers on loopback.

Network targets are loopback only: the reference server under uvicorn on 127.0.0.1, a port the
system picks, in a background thread, and a closed port for "unreachable".
"""

from __future__ import annotations

import io
import socket
from dataclasses import dataclass

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


def closed_port() -> int:
    """A loopback port nothing listens on: bound, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
