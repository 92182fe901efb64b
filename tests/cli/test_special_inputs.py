"""Inputs that are not plain files, and files with bad lines: named, bounded, the rest judged.

The special-file cases run `runcontract validate` as a process with a timeout, because the
failure they guard against is a hang (opening a FIFO waits for a writer).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.command import EXAMPLES
from tests.command import runcontract as cli

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
RUN = EXAMPLES / "valid" / "seed-cancelled.json"
BOUND = 120  # seconds; the reads take well under one, a hang takes forever


def validate(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "runcontract", "validate", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_fifo_or_socket_in_a_folder_is_named_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(RUN.read_bytes())
    os.mkfifo(tmp_path / "b.json")  # nobody will ever write to it
    (tmp_path / "d.json").write_bytes(RUN.read_bytes())
    with socket.socket(socket.AF_UNIX) as listening:
        # a path too long for a socket on this machine leaves the FIFO to test
        with contextlib.suppress(OSError):
            listening.bind(str(tmp_path / "c.json"))
        process = validate(str(tmp_path))
        out, err = process.communicate(timeout=BOUND)
    assert process.returncode == 3, out + err
    assert f"{tmp_path / 'b.json'}: unreadable: is a FIFO (named pipe), not a regular file" in out
    if (tmp_path / "c.json").exists():
        assert f"{tmp_path / 'c.json'}: unreadable: is a socket, not a regular file" in out
    assert "checked 2 run objects" in out  # both files around them were judged
    assert "Traceback" not in err


def test_a_fifo_named_on_the_command_line_is_read_as_a_stream(tmp_path: Path) -> None:
    """Like `validate <(zcat runs.jsonl.gz)`: the user named the pipe, so it is read."""
    fifo = tmp_path / "runs.json"
    os.mkfifo(fifo)
    process = validate("--format", "json", str(fifo))
    try:
        descriptor = _open_for_writing(fifo, process)
        with os.fdopen(descriptor, "wb") as writer:
            writer.write(RUN.read_bytes())
        out, err = process.communicate(timeout=BOUND)
    finally:
        process.kill()
        process.wait(timeout=BOUND)
    assert process.returncode == 0, out + err
    assert json.loads(out)["summary"]["passed"] == 1


def _open_for_writing(fifo: Path, reader: subprocess.Popen[str]) -> int:
    """The FIFO's writing end, once the reader has opened it (never blocks on a dead reader)."""
    deadline = time.monotonic() + BOUND
    while True:
        try:
            descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO or reader.poll() is not None:
                raise
            if time.monotonic() > deadline:
                raise TimeoutError("the reader never opened the FIFO") from None
            time.sleep(0.05)
            continue
        os.set_blocking(descriptor, True)
        return descriptor


def test_bad_lines_at_the_start_of_a_jsonl_are_named_and_the_good_ones_judged(
    tmp_path: Path,
) -> None:
    run = json.dumps(json.loads(RUN.read_text())).encode()
    for bad in (b"\x00", b"\xff", b'{"id": "run_\xc3\x28"}'):
        path = tmp_path / "runs.jsonl"
        path.write_bytes(run + b"\n" + bad + b"\n" + run + b"\n")
        code, out, _ = cli("validate", str(path))
        assert code == 3, out
        assert f"{path}:line 2: unreadable" in out
        assert "checked 2 run objects in 1 file: 2 passed" in out


def test_a_bad_first_line_of_a_jsonl_is_that_line_s_error(tmp_path: Path) -> None:
    run = json.dumps(json.loads(RUN.read_text())).encode()
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b"\x00\xff\n" + run + b"\n")
    code, out, _ = cli("validate", str(path))
    assert code == 3, out
    assert f"{path}:line 1: unreadable" in out
    assert "1 passed" in out


def test_a_bad_line_on_stdin_is_that_line_s_error() -> None:
    run = json.dumps(json.loads(RUN.read_text())).encode()
    code, out, _ = cli("validate", "-", stdin=run + b"\n\x00\n" + run + b"\n")
    assert code == 3, out
    assert "<stdin>:line 2: unreadable" in out
    assert "2 passed" in out


def test_a_binary_file_named_jsonl_is_still_called_binary(tmp_path: Path) -> None:
    path = tmp_path / "image.jsonl"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 100)
    code, out, _ = cli("validate", str(path))
    assert code == 3
    assert f"{path}: unreadable: not a text file (binary data)" in out
