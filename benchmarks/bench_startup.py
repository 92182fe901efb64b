"""Startup of `runcontract validate` on one small file, beside the bare import of its fast parts.

Runs, alternating and each in a fresh interpreter (a subprocess):
  - bare import: `python -c "import orjson, msgspec, jsonschema_rs"`, what any validator of
    JSON with these libraries pays before it reads a byte;
  - validate: `python -m runcontract validate FILE` on one small valid run object;
  - help: `python -m runcontract --help`;
  - broken: `python -m runcontract validate FILE` on one run that breaks the schema (the
    detailed diagnostics, and so python-jsonschema, are then needed).
Prints the median wall time of each over N runs and each one's ratio to the bare import. The
machine is shared, so the ratio of medians taken side by side is the figure to trust.

    python benchmarks/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VALID = ROOT / "tests" / "examples" / "valid" / "v2-completed.json"


def _seconds(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)  # noqa: S603 - our own
    elapsed = time.perf_counter() - start
    # exit 1 is a verdict of validate, and also how Python fails an import: the output tells
    said = done.stdout.decode(errors="replace")
    judged = done.returncode in (0, 1) and ("run object" in said or "usage:" in said)
    if not judged and command[1:2] != ["-c"]:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr!r}")
    if command[1:2] == ["-c"] and done.returncode != 0:
        raise SystemExit(f"the bare import failed: {done.stderr!r}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        broken = Path(folder) / "broken.json"
        run_object = json.loads(VALID.read_text(encoding="utf-8"))
        run_object["created_at"] = "yesterday"  # S001: a string where an integer is due
        broken.write_text(json.dumps(run_object), encoding="utf-8")
        python = sys.executable
        commands = {
            "bare import": [python, "-c", "import orjson, msgspec, jsonschema_rs"],
            "validate": [python, "-m", "runcontract", "validate", str(VALID)],
            "--help": [python, "-m", "runcontract", "--help"],
            "validate (broken)": [python, "-m", "runcontract", "validate", str(broken)],
        }
        for command in commands.values():
            _seconds(command)  # warm the file cache and the .pyc files
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(_seconds(command))
    medians = {name: statistics.median(values) for name, values in times.items()}
    bare = medians["bare import"]
    print(f"median of {args.runs} subprocess runs each")
    for name, median in medians.items():
        print(f"  {name:<18} {median:.3f} s  ({median / bare:.2f}x the bare import)")


if __name__ == "__main__":
    main()
