"""Collect, then report: inputs are read, judged by the engine and handed to a reporter.

The runner counts; the reporter renders; the caller turns the summary into an exit code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

from runcontract.engine import Engine, Judging
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
from runcontract.reproduce import attach, request_command
from runcontract.sources import FileDone
from runcontract.sources.exchanges import Answered
from runcontract.sources.reader import read_recordings
from runcontract.vocabulary import ExitCode

if TYPE_CHECKING:
    from runcontract.gate.replay import Replay

Item = Observation | Prejudged | ReadError | FileDone | Answered


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


class RecordedExchanges:
    """The HTTP rules on the recorded exchanges among the inputs; an exchange is no run object,
    so it counts apart, and only its violations join the run objects' counts."""

    def __init__(self, engine: Engine, reporter: Reporter, summary: Summary) -> None:
        self.engine, self.reporter, self.summary = engine, reporter, summary
        self._replay: Replay | None = None  # made for the first one: most inputs have none
        # --select S or --ignore H: no HTTP rule to judge, so no exchange is looked at
        self.wanted = any(code.startswith("H") for code in engine.enabled)

    def judge(self, answered: Answered) -> None:
        if not self.wanted:
            return
        if self._replay is None:
            from runcontract.gate.replay import Replay  # noqa: PLC0415 - reads the gate's documents

            self._replay = Replay(self.engine)
        result = self._replay.judge(answered)
        self.summary.exchanges = self._replay.exchanges  # an answer the gate retried is not one
        if result is None:
            return
        for violation in result.violations:
            if violation.severity is Severity.ERROR:
                self.summary.errors += 1
            else:
                self.summary.warnings += 1
        self.summary.exchanges_failed += result.failed
        self.reporter.result(result)

    def seen(self) -> bool:
        """Whether an exchange was judged by the HTTP rules (the summary's note then says so)."""
        return self._replay is not None

    def finish(self) -> None:
        if self._replay is not None:
            self.summary.notes.append(self._replay.note())


def judge_stream(  # noqa: PLR0912 - one loop an item, kept flat
    items: Iterable[Item],
    engine: Engine,
    reporter: Reporter,
    *,
    judging: Judging | None = None,
) -> Summary:
    """Judge what the readers give, in order, through one judging loop; count and report it.

    Observations go through `Engine.judging` (or `judging`, a loop the caller made); a
    `Prejudged` run (the fast lane's) only gets the lifecycle rules, from its facts.
    """
    summary = Summary()
    if judging is None:
        judging = engine.judging()
    exchanges = RecordedExchanges(engine, reporter, summary)
    reporter.start()
    report, reports_clean = reporter.result, reporter.reports_clean
    deviations = engine.deviations
    tracker = judging.tracker  # what Judging.judge_facts asks, asked here without the call
    observe = tracker.observe_entry if tracker is not None else None
    found: list[Violation] = []  # what the lifecycle finds on a prejudged run (seldom anything)
    passed = 0  # prejudged runs without a violation, added to the summary at the end
    for item in items:
        if isinstance(item, Prejudged):
            # the common case of large inputs, kept short: a run judged straight from its bytes;
            # its Source is made only for a report
            findings = item.findings
            if findings:
                source = item.source
                found = deviations(findings, item.profile, source)
            if observe is not None:
                observe(
                    item.run_id, item.profile, item.facts, item.file, item.entry, violations=found
                )
            if found:
                if not findings:  # the lifecycle's alone
                    source = item.source
                result = ObjectResult(source, item.run_id, item.status, item.profile, found)
                found = []
                count(summary, result)
                report(result)
                continue
            passed += 1
            if reports_clean:
                report(ObjectResult(item.source, item.run_id, item.status, item.profile, []))
        elif isinstance(item, Observation):
            result = judging.judge(item)
            if result.violations and item.request is not None:
                attach(result, request_command(item.request))
            count(summary, result)
            reporter.result(result)
        elif isinstance(item, ReadError):
            summary.unreadable += 1
            reporter.read_error(item)
        elif isinstance(item, Answered):
            exchanges.judge(item)
        else:
            summary.files += 1
            reporter.file_done(item.file, item.observations, item.errors)
    summary.objects += passed
    summary.passed += passed
    summary.forgotten_runs = judging.forgotten
    exchanges.finish()
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
        self.say(f"reading {label}{size}")

    def watch(self, items: Iterable[Item]) -> Iterator[Item]:
        count, every = 0, self.every
        for item in items:
            if isinstance(item, FileDone):
                count = 0
                self.file_finished(item.file, item.observations, item.errors)
            elif not isinstance(item, Answered):  # its run objects were counted already
                count += 1
                if count % every == 0:
                    self.say(f"{item.source.file}: {count} items read")
            yield item

    def file_finished(self, file: str, observations: int, errors: int) -> None:
        """The line that ends a file, with its counts."""
        self.say(f"{file}: done, {counted(observations, 'run object')}, {errors} unreadable")

    def say(self, line: str) -> None:
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
    items: Iterable[Item] = read_recordings(
        paths,
        stdin=stdin,
        fast_lane=lane.judge if lane is not None else None,
        on_file=progress.file_started if progress is not None else None,
    )
    if progress is not None:
        items = progress.watch(items)
    return judge_stream(items, engine, reporter)


def exit_code(summary: Summary) -> ExitCode:
    """VIOLATIONS when the contract is broken (a run object or a recorded exchange);
    COULD_NOT_CHECK when an input was unreadable or nothing was found to judge (a check that saw
    nothing is not a pass), as the gate says it."""
    if summary.failed or summary.exchanges_failed:
        return ExitCode.VIOLATIONS
    if summary.unreadable or summary.objects == 0:
        return ExitCode.COULD_NOT_CHECK
    return ExitCode.OK
