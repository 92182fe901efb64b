"""Memory and time of reading large recordings: HAR and JSON cassettes entry by entry, vs whole.

Generates a HAR of `--entries` entries (50,000 by default, about 124 MB: each a poll of a run
with its headers, the run's JSON as `content.text`), one of half as many entries, a .NET session
record (JSON cassette) of as many entries, and a vcrpy YAML cassette of `--yaml-entries`. Each
file is judged (`runcontract validate` as a user runs it, report to a null sink) in a fresh
interpreter, so that its peak RSS is its own: entry by entry (as every file of 8 MiB or more
is read), and whole (`stream_documents_from` above the file's size, how every file was read
before). Prints, per file: its size, its largest body, the peak RSS and the RSS above an idle
interpreter that imported the same modules, wall and CPU seconds, and CPU microseconds per
entry (other processes on a shared machine change the wall time only); the ratio of CPU time
per entry between the two HAR sizes says whether time is linear in entries.

    python benchmarks/bench_har.py [--entries 50000] [--yaml-entries 5000] [--big-body-mb 0]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.synth import build_lifecycle  # noqa: E402

_HEADERS = {
    "content-type": "application/json",
    "openai-beta": "assistants=v2",
    "openai-organization": "org-benchmark",
    "openai-processing-ms": "41",
    "openai-version": "2020-10-01",
    "x-request-id": "req_0123456789abcdef0123456789abcdef",
    "cf-cache-status": "DYNAMIC",
    "server": "cloudflare",
}

# Runs in a fresh interpreter: judge one file, print what it cost.
_MEASURE = """
import io, json, sys, time
from runcontract.engine import Engine
from runcontract.reporters import TextReporter
from runcontract.runner import judge_stream
from runcontract.sources import Limits, read_paths

def high_water():  # VmHWM: this process's own peak; ru_maxrss would count its parent's
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

path, whole = sys.argv[1], sys.argv[2] == "whole"
engine = Engine()
idle = high_water()
limits = Limits(stream_documents_from=1 << 62 if whole else 0)
start, cpu = time.perf_counter(), time.process_time()
class Null(io.StringIO):  # the report is not what is measured
    def write(self, text):
        return len(text)

summary = judge_stream(read_paths([path], limits=limits), engine, TextReporter(Null()))
took, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"idle": idle, "peak": high_water(), "seconds": took, "cpu": cpu,
                  "objects": summary.objects, "unreadable": summary.unreadable}))
"""


def polls(rng: random.Random, count: int, big_body: int) -> list[tuple[str, str, bytes]]:
    """(method, path, body) of `count` answers: runs polled through their lifecycles."""
    found: list[tuple[str, str, bytes]] = []
    while len(found) < count:
        for run in build_lifecycle(rng):
            path = f"/v1/threads/{run['thread_id']}/runs/{run['id']}"
            found.append(("GET", path, orjson.dumps(run)))
    found = found[:count]
    if big_body:
        method, path, body = found[count // 2]
        run = orjson.loads(body)
        run["metadata"] = {"padding": "x" * big_body}
        found[count // 2] = (method, path, orjson.dumps(run))
    return found


def write_har(path: Path, answers: list[tuple[str, str, bytes]]) -> None:
    with path.open("wb") as out:
        out.write(b'{"log": {"version": "1.2", "creator": {"name": "bench"}, "entries": [\n')
        for number, (method, url_path, body) in enumerate(answers):
            entry = {
                "startedDateTime": "2026-12-01T00:00:00.000Z",
                "time": 120,
                "request": {
                    "method": method,
                    "url": f"https://api.openai.com{url_path}",
                    "httpVersion": "HTTP/1.1",
                    "headers": [{"name": k, "value": v} for k, v in _HEADERS.items()],
                    "queryString": [],
                    "cookies": [],
                    "headersSize": -1,
                    "bodySize": 0,
                },
                "response": {
                    "status": 200,
                    "statusText": "OK",
                    "httpVersion": "HTTP/1.1",
                    "headers": [{"name": k, "value": v} for k, v in _HEADERS.items()],
                    "cookies": [],
                    "content": {
                        "size": len(body),
                        "mimeType": "application/json",
                        "text": body.decode(),
                    },
                    "redirectURL": "",
                    "headersSize": -1,
                    "bodySize": len(body),
                },
                "cache": {},
                "timings": {"send": 0, "wait": 118, "receive": 2},
            }
            out.write((b",\n" if number else b"") + orjson.dumps(entry))
        out.write(b"\n]}}\n")


def write_session(path: Path, answers: list[tuple[str, str, bytes]]) -> None:
    with path.open("wb") as out:
        out.write(b'{"Entries": [\n')
        for number, (method, url_path, body) in enumerate(answers):
            entry = {
                "RequestUri": f"https://api.openai.com{url_path}",
                "RequestMethod": method,
                "RequestHeaders": _HEADERS,
                "RequestBody": None,
                "StatusCode": 200,
                "ResponseHeaders": _HEADERS,
                "ResponseBody": orjson.loads(body),
            }
            out.write((b",\n" if number else b"") + orjson.dumps(entry))
        out.write(b'\n], "Variables": {}}\n')


def write_yaml(path: Path, answers: list[tuple[str, str, bytes]]) -> None:
    interactions = [
        {
            "request": {
                "method": method,
                "uri": f"https://api.openai.com{url_path}",
                "body": None,
                "headers": {k: [v] for k, v in _HEADERS.items()},
            },
            "response": {
                "status": {"code": 200, "message": "OK"},
                "headers": {k: [v] for k, v in _HEADERS.items()},
                "body": {"string": body.decode()},
            },
        }
        for method, url_path, body in answers
    ]
    with path.open("w", encoding="utf-8") as out:
        yaml.dump({"interactions": interactions, "version": 1}, out, Dumper=yaml.CSafeDumper)


def measure(path: Path, how: str) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - this interpreter, our own script, our own file
        [sys.executable, "-c", _MEASURE, str(path), how],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def report(label: str, path: Path, answers: list[tuple[str, str, bytes]], how: str) -> float:
    entries, largest = len(answers), max(len(body) for _, _, body in answers)
    figures = measure(path, how)
    size = path.stat().st_size / 1e6
    peak, above = figures["peak"] / 1024, (figures["peak"] - figures["idle"]) / 1024
    per_entry = float(figures["cpu"]) / entries * 1e6  # CPU: other processes change only wall
    print(
        f"{label:<34} {how:<6} {size:7.1f} MB file, largest body {largest / 1e6:6.2f} MB: "
        f"peak RSS {peak:4.0f} MB ({above:4.0f} MB above idle), {figures['seconds']:5.1f} s wall, "
        f"{figures['cpu']:5.1f} s CPU, {per_entry:4.0f} us CPU/entry; "
        f"{figures['objects']} runs, {figures['unreadable']} unreadable"
    )
    return per_entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--yaml-entries", type=int, default=5_000)
    parser.add_argument("--big-body-mb", type=float, default=0.0, help="one body this large")
    parser.add_argument("--skip-whole", action="store_true", help="only entry by entry")
    args = parser.parse_args()
    rng = random.Random(7)
    answers = polls(rng, args.entries, int(args.big_body_mb * 1e6))
    with tempfile.TemporaryDirectory() as folder:
        files = Path(folder)
        big, half = files / "big.har", files / "half.har"
        write_har(big, answers)
        write_har(half, answers[: args.entries // 2])
        session = files / "session.json"
        write_session(session, answers)
        cassette = files / "cassette.yaml"
        write_yaml(cassette, answers[: args.yaml_entries])
        for how in ("stream", "whole"):
            if how == "whole" and args.skip_whole:
                continue
            full = report(f"HAR, {args.entries} entries", big, answers, how)
            first_half = answers[: args.entries // 2]
            halved = report(f"HAR, {args.entries // 2} entries", half, first_half, how)
            print(
                f"{'':<34} {how:<6} time per entry, {args.entries} over {args.entries // 2}: "
                f"{full / halved:.2f}"
            )
            report(f"session record, {args.entries} entries", session, answers, how)
        yaml_answers = answers[: args.yaml_entries]
        report(f"vcrpy YAML, {args.yaml_entries} interactions", cassette, yaml_answers, "whole")


if __name__ == "__main__":
    main()
