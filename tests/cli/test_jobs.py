"""`validate --jobs 2` against `--jobs 1`: the same report, byte for byte, on every kind of input.

JSON Lines are cut into byte ranges, one a worker, and the lifecycle of runs seen in two ranges
is stitched; other inputs are routed by run id. What must not change is what one process says:
the results in the same order, the lifecycle verdicts, the read errors, the per-file counts, the
summary, the progress lines, the exit code. (tests/cli/test_jobs_ranges.py tries the byte ranges
on generated inputs.)
"""

from __future__ import annotations

import gzip
import io
import random
import re
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import pytest

from runcontract.engine import Engine
from runcontract.jobs import WORTH_SHARDING_BYTES, jobs_for, ranges, stitch, validate_in_jobs
from runcontract.jobs.ranges import plan
from runcontract.jobs.routed import owner_of
from runcontract.reporters import JsonReporter, TextReporter
from runcontract.rests import FIRST_REST, MISSES_BEFORE_REST
from runcontract.runner import Progress, validate_paths
from tests.command import Outcome, runcontract
from tests.corpus.verdicts import CASSETTES, CORPUS
from tests.synth import build_lifecycle, build_run, interleave, pages_cassette


def both(*argv: str) -> tuple[Outcome, Outcome]:
    one = runcontract("validate", "--jobs", "1", *argv)
    two = runcontract("validate", "--jobs", "2", *argv)
    return one, two


def assert_same(one: Outcome, two: Outcome) -> None:
    assert two.code == one.code
    assert two.out == one.out
    assert two.err == one.err


@pytest.mark.parametrize(
    "options",
    [
        ("--format", "json"),
        ("--format", "json", "--quiet"),
        ("--format", "text"),
        ("--quiet",),
        ("--format", "junit"),
    ],
)
def test_the_real_corpus_is_reported_alike(options: tuple[str, ...]) -> None:
    one, two = both(*options, "--progress", str(CORPUS))
    assert one.code in (0, 1), one.err
    assert '"objects"' in one.out or "json" not in options
    assert_same(one, two)
    if options == ("--quiet",):
        # the runs with warnings only: the workers count their rules, the parent adds them up
        assert re.search(r"^by rule: .*D001 x\d+", one.out, re.M)
        assert ": warning D" not in one.out


@pytest.mark.parametrize("report", ["json", "text"])
def test_the_cassettes_are_reported_alike(report: str) -> None:
    one, two = both("--format", report, "--progress", str(CASSETTES))
    assert one.code in (0, 1, 2), one.err
    if report == "json":
        assert orjson.loads(one.out)["summary"]["objects"] > 0
    else:  # the first finding of each rule with its request, whichever worker judged it
        assert one.out.count("  reproduce (") >= 5
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
    return interleave(rng, lives)


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
    # cut in two, with runs seen on both sides of the cut: their lifecycle was stitched
    parts = plan([str(path)], 2)
    assert parts is not None
    cut = parts[1][0].start
    assert cut > 0
    sides: dict[str, set[bool]] = {}
    at = 0
    for line in lines:
        run = orjson.loads(line) if line.startswith(b"{") and line.endswith(b"}") else None
        if isinstance(run, dict) and isinstance(run.get("id"), str):
            sides.setdefault(run["id"], set()).add(at >= cut)
        at += len(line) + 1
    assert sum(len(seen) == 2 for seen in sides.values()) >= 5


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
    assert plan([str(first), str(second)], 2) is None  # routed by run id: not JSON Lines alone


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
    one, two = both(str(cassette), str(lines))
    assert one.out.count(" error H006 ") == 20
    assert_same(one, two)


def _pair_owned_apart(rng: random.Random) -> tuple[str, str]:
    """Two run ids that two workers own one each."""
    while True:
        first, second = f"run_{rng.getrandbits(48):x}", f"run_{rng.getrandbits(48):x}"
        if owner_of(first, 2) != owner_of(second, 2):
            return first, second


def test_lines_the_router_passes_to_every_worker_are_judged_alike(tmp_path: Path) -> None:
    """Lines whose owner only a whole read tells, and lines a worker passes over, on every path:
    ids with escapes, first keys other than id, a second id key, CRLF, blank lines, lines that
    are not objects, a list response that starts with an id, junk only orjson refuses."""
    rng = random.Random(21)
    lives = _broken_lifecycles(rng, 80)
    first, second = _pair_owned_apart(rng)
    shown, hidden = build_lifecycle(rng), build_lifecycle(rng)
    for life, run_id in ((shown, first), (hidden, second)):
        for observation in life:
            observation["id"] = run_id
    lines = [orjson.dumps(run) for run in lives]
    odd = [
        # the id as the API writes it, with escapes: the owner is that of the id decoded
        orjson.dumps({**build_run(rng), "id": "run_\u00e9t\u00e9"}).replace(
            "\u00e9".encode(), b"\\u00e9"
        ),
        orjson.dumps({**build_run(rng), "id": 'run_"quoted"/x'}).replace(b"/", b"\\/"),
        # the id last, then a space after each colon, as json.dumps writes
        orjson.dumps(dict(reversed(build_run(rng).items()))),
        orjson.dumps(build_run(rng)).replace(b'":', b'": '),
        # a second id key: the last one is the run's (second's lifecycle, judged by its owner)
        orjson.dumps(hidden[0]).replace(b'{"id":', b'{"id":"' + first.encode() + b'","id":', 1),
        b'{"id":"run_x","object":"list","data":[' + orjson.dumps(build_run(rng)) + b"]}",
        b"   ",
        b"3",
        b'"run"',
        b"null",
        b'{"id":"run_deep","x":' + b"[" * 1100 + b"]" * 1100 + b"}",
        b'{"id":"run_utf","x":"\xff\xfe"}',  # msgspec reads past it, orjson refuses it
        b'{"id":"run_huge","x":1e999}',
        b'{"id":"run_cut",',
    ]
    for index, line in enumerate(odd):
        lines.insert(3 + 5 * index, line)
    for observation in [*shown, *hidden[1:]]:
        lines.insert(rng.randrange(len(lines)), orjson.dumps(observation))
    # CRLF line ends on half the lines
    text = b"".join(line + (b"\r\n" if n % 2 else b"\n") for n, line in enumerate(lines))
    path = tmp_path / "runs.jsonl"
    path.write_bytes(text)
    for report in ("json", "text"):
        one, two = both("--format", report, "--progress", str(path))
        assert one.code == 1, one.err
        assert_same(one, two)
    found = orjson.loads(both("--format", "json", str(path))[0].out)
    assert found["summary"]["unreadable"] >= 4
    assert {result["run_id"] for result in found["results"]} >= {"run_\u00e9t\u00e9", second}


def test_progress_lines_count_the_lines_other_workers_judge(tmp_path: Path) -> None:
    """Worker 0 passes over the lines worker 1 owns, yet says "N items read" where one process
    says it, in several files, and ends each file with the counts of both workers."""
    rng = random.Random(5)
    paths = []
    for name, runs in (("a.jsonl", 40), ("b.jsonl", 1), ("c.jsonl", 25)):
        path = tmp_path / name
        lines = [orjson.dumps(run) for run in _broken_lifecycles(rng, runs)]
        # worker 1 owns it, and only its whole read (orjson) finds it unreadable
        lines.insert(len(lines) // 2, b'{"id":"run_x","x":"\xff"}')
        path.write_bytes(b"\n".join(lines) + b"\n")
        paths.append(str(path))
    assert owner_of("run_x", 2) == 1
    said = []
    for jobs in (1, 2):
        # the text report and the progress lines on one stream, as on a terminal: each line at
        # its place among the results
        both_out, report = io.StringIO(), io.StringIO()
        progress = Progress(both_out, every=3)
        for reporter in (TextReporter(both_out, quiet=False, colour=False), JsonReporter(report)):
            validate = validate_paths if jobs == 1 else partial(validate_in_jobs, jobs=2)
            validate(paths, Engine(), reporter, progress=progress)
        said.append((both_out.getvalue(), report.getvalue()))
    assert said[1] == said[0]
    assert said[0][0].count("items read") > 60


def test_a_stretch_of_broken_runs_then_lines_only_orjson_refuses_are_judged_alike(
    tmp_path: Path,
) -> None:
    """One process lets its lane rest after many broken runs in a row, and so does a worker;
    the lines a worker's lane rests on are still routed, so each is read by its owner alone."""
    rng = random.Random(5)
    lines = []
    for _ in range(3):
        for _ in range(MISSES_BEFORE_REST * 3):
            run = build_run(rng, "v2", "completed")
            while owner_of(run["id"], 2) != 0:  # worker 0's lane misses them all in a row
                run["id"] = f"run_{rng.getrandbits(48):x}"
            run["usage"] = {"prompt_tokens": "many"}  # S001
            lines.append(orjson.dumps(run))
        other = f"run_{rng.getrandbits(48):x}"
        while owner_of(other, 2) != 1:
            other = f"run_{rng.getrandbits(48):x}"
        lines += [
            b'{"id":"%s","x":"\xff\xfe"}' % other.encode(),  # worker 1's, unreadable
            b'{"id":"run_huge%d","x":1e999}' % len(lines),
            *(orjson.dumps(build_run(rng)) for _ in range(FIRST_REST)),
        ]
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    for report in ("json", "text"):
        one, two = both("--format", report, "--progress", str(path))
        assert one.code == 1, one.err
        assert_same(one, two)
    found = orjson.loads(both("--format", "json", str(path))[0].out)
    assert found["summary"]["unreadable"] == 3  # the 1e999 lines are read, as Python reads them


def test_tool_outputs_submitted_two_ranges_back_let_started_at_move_as_in_one_process(
    tmp_path: Path,
) -> None:
    """A run asks for tool outputs in the first range, is queued again (outputs submitted) in
    the second, and restamps started_at in the third: one process finds nothing wrong (L010
    allows it after tool outputs), so the second worker must hand on what it learned."""
    rng = random.Random(7)
    life = build_lifecycle(rng, "v2", "tools")
    statuses = [run["status"] for run in life]
    at = statuses.index("requires_action")
    at += statuses[at:].index("queued")
    restamped = at + 1
    assert life[restamped]["started_at"] > life[at]["started_at"]
    fillers = [orjson.dumps(build_run(rng, "v2", "completed")) for _ in range(90)]
    lines = [
        *(orjson.dumps(run) for run in life[:at]),
        *fillers[:45],
        orjson.dumps(life[at]),
        *fillers[45:],
        *(orjson.dumps(run) for run in life[restamped:]),
    ]
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    parts = plan([str(path)], 3)
    assert parts is not None
    ends = [part[0].start for part in parts[1:]]
    queued_at = path.read_bytes().index(lines[len(life[:at]) + 45])
    assert sum(len(line) + 1 for line in lines[:at]) <= ends[0] <= queued_at < ends[1]
    assert ends[1] <= path.read_bytes().index(lines[-len(life[restamped:])])
    reports = []
    for jobs in (1, 3):
        out = io.StringIO()
        validate_in_jobs([str(path)], Engine(), JsonReporter(out), jobs=jobs)
        reports.append(out.getvalue())
    assert reports[1] == reports[0]
    found = orjson.loads(reports[0])
    rules = {v["rule"] for r in found["results"] for v in r["violations"]}
    assert "L010" not in rules
    assert found["summary"]["objects"] == len(lines)


def test_a_worker_that_fails_while_stitching_fails_the_command_not_hangs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parent raises what the worker says, and the other worker, which waits to be asked
    for its runs' states, is ended rather than waited for."""
    rng = random.Random(4)
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b"".join(orjson.dumps(run) + b"\n" for run in _broken_lifecycles(rng, 80)))

    def broken(*_: object) -> None:
        raise ValueError("a fault put here by the test")

    monkeypatch.setattr(ranges._Stitch, "run", broken)
    with pytest.raises(RuntimeError, match="a fault put here by the test"):
        validate_in_jobs([str(path)], Engine(), JsonReporter(io.StringIO()), jobs=2)


def test_first_sights_told_a_few_at_a_time_are_stitched_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker tells its first sights in parts while it judges (stitch.FIRSTS_AT_ONCE), and the
    parent plays each as it comes: with parts of 3, 3 and 4 workers, and a small window."""
    monkeypatch.setattr(stitch, "FIRSTS_AT_ONCE", 3)
    rng = random.Random(9)
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b"".join(orjson.dumps(run) + b"\n" for run in _broken_lifecycles(rng, 120)))
    for window in (5, 50_000):
        reports = []
        for jobs in (1, 3, 4):
            out = io.StringIO()
            engine = Engine(lifecycle_window=window)
            validate_in_jobs([str(path)], engine, JsonReporter(out), jobs=jobs)
            reports.append(out.getvalue())
        assert reports[1] == reports[0]
        assert reports[2] == reports[0]
        found = orjson.loads(reports[0])["results"]
        assert any(v["rule"].startswith("L") for result in found for v in result["violations"])
