"""`validate --dask`: an archive judged in three steps on a Dask cluster, reported as one process.

1. Each part (file) is read and its objects judged where it lies, by the same readers and engine
   as one process. What the lifecycle needs of each observation (its facts, or the observation
   itself when a recording says what was asked) goes to one of `buckets` by its run's id.
2. Each bucket gets every observation of its runs, from every part: sorted by run, then by
   (part, position), the recorded order, each run is followed by the same lifecycle tracker as
   in one process, under the same cross-file policy (the tracker compares files by name).
3. Each part's results get the lifecycle's findings on them, in the part's own order.

The client then hands the parts to the reporter one at a time, in order, and counts as one
process counts: the same report, summary and exit code. One difference, in the archive's favour:
a run's observations all meet in its bucket, so no run is let go of (one process forgets the
oldest runs past its window, and says how many).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from runcontract.archive import require
from runcontract.archive.inputs import Part, parts_of
from runcontract.engine import Engine
from runcontract.engine.fastlane import Prejudged
from runcontract.engine.lifecycle import LifecycleTracker, RunFacts, facts_of
from runcontract.model import ObjectResult, Observation, Profile, ReadError, Source, Summary
from runcontract.reporters import Reporter
from runcontract.reproduce import attach, request_command
from runcontract.runner import RecordedExchanges, count
from runcontract.sources import DEFAULT_LIMITS, FileDone
from runcontract.sources.context import FastLane, FileContext
from runcontract.sources.exchanges import Answered
from runcontract.sources.reader import _read_one

# Step 2's tasks. As many as parts, so a bucket holds about one part's worth of lifecycle facts,
# up to this many: the graph has parts x buckets edges, which the scheduler must keep.
MAX_BUCKETS = 256


@dataclass(frozen=True, slots=True)
class Settings:
    """How to build the engine: sent to the workers, which build it once each."""

    profile: Profile | None = None
    strict: bool = False
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    lifecycle: bool = True
    files_in_order: bool = False

    def engine(self) -> Engine:
        with _engines_lock:
            engine = _engines.get(self)
            if engine is None:
                engine = _engines[self] = Engine(
                    profile=self.profile,
                    strict=self.strict,
                    select=self.select,
                    ignore=self.ignore,
                    lifecycle=self.lifecycle,
                    files_in_order=self.files_in_order,
                )
        return engine


_engines: dict[Settings, Engine] = {}
_engines_lock = threading.Lock()


Item = ObjectResult | ReadError | FileDone
# What the lifecycle needs of one observation: its run id, its place (part, position), the
# result's run id, status and profile, its source, and either its facts or, when a recording
# says what was asked or which stream event carried it, the observation itself.
Followed = tuple[str, int, int, str | None, Profile, Source, RunFacts | Observation]
# A lifecycle finding on one result: its position in its part, and what the result needs
Finding = tuple[int, str, str | None, Profile, Source, list[Any]]


@dataclass(slots=True)
class PartJudged:
    """A part's results in order (clean ones left out unless the reporter shows them).

    `exchanges` is what the HTTP rules made of the part's recorded exchanges: their results are
    among `items` (marked `exchange`), and the counts they add to the summary are here.
    """

    items: list[tuple[int, Item]]
    clean: int  # clean results left out
    exchanges: Summary | None = None  # None: the part held no recorded exchange


class _Collected:
    """A reporter that keeps the HTTP results of a part's exchanges at their positions."""

    def __init__(self, items: list[tuple[int, Item]]) -> None:
        self.items = items
        self.position = 0
        self.reports_clean = False

    def result(self, result: ObjectResult) -> None:
        self.items.append((self.position, result))


def bucket_of(run_id: str, buckets: int) -> int:
    """The same bucket for the same run on every worker (Python's str hash is salted)."""
    return zlib.crc32(run_id.encode("utf-8", "surrogatepass")) % buckets


def read_part(
    part: Part, fast_lane: FastLane | None
) -> Iterator[Observation | Prejudged | ReadError | FileDone | Answered]:
    if part.problem is not None:
        yield FileContext(part.label, DEFAULT_LIMITS, lambda: 0).error(None, part.problem)
        yield FileDone(part.label, 0, 1)
        return
    # sequence numbers are the recorded order of one call; here the order is (part, position)
    yield from _read_one(
        part.label, part.location, part.open, DEFAULT_LIMITS, lambda: 0, fast_lane=fast_lane
    )


def judge_part(
    settings: Settings, part: Part, buckets: int, keep_clean: bool
) -> tuple[PartJudged, list[Shipment]]:
    """Step 1: the part's objects judged, and what the lifecycle needs, bucketed by run."""
    engine = settings.engine()
    lane = engine.fast_lane
    follow = settings.lifecycle
    items: list[tuple[int, Item]] = []
    clean = 0
    sent: list[list[Followed]] = [[] for _ in range(buckets)]
    index = part.index
    # a recording's exchanges, judged in its order as one process judges them (each file's
    # replay starts afresh, and a part is one file)
    collected = _Collected(items)
    counted = Summary()
    exchanges = RecordedExchanges(engine, collected, counted)  # type: ignore[arg-type]
    for position, item in enumerate(read_part(part, lane.judge if lane is not None else None)):
        if isinstance(item, Answered):
            collected.position = position
            exchanges.judge(item)
            continue
        if isinstance(item, Prejudged):
            run_id, status, profile, facts = item.run_id, item.status, item.profile, item.facts
            deviations, source = item.findings, item.source
            found = engine.deviations(deviations, profile, source) if deviations else []
            if follow:
                sent[bucket_of(run_id, buckets)].append(
                    (run_id, index, position, status, profile, source, facts)
                )
            if found or keep_clean:
                items.append((position, ObjectResult(source, run_id, status, profile, found)))
            else:
                clean += 1
        elif isinstance(item, Observation):
            result = engine.judge(item)
            if result.violations and item.request is not None:
                attach(result, request_command(item.request))
            run, known, seen_as = item.run, result.run_id, result.profile
            # what LifecycleTracker.observe looks at, and nothing more
            if follow and known is not None and seen_as is not None and isinstance(run, dict):
                what: RunFacts | Observation = (
                    facts_of(run) if item.request is None and not item.event else item
                )
                sent[bucket_of(known, buckets)].append(
                    (known, index, position, result.status, seen_as, item.source, what)
                )
            if result.violations or keep_clean:
                items.append((position, result))
            else:
                clean += 1
        else:
            items.append((position, item))
    seen = exchanges.seen()
    judged = PartJudged(sorted(items, key=lambda pair: pair[0]), clean, counted if seen else None)
    return judged, [pack(part, records) for records in sent]


class _Row(msgspec.Struct, array_like=True, gc=False):
    """A Followed record with facts, as it travels: its part and file are the shipment's."""

    run_id: str
    position: int
    status: str | None
    profile: str
    entry: str | None
    facts: RunFacts
    counted: bool  # usage is the tuple of its three counts (msgpack would make it a list)


_rows = msgspec.msgpack.Decoder(list[_Row])


@dataclass(frozen=True, slots=True)
class Shipment:
    """What one part sends one bucket: most records as one msgpack blob, the rest as they are.

    A blob crosses the network as one buffer; a million small Python objects would be pickled
    and unpickled one by one, which was most of the time of step 2.
    """

    index: int
    label: str
    packed: bytes
    others: list[Followed]


def pack(part: Part, records: list[Followed]) -> Shipment:
    rows: list[_Row] = []
    others: list[Followed] = []
    for record in records:
        run_id, _, position, status, profile, source, what = record
        if isinstance(what, RunFacts) and source[0] == part.label:
            rows.append(
                _Row(
                    run_id,
                    position,
                    status,
                    profile.value,
                    source[1],
                    what,
                    isinstance(what.usage, tuple),
                )
            )
        else:
            others.append(record)
    try:
        packed = msgspec.msgpack.encode(rows)
    except (OverflowError, TypeError, msgspec.EncodeError):  # an integer beyond 64 bits
        packed, others = msgspec.msgpack.encode([]), records
    return Shipment(part.index, part.label, packed, others)


def unpack(shipment: Shipment) -> Iterator[Followed]:
    index, label = shipment.index, shipment.label
    profiles = {p.value: p for p in Profile}
    for row in _rows.decode(shipment.packed):
        facts = row.facts
        if row.counted:
            facts.usage = tuple(facts.usage)
        source: Source = _new_tuple(Source, (label, row.entry))
        yield (row.run_id, index, row.position, row.status, profiles[row.profile], source, facts)
    yield from shipment.others


_new_tuple = tuple.__new__  # a Source without its Python-level __new__


def follow_runs(settings: Settings, *sent: Shipment) -> dict[int, list[Finding]]:
    """Step 2: one bucket's runs, each followed through its observations in recorded order."""
    engine = settings.engine()
    # One run at a time, in order: a window of one run keeps one run's facts in memory.
    tracker = LifecycleTracker(engine, window=1, files_in_order=settings.files_in_order)
    everything = [record for shipment in sent for record in unpack(shipment)]
    # by run, then part, then position: records never tie there, so the tuples' own order
    everything.sort()
    found: dict[int, list[Finding]] = {}
    for run_id, index, position, status, profile, source, what in everything:
        out: list[Any] = []
        if isinstance(what, Observation):
            result = ObjectResult(source, run_id, status, profile, out)
            tracker.observe(what, result)
            if out and what.request is not None:  # as one process gives it: `out` is changed
                attach(result, request_command(what.request))
        else:
            tracker.observe_facts(run_id, profile, what, source, out)
        if out:
            found.setdefault(index, []).append((position, run_id, status, profile, source, out))
    return found


def merge_part(index: int, judged: PartJudged, *findings: dict[int, list[Finding]]) -> PartJudged:
    """Step 3: the lifecycle's findings added to the part's results, in the part's order."""
    items = dict(judged.items)
    clean = judged.clean
    for bucket in findings:
        for position, run_id, status, profile, source, out in bucket.get(index, ()):
            result = items.get(position)
            if isinstance(result, ObjectResult):
                result.violations.extend(out)
            else:  # a clean result left out: it is reported now
                items[position] = ObjectResult(source, run_id, status, profile, out)
                clean -= 1
    return PartJudged(sorted(items.items(), key=lambda pair: pair[0]), clean, judged.exchanges)


def plan(
    parts: Sequence[Part], settings: Settings, keep_clean: bool, buckets: int | None = None
) -> list[Any]:
    """The three steps as Dask delayed tasks: one merged result per part, in order."""
    delayed = require("dask.delayed").delayed
    buckets = buckets or min(max(1, len(parts)), MAX_BUCKETS)
    merged = []
    judged = []
    sent: list[list[Any]] = [[] for _ in range(buckets)]
    for part in parts:
        both = delayed(judge_part, pure=True, nout=2)(settings, part, buckets, keep_clean)
        judged.append(both[0])
        for bucket in range(buckets):
            sent[bucket].append(both[1][bucket])
    follows = (
        [delayed(follow_runs, pure=True)(settings, *records) for records in sent]
        if settings.lifecycle
        else []
    )
    for part, judged_part in zip(parts, judged, strict=True):
        merged.append(delayed(merge_part, pure=True)(part.index, judged_part, *follows))
    return merged


def validate_archive(
    paths: Sequence[str],
    settings: Settings,
    reporter: Reporter,
    client: Any,
    *,
    on_part: Callable[[str], None] | None = None,
) -> Summary:
    """Judge the archive on the cluster `client` is connected to; report as one process does."""
    parts = parts_of(paths)
    futures = client.compute(plan(parts, settings, reporter.reports_clean))
    summary = Summary()
    exchanges_seen = False
    reporter.start()
    for part, future in zip(parts, futures, strict=True):
        judged: PartJudged = future.result()
        future.release()  # the part's results leave the cluster once reported
        if on_part is not None:
            on_part(part.label)
        for _, item in judged.items:
            if isinstance(item, ObjectResult):
                if not item.exchange:  # an exchange's counts come with the part's, below
                    count(summary, item)
                reporter.result(item)
            elif isinstance(item, ReadError):
                summary.unreadable += 1
                reporter.read_error(item)
            else:
                summary.files += 1
                reporter.file_done(item.file, item.observations, item.errors)
        summary.objects += judged.clean
        summary.passed += judged.clean
        if judged.exchanges is not None:
            exchanges_seen = True
            for name in ("exchanges", "exchanges_failed", "errors", "warnings"):
                setattr(summary, name, getattr(summary, name) + getattr(judged.exchanges, name))
    if exchanges_seen:
        from runcontract.gate.replay import note_for  # noqa: PLC0415 - only for recordings

        summary.notes.append(note_for(summary.exchanges))
    reporter.finish(summary)
    return summary
