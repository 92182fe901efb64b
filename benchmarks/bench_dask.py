"""One process against a Dask LocalCluster on a generated traffic archive.

    python benchmarks/bench_dask.py [--objects 1000000] [--per-shard 100000] [--workers 2]

Generates the archive (gzip JSON Lines shards whose runs continue from one shard into the next,
1% of observations breaking a lifecycle rule; tests/archive/generated.py) into a temporary
folder, then judges it twice: `runcontract validate` in one process (a subprocess), and
`runcontract validate --dask ADDRESS` against a LocalCluster of `--workers` worker processes
(started before the clock starts; its start is timed apart). Prints objects per second, the
peak memory of the one process and of each worker (their own peak RSS, asked of them after the
run), and whether the two text reports are the same: byte for byte, and apart from the note
one process adds when its lifecycle window let go of runs (a cluster never lets go of any).
"""

from __future__ import annotations

import argparse
import io
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.archive.generated import write_archive  # noqa: E402

from runcontract.archive import require  # noqa: E402
from runcontract.archive.cluster import local_cluster  # noqa: E402
from runcontract.cli import run  # noqa: E402


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    used = resource.getrusage(who)
    return used.ru_utime + used.ru_stime


ONE_PROCESS = (sys.executable, "-m", "runcontract", "validate", "--jobs", "1", "--no-progress")


def one_process(folder: Path, report: Path) -> tuple[float, float, float, int]:
    """Seconds, the subprocess's peak RSS in MiB and CPU seconds, and its exit code."""
    started = time.perf_counter()
    with report.open("w", encoding="utf-8") as out:
        done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            # one process: --jobs would shard an archive this large over the cores
            [*ONE_PROCESS, str(folder)],
            stdout=out,
            check=False,
        )
    seconds = time.perf_counter() - started
    # the only child waited for so far: its peak and its CPU time
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak, _cpu_seconds(resource.RUSAGE_CHILDREN), done.returncode


@dataclass
class OnDask:
    start: float  # seconds to start the cluster (not counted in `seconds`)
    seconds: float
    peaks: list[float]  # each worker's peak RSS, MiB
    worker_cpu: float  # CPU seconds of all workers during the run
    other_cpu: float  # CPU seconds of the scheduler and of the client (which reports)
    code: int


def on_dask(folder: Path, report: Path, workers: int) -> OnDask:
    distributed = require("distributed")
    started = time.perf_counter()
    with local_cluster(workers) as cluster, distributed.Client(cluster) as client:
        client.wait_for_workers(workers)
        ready = time.perf_counter()
        workers_before = sum(client.run(_cpu_seconds).values())
        others_before = client.run_on_scheduler(_cpu_seconds) + _cpu_seconds()
        with report.open("w", encoding="utf-8") as out:
            argv = ["validate", "--dask", cluster.scheduler_address, str(folder)]
            code = run(argv, out, io.StringIO())
        seconds = time.perf_counter() - ready
        others = client.run_on_scheduler(_cpu_seconds) + _cpu_seconds() - others_before
        worker_cpu = sum(client.run(_cpu_seconds).values()) - workers_before
        peaks = sorted(client.run(_peak_rss_mib).values())
    return OnDask(ready - started, seconds, peaks, worker_cpu, others, code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--per-shard", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="generate here (or reuse what is here)")
    parser.add_argument("--reports", type=Path, help="write the two text reports here")
    parser.add_argument(
        "--only",
        choices=["one", "dask", "both"],
        default="both",
        help="run one side only (the two may then run at once, and be compared by hand)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as scratch:
        folder = args.keep or Path(scratch) / "archive"
        started = time.perf_counter()
        if not (folder.is_dir() and any(folder.iterdir())):
            write_archive(folder, args.objects, per_shard=args.per_shard, seed=1)
        shards = sorted(folder.iterdir())
        size = sum(shard.stat().st_size for shard in shards) / 1_048_576
        print(
            f"archive: {args.objects} objects in {len(shards)} gzip shards, {size:.0f} MiB "
            f"(made in {time.perf_counter() - started:.0f} s)"
        )
        reports = args.reports or Path(scratch)
        reports.mkdir(parents=True, exist_ok=True)
        one_report, dask_report = reports / "one.txt", reports / "dask.txt"
        if args.only in ("one", "both"):
            alone, peak, alone_cpu, code = one_process(folder, one_report)
            print(
                f"one process: {alone:.1f} s, {args.objects / alone:,.0f} objects/s, "
                f"{alone_cpu:.1f} CPU s, peak {peak:.0f} MiB, exit {code}"
            )
        if args.only in ("dask", "both"):
            spread = on_dask(folder, dask_report, args.workers)
            print(
                f"LocalCluster ({args.workers} workers, started in {spread.start:.1f} s): "
                f"{spread.seconds:.1f} s, {args.objects / spread.seconds:,.0f} objects/s, "
                f"{spread.worker_cpu:.1f} CPU s in workers + {spread.other_cpu:.1f} in scheduler "
                f"and client, peak per worker {', '.join(f'{p:.0f}' for p in spread.peaks)} MiB, "
                f"exit {spread.code}"
            )
        if args.only == "both":
            compare(one_report, dask_report, code == spread.code)


def compare(one_report: Path, dask_report: Path, same_code: bool) -> None:
    alone_lines = one_report.read_text(encoding="utf-8").splitlines()
    spread_lines = dask_report.read_text(encoding="utf-8").splitlines()
    print(f"same report, byte for byte: {_yes(alone_lines == spread_lines)}")
    # one process lets go of the oldest runs past its window and says so; Dask never does
    noted = [line for line in alone_lines if line.startswith(FORGOTTEN)]
    verdicts = [line for line in alone_lines if not line.startswith(FORGOTTEN)]
    print(f"one process's note: {noted[0] if noted else '(none)'}")
    print(f"same violations, summary and exit code: {_yes(verdicts == spread_lines and same_code)}")
    print(alone_lines[-1])


FORGOTTEN = "note: to keep memory bounded"


def _yes(same: bool) -> str:
    return "yes" if same else "NO"


if __name__ == "__main__":
    main()
