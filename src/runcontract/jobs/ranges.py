"""`validate --jobs N` for JSON Lines: the input cut into N byte ranges, one for each worker.

When every input is a plain JSON Lines file, the files, one after the other, are cut into N
ranges of about the same size, each at the start of a line, and each worker reads and judges
its range alone: no line is read twice. Each worker numbers its items from 0 (a place), and the
parent reports the workers' results one range after the other, as one process would: the same
results in the same order, the counts of a file cut in two added up, the progress lines counted
across the cut.

The lifecycle rules compare each observation of a run with the one before, which may lie in an
earlier range: that is stitched at the end (stitch.py), by the workers, the parent telling each
which of its runs one process would still have remembered. A worker's results change only where
the stitching says so, and the parent reports the new ones in their place.
"""

from __future__ import annotations

import collections
import contextlib
import pickle
import tempfile
import traceback
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple, TextIO, cast

from msgspec.structs import replace

from runcontract.engine import Engine
from runcontract.engine.lifecycle import RunState
from runcontract.jobs.stitch import (
    Again,
    Carried,
    KeeperTracker,
    Noted,
    ZoneTracker,
    recount,
)
from runcontract.jobs.workers import (
    CRASH,
    DONE,
    END,
    ERROR,
    PREPARED,
    RESULT,
    SAY,
    TALLY,
    Entry,
    Outbox,
    Recorder,
    frozen_while_forked,
    spilled,
    start_workers,
    stop,
    summed,
)
from runcontract.model import ObjectResult, Summary
from runcontract.reporters import Reporter
from runcontract.reporters.base import Prepares
from runcontract.runner import Item, Progress, judge_stream
from runcontract.sources import FileDone
from runcontract.sources.context import Unreadable
from runcontract.sources.paths import FoundFile, expand
from runcontract.sources.reader import STDIN_PATH, FilePart, read_part
from runcontract.sources.sniff import SNIFF_BYTES, Format, sniff
from runcontract.sources.streams import GZIP_MAGIC

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

# what a worker and the parent tell each other while the lifecycle is stitched, apart from the
# entries: each a tuple whose first item says what it is
_WINDOW, _FIRSTS, _STATES, _REMEMBERED, _QUIT = "window", "firsts", "states", "remembered", "quit"
_SPILLED = "spilled"  # a worker's batches are all in its file, and what replaces its results
_WAITING = "waiting"  # a worker judged its range: it waits to be told what it remembered


class _Input(NamedTuple):
    """An input as the ranges see it: its bytes, and whether it may be cut between lines."""

    label: str
    path: str
    size: int
    lines: bool  # JSON Lines, cut anywhere between lines; else given whole to one worker
    problem: str | None = None  # an input not found: what is wrong with it


def plan(paths: Sequence[str], jobs: int) -> list[list[FilePart]] | None:
    """Each worker's parts of the input, in order; None unless every input is a plain (not
    gzip) JSON Lines file, or one that gives no run at all (missing, empty, binary)."""
    inputs: list[_Input] = []
    for given in paths:
        if given == STDIN_PATH:
            return None
        try:
            for found in expand(given):
                if not isinstance(found, FoundFile):
                    inputs.append(_Input(found.label, "", 0, lines=False, problem=found.message))
                    continue
                try:
                    lines, size = _plain_lines(found.path), Path(found.path).stat().st_size
                except OSError:  # missing, not readable: the reader says so, as ever
                    lines, size = False, 0
                if lines is None:
                    return None
                inputs.append(_Input(found.label, found.path, size, lines))
        except (OSError, ValueError):
            return None  # the usual way says what is wrong with it
    if not any(one.lines for one in inputs):
        return None
    total = sum(one.size for one in inputs)
    cuts = [(0, 0)]
    for worker in range(1, jobs):
        cut = _line_start(inputs, total * worker // jobs)
        cuts.append(max(cut, cuts[-1]))
    cuts.append((len(inputs), 0))
    return [_parts(inputs, cuts[worker], cuts[worker + 1]) for worker in range(jobs)]


def _plain_lines(path: str) -> bool | None:
    """True for a plain JSON Lines file; False for one that gives no run (the reader tells
    why: empty, binary, not UTF-8); None for any other (gzip, JSON, YAML, an event stream)."""
    with Path(path).open("rb") as stream:
        head = stream.read(SNIFF_BYTES)
    if head.startswith(GZIP_MAGIC):
        return None
    try:
        return sniff(head, path.lower().removesuffix(".gz")) is Format.JSONL or None
    except Unreadable:
        return False  # as the reader finds it, from the same first bytes


def _line_start(inputs: list[_Input], offset: int) -> tuple[int, int]:
    """The start of the first line at or after byte `offset` of the inputs, one after the
    other: (the input's index, the byte in it). An input given whole is never cut."""
    for index, one in enumerate(inputs):
        if offset >= one.size:
            offset -= one.size
            continue
        if offset == 0:
            return index, 0
        if not one.lines:
            return index + 1, 0
        with Path(one.path).open("rb") as stream:
            stream.seek(offset - 1)
            at = offset - 1
            while chunk := stream.read(1 << 16):
                newline = chunk.find(b"\n")
                if newline >= 0:
                    at += newline + 1
                    return (index, at) if at < one.size else (index + 1, 0)
                at += len(chunk)
        return index + 1, 0
    return len(inputs), 0


def _parts(inputs: list[_Input], start: tuple[int, int], end: tuple[int, int]) -> list[FilePart]:
    parts = []
    index, offset = start
    while (index, offset) < end:
        one = inputs[index]
        whole = not one.lines
        if index < end[0]:  # to the input's end
            parts.append(FilePart(one.label, one.path, offset, None, whole, one.problem))
            index, offset = index + 1, 0
        else:
            parts.append(FilePart(one.label, one.path, offset, end[1]))
            break
    return parts


def validate_ranges(
    parts: list[list[FilePart]],
    engine: Engine,
    reporter: Reporter,
    *,
    progress: Progress | None = None,
) -> Summary:
    """Judge each worker's parts in a worker; report as one process reports."""
    import multiprocessing  # noqa: PLC0415 - only where there are workers to start

    context = multiprocessing.get_context("fork")
    controls = [context.Pipe(duplex=False) for _ in parts]
    with contextlib.ExitStack() as files, frozen_while_forked():
        # what a worker past the first sends is reported once the workers before it are done:
        # it waits in a file meanwhile, not in the parent's memory
        spills: list[BinaryIO | None] = [
            None,
            *(files.enter_context(tempfile.TemporaryFile()) for _ in parts[1:]),
        ]

        def arguments(index: int) -> dict[str, Any]:
            return {
                "parts": parts[index],
                "engine": engine,
                "index": index,
                "jobs": len(parts),
                "reports_clean": reporter.reports_clean,
                "prepares": reporter if isinstance(reporter, Prepares) else None,
                "every": progress.every if progress is not None else None,
                "control": controls[index][0],
                "spill": spills[index],
            }

        workers, pipes = start_workers(len(parts), _work, arguments)
        for receiving, _ in controls:
            receiving.close()  # the workers' ends
        failed = True
        try:
            merge = _Merge(parts, reporter, progress, engine, spills)
            summary = merge.run(pipes, [sending for _, sending in controls])
            failed = False
            return summary
        finally:
            for _, sending in controls:
                sending.close()
            stop(workers, pipes, at_once=failed)


class _Places:
    """The items of a worker's parts numbered from 0, and where each part starts."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.next = 0  # the place of the next item
        self.starts = [0]  # of each part, and after the last

    def placed(self, items: Iterable[Item]) -> Iterator[Item]:
        outbox = self.outbox
        for item in items:
            outbox.place = self.next
            self.next += 1
            if isinstance(item, FileDone):
                self.starts.append(self.next)
            yield item


class _Said:
    """The progress lines a worker says itself (a file's first line, "reading ..."), each put
    before the item that follows it."""

    def __init__(self, outbox: Outbox, places: _Places) -> None:
        self.outbox, self.places = outbox, places

    def write(self, text: str) -> int:
        self.outbox.put(SAY, text, place=2 * self.places.next)
        return len(text)

    def flush(self) -> None:
        pass


def _work(
    *,
    parts: list[FilePart],
    engine: Engine,
    index: int,
    jobs: int,
    reports_clean: bool,
    prepares: Prepares | None,
    every: int | None,
    control: Connection,
    spill: BinaryIO | None,
    pipe: Connection,
) -> None:
    outbox = Outbox(pipe, spill)
    try:
        places = _Places(outbox)
        on_file = None
        if every is not None:
            on_file = Progress(cast("TextIO", _Said(outbox, places)), every=every).file_started
        lane = engine.fast_lane
        judge = lane.judge if lane is not None else None
        items = chain.from_iterable(
            read_part(part, fast_lane=judge, on_file=on_file) for part in parts
        )
        judging = engine.judging()
        tracker: KeeperTracker | None = None
        told = [0, False]  # the first sights told the parent so far, and whether all were
        if judging.tracker is not None:
            tracker = ZoneTracker(engine, outbox) if index else KeeperTracker.of(engine)
            judging.tracker = tracker
            if isinstance(tracker, ZoneTracker):
                zone = tracker

                def tell(*, final: bool) -> None:
                    # as they are known: the parent plays the window through them meanwhile
                    pipe.send((_FIRSTS, zone.firsts[told[0] :], final))
                    told[:] = [len(zone.firsts), final]

                tracker.on_firsts = tell
        recorder = Recorder(outbox, reports_clean=reports_clean, prepares=prepares, ends=False)
        summary = judge_stream(places.placed(items), engine, recorder, judging=judging)
        replaced: dict[int, list[Entry]] = {}
        if tracker is not None and index < jobs - 1:
            pipe.send((_WINDOW, *tracker.window_now()))
        if isinstance(tracker, ZoneTracker):
            if not told[1]:
                tell(final=True)
            pipe.send((_WAITING,))
            what, told_states = control.recv()
            assert what == _REMEMBERED
            remembered: dict[int, RunState] = {}
            for at, states in told_states:  # their places in the firsts, and their states
                remembered.update(zip(at, pickle.loads(states), strict=True))  # noqa: S301
            stitch = _Stitch(engine, parts, places, recorder, summary)
            replaced = stitch.run(tracker, dict(sorted(remembered.items())))
        recorder.end()
        if spill is not None:
            spill.flush()
            pipe.send((_SPILLED, replaced))
        if tracker is not None:
            while (asked := control.recv())[0] != _QUIT:
                # pickled here, so that the parent passes them on as they are
                pipe.send((_STATES, index, pickle.dumps(tracker.states(asked[1]), protocol=-1)))
    except BaseException:  # noqa: BLE001 - the parent reports it; nothing else would
        outbox.crashed(traceback.format_exc())
    finally:
        pipe.close()


class _Stitch:
    """A worker's results judged again where the earlier ranges change them (stitch.py)."""

    def __init__(
        self,
        engine: Engine,
        parts: list[FilePart],
        places: _Places,
        recorder: Recorder,
        summary: Summary,
    ) -> None:
        self.again = Again(engine, parts, places.starts)
        self.recorder, self.summary = recorder, summary
        self.replaced: dict[int, list[Entry]] = {}

    def run(self, tracker: ZoneTracker, remembered: dict[int, Any]) -> dict[int, list[Entry]]:
        """What takes the place of the results that change: by place, the entries to send."""
        resumed: dict[str, bool] = {}
        differing = []  # the first sights whose verdict the state before them changes
        for at, state in remembered.items():
            found, after = tracker.compared_first(at, state)
            first = tracker.noted_first(at)
            resumed[first.run_id] = after.resumed
            if found:
                differing.append((first, state))
        # the observations judged with resumed False that one process judges with it True
        conditional = [
            (one, before) for one, before in tracker.conditional if resumed.get(one.run_id, False)
        ]
        again = self.again
        again.read(one for one, _ in [*differing, *conditional])
        for first, state in differing:
            self._replace(first, again.judged(first, None), again.judged(first, state))
        for one, before in conditional:
            now = again.judged(one, replace(before, resumed=True))
            self._replace(one, again.judged(one, before), now)
        tracker.resolve(resumed)
        return self.replaced

    def _replace(self, noted: Noted, was: ObjectResult | None, now: ObjectResult | None) -> None:
        if was is None or now is None or was.violations == now.violations:
            return
        recorder = self.recorder
        recount(self.summary, was, now)
        recorder.unreport(was)
        outbox = recorder.outbox
        with outbox.kept() as kept:
            outbox.place = noted.place
            if now.violations or recorder.reports_clean:
                recorder.result(now)
        self.replaced[2 * noted.place + 1] = kept


class _Merge:
    """The parent: the workers' entries reported range after range, and the lifecycle's
    stitching told to the workers (which runs each must judge again, from whose states)."""

    def __init__(
        self,
        parts: list[list[FilePart]],
        reporter: Reporter,
        progress: Progress | None,
        engine: Engine,
        spills: list[BinaryIO | None],
    ) -> None:
        self.parts, self.reporter, self.spills = parts, reporter, spills
        self.jobs = jobs = len(parts)
        self.buffers: list[collections.deque[Entry]] = [collections.deque() for _ in parts]
        self.ended = [False] * jobs
        self.summaries: list[Summary] = []
        self.replaced: list[dict[int, list[Entry]]] = [{} for _ in parts]
        self.lines = _Lines(progress)
        self.merged = 0  # the workers whose entries were all reported
        self.started = False  # whether the entries of worker `merged` began to be reported
        # the lifecycle's stitching
        self.lifecycle = engine.lifecycle
        self.carried = Carried(engine.lifecycle_window)
        self.windows: dict[int, tuple[list[str], bytes]] = {}
        # of each worker, the first sights it told, not played yet; which told them all
        self.firsts: dict[int, list[list[str]]] = {}
        self.told_all: set[int] = set()
        self.playing = 0  # the worker whose first sights are played (0: none yet)
        self.played = 0  # of its first sights, how many
        # the questions to each keeper of runs' states, (asker, places in its firsts, ids)
        self.questions: dict[int, list[tuple[int, list[int], list[str]]]] = {
            keeper: [] for keeper in range(jobs)
        }
        self.asked: dict[int, collections.deque[tuple[int, list[int]]]] = {
            keeper: collections.deque() for keeper in range(jobs)
        }
        # of each asker, the states told so far: their places in its firsts, and the states as
        # their keeper pickled them
        self.found: dict[int, list[tuple[list[int], bytes]]] = {}
        self.awaited: dict[int, int] = {}  # of each asker, the answers it waits for
        self.untold = set(range(1, jobs)) if self.lifecycle else set()
        self.waiting: set[int] = set()  # the askers that wait to be told
        self.controls: list[Connection] = []

    def run(self, pipes: list[Connection], controls: list[Connection]) -> Summary:
        from multiprocessing.connection import wait  # noqa: PLC0415 - imported by then

        self.controls = controls
        self.reporter.start()
        waiting = {pipe: index for index, pipe in enumerate(pipes)}
        while self.merged < self.jobs:
            if not waiting:
                raise RuntimeError("a validate --jobs worker ended without finishing")
            for ready in wait(list(waiting)):
                pipe = cast("Connection", ready)
                index = waiting[pipe]
                try:
                    message = pipe.recv()
                except EOFError:
                    # after its END a worker without a lifecycle to stitch has nothing more
                    if not self.ended[index] or self.untold:
                        raise RuntimeError(
                            "a validate --jobs worker ended without finishing"
                        ) from None
                    del waiting[pipe]
                    continue
                self._received(index, message)
            self._stitch()
            self._report()
        if self.lifecycle:
            for control in controls:
                control.send((_QUIT,))
        summary = summed(self.summaries)
        summary.files = sum(part.end is None for parts in self.parts for part in parts)
        summary.forgotten_runs += self.carried.forgotten
        self.reporter.finish(summary)
        return summary

    def _received(self, index: int, message: Any) -> None:
        if isinstance(message, list):
            buffer = self.buffers[index]
            for entry in message:
                kind = entry[1]
                if kind == CRASH:
                    raise RuntimeError(f"a validate --jobs worker failed:\n{entry[2]}")
                if kind == END:
                    self.ended[index] = True
                buffer.append(entry)
        elif message[0] == _SPILLED:
            self.ended[index] = True
            self.replaced[index] = message[1]
        elif message[0] == _WINDOW:
            self.windows[index] = (message[1], message[2])
        elif message[0] == _FIRSTS:
            self.firsts.setdefault(index, []).append(message[1])
            if message[2]:
                self.told_all.add(index)
        elif message[0] == _WAITING:
            self.waiting.add(index)
        else:  # _STATES: a keeper's answer, to the oldest of its questions, passed on
            asker, places = self.asked[index].popleft()
            self.found[asker].append((places, message[2]))
            self.awaited[asker] -= 1

    def _stitch(self) -> None:
        """Play each worker's first sights once the window before it is known; ask the keepers
        of the runs it remembered for their states once they are done; then tell the worker."""
        carried = self.carried
        while self.lifecycle and self.playing < self.jobs:
            asker = self.playing
            if asker == 0 or (asker in self.told_all and not self.firsts.get(asker)):
                # all of its first sights played: the next worker's start with its window
                if asker + 1 == self.jobs or asker not in self.windows:
                    break
                carried.add(asker, *self.windows.pop(asker))
                self.playing, self.played = asker + 1, 0
                self.found[asker + 1], self.awaited[asker + 1] = [], 0
                continue
            if not self.firsts.get(asker):
                break  # more are to come
            firsts = self.firsts[asker].pop(0)
            by_keeper: dict[int, tuple[list[int], list[str]]] = {}
            for at, run_id, keeper in carried.play(firsts, self.played):
                places, ids = by_keeper.setdefault(keeper, ([], []))
                places.append(at)
                ids.append(run_id)
            self.played += len(firsts)
            self.awaited[asker] += len(by_keeper)
            for keeper, (places, ids) in by_keeper.items():
                self.questions[keeper].append((asker, places, ids))
        for keeper, questions in self.questions.items():
            # once it ended (so its own runs were stitched: its states are final), and one
            # question at a time: a keeper answering (its answer may be larger than a pipe
            # holds) reads no question meanwhile, and the parent would wait on it
            if self.ended[keeper] and questions and not self.asked[keeper]:
                asker, places, ids = questions.pop(0)
                self.asked[keeper].append((asker, places))
                self.controls[keeper].send((_STATES, ids))
        for asker in sorted(self.untold & self.waiting):  # reading its pipe: told at once
            played = asker < self.playing or (
                asker == self.playing and asker in self.told_all and not self.firsts.get(asker)
            )
            if played and self.awaited.get(asker) == 0:
                self.untold.discard(asker)
                self.controls[asker].send((_REMEMBERED, self.found.pop(asker)))

    def _report(self) -> None:
        """Report what can be: worker 0's entries as they come, a later worker's once it ended
        (its results that changed are known then)."""
        lines = self.lines
        while self.merged < self.jobs:
            index = self.merged
            if index and not self.ended[index]:
                return
            if not self.started:
                self.started = True
                lines.worker_started(self.parts[index])
            spill, replaced = self.spills[index], self.replaced[index]
            pending = sorted(replaced)
            entries = _drained(self.buffers[index]) if spill is None else spilled(spill)
            for place, kind, payload in entries:
                while pending and pending[0] < place:
                    self._entries(replaced[pending.pop(0)])
                if kind == END:
                    for left in pending:
                        self._entries(replaced[left])
                    self.summaries.append(payload)
                    self.merged += 1
                    self.started = False
                    break
                if place in replaced and kind in (RESULT, PREPARED):
                    continue  # judged again: the entries that replace it follow
                if kind == DONE:
                    file, found, failed = lines.part_done(place, payload)
                    if file is not None:
                        self.reporter.file_done(file, found, failed)
                else:
                    self._entries([(place, kind, payload)])
            else:
                return

    def _entries(self, entries: list[Entry]) -> None:
        reporter, lines = self.reporter, self.lines
        for place, kind, payload in entries:
            if kind == TALLY:
                cast("Prepares", reporter).tally(payload)
                continue
            lines.before(place)
            if kind == RESULT:
                reporter.result(payload)
            elif kind == ERROR:
                reporter.read_error(payload)
            elif kind == PREPARED:
                cast("Prepares", reporter).replay(payload)
            elif kind == SAY:
                lines.say(payload)


def _drained(buffer: collections.deque[Entry]) -> Iterator[Entry]:
    while buffer:
        yield buffer.popleft()


class _Lines:
    """The progress lines of one process, said by the parent: "N items read" counted across
    the ranges a file was cut into, and the line that ends a file, with all of its counts.

    Places are a worker's: results at 2 * item + 1, the lines a worker says at 2 * item, before
    the item. Only the item counts of a file's parts are needed, and each part's start.
    """

    def __init__(self, progress: Progress | None) -> None:
        self.saying = Progress(progress.stream, every=progress.every) if progress else None
        self.every = progress.every if progress is not None else 0
        self.parts: list[FilePart] = []  # of the worker being reported
        self.part = 0  # the index of the part being reported
        self.start = 0  # the place of its first item
        self.earlier = 0  # items of its file in earlier parts
        self.said = 0  # the count the last "items read" line of the file said
        self.found = self.failed = 0  # of its file, in earlier parts

    def worker_started(self, parts: list[FilePart]) -> None:
        self.parts, self.part, self.start = parts, 0, 0
        if parts and parts[0].start == 0:
            self._file_started()

    def _file_started(self) -> None:
        self.earlier = self.said = self.found = self.failed = 0

    def before(self, place: int) -> None:
        """Say the "N items read" lines of the items before the entry at `place`."""
        self._count_to(self.earlier + (place + 1) // 2 - self.start)

    def _count_to(self, count: int) -> None:
        if self.saying is None or count < self.said + self.every:
            return
        label = self.parts[self.part].label
        mark = (self.said // self.every + 1) * self.every
        while mark <= count:
            self.saying.say(f"{label}: {mark} items read")
            self.said = mark
            mark += self.every

    def say(self, text: str) -> None:
        if self.saying is not None:
            self.saying.stream.write(text)
            self.saying.stream.flush()

    def part_done(self, place: int, counts: tuple[str, int, int]) -> tuple[str | None, int, int]:
        """A part ended with its FileDone at item `place // 2`: the file and its counts when
        it was the file's last part (None else)."""
        item = place // 2
        self._count_to(self.earlier + item - self.start)
        file, found, failed = counts
        found, failed = found + self.found, failed + self.failed
        last = self.parts[self.part].end is None
        if last:
            if self.saying is not None:
                self.saying.file_finished(file, found, failed)
            self._file_started()
        else:
            self.earlier += item - self.start
            self.found, self.failed = found, failed
        self.part += 1
        self.start = item + 1
        return (file if last else None), found, failed
