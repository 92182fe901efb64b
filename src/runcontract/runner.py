"""Collect, then report: inputs are read, judged by the engine and handed to a reporter.

The runner counts; the reporter renders; the caller turns the summary into an exit code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

from runcontract.engine import Engine
from runcontract.engine.fastlane import Prejudged
from runcontract.model import (
    ObjectResult,
    Observation,
    ReadError,
    Severity,
    Summary,
    Violation,
)
from runcontract.redact import redact
from runcontract.reporters import Reporter
from runcontract.reporters.text import counted
from runcontract.sources import FileDone, read_paths


def count(summary: Summary, result: ObjectResult) -> None:
    summary.objects += 1
    failed = False
    for violation in result.violations:
        if violation.severity is Severity.ERROR:
            summary.errors += 1
            failed = True
        else:
            summary.warnings += 1
    if failed:
        summary.failed += 1
    else:
        summary.passed += 1


def judge_stream(
    items: Iterable[Observation | Prejudged | ReadError | FileDone],
    engine: Engine,
    reporter: Reporter,
) -> Summary:
    summary = Summary()
    tracker = engine.lifecycle_tracker()
    reporter.start()
    report, reports_clean = reporter.result, reporter.reports_clean
    found: list[Violation] = []  # what the lifecycle finds on a prejudged run (seldom anything)
    passed = 0  # prejudged runs without a violation, added to the summary at the end
    for item in items:
        if isinstance(item, Prejudged):
            # the common case of large inputs, kept short: a run judged straight from its bytes
            run_id, status, profile, facts, findings, source = item
            if findings:
                found = engine.deviations(findings, profile, source)
            if tracker is not None:
                tracker.observe_facts(run_id, profile, facts, source, found)
            if found:
                result = ObjectResult(source, run_id, status, profile, found)
                found = []
                count(summary, result)
                report(result)
                continue
            passed += 1
            if reports_clean:
                report(ObjectResult(source, run_id, status, profile, []))
        elif isinstance(item, Observation):
            result = engine.judge(item)
            if tracker is not None:
                tracker.observe(item, result)
            count(summary, result)
            reporter.result(result)
        elif isinstance(item, ReadError):
            summary.unreadable += 1
            reporter.read_error(item)
        else:
            summary.files += 1
            reporter.file_done(item.file, item.observations, item.errors)
    summary.objects += passed
    summary.passed += passed
    if tracker is not None:
        summary.forgotten_runs = tracker.forgotten
    reporter.finish(summary)
    return summary


class Progress:
    """Lines on a stream (stderr) while inputs are read, for inputs that take minutes.

    A line when a file starts (with its size: a large document is parsed whole before its first
    run is judged), one every `every` items of a file, and one when it ends. Counted, not timed,
    so the same input always gives the same lines.
    """

    def __init__(self, stream: TextIO, *, every: int = 10_000) -> None:
        self.stream = stream
        self.every = every

    def file_started(self, label: str, path: str) -> None:
        size = ""
        if path:
            with contextlib.suppress(OSError):  # reading it says what is wrong
                size = f" ({Path(path).stat().st_size / 1_048_576:.1f} MiB)"
        self._say(f"reading {label}{size}")

    def watch(
        self, items: Iterable[Observation | Prejudged | ReadError | FileDone]
    ) -> Iterator[Observation | Prejudged | ReadError | FileDone]:
        count, every = 0, self.every
        for item in items:
            if isinstance(item, FileDone):
                count = 0
                self._say(
                    f"{item.file}: done, {counted(item.observations, 'run object')}, "
                    f"{item.errors} unreadable"
                )
            else:
                count += 1
                if count % every == 0:
                    self._say(f"{item.source.file}: {count} items read")
            yield item

    def _say(self, line: str) -> None:
        self.stream.write(redact(f"runcontract: {line}") + "\n")
        self.stream.flush()


def validate_paths(
    paths: Sequence[str],
    engine: Engine,
    reporter: Reporter,
    *,
    stdin: BinaryIO | None = None,
    progress: Progress | None = None,
) -> Summary:
    lane = engine.fast_lane
    items: Iterable[Observation | Prejudged | ReadError | FileDone] = read_paths(
        paths,
        stdin=stdin,
        fast_lane=lane.judge if lane is not None else None,
        on_file=progress.file_started if progress is not None else None,
    )
    if progress is not None:
        items = progress.watch(items)
    return judge_stream(items, engine, reporter)


def exit_code(summary: Summary) -> int:
    """1 when the contract is broken; 2 when nothing could be checked or an input was unreadable."""
    if summary.failed:
        return 1
    if summary.unreadable or summary.objects == 0:
        return 2
    return 0
