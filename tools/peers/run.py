"""Run the gate against open-source Assistants servers and write docs/peers.md.

    python -m tools.peers.run [--only NAME] [--budget RUNS] [--timeout SECONDS] [--total SECONDS]
                              [--out PATH] [--reinstall] [--render-only]

A development tool, never part of the test run (it installs packages). For each server of
tools/peers/servers.py: install it from the package index into `.peers/<name>/` (kept while its
version is right; `--reinstall` starts over), start it on 127.0.0.1 on a free port with a fresh
key, run `runcontract gate` against it with `--budget` and `--timeout`, read back what the gate
found (its JSON report and recording, kept in `.peers/out/<name>/`) and the runs the server
counted, then stop it. `--render-only` writes the page again from what is kept there, after
an edit of the evidence or the disputes, running nothing.

Everything is bounded: each pip step, the server's start, the gate (--timeout, plus a minute's
grace before it is killed) and the whole script (--total, default 14 minutes: a gate that would
end later gets a shorter --timeout, which its command line on the page shows). Every process
started here runs in a session of its own and is stopped with all it started, on success, on
error, on Ctrl-C and on SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import IO

import yaml

from tools.peers.evidence import Dispute, dispute_of
from tools.peers.findings import Occurrence, read_findings
from tools.peers.render import Page, PeerResult, render
from tools.peers.servers import KEY_VARIABLE, PEERS, Peer

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".peers"
START_WITHIN = 90.0  # seconds for a server to listen; FakeAI imports a lot on a loaded machine
INSTALL_WITHIN = 300.0  # each pip step; from a warm cache an install takes about a minute
GRACE = 60.0  # beyond --timeout, before the gate itself is killed
STOP_WITHIN = 10.0
MIN_GATE = 30.0  # below this a gate judges too little to be worth a row of the page
RUNS_CREATED = re.compile(r"(\d+) runs created \(budget (\d+)\)")


class PeerError(Exception):
    """This script could not serve or judge a peer; the message says which and why."""


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the process and everything it started (its session), gently first."""
    if process.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(STOP_WITHIN)
        except subprocess.TimeoutExpired:
            continue
        return


@contextmanager
def spawned(
    command: Sequence[str], log: IO[bytes], env: dict[str, str], cwd: Path
) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(  # noqa: S603 - our own commands, no shell
        list(command),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=cwd,  # what a tool leaves in its working folder stays out of the checkout
        start_new_session=True,
    )
    try:
        yield process
    finally:
        _stop(process)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_listening(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + START_WITHIN
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise PeerError(
                f"the server exited with {process.returncode} before listening:\n{tail}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise PeerError(f"the server did not listen on 127.0.0.1:{port} within {START_WITHIN:.0f} s")


def installed_version(python: Path, distribution: str) -> str | None:
    if not python.is_file():
        return None
    probe = subprocess.run(  # noqa: S603
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({distribution!r}))"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return probe.stdout.strip() if probe.returncode == 0 else None


def install(peer: Peer, *, reinstall: bool, deadline: float, say: IO[str]) -> Path:
    venv = WORK / peer.distribution
    python = venv / "bin" / "python"
    if not reinstall and installed_version(python, peer.distribution) == peer.version:
        return python
    say.write(f"{peer.name}: installing {' '.join(peer.requirements)} into {venv}\n")
    log_path = WORK / f"{peer.distribution}-install.log"
    with log_path.open("w") as log:
        steps = [
            [sys.executable, "-m", "venv", "--clear", str(venv)],
            [str(python), "-m", "pip", "install", "--quiet", *peer.requirements],
        ]
        for step in steps:
            within = min(INSTALL_WITHIN, deadline - time.monotonic())
            try:
                done = subprocess.run(  # noqa: S603
                    step, stdout=log, stderr=subprocess.STDOUT, timeout=within, check=False
                )
            except subprocess.TimeoutExpired as error:
                raise PeerError(f"{' '.join(step[:4])} took over {within:.0f} s") from error
            if done.returncode != 0:
                raise PeerError(f"{' '.join(step[:4])} failed ({done.returncode}); see {log_path}")
    if installed_version(python, peer.distribution) != peer.version:
        raise PeerError(
            f"{peer.distribution} {peer.version} is not what pip installed; see {log_path}"
        )
    return python


def gate_options(budget: int, timeout: float) -> list[str]:
    return ["--budget", str(budget), "--timeout", f"{timeout:g}"]


def _disputed(occurrence: Occurrence) -> str | None:
    exchange = occurrence.exchange
    request = f"{occurrence.unit} | " + (f"{exchange.method} {exchange.path}" if exchange else "")
    dispute: Dispute | None = dispute_of(occurrence.rule, occurrence.message, request)
    return dispute.why if dispute else None


def _runs_counted(stats: Path) -> int | None:
    try:
        return int(json.loads(stats.read_text())["runs_created"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _summary(gate_output: str) -> str:
    lines = gate_output.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("summary:")]
    if not starts:
        return "\n".join(lines[-15:])
    # Where the reports were written is this machine's business, not the page's.
    kept = (line for line in lines[starts[-1] :] if not line.startswith(("report", "recording")))
    return "\n".join(kept)


def _outcome(out: Path, launch: dict[str, object]) -> None:
    """What the findings cannot say (commands, exit, time), kept for --render-only."""
    (out / "launch.json").write_text(json.dumps(launch, indent=1), encoding="utf-8")


def _time_left(deadline: float) -> float:
    """What a gate may take: stopping it and the server must fit in the script's time too."""
    return deadline - time.monotonic() - GRACE - 2 * STOP_WITHIN


def _enough(timeout: float) -> None:
    if timeout < MIN_GATE:
        raise PeerError(f"gate not run: {timeout:.0f} s of the script's --total were left")


def judge(
    peer: Peer, *, budget: int, timeout: float, deadline: float, reinstall: bool, say: IO[str]
) -> Path:
    """Serve the peer, run the gate against it; returns the folder its results are in.

    The gate gets `timeout`, or less when the script's `deadline` (a monotonic time) is nearer:
    its command line then shows the shorter one.
    """
    out = WORK / "out" / peer.distribution
    # A result of an earlier run must never be read as this one's.
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    port = free_port()
    key = "sk-peer-" + secrets.token_hex(12)
    launch: dict[str, object] = {
        "name": peer.name,
        "version": peer.version,
        "server_command": peer.shown_command(port),
        "gate_command": "",
        "budget": budget,
        "runcontract": commit(),  # the gate that judged, which a later --render-only keeps
        "exit_code": None,
        "seconds": 0.0,
        "failure": None,
    }
    try:
        python = install(peer, reinstall=reinstall, deadline=deadline, say=say)
        env = {**os.environ, KEY_VARIABLE: key}
        server_log = out / "server.log"
        with (
            server_log.open("wb") as log,
            spawned(
                peer.command(python, port, out / "runs.json"),
                log,
                env | peer.environment(key),
                out,
            ) as server,
        ):
            wait_listening(server, port, server_log)
            timeout = min(timeout, _time_left(deadline))
            options = gate_options(budget, max(timeout, 0))
            launch["gate_command"] = (
                f"runcontract gate --base-url http://127.0.0.1:{port}/v1 --api-key-env "
                f"{KEY_VARIABLE} {' '.join(options)} "
                "--report json=gate.json,text=gate.txt --record traffic.yaml"
            )
            _enough(timeout)
            say.write(f"{peer.name} {peer.version}: listening on 127.0.0.1:{port}; gate running\n")
            gate_command = [
                *(sys.executable, "-m", "runcontract", "gate"),
                *("--base-url", f"http://127.0.0.1:{port}/v1", "--api-key-env", KEY_VARIABLE),
                *options,
                *("--report", f"json={out / 'gate.json'},text={out / 'gate.txt'}"),
                *("--record", str(out / "traffic.yaml")),
            ]
            started = time.monotonic()
            gate_log = (out / "gate.out").open("wb")
            with gate_log, spawned(gate_command, gate_log, env, out) as gate:
                try:
                    launch["exit_code"] = gate.wait(timeout + GRACE)
                except subprocess.TimeoutExpired:
                    launch["failure"] = f"the gate was killed after {timeout + GRACE:.0f} s"
            launch["seconds"] = round(time.monotonic() - started, 1)
    except PeerError as error:
        launch["failure"] = str(error)
    finally:
        _outcome(out, launch)
    # The key is made for this run and the gate masks it; this is the last line of defence.
    for name in ("gate.out", "gate.txt", "gate.json", "traffic.yaml", "server.log"):
        path = out / name
        if path.is_file() and key in (text := path.read_text(errors="replace")):
            path.write_text(text.replace(key, "***"))
    return out


def collect(peer: Peer, out: Path) -> PeerResult:
    """A peer's result, read back from the folder `judge` wrote."""
    launch = json.loads((out / "launch.json").read_text(encoding="utf-8"))
    gate_out = out / "gate.out"
    summary = _summary(gate_out.read_text(errors="replace")) if gate_out.is_file() else ""
    said = RUNS_CREATED.search(summary)
    findings, problems = read_findings(out / "gate.json", out / "traffic.yaml", _disputed)
    return PeerResult(
        name=peer.name,
        version=peer.version,
        about=peer.about,
        server_command=str(launch["server_command"]),
        gate_command=str(launch["gate_command"]),
        exit_code=launch["exit_code"],
        budget=int(launch["budget"]),
        runs_created=_runs_counted(out / "runs.json"),
        gate_runs_created=int(said.group(1)) if said else None,
        seconds=float(launch["seconds"]),
        summary=summary,
        findings=findings,
        problems=problems,
        failure=launch["failure"],
        runcontract=str(launch.get("runcontract", "")),
    )


def rule_titles() -> dict[str, str]:
    titles = {}
    for catalogue in sorted((ROOT / "contracts").glob("*.yaml")):
        document = yaml.safe_load(catalogue.read_text(encoding="utf-8")) or {}
        for rule in [*document.get("rules", []), *document.get("deviations", [])]:
            titles[str(rule["code"])] = " ".join(str(rule.get("title", "")).split())
    return titles


def commit() -> str:
    described = subprocess.run(
        ["git", "describe", "--always", "--dirty"],  # noqa: S607 - git from PATH is the user's
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return described.stdout.strip() or "unknown"


def _interrupted(signum: int, frame: FrameType | None) -> None:
    # A signal ends the script as Ctrl-C does, so every `finally` stops what it started.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None, say: IO[str] = sys.stderr) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.peers.run", description=__doc__.splitlines()[0]
    )
    names = [peer.name for peer in PEERS]
    parser.add_argument(
        "--only", choices=names, action="append", help="this server only (repeatable)"
    )
    parser.add_argument("--budget", type=int, default=30, help="runs the gate may create (30)")
    parser.add_argument("--timeout", type=float, default=300, help="the gate per server, s (300)")
    parser.add_argument(
        "--total",
        type=float,
        default=840,
        help="the whole script, s (840); a gate that would end later gets a shorter --timeout",
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "peers.md", help="the page (docs/peers.md)"
    )
    parser.add_argument("--reinstall", action="store_true", help="make the venvs anew")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="write the page from the last results in .peers/out, running nothing",
    )
    options = parser.parse_args(argv)
    if options.budget < 1 or options.timeout <= 0 or options.total <= 0:
        parser.error("--budget, --timeout and --total must be positive")
    deadline = time.monotonic() + options.total
    # Also SIGINT: started in the background, a script inherits it ignored, and Ctrl-C or
    # `kill -INT` must still stop the servers and gates it started.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _interrupted)
    WORK.mkdir(exist_ok=True)
    chosen = [peer for peer in PEERS if not options.only or peer.name in options.only]
    results = []
    try:
        for peer in chosen:
            out = WORK / "out" / peer.distribution
            if not options.render_only:
                out = judge(
                    peer,
                    budget=options.budget,
                    timeout=options.timeout,
                    deadline=deadline,
                    reinstall=options.reinstall,
                    say=say,
                )
            if not (out / "launch.json").is_file():
                say.write(f"{peer.name}: nothing in {out} to render; run without --render-only\n")
                return 1
            result = collect(peer, out)
            say.write(
                f"{peer.name}: exit {result.exit_code}, {len(result.findings)} distinct findings, "
                f"{result.runs_created} runs created (budget {result.budget}), "
                f"{result.seconds:.1f} s\n"
            )
            results.append(result)
    except KeyboardInterrupt:
        say.write("interrupted: every server and gate started here has been stopped\n")
        return 130
    generated = f"on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    script = f"--budget {options.budget} --timeout {options.timeout:g} --total {options.total:g}"
    page = Page(generated, script, results)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(render(page, rule_titles()), encoding="utf-8")
    say.write(f"written: {options.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
