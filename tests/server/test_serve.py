"""`runcontract serve` (as `python -m runcontract.server`): start, answer, stop on Ctrl-C."""

from __future__ import annotations

import argparse
import io
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from runcontract.server import CATALOGUE
from runcontract.server.cli import add_serve_parser, configure_serve_parser, run_serve
from tests.command import runcontract

pytestmark = pytest.mark.timeout(120)
LISTENING = "runcontract reference server listening on "
HEADERS = {"Authorization": "Bearer sk-test", "OpenAI-Beta": "assistants=v2"}


def parse(*argv: str) -> argparse.Namespace:
    return configure_serve_parser(argparse.ArgumentParser()).parse_args(argv)


@contextmanager
def serving(
    *argv: str, key: tuple[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], str, float]]:
    """The server as a subprocess; yields it, its listening line and how long it took.

    Its environment has no OPENAI_API_KEY (which would make it refuse the tests' own key) unless
    `key` gives an environment variable and its value.
    """
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    if key is not None:
        env[key[0]] = key[1]
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "runcontract.server", "--port", "0", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        elapsed = time.monotonic() - started
        assert line.startswith(LISTENING), line + (process.stderr.read() if process.stderr else "")
        yield process, line, elapsed
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=60)


def stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


@pytest.mark.slow
def test_serve_starts_answers_and_stops_on_ctrl_c() -> None:
    with serving("--step-seconds", "0.05") as (process, line, _):
        url = line[len(LISTENING) :].strip()
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith("/v1")
        response = httpx.post(f"{url}/assistants", headers=HEADERS, json={"model": "gpt-4o"})
        assert response.status_code == 200
        assert response.json()["id"].startswith("asst_")
        code, out, err = stop(process)
    assert code == 0
    assert "Traceback" not in out + err
    assert out.strip().endswith("runcontract reference server stopped")


# What made `serve` slow to start, were it to import it: the checking side of runcontract.
CHECKING_MACHINERY = (
    "hypothesis",
    "jsonschema",
    "jsonschema_rs",
    "openai",
    "runcontract.engine",
    "runcontract.gate",
    "schemathesis",
    "yaml",
)


@pytest.mark.slow
def test_serve_starts_quickly_for_it_imports_no_checking_machinery(tmp_path: Path) -> None:
    """The start-up time, told by what is imported rather than by a clock on a loaded machine."""
    log = tmp_path / "importtime.txt"
    command = [sys.executable, "-X", "importtime", "-m", "runcontract.server", "--port", "0"]
    with (
        log.open("w") as stderr,
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True) as process,
    ):
        assert process.stdout is not None
        assert process.stdout.readline().startswith(LISTENING)
        code, _, _ = stop(process)
    assert code == 0
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in log.read_text().splitlines()
        if line.startswith("import time:")
    }
    assert "uvicorn" in imported  # the log is the one -X importtime writes
    loaded = sorted(
        name
        for name in imported
        if any(name == heavy or name.startswith(f"{heavy}.") for heavy in CHECKING_MACHINERY)
    )
    assert loaded == []


@pytest.mark.slow
def test_serve_with_a_fault() -> None:
    with serving("--fault", "server-error-on-unknown-id", "--api-key", "sk-test") as (
        process,
        line,
        _,
    ):
        assert line.endswith(" with faults: server-error-on-unknown-id\n")
        url = line[len(LISTENING) :].split()[0]
        response = httpx.get(f"{url}/threads/thread_nope/runs", headers=HEADERS)
        assert response.status_code == 500
        assert response.json()["error"]["type"] == "server_error"
        other = {**HEADERS, "Authorization": "Bearer sk-other"}
        assert httpx.get(f"{url}/threads/thread_nope/runs", headers=other).status_code == 401
        code, out, err = stop(process)
    assert code == 0
    assert "Traceback" not in out + err


@pytest.mark.slow
def test_serve_on_a_busy_port_fails_cleanly() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = subprocess.run(
            [sys.executable, "-m", "runcontract.server", "--port", port],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert f"could not listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_list_faults_prints_one_per_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "runcontract.server", "--list-faults"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(CATALOGUE)
    for line, (name, fault) in zip(lines, CATALOGUE.items(), strict=True):
        shown_name, rule, description = line.split(maxsplit=2)
        assert (shown_name, rule, description) == (name, fault.rule or "-", fault.description)


def test_an_unknown_fault_exits_2_naming_the_valid_ones() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "runcontract.server", "--fault", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "unknown fault 'nope'" in result.stderr
    assert all(name in result.stderr for name in CATALOGUE)
    assert "Traceback" not in result.stderr


def test_run_serve_takes_its_streams() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_serve(parse("--list-faults"), out, err) == 0
    assert len(out.getvalue().splitlines()) == len(CATALOGUE)
    out, err = io.StringIO(), io.StringIO()
    assert run_serve(parse("--fault", "bad-id-prefix", "--fault", "nope"), out, err) == 2
    assert "'nope'" in err.getvalue()
    assert out.getvalue() == ""
    assert run_serve(parse("--step-seconds", "-1"), out, err) == 2


def test_the_serve_subcommand_parses_its_options() -> None:
    parser = argparse.ArgumentParser(prog="runcontract")
    add_serve_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        [
            "serve",
            "--port",
            "0",
            "--host",
            "::1",
            "--step-seconds",
            "0.1",
            "--fault",
            "a",
            "--fault",
            "b",
        ]
    )
    assert (args.command, args.port, args.host, args.step_seconds) == ("serve", 0, "::1", 0.1)
    assert args.faults == ["a", "b"]
    defaults = parser.parse_args(["serve"])
    assert (defaults.host, defaults.port, defaults.step_seconds, defaults.faults) == (
        "127.0.0.1",
        8000,
        0.5,
        [],
    )


def test_serve_is_a_runcontract_command() -> None:
    listed = runcontract("serve", "--list-faults")
    assert listed.code == 0
    assert len(listed.out.splitlines()) == len(CATALOGUE)
    unknown = runcontract("serve", "--fault", "nope")
    assert unknown.code == 2
    assert "unknown fault 'nope'" in unknown.err


def _readme_serve_and_gate() -> list[str]:
    """The README's block that starts `serve` and points the gate at it, one command a line."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        if "runcontract serve --port" in block and "runcontract gate --base-url" in block:
            return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    raise AssertionError("the README has no serve + gate block")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_readme_serve_and_gate_steps_pass_as_written() -> None:
    """serve and the gate read the same key, so the README's steps give a conformant verdict."""
    export, serve, gate = _readme_serve_and_gate()
    name, key = export.removeprefix("export ").split("=", 1)
    assert serve.endswith("&")
    port = str(_free_port())
    serve_argv = [a if a != "8765" else port for a in shlex.split(serve.rstrip("& "))]
    gate_argv = [a.replace(":8765/", f":{port}/") for a in shlex.split(gate)]
    assert serve_argv[:2] == ["runcontract", "serve"]
    with serving(*serve_argv[2:], key=(name, key)) as (process, _, _):
        assert process.stdout is not None
        policy = process.stdout.readline()
        assert f"accepts only the key in ${name}" in policy, policy
        assert key not in policy
        gate_run = subprocess.run(
            [sys.executable, "-m", "runcontract", *gate_argv[1:]],
            capture_output=True,
            text=True,
            env={**os.environ, name: key},
            timeout=540,
            check=False,
        )
    assert gate_run.returncode == 0, gate_run.stdout + gate_run.stderr
    assert "verdict: conformant (exit 0)" in gate_run.stdout
    assert key not in gate_run.stdout + gate_run.stderr


@pytest.mark.slow
def test_serve_without_a_key_says_it_accepts_any() -> None:
    with serving() as (process, line, _):
        assert process.stdout is not None
        url = line[len(LISTENING) :].strip()
        assert "accepts any bearer token" in process.stdout.readline()
        headers = {**HEADERS, "Authorization": "Bearer anything"}
        assert httpx.post(f"{url}/assistants", headers=headers, json={"model": "m"}).is_success
