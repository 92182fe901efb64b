"""Mutated real recordings through the readers, the engine and a reporter: no crash, no hang.

The seeds are the real cassettes of the shared corpus and the HAR and JSONL shipped as examples.
Each input is one of them with a few mutations drawn from a seeded random source: byte flips,
truncation, a key deleted, a value swapped for one of another type, a huge number (2^64, 10^100,
1e400), deep nesting; half of the structural ones land inside a recorded body (where the runs
are). The input is then validated as a user would (`validate_paths` with the JSON reporter), in
a bounded time, and its report must be one whole JSON document.

CI runs a few hundred inputs (tests/test_fuzz_recordings.py); a longer run:

    python -m tests.mutation 20000 [seed]
"""

from __future__ import annotations

import copy
import io
import json
import random
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from runcontract.engine import Engine
from runcontract.reporters import JsonReporter
from runcontract.runner import validate_paths
from runcontract.sources import DEFAULT_LIMITS
from runcontract.sources.yamlfile import load as load_yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED_FOLDERS = (SHARED / "corpus" / "cassettes", ROOT / "src" / "runcontract" / "examples")
SECONDS_PER_INPUT = 20.0  # an input that takes longer is a hang; they take milliseconds
_HUGE = "RUNCONTRACT-HUGE-NUMBER"  # placeholder replaced by a number no encoder writes
_DEEP = "RUNCONTRACT-DEEP-"  # placeholder replaced by nesting no encoder recurses through


class Hang(Exception):  # noqa: N818 - it names what the input did
    pass


@dataclass(frozen=True)
class Seed:
    name: str
    suffix: str
    value: Any  # the parsed document, or a list of parsed lines for JSONL


@dataclass
class FuzzResult:
    inputs: int = 0
    runs_judged: int = 0
    unreadable: int = 0
    slowest: float = 0.0
    failures: list[str] = field(default_factory=list)  # crashes, hangs, broken reports


def seeds() -> list[Seed]:
    found = []
    for folder in SEED_FOLDERS:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            suffix = path.suffix.lower()
            if not path.is_file() or suffix not in (".yaml", ".yml", ".json", ".har", ".jsonl"):
                continue
            data = path.read_bytes()
            if suffix == ".jsonl":
                lines = [json.loads(line) for line in data.splitlines() if line.strip()]
                found.append(Seed(path.name, suffix, lines))
            elif suffix in (".yaml", ".yml"):
                found.append(Seed(path.name, suffix, load_yaml(data, DEFAULT_LIMITS)))
            else:
                found.append(Seed(path.name, suffix, json.loads(data)))
    return found


def _slots(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) of a document, found without recursion."""
    found: list[tuple[Any, Any]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        keys = list(item) if isinstance(item, dict) else range(len(item))
        for key in keys:
            found.append((item, key))
            if isinstance(item[key], dict | list):
                stack.append(item[key])
    return found


def _deep(depth: int) -> str:
    return f"{_DEEP}{depth}"


def _placeholders(text: str, huge: str) -> str:
    for quoted in (f'"{_HUGE}"', f"'{_HUGE}'", _HUGE):
        text = text.replace(quoted, huge)
    for depth in (50, 100, 200, 1000, 2000, 5000):
        nested = "[" * depth + "0" + "]" * depth
        for quoted in (f'"{_DEEP}{depth}"', f"'{_DEEP}{depth}'", f"{_DEEP}{depth}"):
            text = text.replace(quoted, nested)
    return text


def _other_value(rng: random.Random) -> Any:
    return rng.choice(
        [None, True, 0, -1, 1.5, "", "queued", "x" * rng.randint(1, 2000), [], {}, [1, "a"],
         {"object": "thread.run"}, _HUGE, _deep(rng.choice([50, 200, 2000]))]
    )  # fmt: skip


def _mutate_structure(value: Any, rng: random.Random) -> None:
    slots = _slots(value)
    if not slots:
        return
    container, key = rng.choice(slots)
    kind = rng.choice(["delete", "swap", "huge", "deep"])
    if kind == "delete" and isinstance(container, dict):
        del container[key]
    elif kind == "huge":
        container[key] = _HUGE
    elif kind == "deep":
        container[key] = _deep(rng.choice([100, 1000, 5000]))
    else:
        container[key] = _other_value(rng)


def _embedded_bodies(value: Any) -> list[tuple[Any, Any, Any]]:
    """(container, key, parsed) of the strings that hold JSON: recorded bodies."""
    found = []
    for container, key in _slots(value):
        item = container[key]
        if isinstance(item, str) and item.lstrip()[:1] in ("{", "["):
            try:
                found.append((container, key, json.loads(item)))
            except ValueError:
                continue
    return found


def _dump(value: Any, suffix: str, rng: random.Random) -> bytes:
    huge = rng.choice([str(2**64), str(-(2**64)), str(10**100), "1e400", "-1e400"])
    if suffix == ".jsonl":
        text = "".join(json.dumps(line) + "\n" for line in value)
    elif suffix in (".yaml", ".yml"):
        text = yaml.dump(value, Dumper=yaml.CSafeDumper, allow_unicode=True, width=120)
        huge = huge.replace("1e400", "1.0e+400")  # YAML 1.1 floats need the dot
    else:
        text = json.dumps(value)
    return _placeholders(text, huge).encode("utf-8", "surrogatepass")


def mutant(seed: Seed, rng: random.Random) -> bytes:
    value = copy.deepcopy(seed.value)
    for _ in range(rng.randint(0, 3)):
        bodies = _embedded_bodies(value) if rng.random() < 0.5 else []
        if bodies:
            container, key, body = rng.choice(bodies)
            holder = [body]
            _mutate_structure(holder, rng)
            container[key] = _placeholders(json.dumps(holder[0]), str(2**64))
        else:
            _mutate_structure(value, rng)
    data = bytearray(_dump(value, seed.suffix, rng))
    if data and rng.random() < 0.3:
        for _ in range(rng.randint(1, 5)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    if data and rng.random() < 0.2:
        del data[rng.randrange(len(data)) :]
    return bytes(data)


def judge(path: Path, engine: Engine) -> tuple[dict[str, Any], float]:
    """The input validated with a bound on its time; the JSON report as read back.

    It runs in a thread of its own, so a hang is seen (and left behind) without a signal that
    would take pytest-timeout's place.
    """
    out = io.StringIO()
    failure: list[BaseException] = []

    def validate() -> None:
        try:
            validate_paths([str(path)], engine, JsonReporter(out))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller as it is
            failure.append(exc)

    worker = threading.Thread(target=validate, name="fuzz-input", daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(SECONDS_PER_INPUT)
    if worker.is_alive():
        raise Hang(f"no answer within {SECONDS_PER_INPUT} s")
    if failure:
        raise failure[0]
    report: dict[str, Any] = json.loads(out.getvalue())
    return report, time.monotonic() - started


def inputs(count: int, seed: int) -> Iterator[tuple[str, str, bytes]]:
    rng = random.Random(seed)
    pool = seeds()
    for number in range(count):
        chosen = rng.choice(pool)
        yield f"{number}:{chosen.name}", chosen.suffix, mutant(chosen, rng)


def fuzz(count: int, seed: int = 0) -> FuzzResult:
    result = FuzzResult()
    engines = [Engine(), Engine(strict=True)]
    with tempfile.TemporaryDirectory() as folder:
        for number, (label, suffix, data) in enumerate(inputs(count, seed)):
            path = Path(folder) / f"input{suffix}"
            path.write_bytes(data)
            result.inputs += 1
            try:
                report, seconds = judge(path, engines[number % 2])
            except Exception as exc:  # noqa: BLE001 - a crash is what the fuzz counts
                kept = Path(tempfile.gettempdir()) / f"runcontract-fuzz-{seed}-{number}{suffix}"
                kept.write_bytes(data)
                where = traceback.format_exception(exc)[-2].strip().replace("\n", " ")
                result.failures.append(f"{label} ({kept}): {type(exc).__name__}: {exc} [{where}]")
                continue
            result.slowest = max(result.slowest, seconds)
            result.runs_judged += report["summary"]["objects"]
            result.unreadable += report["summary"]["unreadable"]
    return result


def main(argv: list[str]) -> int:
    count = int(argv[0]) if argv else 20_000
    seed = int(argv[1]) if len(argv) > 1 else 0
    started = time.monotonic()
    result = fuzz(count, seed)
    crashes = [f for f in result.failures if "Hang:" not in f]
    hangs = [f for f in result.failures if "Hang:" in f]
    print(
        f"{result.inputs} inputs (seed {seed}) in {time.monotonic() - started:.0f} s: "
        f"{len(crashes)} crashes, {len(hangs)} hangs; {result.runs_judged} run objects judged, "
        f"{result.unreadable} unreadable entries; slowest input {result.slowest:.2f} s"
    )
    for failure in result.failures[:50]:
        print(f"  {failure}")
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
