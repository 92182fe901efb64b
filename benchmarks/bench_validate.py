"""Throughput of `runcontract validate` on JSONL, as a ratio to an orjson parse-only loop.

Generates N varied, valid run objects of all profiles and statuses (and 2% with a real-API
deviation) as JSONL, or with `--mix real` N objects drawn from the REAL-REC objects of
../shared/corpus/real (a third of them with deviations; each given its own run id), or with
`--mix broken` the synthetic runs of which 5% break one contract rule (`--mix all-broken`: every
run breaks one), then in one process and alternating rounds:
  - baseline: read the file line by line and orjson.loads each line, nothing else;
  - validate: the `runcontract validate` command on the same file (text report to a null sink),
    as a user runs it (with `--jobs` as the default sets it for the file: the cores there are,
    for a file this large), then in one process (`--jobs 1`), and so with `--no-lifecycle`.
A break is drawn from the single-rule breaks of tests/engine/test_properties.py that apply to the
run: half of them schema breaks (S001, whose detailed diagnostics python-jsonschema gives), half
any rule. Prints objects/second of each, their ratio, and the process's peak memory. Machines
here are shared and noisy, so the ratio between runs in the same process is the figure to trust.

    python benchmarks/bench_validate.py [--objects 100000] [--rounds 3]
        [--mix synthetic|real|broken|all-broken]
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.synth import build_lifecycle, build_run  # noqa: E402

from runcontract.cli import run  # noqa: E402
from runcontract.jobs import jobs_for  # noqa: E402


def generate(path: Path, objects: int, seed: int = 1, broken: float = 0.0) -> None:
    rng = random.Random(seed)
    breaker = _Breaker() if broken else None
    written = 0
    with path.open("wb") as out:
        while written < objects:
            # one run in ten is seen several times, as polls are
            batch = build_lifecycle(rng) if rng.random() < 0.1 else [build_run(rng)]
            for run_object in batch:
                if breaker is not None and rng.random() < broken:
                    breaker.apply(run_object, rng)
                elif rng.random() < 0.02:
                    run_object["instructions"] = None  # a real-API deviation: detailed path
                out.write(orjson.dumps(run_object) + b"\n")
                written += 1
                if written == objects:
                    break


class _Breaker:
    """Breaks one rule of a valid run, drawn from the property tests' single-rule breaks."""

    def __init__(self) -> None:
        from tests.engine.breaks import BREAKS, run_profile  # noqa: PLC0415

        self._profile_of = run_profile
        self._schema = [b for b in BREAKS if b.code == "S001"]
        self._other = [b for b in BREAKS if b.code != "S001"]

    def apply(self, run_object: dict[str, Any], rng: random.Random) -> None:
        profile, status = self._profile_of(run_object), run_object["status"]
        pool = self._schema if rng.random() < 0.5 else self._other
        fitting = [
            b
            for b in pool
            if profile in b.profiles
            and (status in b.applies if isinstance(b.applies, tuple) else b.applies(run_object))
        ]
        rng.choice(fitting or self._schema).apply(run_object)


def generate_real(path: Path, objects: int, seed: int = 1) -> None:
    from tests.corpus.verdicts import inputs, provenance  # noqa: PLC0415 - reads ../shared

    from runcontract.model import Observation  # noqa: PLC0415
    from runcontract.sources import read_paths  # noqa: PLC0415

    classes = provenance()
    runs = [
        item.run
        for name, found in inputs()
        if name.startswith("real/") and classes.get(found.name) == "REAL-REC"
        for item in read_paths([str(found)])
        if isinstance(item, Observation)
    ]
    rng = random.Random(seed)
    with path.open("wb") as out:
        for number in range(objects):
            run_object = dict(rng.choice(runs))
            run_object["id"] = f"{run_object['id']}_{number}"  # a run of its own
            out.write(orjson.dumps(run_object) + b"\n")


MIXES = ("synthetic", "real", "broken", "all-broken")


def generate_mix(path: Path, mix: str, objects: int) -> None:
    """The JSONL of `mix` (one of MIXES), as every validate benchmark draws it."""
    if mix == "real":
        generate_real(path, objects)
    else:
        generate(path, objects, broken={"broken": 0.05, "all-broken": 1.0}.get(mix, 0.0))


def baseline(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                orjson.loads(line)
                count += 1
    return count


class _Null(io.StringIO):
    def write(self, text: str) -> int:
        return len(text)


def validate(path: Path, *options: str) -> int:
    out, err = _Null(), io.StringIO()
    code = run(["validate", "--quiet", *options, str(path)], out, err)
    if code not in (0, 1):
        raise SystemExit(f"validate exited {code}: {err.getvalue()}")
    return code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mix", choices=MIXES, default="synthetic")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "runs.jsonl"
        generate_mix(path, args.mix, args.objects)
        size = path.stat().st_size
        print(f"{args.objects} {args.mix} run objects, {size / 1e6:.1f} MB of JSONL")
        jobs = jobs_for([str(path)], None)
        validate(path)  # warm up: compile schemas, import everything
        base_best = check_best = one_best = alone_best = float("inf")
        for round_number in range(1, args.rounds + 1):
            start = time.perf_counter()
            counted = baseline(path)
            base = time.perf_counter() - start
            start = time.perf_counter()
            validate(path)
            check = time.perf_counter() - start
            start = time.perf_counter()
            validate(path, "--jobs", "1")
            one = time.perf_counter() - start
            start = time.perf_counter()
            validate(path, "--jobs", "1", "--no-lifecycle")
            alone = time.perf_counter() - start
            base_best, check_best = min(base_best, base), min(check_best, check)
            one_best, alone_best = min(one_best, one), min(alone_best, alone)
            print(
                f"round {round_number}: orjson parse-only {counted / base:,.0f} objects/s; "
                f"runcontract validate (--jobs {jobs}, the default here) "
                f"{args.objects / check:,.0f} objects/s (ratio {base / check:.3f}); "
                f"one process (--jobs 1) {args.objects / one:,.0f} objects/s "
                f"(ratio {base / one:.3f}), with --no-lifecycle "
                f"{args.objects / alone:,.0f} objects/s (ratio {base / alone:.3f})"
            )
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"best: parse-only {args.objects / base_best:,.0f}/s, validate "
            f"{args.objects / check_best:,.0f}/s, ratio {base_best / check_best:.3f}; "
            f"--jobs 1 {base_best / one_best:.3f} (--no-lifecycle {base_best / alone_best:.3f}); "
            f"peak RSS {peak_mb:.0f} MB (this process; workers apart)"
        )


if __name__ == "__main__":
    main()
