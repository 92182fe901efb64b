"""Generated traffic archives: shards of JSON Lines whose runs' observations lie in several shards.

Used by the archive tests and benchmarks/bench_dask.py. Runs are observed interleaved, as a
proxy logs them: `open_runs` runs at a time, one observation of a random one after another, and
a new shard every `per_shard` lines, so a run's polls often continue in the next shard. A share
`broken` of the observations breaks a lifecycle rule: a final run seen again as in progress
(L002, judged where the order is known: within one shard) or a created_at that changed (L003,
judged in any order, so across shards too).
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from tests.synth import TERMINAL, build_lifecycle


def observations(objects: int, seed: int, *, open_runs: int, broken: float) -> Iterator[bytes]:
    rng = random.Random(seed)
    active: list[list[dict[str, Any]]] = []
    written = 0
    while written < objects:
        while len(active) < open_runs:
            active.append(build_lifecycle(rng))
        slot = rng.randrange(len(active))
        run = active[slot]
        observation = run.pop(0)
        if not run:
            active[slot] = active[-1]
            active.pop()
        if rng.random() < broken:
            if observation["status"] in TERMINAL and rng.random() < 0.5:
                run.insert(0, {**observation, "status": "in_progress"})  # seen next: L002
            else:
                observation = {**observation, "created_at": observation["created_at"] + 1}
        yield orjson.dumps(observation) + b"\n"
        written += 1


def write_archive(
    folder: Path,
    objects: int,
    *,
    per_shard: int,
    seed: int = 1,
    open_runs: int = 200,
    broken: float = 0.01,
    compress: bool = True,
) -> list[Path]:
    """Shards named part-00000.jsonl(.gz), ..., in the order written."""
    folder.mkdir(parents=True, exist_ok=True)
    shards: list[Path] = []
    lines = observations(objects, seed, open_runs=open_runs, broken=broken)
    while True:
        chunk = b"".join(line for _, line in zip(range(per_shard), lines, strict=False))
        if not chunk:
            return shards
        name = f"part-{len(shards):05d}.jsonl" + (".gz" if compress else "")
        path = folder / name
        path.write_bytes(gzip.compress(chunk, compresslevel=1) if compress else chunk)
        shards.append(path)
