"""The lifecycle of runs whose observations fall in two byte ranges, stitched as one process has it.

A worker judges its range with a lifecycle tracker of its own, which has seen nothing of the
ranges before. One process would have remembered, at the range's start, the runs of the window
(the last `Engine.lifecycle_window` runs seen, the oldest let go first). So a worker past the
first notes what depends on that window (`ZoneTracker`), and, once its range is judged:

1. It tells the parent the runs it saw first, in order, while its own window was not full (after
   that, one process had let go every run of the earlier ranges). The parent, which knows the
   runs of the earlier ranges' windows in order (`Carried`), plays one process's window forward:
   which of those runs it still remembered, and which it let go (`Carried.play`).
2. The worker is sent the last state of each remembered run (asked of the worker that saw it
   last), and compares each such first sight with it, as one process would. Where that finds
   something, it judges the line again; the result is sent again, and takes the place of the
   one sent before.
3. A run seen again after tool outputs were submitted may restamp `started_at` (rule L010): the
   worker could not know whether tool outputs were submitted before its range. Where the answer
   changed a verdict, it noted the observation (`ZoneTracker.conditional`), and judges it again
   once it knows.

All of it is judged again by the engine and the tracker themselves, line by line: nothing here
says what a rule would find.
"""

from __future__ import annotations

import itertools
from array import array
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from msgspec.structs import replace

from runcontract.engine.lifecycle import LifecycleTracker, RunState
from runcontract.model import (
    ObjectResult,
    Profile,
    Summary,
    Violation,
)
from runcontract.reporters.gathered import Gathered
from runcontract.runner import count, judge_stream
from runcontract.sources import jsonl
from runcontract.sources.context import FileContext
from runcontract.sources.jsonfile import UTF8_BOM
from runcontract.sources.limits import DEFAULT_LIMITS
from runcontract.sources.reader import FilePart, lines_before
from runcontract.vocabulary import TERMINAL_STATUSES

if TYPE_CHECKING:
    from runcontract.engine import Engine
    from runcontract.engine.lifecycle import RunFacts


class Placed(Protocol):
    place: int


class Noted(NamedTuple):
    """An observation a worker may judge again: its run, item place, file and entry."""

    run_id: str
    place: int
    file: str
    entry: str | None


class KeeperTracker(LifecycleTracker):
    """The tracker of a worker whose last states of runs later workers may ask for."""

    @classmethod
    def of(cls, engine: Engine) -> KeeperTracker:
        """One with the engine's window and files-in-order policy, as `Engine.judging` has."""
        return cls(engine, window=engine.lifecycle_window, files_in_order=engine.files_in_order)

    def window_now(self) -> tuple[list[str], bytes]:
        """The runs remembered, the oldest first, and whether each had ended (1) or not (0)."""
        runs = self._runs  # a window of 50,000 runs, read as it is: no copy of its items
        return list(runs), bytes([seen.facts.status in TERMINAL_STATUSES for seen in runs.values()])

    def states(self, run_ids: Iterable[str]) -> list[RunState]:
        """The last states of these runs, which the parent found in this worker's window, as
        one process has them (without the mark of a ZoneTracker)."""
        states = []
        for run_id in run_ids:
            state = self.state(run_id)
            if state is None:
                raise RuntimeError(f"the run {run_id!r} was not remembered here")
            states.append(replace(state, answered=None) if state.answered is _INHERITING else state)
        return states


# The first sights a worker tells the parent at once, while it judges on: the parent plays the
# window through them meanwhile, and asks the runs' keepers for their states.
FIRSTS_AT_ONCE = 4096

# The mark of a run first seen while the window was not full, which its states keep (the
# tracker's `fresh`): its `resumed` is the one it had when the range began, unless `settled`.
_INHERITING = ("", "inheriting")


class ZoneTracker(KeeperTracker):
    """The lifecycle tracker of a worker past the first, noting what the earlier ranges decide.

    `firsts` (and `first_places`, `first_files`, `first_entries`): the runs seen for the first
    time while the window is not full, in order. Until then each is marked: its `resumed` (tool
    outputs submitted since started_at was stamped) is still the one it had when the range began,
    unknown here and taken as False, unless it is in `settled`. `conditional`: the observations
    of such runs whose verdict would differ were it True, each with the state it was compared
    with. A run let go and seen again is a new run here, as in one process, and has no mark.
    """

    noting_firsts = True
    noting_changes = True

    def __init__(self, engine: Engine, outbox: Placed) -> None:
        super().__init__(
            engine, window=engine.lifecycle_window, files_in_order=engine.files_in_order
        )
        self.outbox = outbox  # its `place`: the place of the item being judged
        self.fresh = _INHERITING
        # the first sights, as parallel lists: a tuple each would be one more object a line for
        # the garbage collector to go through
        self.firsts: list[str] = []
        self.first_places = array("q")
        self.first_files: list[str] = []
        self.first_entries: list[str | None] = []
        self.first_profiles: list[Profile] = []
        self.first_facts: list[RunFacts] = []
        self.settled: set[str] = set()
        # told of each FIRSTS_AT_ONCE first sights, and when they are complete (`final`)
        self.on_firsts: Callable[..., None] | None = None
        self._scratch: LifecycleTracker | None = None  # compares one observation at a time
        self.conditional: list[tuple[Noted, RunState]] = []

    def compared_first(self, at: int, before: RunState) -> tuple[list[Violation], RunState]:
        """What the lifecycle rules find in the first sight `at` of a run compared with the
        run's state `before` it (as one process compares them), and the run's state after."""
        noted = self.noted_first(at)
        return self._compared(noted, before, self.first_profiles[at], self.first_facts[at])

    def _compared(
        self, noted: Noted, before: RunState, profile: Profile, facts: RunFacts
    ) -> tuple[list[Violation], RunState]:
        """What a tracker that remembered `before` finds in the observation, and the state it
        keeps then."""
        tracker = self._scratch
        if tracker is None:
            tracker = self._scratch = LifecycleTracker(
                self.engine, files_in_order=self.files_in_order
            )
        tracker.remember(noted.run_id, before)
        found: list[Violation] = []
        tracker.observe_entry(
            noted.run_id, profile, facts, noted.file, noted.entry, violations=found
        )
        after = tracker.state(noted.run_id)
        tracker.forget(noted.run_id)
        assert after is not None
        return found, after

    def noted_first(self, at: int) -> Noted:
        return Noted(
            self.firsts[at], self.first_places[at], self.first_files[at], self.first_entries[at]
        )

    def first_seen(
        self, run_id: str, profile: Profile, facts: RunFacts, file: str, entry: str | None
    ) -> None:
        self.firsts.append(run_id)
        self.first_places.append(self.outbox.place)
        self.first_files.append(file)
        self.first_entries.append(entry)
        self.first_profiles.append(profile)
        self.first_facts.append(facts)
        if self.runs > self.window:
            # the window is full, and this run lets the first go: one process has let go every
            # run of the ranges before by now, so the runs seen first from here on are new
            self.noting_firsts = False
            self.fresh = None
            if self.on_firsts is not None:
                self.on_firsts(final=True)
        elif len(self.firsts) % FIRSTS_AT_ONCE == 0 and self.on_firsts is not None:
            self.on_firsts(final=False)

    def changing(
        self,
        run_id: str,
        before: RunState,
        profile: Profile,
        facts: RunFacts,
        *,
        file: str,
        entry: str | None,
    ) -> None:
        """Of a marked run: whether its verdict and its `resumed` depend on the unknown one."""
        if before.answered is not _INHERITING or run_id in self.settled:
            return
        if before.resumed:  # tool outputs were seen submitted in the range: known from here on
            self.settled.add(run_id)
            return
        # What follows of `resumed` in LifecycleTracker._follow and _compare, to spare most
        # changes the two comparisons below: it is read (by L010) only when started_at changed
        # from a time, and kept as it was only while started_at stays the same.
        started, was = facts.started_at, before.facts.started_at
        if started == was:
            return
        if was is None:
            self.settled.add(run_id)
            return
        noted = Noted(run_id, self.outbox.place, file, entry)
        verdicts, states = [], []
        for resumed in (False, True):
            found, after = self._compared(noted, replace(before, resumed=resumed), profile, facts)
            verdicts.append(found)
            states.append(after.resumed)
        if verdicts[0] != verdicts[1]:
            self.conditional.append((noted, before))
        if states[0] == states[1]:
            self.settled.add(run_id)

    def resolve(self, resumed: dict[str, bool]) -> None:
        """The marked runs not settled take the `resumed` they had before the range (False
        unless told so: then nothing changes). Their mark `states` leaves out."""
        for run_id, was in resumed.items():
            seen = self.state(run_id)
            if seen is None or not was or run_id in self.settled:
                continue
            if seen.answered is _INHERITING:
                self.remember(run_id, replace(seen, resumed=True))


@dataclass
class Carried:
    """One process's window at the start of the next range: each run's id, the worker that
    saw it last (which keeps its state) and whether it had ended; the oldest first."""

    window: int
    runs: OrderedDict[str, tuple[int, bool]] = field(default_factory=OrderedDict)
    forgotten: int = 0  # runs one process let go that had not ended

    def play(self, firsts: list[str], before: int = 0) -> list[tuple[int, str, int]]:
        """One process's window through a range, from the runs it saw first there (while its
        own window was not full), in order, `before` of them played already: the runs it still
        remembered when it saw them again (their place among the range's first sights, id and
        keeper). Those it let go are counted in `forgotten`."""
        runs, window = self.runs, self.window
        if runs.keys().isdisjoint(firsts):
            # no run seen again (each id its own, say): the oldest are let go, as many as the
            # range's new runs push out, all at once
            gone = min(len(runs), len(firsts), max(0, len(runs) + before + len(firsts) - window))
            for _ in range(gone):
                _, (_, ended) = runs.popitem(last=False)
                self.forgotten += not ended
            return []
        remembered = []
        for seen, run_id in enumerate(firsts, before + 1):
            kept = runs.pop(run_id, None)
            if kept is not None:
                remembered.append((seen - 1, run_id, kept[0]))
            elif runs and len(runs) + seen > window:  # the range's runs so far, and these
                _, (_, ended) = runs.popitem(last=False)
                if not ended:
                    self.forgotten += 1
        return remembered

    def add(self, keeper: int, run_ids: list[str], ended: bytes) -> None:
        """The runs a worker remembered at the end of its range, newer than all before."""
        runs = self.runs
        for run_id in runs.keys() & run_ids:  # seen again there: now newer than the others
            del runs[run_id]
        runs.update(zip(run_ids, [(keeper, bool(done)) for done in ended], strict=True))


class Again:
    """Observations of a worker's range judged again, read again from their lines.

    `starts`: the place of each part's first item, so that an observation's place tells its
    part (one file may be given twice, under one name).
    """

    def __init__(self, engine: Engine, parts: list[FilePart], starts: list[int]) -> None:
        self.engine = engine
        self.parts, self.starts = parts, starts
        self.lines: dict[tuple[int, int], bytes] = {}  # by part and line number

    def _part(self, noted: Noted) -> int:
        return bisect_right(self.starts, noted.place) - 1

    def read(self, noted: Iterable[Noted]) -> None:
        """Read the lines of these observations (each part once, as far as needed)."""
        wanted: dict[int, set[int]] = {}
        for one in noted:
            wanted.setdefault(self._part(one), set()).add(line_number(one.entry))
        for index, numbers in wanted.items():
            part = self.parts[index]
            last = max(numbers)
            with Path(part.path).open("rb") as stream:
                for number, line in enumerate(stream, lines_before(stream, part.start) + 1):
                    if number in numbers:
                        if number == 1:
                            line = line.removeprefix(UTF8_BOM)  # noqa: PLW2901 - as the reader has it
                        self.lines[index, number] = line
                    if number >= last:
                        break

    def judged(self, noted: Noted, before: RunState | None) -> ObjectResult | None:
        """The observation's result, compared with `before` (None: the run's first sight); None
        when its line no longer gives it (a file that changed meanwhile)."""
        number = line_number(noted.entry)
        line = self.lines.get((self._part(noted), number))
        if line is None:
            return None
        engine = self.engine
        lane = engine.fast_lane
        ctx = FileContext(
            noted.file,
            DEFAULT_LIMITS,
            itertools.count().__next__,
            lane.judge if lane is not None else None,
        )
        items = jsonl.read_lines([line], ctx, lines_before=number - 1, file_start=False)
        judging = engine.judging()
        tracker = judging.tracker
        if tracker is not None and before is not None:
            tracker.remember(noted.run_id, before)
        gathered = Gathered()
        judge_stream(items, engine, gathered, judging=judging)
        return next((run for run in gathered.runs if run.source.entry == noted.entry), None)


def line_number(entry: str | None) -> int:
    """The line an entry of a JSON Lines file names: "line 12", or "line 12, data[0]"."""
    if entry is None or not entry.startswith("line "):
        raise ValueError(f"not an entry of a JSON Lines file: {entry!r}")
    return int(entry[5:].split(",", 1)[0])


def recount(summary: Summary, was: ObjectResult, now: ObjectResult) -> None:
    """The summary's counts with `now` in the place of `was` (the run object counted once)."""
    for result, sign in ((was, -1), (now, 1)):
        counts = Summary()
        count(counts, result)
        for name in ("passed", "failed", "errors", "warnings"):
            setattr(summary, name, getattr(summary, name) + sign * getattr(counts, name))
