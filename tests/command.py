"""`runcontract ...` as a user's terminal runs it, in this process: the one way tests drive the CLI.

Each call gets its own stdout, stderr and stdin, so what a test reads is exactly what the command
printed, and the exit code is the one the shell would see.
"""

from __future__ import annotations

import io
from typing import NamedTuple

from runcontract.cli import run


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
