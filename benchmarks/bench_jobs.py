"""`runcontract validate --jobs N` as a ratio to `--jobs 1` on the same file, in one run.

Generates the JSONL of benchmarks/bench_validate.py (`--mix synthetic|real|broken|all-broken`),
then in alternating rounds runs the `validate` command on it with `--jobs 1` (the baseline, one
process) and with `--jobs N` (default: the cores there are), both with the text report (`-q`)
or the JSON report (`--report json`) kept in memory, and prints the wall time of each, their
ratio, and whether the two reports are the same; and the CPU seconds of each (the workers
included, and told apart from the parent's merge), whose ratio bounds the speed-up where N cores
are free: on a machine busy with other work, N workers get no more CPU than one process, and the
wall-clock ratio says only that.

    python benchmarks/bench_jobs.py [--objects 200000] [--rounds 3] [--jobs N] [--mix broken]
        [--report text|json]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_validate import MIXES, generate_mix  # noqa: E402

from runcontract.cli import run  # noqa: E402
from runcontract.jobs import cores  # noqa: E402


def cpu_seconds() -> tuple[float, float]:
    """CPU time of this process, and of its children that ended (the workers, once joined)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def validate(path: Path, jobs: int, report: str) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds of this process and of the workers, and the report."""
    out, err = io.StringIO(), io.StringIO()
    options = ["--format", "json"] if report == "json" else ["--quiet"]
    start, (own, workers) = time.perf_counter(), cpu_seconds()
    code = run(["validate", *options, "--jobs", str(jobs), str(path)], out, err)
    took, (own_after, workers_after) = time.perf_counter() - start, cpu_seconds()
    if code not in (0, 1):
        raise SystemExit(f"validate --jobs {jobs} exited {code}: {err.getvalue()}")
    return took, own_after - own, workers_after - workers, out.getvalue()


# One process remembers DEFAULT_WINDOW runs at once, each worker as many: on an input with more
# runs in flight, the workers let fewer go, and the report's note (or json summary) says so.
_WINDOW_NOTE = re.compile(r"^note: to keep memory bounded, .*$|\"forgotten_runs\":\d+", re.M)


def _compared(one: str, many: str) -> str:
    if one == many:
        return "identical"
    if _WINDOW_NOTE.sub("", one) == _WINDOW_NOTE.sub("", many):
        return "identical but for the lifecycle window's note of runs let go"
    return "DIFFERENT"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=cores())
    parser.add_argument("--mix", choices=MIXES, default="broken")
    # text -q: what a user reads; json: every clean run reported too, all of it sent by workers
    parser.add_argument("--report", choices=("text", "json"), default="text")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "runs.jsonl"
        generate_mix(path, args.mix, args.objects)
        size = path.stat().st_size
        print(
            f"{args.objects} {args.mix} run objects, {size / 1e6:.1f} MB of JSONL; "
            f"{os.cpu_count()} cores, --jobs {args.jobs}"
        )
        validate(path, 1, args.report)  # warm up: compile schemas, import everything
        one_best = many_best = float("inf")
        for round_number in range(1, args.rounds + 1):
            one, one_cpu, _, one_report = validate(path, 1, args.report)
            many, parent_cpu, workers_cpu, many_report = validate(path, args.jobs, args.report)
            many_cpu = parent_cpu + workers_cpu
            same = _compared(one_report, many_report)
            one_best, many_best = min(one_best, one), min(many_best, many)
            print(
                f"round {round_number}: --jobs 1 {one:.2f} s, --jobs {args.jobs} {many:.2f} s, "
                f"speed-up {one / many:.2f}x; CPU {one_cpu:.2f} s and {many_cpu:.2f} s, so about "
                f"{one_cpu / (many_cpu / args.jobs):.2f}x on {args.jobs} idle cores (the parent "
                f"{parent_cpu:.2f} s, the workers {workers_cpu:.2f} s); "
                f"reports {same}"
            )
        print(
            f"best: --jobs 1 {one_best:.2f} s, --jobs {args.jobs} {many_best:.2f} s, "
            f"speed-up {one_best / many_best:.2f}x"
        )


if __name__ == "__main__":
    main()
