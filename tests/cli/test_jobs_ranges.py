"""`validate --jobs N` on JSON Lines cut into byte ranges, held to one process byte for byte.

When every input is a plain JSON Lines file, the inputs (one after another) are cut into N
ranges at line starts, each judged by one worker, and the lifecycle of a run seen in two ranges
is stitched at the end. None of that may show: each test judges its inputs in one process
(`validate_paths`) and with 2, 3 and 4 workers (`validate_in_jobs`), and compares the reports,
the progress lines, the summaries and the exit codes. The inputs put a run's observations on
both sides of a cut and break its lifecycle there, fill the lifecycle window to its edge across
a cut, and put lines that are not plain runs at the cuts.

A cut falls at `size * k // jobs` bytes of the whole input and moves forward to the next line
start; `_ranges` and `_aligned` work that out here, so a test can say which range a line is in
and put a cut on a line's first byte, on the line end before it, or just after it.
"""

from __future__ import annotations

import copy
import dataclasses
import gzip
import io
import random
import re
import tempfile
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from runcontract.engine import Engine
from runcontract.jobs import validate_in_jobs
from runcontract.jobs.ranges import plan
from runcontract.model import Profile
from runcontract.reporters import (
    JsonReporter,
    JunitReporter,
    Reporter,
    SarifReporter,
    TextReporter,
)
from runcontract.rests import MISSES_BEFORE_REST
from runcontract.runner import Progress, exit_code, validate_paths
from runcontract.sources.limits import DEFAULT_LIMITS
from tests.synth import LIVE, build_lifecycle, build_run, evolve, interleave

Run = dict[str, Any]
Files = list[list[bytes]]  # each file as its lines, each line with its line end (if it has one)

REPORTS: dict[str, Callable[[TextIO], Reporter]] = {
    "text": lambda stream: TextReporter(stream, colour=False),
    "text -q": lambda stream: TextReporter(stream, quiet=True, colour=False),
    "json": JsonReporter,
    "json -q": lambda stream: JsonReporter(stream, quiet=True),
    "junit": JunitReporter,
    "sarif": SarifReporter,
}
ALL_JOBS = (2, 3, 4)
BOM = b"\xef\xbb\xbf"


# --- judging: one process against N workers -------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Said:
    """What a validation says: its report (with the progress lines, for a text report, on the
    same stream, as on a terminal), the progress lines of any other report, the summary, the
    exit code."""

    report: str
    progress: str
    summary: dict[str, Any]
    code: int


def judge(
    paths: Sequence[str], jobs: int, report: str, *, every: int | None, **options: Any
) -> Said:
    """`paths` judged by `jobs` workers (one: in this process), reported as `report` says."""
    stream, said = io.StringIO(), io.StringIO()
    progress = None
    if every is not None:
        progress = Progress(stream if report.startswith("text") else said, every=every)
    engine, reporter = Engine(**options), REPORTS[report](stream)
    if jobs == 1:
        summary = validate_paths(paths, engine, reporter, progress=progress)
    else:
        summary = validate_in_jobs(paths, engine, reporter, jobs=jobs, progress=progress)
    return Said(stream.getvalue(), said.getvalue(), dataclasses.asdict(summary), exit_code(summary))


def assert_alike(
    paths: Sequence[str],
    *,
    jobs: Iterable[int] = ALL_JOBS,
    reports: Iterable[str] = ("json", "text"),
    every: int | None = 2,
    cut: bool = True,
    **options: Any,
) -> dict[str, Said]:
    """Judge `paths` in one process and with each count of `jobs`; every report the same.

    `cut`: whether the inputs are plain JSON Lines, cut into byte ranges; else they are routed
    by run id (and then each worker has a lifecycle window of its own: not one process's).
    Returns what one process said, by report.
    """
    reports = tuple(reports)
    alone = {report: judge(paths, 1, report, every=every, **options) for report in reports}
    for count in jobs:
        assert (plan(paths, count) is not None) is cut, f"--jobs {count}: cut into ranges"
        for report in reports:
            shared = judge(paths, count, report, every=every, **options)
            where = f"--jobs {count}, {report} report, engine {options}"
            assert shared.report == alone[report].report, where
            assert shared.progress == alone[report].progress, where
            assert shared.summary == alone[report].summary, where
            assert shared.code == alone[report].code, where
    return alone


def findings(said: Said) -> list[tuple[str, str, str | None, str | None]]:
    """(rule, source, related, run id) of each violation of a json report."""
    document = orjson.loads(said.report)
    return [
        (violation["rule"], result["source"], violation.get("related"), result["run_id"])
        for result in document["results"]
        for violation in result["violations"]
    ]


# --- where the cuts fall --------------------------------------------------------------------------


def _starts(files: Files) -> tuple[list[int], int]:
    """The offset of every line start in the whole input, and its size."""
    starts, offset = [], 0
    for file in files:
        for line in file:
            starts.append(offset)
            offset += len(line)
    return starts, offset


def _ranges(files: Files, jobs: int) -> list[list[int]]:
    """The range each line is judged in, by file and line: a cut at `size * k // jobs` bytes
    moved forward to the next line start (a cut on a line start stays there)."""
    starts, size = _starts(files)
    bounds = []
    for k in range(1, jobs):
        cut = size * k // jobs
        bounds.append(next((start for start in starts if start >= cut), size))
    ranges, index = [], 0
    for file in files:
        ranges.append([bisect_right(bounds, starts[index + n]) for n in range(len(file))])
        index += len(file)
    return ranges


def _line_ranges(files: Files, paths: Sequence[str], jobs: int) -> dict[tuple[str, int], int]:
    """The range of each line, by file as the report names it and line number."""
    ranges = _ranges(files, jobs)
    return {
        (path, number + 1): part
        for path, parts in zip(paths, ranges, strict=True)
        for number, part in enumerate(parts)
    }


_WHERE = re.compile(r"^(?P<file>.*):line (?P<line>\d+)")


def _crossing(said: Said, files: Files, paths: Sequence[str], jobs: int) -> set[str]:
    """The lifecycle rules of a json report found on an observation in a later range than the
    observation it is compared with: the rules a stitch must find."""
    ranges = _line_ranges(files, paths, jobs)
    found = set()
    for rule, source, related, _ in findings(said):
        now, was = _WHERE.match(source), _WHERE.match(related or "")
        if rule.startswith("L") and now is not None and was is not None:
            later = ranges[(now["file"], int(now["line"]))]
            if later > ranges[(was["file"], int(was["line"]))]:
                found.add(rule)
    return found


def _aligned(files: Files, jobs: int, cut: int, at: tuple[int, int], shift: int) -> Files:
    """`files` with spaces before the end of their first line, so that cut number `cut` (of
    `jobs - 1`) falls `shift` bytes from the start of the line `at` (file, line): on its first
    byte (0), on the line end before it (-1, or -2 for "\\r\\n"), within it (1).

    The line must start at or before where the cut falls without the spaces.
    """
    starts, size = _starts(files)
    start = starts[sum(len(file) for file in files[: at[0]]) + at[1]]
    moves = 0 if at == (0, 0) else 1
    for pad in range(4 * size + 4_096):
        if (size + pad) * cut // jobs == start + moves * pad + shift:
            break
    else:
        raise AssertionError(f"no padding puts cut {cut} of {jobs - 1} there")
    first = files[0][0]
    body = first.rstrip(b"\r\n")
    return [[body + b" " * pad + first[len(body) :], *files[0][1:]], *files[1:]]


def _write(directory: Path, files: Files, names: Sequence[str] | None = None) -> list[str]:
    names = names or [f"{n}.jsonl" for n in range(len(files))]
    paths = []
    for name, lines in zip(names, files, strict=True):
        path = directory / name
        path.write_bytes(b"".join(lines))
        paths.append(str(path))
    return paths


# --- runs and their lifecycles --------------------------------------------------------------------


def _line(run: Any, end: bytes = b"\n") -> bytes:
    return orjson.dumps(run) + end


BREAKS = (
    "created_at",
    "thread_id",
    "status back",
    "after the end",
    "started_at forward",
    "started_at back",
    "usage",
    "expires_at",
    "end time",
)


def _break(rng: random.Random, life: list[Run], kind: str) -> None:
    """Break the lifecycle `life` once, as `kind` says, from a later observation on."""
    at = rng.randrange(1, len(life))
    if kind == "created_at":
        life[at]["created_at"] -= rng.randint(1, 5)  # L003; an earlier creation keeps the order
    elif kind == "thread_id":
        life[at]["thread_id"] = "thread_" + "z" * 24  # L003
    elif kind == "status back":
        life.insert(at + 1, copy.deepcopy(life[0]))  # queued again: L001, or L002 after the end
    elif kind == "after the end":
        life.append(copy.deepcopy(life[-2]))  # a status from before the end, after it: L002
    elif kind == "started_at forward":
        _moved(life[at:], "started_at", 1, LIVE)  # L010, and L005 when the next one goes back
    elif kind == "started_at back":
        _moved(life[at:], "started_at", -1)  # L005, and L010 when the next one goes forward
    elif kind == "expires_at":
        _moved(life[at:], "expires_at", rng.choice((-60, 60)))  # L005, L006
    else:
        _read_after_the_end(life, kind)


def _moved(observations: list[Run], key: str, by: int, statuses: Iterable[str] = ()) -> None:
    """`key` moved `by` seconds in the first of the observations that has it (and is in one of
    the `statuses`, if any are given)."""
    statuses = frozenset(statuses)
    for run in observations:
        if run[key] is not None and (not statuses or run["status"] in statuses):
            run[key] += by
            return


def _read_after_the_end(life: list[Run], kind: str) -> None:
    """The run read once more after its end, with other usage counts (L007) or another end
    time (L004)."""
    again = copy.deepcopy(life[-1])
    if kind == "usage":
        if again["usage"] is None:
            return
        again["usage"]["prompt_tokens"] += 1
        again["usage"]["total_tokens"] += 1
    else:
        ends = [key for key in ("completed_at", "failed_at", "cancelled_at") if again[key]]
        if not ends:
            return
        again[ends[0]] += 1
    life.append(again)


def _lives(rng: random.Random, runs: int, *, broken: float) -> list[list[Run]]:
    """The observations of `runs` runs; each breaks its lifecycle with the odds `broken`, and
    then again with the same odds, and so on.

    A quarter of the runs carry a null instructions throughout (D001, a warning), so that a
    quiet text report has counts to add up.
    """
    lives = [build_lifecycle(rng) for _ in range(runs)]
    for life in lives:
        if rng.random() < 0.25:
            for run in life:
                run["instructions"] = None
        while rng.random() < broken and len(life) > 1:
            _break(rng, life, rng.choice(BREAKS))
    return lives


def _entries(rng: random.Random, observations: list[Run], *, odd: bool) -> list[bytes]:
    """A line for each observation (without its end). With `odd`, now and then two of them
    become one list response or array line, and lines that are no run come between: blank,
    bad JSON, not UTF-8, a run without an id."""
    lines: list[bytes] = []
    index = 0
    while index < len(observations):
        run = observations[index]
        roll = rng.random() if odd else 1.0
        if roll < 0.08 and index + 1 < len(observations):
            pair = observations[index : index + 2]
            lines.append(orjson.dumps({"object": "list", "data": pair} if roll < 0.04 else pair))
            index += 2
            continue
        named = run["id"].encode()
        if roll < 0.1:
            lines.append(b"")
        elif roll < 0.12:
            lines.append(b'{"id": "%s", "status": ' % named)
        elif roll < 0.14:
            lines.append(b'{"id":"%s","x":"\xff"}' % named)
        elif roll < 0.16:
            lines.append(orjson.dumps({key: value for key, value in run.items() if key != "id"}))
        lines.append(orjson.dumps(run))
        index += 1
    return lines


def _parses(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _split(
    rng: random.Random, lines: list[bytes], count: int, *, crlf: bool, unended: bool
) -> Files:
    """`lines` cut into up to `count` files, each with a line of JSON (else it would be no
    JSON Lines file); `unended`: now and then a file's last line has no line end."""
    json = [line[:1] in (b"{", b"[") and _parses(line) for line in lines]
    between = [n for n in range(1, len(lines)) if json[n - 1] and json[n]]
    cuts = sorted(rng.sample(between, min(count - 1, len(between))))
    end = b"\r\n" if crlf else b"\n"
    files = [
        [line + end for line in lines[a:b]]
        for a, b in zip([0, *cuts], [*cuts, len(lines)], strict=True)
    ]
    for file in files:
        if unended and rng.random() < 0.5:
            file[-1] = file[-1].removesuffix(end)
    return files


# --- 1. generated lifecycles, cut anywhere --------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Shape:
    """How a generated input is laid out and judged."""

    runs: int  # runs polled in turn
    jobs: int
    window: int | None  # the lifecycle window; None: the default
    in_order: bool  # --files-in-order
    lifecycle: bool  # False: --no-lifecycle
    files: int  # the input cut into up to this many files
    odd: bool  # lines that are no plain run between, and files without a final line end
    crlf: bool
    every: int  # a progress line every so many items
    report: str  # a report besides text and json


SHAPES = st.builds(
    Shape,
    runs=st.integers(2, 14),
    jobs=st.integers(2, 4),
    window=st.none() | st.integers(2, 10),
    in_order=st.booleans(),
    lifecycle=st.sampled_from((True, True, True, False)),
    files=st.integers(1, 3),
    odd=st.booleans(),
    crlf=st.booleans(),
    every=st.integers(1, 9),
    report=st.sampled_from(("text -q", "json -q", "junit")),
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), shape=SHAPES)
def test_generated_lifecycles_are_judged_alike_in_byte_ranges(seed: int, shape: Shape) -> None:
    """Runs polled in turn, some lifecycles broken, in 1 to 3 files: every report alike with
    any number of workers, any lifecycle window, files in order or not, lifecycle rules off.

    The runs come from a seeded random source (a Hypothesis random would draw thousands of
    choices for an input of a few runs, more than it likes to shrink)."""
    rng = random.Random(seed)
    lines = _entries(rng, interleave(rng, _lives(rng, shape.runs, broken=0.6)), odd=shape.odd)
    files = _split(rng, lines, shape.files, crlf=shape.crlf, unended=shape.odd)
    options: dict[str, Any] = {"files_in_order": shape.in_order, "lifecycle": shape.lifecycle}
    if shape.window is not None:
        options["lifecycle_window"] = shape.window
    with tempfile.TemporaryDirectory() as directory:
        paths = _write(Path(directory), files)
        reports = ("text", "json", shape.report)
        alone = assert_alike(
            paths, jobs=(shape.jobs,), reports=reports, every=shape.every, **options
        )
        for rule in sorted({found[0] for found in findings(alone["json"])}):
            if rule.startswith("L"):
                event(f"{rule} found")
        for rule in sorted(_crossing(alone["json"], files, paths, shape.jobs)):
            event(f"{rule} found across a cut")
        if alone["json"].summary["forgotten_runs"]:
            event("the window let runs go")


def test_the_generated_inputs_break_the_lifecycle_across_the_cuts(tmp_path: Path) -> None:
    """What the property test builds does break the lifecycle rules, and across cuts: one
    input of the same kind, with every break, judged alike; the rules found in one process
    and found on an observation whose previous one is in an earlier range."""
    rng = random.Random(8)
    lives = _lives(rng, 60, broken=0)
    for number, life in enumerate(lives):  # two breaks a run, of every kind
        _break(rng, life, BREAKS[number % len(BREAKS)])
        _break(rng, life, BREAKS[(4 * number + 3) % len(BREAKS)])
    observations = interleave(rng, lives)
    files = [[_line(run) for run in observations]]
    paths = _write(tmp_path, files)
    alone = assert_alike(paths, reports=("json", "text"))
    everywhere = {"L001", "L002", "L003", "L004", "L005", "L006", "L007", "L010"}
    assert {found[0] for found in findings(alone["json"])} >= everywhere
    crossing = [_crossing(alone["json"], files, paths, jobs) for jobs in ALL_JOBS]
    for found in crossing:
        assert found >= {"L001", "L002", "L003", "L005", "L010"}
    assert set.union(*crossing) == everywhere


# --- 2. a run resumed after tool outputs, on both sides of a cut ----------------------------------


def _filler(rng: random.Random, count: int) -> list[bytes]:
    """Lines of `count` runs seen once each, ended and clean: they only take up bytes and places."""
    return [_line(build_run(rng, "v2", "completed")) for _ in range(count)]


def _laid_out(
    filler: list[bytes], placed: Sequence[tuple[float, bytes]]
) -> tuple[list[bytes], list[int]]:
    """`filler` with each placed line put at its share of the way through it, in order; and
    where each placed line is."""
    lines: list[bytes] = []
    at: list[int] = []
    waiting = list(placed)
    for index, line in enumerate([*filler, None]):
        while waiting and (line is None or round(waiting[0][0] * len(filler)) <= index):
            at.append(len(lines))
            lines.append(waiting.pop(0)[1])
        if line is not None:
            lines.append(line)
    return lines, at


def _polled(rng: random.Random, steps: Sequence[tuple[str, int]]) -> list[Run]:
    """Observations of one v2 run, in each step's status, with started_at that many seconds
    after its first start."""
    run = build_run(rng, "v2", "queued")
    started = run["created_at"] + 5
    observations = []
    for status, later in steps:
        run = evolve(run, status, started, rng)
        if run["started_at"] is not None:
            run["started_at"] = started + later
        observations.append(run)
    return observations


# (share of the way through the input, status, started_at moved by), and the L010 one process finds
RESUMES = {
    "requires_action, then as started after the cut, then started again twice": (
        [
            (0.05, "requires_action", 0),
            (0.6, "in_progress", 0),
            (0.8, "in_progress", 10),
            (0.9, "in_progress", 20),
        ],
        1,
    ),
    "in_progress, then as started after the cut, then started again": (
        [(0.05, "in_progress", 0), (0.6, "in_progress", 0), (0.8, "in_progress", 10)],
        1,
    ),
    "resumed before the cut, started again after it": (
        [(0.05, "requires_action", 0), (0.1, "in_progress", 0), (0.8, "in_progress", 10)],
        0,
    ),
    "resumed and started again before the cut, started again twice after it": (
        [
            (0.05, "requires_action", 0),
            (0.1, "in_progress", 5),
            (0.6, "in_progress", 10),
            (0.9, "in_progress", 15),
        ],
        1,
    ),
    "queued after the cut, then started again twice": (
        [
            (0.05, "requires_action", 0),
            (0.6, "queued", 0),
            (0.8, "in_progress", 10),
            (0.9, "in_progress", 20),
        ],
        1,
    ),
    "requires_action again after the cut, then started again": (
        [(0.05, "requires_action", 0), (0.6, "requires_action", 0), (0.8, "in_progress", 10)],
        0,
    ),
    "one step in each third": (
        [(0.1, "requires_action", 0), (0.55, "in_progress", 0), (0.85, "in_progress", 10)],
        0,
    ),
    "requires_action, then a range without the run, then as started, then started again": (
        [(0.1, "requires_action", 0), (0.6, "in_progress", 0), (0.9, "in_progress", 10)],
        0,
    ),
    "one step in each quarter, not resumed": (
        [
            (0.1, "in_progress", 0),
            (0.4, "in_progress", 0),
            (0.6, "in_progress", 0),
            (0.9, "in_progress", 10),
        ],
        1,
    ),
}


@pytest.mark.parametrize("case", list(RESUMES))
def test_a_run_resumed_after_tool_outputs_is_judged_alike_across_cuts(
    tmp_path: Path, case: str
) -> None:
    """started_at may change once a run resumes after tool outputs (requires_action, then
    queued or in_progress): one process remembers that the run resumed, through an observation
    that keeps started_at, until started_at changes. A worker that sees the run first after a
    cut cannot know it resumed, so the stitch must carry it: L010 found where one process
    finds it, no more, no less."""
    steps, expected = RESUMES[case]
    rng = random.Random(len(case))
    polled = _polled(rng, [(status, later) for _, status, later in steps])
    lines, at = _laid_out(
        _filler(rng, 60),
        [(share, _line(run)) for (share, _, _), run in zip(steps, polled, strict=True)],
    )
    files = [lines]
    paths = _write(tmp_path, files)
    for jobs in ALL_JOBS:  # each step in the range its share says
        ranges = _ranges(files, jobs)[0]
        assert [ranges[n] for n in at] == [int(share * jobs) for share, _, _ in steps], jobs
    alone = assert_alike(paths, every=7)
    found = [f for f in findings(alone["json"]) if f[0] == "L010" and f[3] == polled[0]["id"]]
    assert len(found) == expected, found


# --- 3. the lifecycle window's edge across a cut --------------------------------------------------


@pytest.mark.parametrize("window", [3, 5])
@pytest.mark.parametrize("beyond", [-1, 0, 1], ids=["window-1", "window", "window+1"])
@pytest.mark.parametrize("twice", [False, True], ids=["others once", "others twice"])
def test_a_run_seen_again_at_the_edge_of_the_window_is_judged_alike(
    tmp_path: Path, window: int, beyond: int, twice: bool
) -> None:
    """A run seen before a cut, then `window - 1`, `window` or `window + 1` other runs, then
    seen again after the cut with another created_at: one process remembers it (L003) only
    after `window - 1` others; after more it was let go, counted as forgotten if it had not
    ended. The others seen twice each make no more runs: the window counts runs, not lines."""
    forgotten = {}
    for ended in (False, True):
        rng = random.Random(10 * window + beyond)
        before = [_line(build_run(rng, "v2", "queued")) for _ in range(2)]
        others = [
            _line(build_run(rng, "v2", ("queued", "completed")[n % 2]))
            for n in range(window + beyond)
        ]
        after = [_line(build_run(rng, "v2", "in_progress")) for _ in range(2)]
        seen = build_run(rng, "v2", "completed" if ended else "in_progress")
        again = {**seen, "created_at": seen["created_at"] - 1}
        middle = others * 2 if twice else others
        files = [[*before, _line(seen), *middle, _line(again), *after]]
        paths = _write(tmp_path, files, [f"ended-{ended}.jsonl"])
        for jobs in ALL_JOBS:
            ranges = _ranges(files, jobs)[0]
            assert ranges[len(before)] < ranges[len(before) + 1 + len(middle)], jobs
        alone = assert_alike(paths, every=1, lifecycle_window=window)
        changed = [f for f in findings(alone["json"]) if f[0] == "L003" and f[3] == seen["id"]]
        assert bool(changed) == (beyond < 0)
        forgotten[ended] = alone["json"].summary["forgotten_runs"]
    assert forgotten[False] == forgotten[True] + (beyond >= 0)


@pytest.mark.parametrize("window", [2, 4, 7])
def test_runs_in_flight_beyond_the_window_in_every_range_are_judged_alike(
    tmp_path: Path, window: int
) -> None:
    """Many runs in flight at once, polled in turn, more than the window holds: runs let go
    in one range, seen again in the next, let go again in the one after."""
    rng = random.Random(window)
    lives = _lives(rng, 3 * window + 4, broken=0.3)
    files = [[_line(run) for run in interleave(rng, lives)]]
    paths = _write(tmp_path, files)
    alone = assert_alike(paths, lifecycle_window=window)
    assert alone["json"].summary["forgotten_runs"] > 0


# --- 4. lines that are no plain run, at the cuts --------------------------------------------------


def _odd(kind: str, observations: list[Run], at: int) -> list[bytes]:
    """The observations as lines, with a line of `kind` at `at`."""
    lines = [orjson.dumps(run) for run in observations]
    run = observations[at]
    named = run["id"].encode()
    if kind == "list response":  # two observations in one line, in their order
        lines[at : at + 2] = [orjson.dumps({"object": "list", "data": observations[at : at + 2]})]
    elif kind == "array":
        lines[at : at + 2] = [orjson.dumps(observations[at : at + 2])]
    elif kind == "bad JSON":
        lines.insert(at, b'{"id": "%s", "status": ' % named)
    elif kind == "blank":
        lines.insert(at, b"")
    elif kind == "spaces":
        lines.insert(at, b" \t ")
    elif kind == "not UTF-8":
        lines.insert(at, b'{"id":"%s","x":"\xff"}' % named)
    elif kind == "not UTF-8 in a run":  # an observation lost: orjson refuses it
        lines[at] = lines[at].replace(b'"model":"', b'"model":"\xff', 1)
    elif kind == "no id":
        lines.insert(at, orjson.dumps({key: value for key, value in run.items() if key != "id"}))
    elif kind == "byte order mark":  # not at a file's start: a line orjson refuses
        lines[at] = BOM + lines[at]
    elif kind == "second id":  # the last id is the run's
        lines.insert(at, lines[at].replace(b'{"id":', b'{"id":"run_first","id":', 1))
    elif kind == "nested deep":
        lines.insert(at, b'{"id":"%s","x":%s%s}' % (named, b"[" * 1100, b"]" * 1100))
    else:
        raise AssertionError(kind)
    return lines


ODD = (
    "list response",
    "array",
    "bad JSON",
    "blank",
    "spaces",
    "not UTF-8",
    "not UTF-8 in a run",
    "no id",
    "byte order mark",
    "second id",
    "nested deep",
)


def _odd_at_cut(
    observations: list[Run], kind: str, where: tuple[int, int], shift: int, *, end: bytes = b"\n"
) -> Files:
    """The observations with a line of `kind` that a cut falls `shift` bytes from the start
    of (`_aligned`): `where` is the count of workers and the number of the cut."""
    jobs, cut = where
    for at in range(len(observations) - 2, 0, -1):  # the latest place at or before the cut
        files = [[line + end for line in _odd(kind, observations, at)]]
        starts, size = _starts(files)
        if starts[at] + shift <= size * cut // jobs:
            return _aligned(files, jobs, cut, (0, at), shift)
    raise AssertionError("no place for the line before the cut")


@pytest.fixture(scope="module")
def polls() -> list[Run]:
    """Observations of 12 runs polled in turn, some lifecycles broken."""
    rng = random.Random(4)
    return interleave(rng, _lives(rng, 12, broken=0.5))


@pytest.mark.parametrize("kind", ODD)
@pytest.mark.parametrize("where", [(2, 1), (3, 2), (4, 3)], ids=["cut 1 of 2", "2 of 3", "3 of 4"])
@pytest.mark.parametrize("shift", [-1, 0, 1], ids=["cut on the line end before", "on", "in"])
def test_a_line_that_is_no_plain_run_at_a_cut_is_judged_alike(
    tmp_path: Path, polls: list[Run], kind: str, where: tuple[int, int], shift: int
) -> None:
    """A cut on the line end before such a line, on its first byte, or on its second; the
    line holds observations of runs seen on both sides, or is read as an error or nothing."""
    files = _odd_at_cut(polls, kind, where, shift)
    assert_alike(_write(tmp_path, files), jobs=where[:1], every=1)


@pytest.mark.parametrize("shift", [-2, -1, 0, 1])
def test_crlf_lines_are_judged_alike_with_a_cut_on_either_byte_of_a_line_end(
    tmp_path: Path, polls: list[Run], shift: int
) -> None:
    """A cut on the "\r" or the "\n" of a line end, on the next line's first byte, or in it."""
    files = _odd_at_cut(polls, "list response", (2, 1), shift, end=b"\r\n")
    assert_alike(_write(tmp_path, files), jobs=(2,), every=1)


def _two_files(polls: list[Run], share: float, *, end: bytes = b"\n") -> Files:
    """The polls as two files, the first with that share of them."""
    lines = [_line(run, end) for run in polls]
    cut = round(len(lines) * share)
    return [lines[:cut], lines[cut:]]


@pytest.mark.parametrize("shift", [-1, 0, 1, 2, 3])
def test_a_byte_order_mark_at_a_file_start_on_a_cut_is_judged_alike(
    tmp_path: Path, polls: list[Run], shift: int
) -> None:
    """A file may start with a byte order mark, which is no part of its first line: a cut on
    the line end before it, on it (its three bytes), or on the line after it."""
    first, second = _two_files(polls, 0.45)
    files = _aligned(
        [[BOM + first[0], *first[1:]], [BOM + second[0], *second[1:]]], 2, 1, (1, 0), shift
    )
    assert_alike(_write(tmp_path, files), every=1)


@pytest.mark.parametrize("shift", [-1, 0, 1])
def test_a_file_without_a_final_line_end_then_another_is_judged_alike(
    tmp_path: Path, polls: list[Run], shift: int
) -> None:
    """The last line of a file ends with the file, not with a line end: a cut on its last byte
    or on the next file's first line must not join the two lines."""
    first, second = _two_files(polls, 0.45)
    first[-1] = first[-1].removesuffix(b"\n")
    files = _aligned([first, second], 2, 1, (1, 0), shift)
    assert_alike(_write(tmp_path, files), every=1)


@pytest.mark.parametrize("at", [(1, 0), (2, 0)], ids=["its start", "its end"])
@pytest.mark.parametrize("shift", [-1, 0, 1])
def test_a_file_smaller_than_a_range_on_a_cut_is_judged_alike(
    tmp_path: Path, polls: list[Run], at: tuple[int, int], shift: int
) -> None:
    """A file of one line between two others, with a cut about its start or its end: its
    line is one range's last, the next range's first, or both ranges' edge."""
    first, second = _two_files(polls, 0.45)
    files = _aligned([first, [second[0]], second[1:]], 2, 1, at, shift)
    assert_alike(_write(tmp_path, files), every=1)


@pytest.mark.parametrize("in_order", [False, True], ids=["files in any order", "in order"])
@pytest.mark.parametrize("shift", [-1, 0, 1, None], ids=["end before", "on", "in", "anywhere"])
@pytest.mark.parametrize("window", [None, 4])
def test_the_same_runs_in_two_files_are_judged_alike(
    tmp_path: Path, polls: list[Run], in_order: bool, shift: int | None, window: int | None
) -> None:
    """A run's observations in two files: compared as recorded in order only with
    --files-in-order, else only for what must agree in any order; cut at the second file's
    start and elsewhere, with the default window and a small one."""
    files = _two_files(polls, 0.3, end=b"\r\n")
    if shift is not None:
        files = _aligned(files, 3, 1, (1, 0), shift)
    options: dict[str, Any] = {"files_in_order": in_order}
    if window is not None:
        options["lifecycle_window"] = window
    alone = assert_alike(_write(tmp_path, files), every=3, **options)
    apart = [
        rule
        for rule, source, related, _ in findings(alone["json"])
        if related and source.split(":line")[0] != related.split(":line")[0]
    ]
    if in_order and window is None:
        assert apart, "a lifecycle rule compares observations in two files"


def _twice(polls: list[Run], directory: Path) -> list[str]:
    return _write(directory, [[_line(run) for run in polls]]) * 2


def _folder(polls: list[Run], directory: Path) -> list[str]:
    first, second = _two_files(polls, 0.5)
    folder = directory / "runs"
    folder.mkdir()
    _write(folder, [first[:5], first[5:], second], ["a.jsonl", "b.ndjson", "c.jsonl"])
    return [str(folder)]


def _missing_between(polls: list[Run], directory: Path) -> list[str]:
    first, second = _write(directory, _two_files(polls, 0.5))
    return [first, str(directory / "missing.jsonl"), second]


def _between(
    middle: Callable[[list[Run]], bytes], name: str
) -> Callable[[list[Run], Path], list[str]]:
    """Inputs of two JSON Lines files with a file named `name` between them, which holds what
    `middle` makes of the polls."""

    def write(polls: list[Run], directory: Path) -> list[str]:
        first, second = _two_files(polls, 0.5)
        return _write(directory, [first, [middle(polls)], second], ["a.jsonl", name, "c.jsonl"])

    return write


def _one_file(lines: Callable[[list[Run]], list[bytes]]) -> Callable[[list[Run], Path], list[str]]:
    return lambda polls, directory: _write(directory, [lines(polls)])


def _a_page_over_every_cut(polls: list[Run]) -> list[bytes]:
    page = _line({"object": "list", "data": polls[2:-2]})
    return [_line(polls[0]), _line(polls[1]), page, _line(polls[-2]), _line(polls[-1])]


def _lines_of_nine(polls: list[Run]) -> bytes:
    return b"".join(_line(run) for run in polls[:9])


def _yaml_of_nine(polls: list[Run]) -> bytes:
    return b"".join(b"- " + _line(run) for run in polls[:9])


# each with whether it is cut into byte ranges: not when one of the files is not plain JSON Lines
INPUTS: dict[str, tuple[Callable[[list[Run], Path], list[str]], bool]] = {
    "a file given twice": (_twice, True),
    "a folder": (_folder, True),
    "JSON Lines named .json between two": (_between(_lines_of_nine, "b.json"), True),
    "JSON Lines named .ndjson between two": (_between(_lines_of_nine, "b.ndjson"), True),
    "a file of one line": (_one_file(lambda polls: [_line(polls[0])]), True),
    "a file of two lines": (_one_file(lambda polls: [_line(polls[0]), _line(polls[1])]), True),
    "a line over every cut": (_one_file(_a_page_over_every_cut), True),
    # a file that gives no run (the reader says why) is given whole to one worker
    "an empty file between two": (_between(lambda _: b"", "b.jsonl"), True),
    "a file of blank lines between two": (_between(lambda _: b"\n  \n\r\n", "b.jsonl"), True),
    "a binary file named .jsonl between two": (
        _between(lambda _: b"\x00\x01" * 99, "b.jsonl"),
        True,
    ),
    "a missing file between two": (_missing_between, True),
    "a JSON document between two": (
        _between(lambda polls: orjson.dumps(polls[:9]), "b.json"),
        False,
    ),
    "a YAML document between two": (_between(_yaml_of_nine, "b.yaml"), False),
    "gzip JSON Lines between two": (
        _between(lambda polls: gzip.compress(_lines_of_nine(polls)), "b.jsonl.gz"),
        False,
    ),
}


@pytest.mark.parametrize("kind", INPUTS)
def test_inputs_of_every_shape_are_judged_alike(
    tmp_path: Path, polls: list[Run], kind: str
) -> None:
    """Inputs a range may hold nothing of (more workers than lines, one line over every cut),
    inputs read twice or found in a folder, files that give no run (given whole to a worker:
    missing, empty, binary); and inputs with a file that is not plain JSON Lines, which are
    judged the other way (by run id) with the rest."""
    write, cut = INPUTS[kind]
    assert_alike(write(polls, tmp_path), every=2, cut=cut)


# --- 5. every report, and the engine's options ----------------------------------------------------


@pytest.fixture(scope="module")
def odd_polls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Files, list[str]]:
    """Polls of 16 runs in two files, lifecycles broken, warnings, odd lines between."""
    rng = random.Random(11)
    lines = _entries(rng, interleave(rng, _lives(rng, 16, broken=0.6)), odd=True)
    files = _split(rng, lines, 2, crlf=False, unended=True)
    return files, _write(tmp_path_factory.mktemp("odd"), files)


@pytest.mark.parametrize("report", list(REPORTS))
def test_every_report_is_alike(odd_polls: tuple[Files, list[str]], report: str) -> None:
    """json reports clean runs too, text -q only errors (warnings counted by rule), junit and
    sarif their own way: each alike, with the default window and a small one."""
    _, paths = odd_polls
    alone = assert_alike(paths, reports=(report,), every=5)[report]
    assert_alike(paths, reports=(report,), every=None, lifecycle_window=3)
    if report == "json":
        results = orjson.loads(alone.report)["results"]
        assert len(results) == alone.summary["objects"]
        assert any(not result["violations"] for result in results)
    if report == "text -q":
        assert re.search(r"^by rule: .*D001 x\d+", alone.report, re.M)
        assert ": warning D001" not in alone.report
    assert alone.code == 1


ENGINES: dict[str, dict[str, Any]] = {
    "--ignore L010": {"ignore": ["L010"]},
    "--select L": {"select": ["L"]},
    "--select L003,S": {"select": ["L003", "S"]},
    "--strict": {"strict": True},
    "--profile v2": {"profile": Profile.V2},
    "--no-lifecycle": {"lifecycle": False},
    "--files-in-order, window 3": {"files_in_order": True, "lifecycle_window": 3},
}


@pytest.mark.parametrize("name", list(ENGINES))
def test_the_engines_options_are_kept_by_the_stitch(
    odd_polls: tuple[Files, list[str]], name: str
) -> None:
    """What is switched on is switched on for the observations the stitch judges again."""
    _, paths = odd_polls
    assert_alike(paths, **ENGINES[name])


def test_stretches_of_broken_runs_across_the_cuts_are_judged_alike(tmp_path: Path) -> None:
    """After many broken runs in a row the lane rests (one process and each worker alike):
    runs broken in the schema, lifecycles broken between them, across every cut."""
    rng = random.Random(13)
    lives = _lives(rng, 30, broken=0.5)
    for life in lives[::2]:
        for run in life:
            run["usage"] = {"prompt_tokens": "many"}  # S001 on every observation
    lines = [_line(run) for life in lives[::2] for run in life]  # broken runs one after another
    lines += [_line(run) for run in interleave(rng, lives[1::2])]
    lines[len(lines) // 2 : len(lines) // 2] = lines[: MISSES_BEFORE_REST * 3]
    files = [lines]
    paths = _write(tmp_path, files)
    alone = assert_alike(paths, every=4, reports=("json", "text", "text -q"))
    assert {rule for rule, *_ in findings(alone["json"])} >= {"S001", "L002", "L003"}
    alone = assert_alike(paths, every=None, reports=("json",), lifecycle_window=5)


def test_ranges_left_empty_by_a_long_line_are_stitched_through(tmp_path: Path) -> None:
    """A list response line that holds most of the bytes takes every cut: the ranges between
    hold nothing, and the last range's runs are stitched with the first range's states."""
    rng = random.Random(17)
    polled = _polled(rng, [("requires_action", 0), ("in_progress", 0), ("in_progress", 10)])
    changed = build_run(rng, "v2", "in_progress")
    page = {"object": "list", "data": [build_run(rng, "v2", "completed") for _ in range(40)]}
    lines = [changed, polled[0], page, polled[1], polled[2], {**changed, "thread_id": "thread_x"}]
    files = [[_line(value) for value in lines]]
    for jobs in ALL_JOBS:
        assert _ranges(files, jobs)[0] == [0, 0, 0, jobs - 1, jobs - 1, jobs - 1]
    paths = _write(tmp_path, files)
    alone = assert_alike(paths, every=1)
    assert [f[0] for f in findings(alone["json"]) if f[0].startswith("L")] == ["L003"]
    assert_alike(paths, every=3, lifecycle_window=2)


def test_a_line_over_the_length_limit_that_takes_every_cut_is_judged_alike(
    tmp_path: Path, polls: list[Run]
) -> None:
    """A line longer than the limit (16 MiB) is an error for that line, skipped without being
    held: every cut falls in it, and the runs on both sides of it are stitched."""
    lines = [_line(run) for run in polls]
    half = len(lines) // 2
    lines.insert(half, b'{"id":"run_long","x":"' + b"x" * DEFAULT_LIMITS.max_line_bytes + b'"}\n')
    files = [lines]
    for jobs in ALL_JOBS:
        assert _ranges(files, jobs)[0][half + 1] == jobs - 1
    alone = assert_alike(_write(tmp_path, files), every=None)
    assert "line is longer than" in alone["text"].report
