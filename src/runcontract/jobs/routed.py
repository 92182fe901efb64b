"""`validate --jobs N` for inputs that are not JSON Lines alone: runs routed by their id.

Every worker reads every input, but judges only the runs it owns: a run belongs to the worker
its id hashes to, so all observations of a run are judged in one worker, in recorded order, and
the lifecycle verdicts are those of one process. A JSON Lines entry names its worker from its
`id` and `object` alone (msgspec skips the rest without building anything, in one pass that
also finds a second `id` key), so the other workers pass over it for a fraction of what judging
costs: their reader makes no item of it (`Passed.OVER`), and the router counts it. An entry
whose id cannot be told so (not an object, a list response, bad JSON) is read by every worker,
and each keeps the runs in it that it owns. Read errors belong to worker 0, or to the worker
that owns the entry. The recorded exchanges are judged by worker 0, in the order of each
recording.

Each worker tells its items' places in the input (every worker counts them alike: an entry
passed over stands for exactly the one item its owner makes of it), and the parent merges the
workers' results by place into the one reporter: the same results in the same order, the same
summary, the same progress lines (worker 0 counts the entries it passed over as items read; the
line that ends a file is written by the parent, with every worker's counts). What differs: the
lifecycle window (runs remembered at once, `Engine.lifecycle_window`) is per worker, so an input
with more runs in flight than the window forgets fewer of them.
"""

from __future__ import annotations

import collections
import heapq
import traceback
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO, cast

import msgspec

from runcontract.engine import Engine
from runcontract.engine.fastlane import Prejudged
from runcontract.jobs.workers import (
    CRASH,
    DONE,
    END,
    ERROR,
    PREPARED,
    RESULT,
    SAY,
    SAY_DONE,
    TALLY,
    Outbox,
    Recorder,
    frozen_while_forked,
    start_workers,
    stop,
    summed,
)
from runcontract.model import Observation, ReadError, Summary
from runcontract.reporters import Reporter
from runcontract.reporters.base import Prepares
from runcontract.runner import Item, Progress, judge_stream
from runcontract.sources import FileDone
from runcontract.sources.context import FastLane, Passed
from runcontract.sources.exchanges import Answered
from runcontract.sources.reader import read_recordings

if TYPE_CHECKING:
    from multiprocessing.connection import Connection


def validate_routed(
    paths: Sequence[str],
    engine: Engine,
    reporter: Reporter,
    *,
    jobs: int,
    progress: Progress | None = None,
) -> Summary:
    """Every worker reads every input and judges the runs whose id hashes to it; the parent
    merges their results by place."""

    def arguments(index: int) -> dict[str, Any]:
        return {
            "paths": paths,
            "engine": engine,
            "index": index,
            "jobs": jobs,
            "reports_clean": reporter.reports_clean,
            "prepares": reporter if isinstance(reporter, Prepares) else None,
            "progress": progress,
        }

    with frozen_while_forked():
        workers, pipes = start_workers(jobs, _work, arguments)
        failed = True
        try:
            summary = _merge(pipes, reporter, progress.stream if progress is not None else None)
            failed = False
            return summary
        finally:
            stop(workers, pipes, at_once=failed)


def _merge(pipes: list[Connection], reporter: Reporter, says_to: TextIO | None) -> Summary:
    summaries: list[Summary] = []
    reporter.start()
    done_parts: list[tuple[str, int, int]] = []
    done_said = False  # worker 0's progress ends the file here: with every worker's counts
    inbox = _Inbox(pipes)
    entries = heapq.merge(
        *(inbox.entries(worker, summaries) for worker in range(len(pipes))), key=_place
    )
    for _, kind, payload in entries:
        if kind == RESULT:
            reporter.result(payload)
        elif kind == ERROR:
            reporter.read_error(payload)
        elif kind == DONE:
            # one part from each worker, at the same place: their observations and errors
            done_parts.append(payload)
            if len(done_parts) == len(pipes):
                file = done_parts[0][0]
                found = sum(part[1] for part in done_parts)
                failed = sum(part[2] for part in done_parts)
                if done_said and says_to is not None:
                    Progress(says_to).file_finished(file, found, failed)
                    says_to.flush()
                    done_said = False
                reporter.file_done(file, found, failed)
                done_parts = []
        elif kind == SAY_DONE:
            done_said = True
        elif kind == PREPARED:
            cast("Prepares", reporter).replay(payload)
        elif kind == TALLY:
            cast("Prepares", reporter).tally(payload)
        elif says_to is not None:
            says_to.write(payload)
            says_to.flush()
    summary = summed(summaries)
    summary.files = summaries[0].files
    reporter.finish(summary)
    return summary


def _place(entry: tuple[int, int, Any]) -> int:
    return entry[0]


class _Inbox:
    """The workers' batches, each pipe drained as soon as it has one.

    The merge needs the next batch of one worker at a time; a worker whose pipe filled meanwhile
    would wait for it, idle, so every ready pipe is read whenever the merge waits for any, and
    before each batch is merged.
    """

    def __init__(self, pipes: list[Connection]) -> None:
        self.pipes = pipes
        self.batches: list[collections.deque[list[tuple[int, int, Any]]]] = [
            collections.deque() for _ in pipes
        ]
        self.open = set(range(len(pipes)))

    def entries(self, worker: int, summaries: list[Summary]) -> Iterator[tuple[int, int, Any]]:
        batches = self.batches[worker]
        while True:
            while not batches:
                if worker not in self.open:
                    raise RuntimeError("a validate --jobs worker ended without finishing")
                self._receive(block=True)
            batch = batches.popleft()
            if self.open:
                self._receive(block=False)  # what came meanwhile, so that no worker waits on us
            for entry in batch:
                kind = entry[1]
                if kind == END:
                    summaries.append(entry[2])
                    return
                if kind == CRASH:
                    raise RuntimeError(f"a validate --jobs worker failed:\n{entry[2]}")
                yield entry

    def _receive(self, *, block: bool) -> None:
        from multiprocessing.connection import wait  # noqa: PLC0415 - imported by then

        waiting = {self.pipes[worker]: worker for worker in self.open}
        for ready in wait(list(waiting), timeout=None if block else 0):
            pipe = cast("Connection", ready)
            worker = waiting[pipe]
            try:
                batch: list[tuple[int, int, Any]] = pipe.recv()
            except EOFError:
                self.open.discard(worker)
                continue
            self.batches[worker].append(batch)
            if batch and batch[-1][1] in (END, CRASH):
                self.open.discard(worker)


class _Head(msgspec.Struct):
    """What a JSON Lines entry says of its owner: its id, and whether it is a list response."""

    id: Any = None
    kind: Any = msgspec.field(default=None, name="object")


class _Router:
    """The fast lane of one worker: judges the entries it owns, passes over the others.

    An entry another worker owns becomes no item at all (`Passed.OVER`): the router counts it,
    and the places of this worker's items count it too. The reader asks `passes_over` of a line
    it reads the slow way without asking the lane (a rest, `jsonl.read_lines`).
    """

    def __init__(self, lane: FastLane | None, index: int, jobs: int) -> None:
        self.lane, self.index, self.jobs = lane, index, jobs
        self.head = msgspec.json.Decoder(_Head).decode
        self.routed: int | None = None  # the owner of the entry last seen, when it told one
        self.passed = 0  # entries passed over so far, in all files

    def owner(self, line: bytes) -> int | None:
        """The worker that owns the entry `line`, or None when its bytes do not tell one (it is
        not one object with a string id, or not JSON at all): then every worker reads it."""
        try:
            head = self.head(line)
        except (msgspec.DecodeError, RecursionError):  # RecursionError: nested too deep
            return None
        run_id = head.id
        if type(run_id) is not str or head.kind == "list":
            return None
        return owner_of(run_id, self.jobs)

    def passes_over(self, line: bytes) -> bool:
        """Whether another worker owns the entry `line` (then it is counted as passed over).

        Else `routed` says its owner: this worker, or None when its bytes do not tell one.
        """
        owner = self.routed = self.owner(line)
        if owner is None or owner == self.index:
            return False
        self.routed = None
        self.passed += 1
        return True

    def __call__(self, line: bytes, file: str, number: int) -> Prejudged | Passed | None:
        if self.passes_over(line):
            return Passed.OVER
        if self.routed is None or self.lane is None:
            return None  # read the slow way: by every worker when no owner was told
        return self.lane(line, file, number)


def owner_of(run_id: str, jobs: int) -> int:
    # crc32, not hash(): alike in every process, whatever PYTHONHASHSEED says
    return zlib.crc32(run_id.encode("utf-8", "surrogatepass")) % jobs


class _Said:
    """The progress stream of worker 0: each line goes to the parent, before the next item
    (or at the place it is told, for a line said of an entry passed over)."""

    def __init__(self, outbox: Outbox, placed: _Placed) -> None:
        self.outbox, self.placed = outbox, placed
        self.at: int | None = None

    def write(self, text: str) -> int:
        place = self.at if self.at is not None else 2 * self.placed.next_place
        self.outbox.put(SAY, text, place=place)
        return len(text)

    def flush(self) -> None:
        pass


class _Lines(Progress):
    """The progress lines of worker 0, as one process says them.

    An entry passed over was an item read, so it is counted, and a line falls at its place. The
    line that ends a file counts what every worker found: worker 0 says where it goes, and the
    parent writes it with the sums (`Progress.file_finished`).
    """

    def __init__(self, outbox: Outbox, placed: _Placed, *, every: int) -> None:
        self.said = _Said(outbox, placed)
        super().__init__(cast("TextIO", self.said), every=every)
        self.outbox, self.placed = outbox, placed
        self.reading = ""  # the file being read, which the entries passed over belong to

    def file_started(self, label: str, path: str) -> None:
        self.reading = label
        super().file_started(label, path)

    def watch(self, items: Iterable[Item]) -> Iterator[Item]:
        count, every, placed, said = 0, self.every, self.placed, self.said
        router = placed.router
        passed = router.passed
        for item in items:
            if router.passed != passed:  # entries passed over since the last item
                first = placed.seen + passed  # the place of the first of them
                gap = router.passed - passed
                mark = (count // every + 1) * every
                while mark <= count + gap:
                    said.at = 2 * (first + mark - count - 1)
                    self.say(f"{self.reading}: {mark} items read")
                    mark += every
                said.at = None
                count += gap
                passed = router.passed
            if isinstance(item, FileDone):
                count = 0
                self.outbox.put(SAY_DONE, None, place=2 * placed.next_place)
            elif not isinstance(item, Answered):  # its run objects were counted already
                count += 1
                if count % every == 0:
                    self.say(f"{item.source.file}: {count} items read")
            yield item


class _Placed:
    """The items of the whole input, numbered alike in every worker; this worker's kept.

    An item's place counts the items before it: those this worker's reader gave, and the entries
    it passed over, each of which stands for the one item its owner makes of it.
    """

    def __init__(self, outbox: Outbox, router: _Router) -> None:
        self.outbox, self.router = outbox, router
        self.seen = 0  # items this worker's reader gave

    @property
    def next_place(self) -> int:
        return self.seen + self.router.passed

    def mine(self, items: Iterable[Item]) -> Iterator[Item]:
        router, outbox = self.router, self.outbox
        index, jobs = router.index, router.jobs
        found = failed = 0  # of the current file, by this worker
        for item in items:
            place = self.seen + router.passed
            self.seen += 1
            routed, router.routed = router.routed, None
            if isinstance(item, FileDone):
                outbox.place = place
                yield FileDone(item.file, found, failed)
                found = failed = 0
                continue
            if routed is not None:
                keep = routed == index
            elif isinstance(item, Observation):
                run = item.run
                run_id = run.get("id") if isinstance(run, dict) else None
                keep = (owner_of(run_id, jobs) if isinstance(run_id, str) else 0) == index
            else:
                keep = index == 0
            if keep:
                if isinstance(item, ReadError):
                    failed += 1
                elif not isinstance(item, Answered):  # an exchange is counted apart
                    found += 1
                outbox.place = place
                yield item


def _work(
    *,
    paths: Sequence[str],
    engine: Engine,
    index: int,
    jobs: int,
    reports_clean: bool,
    prepares: Prepares | None = None,
    progress: Progress | None,
    pipe: Connection,
) -> None:
    outbox = Outbox(pipe)
    try:
        lane = engine.fast_lane
        router = _Router(lane.judge if lane is not None else None, index, jobs)
        placed = _Placed(outbox, router)
        said = None
        if progress is not None and index == 0:
            said = _Lines(outbox, placed, every=progress.every)
        # with the whole recorded exchanges, which worker 0 judges by the HTTP rules: they are
        # judged in the order of each recording, what one exchange gave out known to the next
        items: Iterable[Item] = read_recordings(
            paths, fast_lane=router, on_file=said.file_started if said is not None else None
        )
        if said is not None:
            items = said.watch(items)
        recorder = Recorder(outbox, reports_clean=reports_clean, prepares=prepares)
        judge_stream(placed.mine(items), engine, recorder)
    except BaseException:  # noqa: BLE001 - the parent reports it; nothing else would
        outbox.batch = [(0, CRASH, traceback.format_exc())]
        outbox.flush()
    finally:
        pipe.close()
