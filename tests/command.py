"""`runcontract ...` as a user's terminal runs it: the one way tests drive the CLI.

`runcontract(...)` runs it in this process; each call gets its own stdout, stderr and stdin, so
what a test reads is exactly what the command printed, and the exit code is the one the shell
would see. `in_terminal(...)` runs it in a fresh process on pseudo-terminals, for what only a
terminal shows (colour, live displays).
"""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path
from typing import NamedTuple

from runcontract.cli import run

EXAMPLES = Path(__file__).resolve().parent / "examples"  # the hand-made runs, by verdict


class Outcome(NamedTuple):
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        """Both streams, for what must appear (or never appear) in either."""
        return self.out + self.err


def runcontract(*argv: str, stdin: bytes | None = None) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err, io.BytesIO(stdin) if stdin is not None else None)
    return Outcome(code, out.getvalue(), err.getvalue())


def in_terminal(
    *argv: str,
    terminal: tuple[str, ...] = ("stdout", "stderr"),
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    timeout: float = 300.0,
) -> Outcome:
    """`runcontract ...` in a fresh process whose streams named in `terminal` are each a
    pseudo-terminal of 120 x 40 (the others pipes), as a person at a terminal runs it: what
    colour and live displays look like there, escape codes included, can only be seen this way.

    `env` is added to an environment without NO_COLOR, FORCE_COLOR or COLUMNS.
    """
    environ = {
        k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")
    }
    environ |= {"TERM": "xterm", **(env or {})}
    ends: dict[str, tuple[int, int]] = {}
    for name in ("stdout", "stderr"):
        if name in terminal:
            parent, child = pty.openpty()
            fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        else:
            parent, child = os.pipe()
        ends[name] = (parent, child)
    chunks: dict[str, list[bytes]] = {name: [] for name in ends}

    def drain(name: str) -> None:
        while True:
            try:
                chunk = os.read(ends[name][0], 65536)
            except OSError:  # EIO: a pseudo-terminal whose other side is closed
                return
            if not chunk:
                return
            chunks[name].append(chunk)

    with subprocess.Popen(
        [sys.executable, "-m", "runcontract", *argv],
        stdin=subprocess.DEVNULL,
        stdout=ends["stdout"][1],
        stderr=ends["stderr"][1],
        env=environ,
        cwd=cwd,
    ) as process:
        for _, child in ends.values():
            os.close(child)
        readers = [threading.Thread(target=drain, args=(name,)) for name in ends]
        for reader in readers:
            reader.start()
        try:
            code = process.wait(timeout=timeout)
        finally:
            process.kill()  # a hang: the bound fails the test rather than the suite
            for reader in readers:
                reader.join(timeout=timeout)
            for parent, _ in ends.values():
                os.close(parent)
    return Outcome(
        code,
        b"".join(chunks["stdout"]).decode("utf-8", "replace"),
        b"".join(chunks["stderr"]).decode("utf-8", "replace"),
    )
