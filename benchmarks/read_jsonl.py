"""Throughput and peak memory of reading a large JSONL file through `read_paths`.

    python benchmarks/read_jsonl.py [--lines 200000] [--gzip]

Writes the file under benchmarks/out/ from the run objects of the shared corpus (each line a
real object with a fresh id), then reads it in a fresh process, so that peak RSS measures the
reading alone.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

from runcontract.model import Observation
from runcontract.sources import read_paths

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "shared" / "corpus" / "real"


def corpus_runs() -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    for path in sorted(CORPUS.glob("*/*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(document, dict) and document.get("object") == "list":
            document = document["data"]
        runs.extend(document if isinstance(document, list) else [document])
    return runs


def write(path: Path, lines: int, compress: bool) -> None:
    runs = corpus_runs()
    opener = gzip.open if compress else open
    with opener(path, "wt", encoding="utf-8") as out:
        stream: IO[str] = out
        for number, run in zip(range(lines), itertools.cycle(runs), strict=False):
            stream.write(json.dumps(dict(run, id=f"run_{number:024d}")) + "\n")


def measure(path: str) -> None:
    started = time.perf_counter()
    observations = errors = 0
    for item in read_paths([path]):
        if isinstance(item, Observation):
            observations += 1
        else:
            errors += 1
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        f"{observations} observations, {errors - 1} read errors in {seconds:.2f} s: "
        f"{observations / seconds:,.0f} objects/s, peak RSS {peak_mib:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        measure(options.measure)
        return
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    path = out / f"runs-{options.lines}.jsonl{'.gz' if options.gzip else ''}"
    if not path.exists():
        write(path, options.lines, options.gzip)
    print(f"{path.name}: {path.stat().st_size / 2**20:.0f} MiB")
    subprocess.run([sys.executable, __file__, "--measure", str(path)], check=True)  # noqa: S603


if __name__ == "__main__":
    main()
