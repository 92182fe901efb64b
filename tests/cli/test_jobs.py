"""`validate --jobs 2` against `--jobs 1`: the same report, byte for byte, on every kind of input.

Two workers judge runs by the id they hash to; what must not change is what one process says:
the results in the same order, the lifecycle verdicts (all of a run's observations judged in
one worker), the read errors, the per-file counts, the summary, the progress lines, the exit code.
"""

from __future__ import annotations

import gzip
import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from runcontract.jobs import WORTH_SHARDING_BYTES, jobs_for, owner_of
from tests.command import Outcome, runcontract
from tests.corpus.verdicts import CASSETTES, CORPUS
from tests.synth import build_lifecycle, build_run, pages_cassette


def both(*argv: str) -> tuple[Outcome, Outcome]:
    one = runcontract("validate", "--jobs", "1", *argv)
    two = runcontract("validate", "--jobs", "2", *argv)
    return one, two


def assert_same(one: Outcome, two: Outcome) -> None:
    assert two.code == one.code
    assert two.out == one.out
    assert two.err == one.err


@pytest.mark.parametrize("report", ["json", "text", "junit"])
def test_the_real_corpus_is_reported_alike(report: str) -> None:
    one, two = both("--format", report, "--progress", str(CORPUS))
    assert one.code in (0, 1), one.err
    assert '"objects"' in one.out or report != "json"
    assert_same(one, two)


def test_the_cassettes_are_reported_alike() -> None:
    one, two = both("--format", "json", "--progress", str(CASSETTES))
    assert one.code in (0, 1, 2), one.err
    assert orjson.loads(one.out)["summary"]["objects"] > 0
    assert_same(one, two)


def _broken_lifecycles(rng: random.Random, runs: int) -> list[dict[str, Any]]:
    """Observations of `runs` runs, interleaved as polls of many runs are; some of them broken."""
    lives = [build_lifecycle(rng) for _ in range(runs)]
    for life in lives:
        if len(life) < 3 or rng.random() < 0.4:
            continue
        later = life[rng.randrange(1, len(life))]
        kind = rng.randrange(4)
        if kind == 0:
            later["created_at"] += 7  # identity changed between observations
        elif kind == 1:
            later["model"] = "another-model"
        elif kind == 2:
            life.reverse()  # a terminal status followed by earlier ones
        else:
            life.insert(rng.randrange(len(life)), dict(life[-1]))  # the end seen before its time
    interleaved: list[dict[str, Any]] = []
    while lives:
        life = rng.choice(lives)
        interleaved.append(life.pop(0))
        if not life:
            lives.remove(life)
    return interleaved


def test_interleaved_runs_with_lifecycle_breaks_are_judged_alike(tmp_path: Path) -> None:
    rng = random.Random(12)
    lines = [orjson.dumps(run) for run in _broken_lifecycles(rng, 300)]
    # entries every worker reads whole: a list response, an array, junk, runs without an id
    lines.insert(5, orjson.dumps({"object": "list", "data": [build_run(rng), build_run(rng)]}))
    lines.insert(9, orjson.dumps([build_run(rng), 3, build_run(rng)]))
    lines.insert(11, b'{"id": "run_broken", "status": ')
    lines.insert(13, b"")
    lines.insert(17, orjson.dumps({**build_run(rng), "id": 12}))
    lines.insert(19, orjson.dumps({"status": "queued"}))
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    one, two = both("--format", "json", "--progress", str(path))
    assert one.code == 1
    report = orjson.loads(one.out)
    found = {v["rule"] for result in report["results"] for v in result["violations"]}
    assert {code for code in found if code.startswith("L")}, "the file breaks lifecycle rules"
    assert report["errors"], "the file has unreadable lines"
    assert_same(one, two)
    # both workers had runs to judge, so the lifecycle was sharded, not left to one of them
    owners = {owner_of(result["run_id"], 2) for result in report["results"] if result["run_id"]}
    assert owners == {0, 1}


def test_several_files_and_a_gzip_are_judged_alike(tmp_path: Path) -> None:
    rng = random.Random(3)
    runs = _broken_lifecycles(rng, 60)
    first = tmp_path / "a.jsonl.gz"
    first.write_bytes(gzip.compress(b"".join(orjson.dumps(run) + b"\n" for run in runs[:100])))
    second = tmp_path / "b.json"
    second.write_bytes(orjson.dumps(runs[100:]))
    one, two = both("--format", "json", "--files-in-order", str(first), str(second))
    assert one.code == 1
    assert_same(one, two)


def test_stdin_and_small_inputs_take_one_process(tmp_path: Path) -> None:
    small = tmp_path / "one.json"
    small.write_bytes(orjson.dumps(build_run(random.Random(1))))
    assert jobs_for(["-"], 4) == 1
    assert jobs_for([str(small)], None) == 1
    assert jobs_for([str(small)], 3) == 3
    big = tmp_path / "big.jsonl"
    with big.open("wb") as out:
        out.truncate(WORTH_SHARDING_BYTES)
    assert jobs_for([str(big)], None) >= 1  # every core there is; one on a one-core machine
    outcome = runcontract("validate", "--jobs", "2", "-", stdin=small.read_bytes())
    assert outcome.code == 0, outcome.err


@pytest.mark.parametrize("given", ["0", "-1", "two"])
def test_a_job_count_that_is_not_one_or_more_is_a_usage_error(given: str) -> None:
    outcome = runcontract("validate", "--jobs", given, "x.json")
    assert outcome.code == 2
    assert "--jobs" in outcome.err
    assert "Traceback" not in outcome.output


def test_recorded_exchanges_are_judged_alike_by_the_http_rules(tmp_path: Path) -> None:
    """A cassette's exchanges are judged in order by one worker, at their places in the report."""
    cassette = tmp_path / "cassette.json"
    cassette.write_bytes(orjson.dumps(pages_cassette(40)))
    lines = tmp_path / "runs.jsonl"
    lines.write_bytes(
        b"".join(orjson.dumps(build_run(random.Random(n))) + b"\n" for n in range(50))
    )
    one, two = both("--format", "json", str(cassette), str(lines))
    found = orjson.loads(one.out)
    assert one.code == 1, one.err
    assert found["summary"]["exchanges"] == 40
    http = [v["rule"] for r in found["results"] for v in r["violations"] if v["rule"][0] == "H"]
    assert http.count("H006") == 20
    assert_same(one, two)
