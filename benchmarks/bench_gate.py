"""CPU seconds, wall time and cases per second of the default `runcontract gate`, beside `st run`.

Four ways of testing the same reference server with the same shipped document (runs-v2.yaml)
and the same --max-examples:
  - gate, command: `runcontract gate` as a user types it, in a fresh interpreter (imports and
    all): the figure the 12-second target is about;
  - gate, in-process: `runcontract gate` with no target (the embedded server, a manual clock);
  - gate, HTTP: `runcontract gate --base-url` against the server under uvicorn on loopback;
  - st run, HTTP: schemathesis's own CLI against that same server, default checks, no runcontract,
    with --continue-on-failure as the gate (otherwise it stops each operation at its first
    failure, an ST204 on this server, and runs a quarter of the cases).
The gate does more per case (lifecycle scenarios first, every answer judged by the engine and
the HTTP rules, real ids so requests reach the API's logic), so the ratio is the price of that.
A case is one schemathesis test case; the gate's count adds the lifecycle driver's requests.
CPU seconds are this process's (every thread: the gate, the server under uvicorn) plus its
children's (`runcontract`, `st`), from resource.getrusage, so a loaded machine changes the
wall time only; the default gate's target is 12 CPU seconds on a 2-core machine (issue 12).

    python benchmarks/bench_gate.py [--max-examples 20] [--rounds 1]
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # for tests.serving, the loopback server helper the tests use

from tests.serving import serving  # noqa: E402

from runcontract.gate.document import document_path  # noqa: E402
from runcontract.gate.phases import schemathesis_workers  # noqa: E402
from runcontract.gate.session import GateOptions, in_process_key, run_gate  # noqa: E402
from runcontract.model import Profile  # noqa: E402
from runcontract.server import create_app  # noqa: E402

KEY = "sk-bench-0123456789abcdef"
STEP = 0.02  # the HTTP server's pace: a run finishes in a few polls


@dataclass
class Figure:
    name: str
    seconds: float
    cases: int
    requests: int
    cpu: float = 0.0

    @property
    def per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0


def serving_reference() -> AbstractContextManager[str]:
    return serving(create_app(step_seconds=STEP, api_key=KEY))


def cpu_seconds() -> float:
    """CPU time of this process (all its threads) and of its children that ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def gate(name: str, options: GateOptions, key: str) -> Figure:
    started, cpu = time.perf_counter(), cpu_seconds()
    outcome = run_gate(options, key, lambda _line: None)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    if outcome.exit_code != 0:
        raise SystemExit(f"{name}: the gate did not pass (exit {outcome.exit_code})")
    cases = outcome.phases.total if outcome.phases else 0
    requests = sum(1 for v in outcome.verdicts if v.exchange.interaction)
    return Figure(name, seconds, cases, requests, cpu)


def gate_command(max_examples: int) -> Figure:
    """`runcontract gate` as a user types it, in a fresh interpreter: imports included."""
    command = Path(sys.executable).with_name("runcontract")
    started, cpu = time.perf_counter(), cpu_seconds()
    done = subprocess.run(  # noqa: S603 - our own command, a fixed argument list
        [str(command), "gate", "--max-examples", str(max_examples)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    if done.returncode != 0:
        raise SystemExit(f"runcontract gate exited {done.returncode}: {done.stdout[-2000:]}")
    found = re.search(r"schemathesis: (\d+) cases", done.stdout)
    cases = int(found.group(1)) if found else 0
    return Figure("gate, command (fresh)", seconds, cases, 0, cpu)


def st_run(base_url: str, max_examples: int, workers: int) -> Figure:
    st = Path(sys.executable).with_name("st")
    started, cpu = time.perf_counter(), cpu_seconds()
    done = subprocess.run(  # noqa: S603 - schemathesis's own CLI, a fixed argument list
        [
            str(st),
            "run",
            str(document_path(Profile.V2)),
            "--url",
            base_url,
            "--no-color",
            "-H",
            f"Authorization: Bearer {KEY}",
            "-H",
            "OpenAI-Beta: assistants=v2",
            "--max-examples",
            str(max_examples),
            "--workers",
            str(workers),
            "--continue-on-failure",
            "--seed",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tempfile.gettempdir(),  # st keeps a .schemathesis/ cache in its working folder
    )
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    found = re.search(r"(\d+) generated", done.stdout)
    cases = int(found.group(1)) if found else 0
    return Figure("st run, HTTP (plain)", seconds, cases, cases, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    workers = schemathesis_workers(2)
    figures: list[Figure] = []
    for _ in range(args.rounds):
        default = GateOptions(max_examples=args.max_examples)
        figures.append(gate_command(args.max_examples))
        figures.append(gate("gate, in-process", default, in_process_key()))
        with serving_reference() as base_url:
            over_http = GateOptions(base_url=base_url, max_examples=args.max_examples)
            figures.append(gate("gate, HTTP", over_http, KEY))
            figures.append(st_run(base_url, args.max_examples, workers))
    plain = [f for f in figures if f.name.startswith("st run")]
    reference = sum(f.per_second for f in plain) / len(plain)
    print(
        f"max-examples {args.max_examples}, schemathesis workers {workers}, "
        f"Python {sys.version.split()[0]}"
    )
    print(
        f"{'':24} {'CPU s':>7} {'wall s':>8} {'cases':>7} {'requests':>9} {'cases/s':>9} "
        f"{'vs st run':>10}"
    )
    for figure in figures:
        ratio = figure.per_second / reference if reference else 0.0
        print(
            f"{figure.name:24} {figure.cpu:7.1f} {figure.seconds:8.1f} {figure.cases:7d} "
            f"{figure.requests:9d} "
            f"{figure.per_second:9.0f} {ratio:9.2f}x"
        )


if __name__ == "__main__":
    main()
