"""What every way of `validate --jobs` shares: forked workers, and what they send the parent.

A worker sends its entries in batches, each entry `(place, kind, payload)`: its place in the
input (results at odd places, 2 * item + 1; progress lines at even ones, before the item they
precede), what it is, and what it carries.
"""

from __future__ import annotations

import collections
import dataclasses
import gc
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, BinaryIO, Final

from runcontract.model import ObjectResult, ReadError, Summary
from runcontract.reporters.base import Prepares

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

_BATCH: Final = 512  # entries sent to the parent at once

# the kinds of entry
RESULT, ERROR, DONE, SAY, END, CRASH, SAY_DONE, TALLY, PREPARED = range(9)

COUNTS: Final = tuple(field.name for field in dataclasses.fields(Summary) if field.name != "files")

Entry = tuple[int, int, Any]


class Outbox:
    """What a worker sends the parent, in batches: each entry with its place in the input.

    With `spill` (a file the parent reads once the worker is done), the batches are written
    there instead of to the pipe: the parent then holds none of them meanwhile.
    """

    def __init__(self, pipe: Connection, spill: BinaryIO | None = None) -> None:
        self.pipe, self.spill = pipe, spill
        self.batch: list[Entry] = []
        self.place = 0  # the place of the item being judged now

    def put(self, kind: int, payload: Any, *, place: int | None = None) -> None:
        self.batch.append((place if place is not None else 2 * self.place + 1, kind, payload))
        if len(self.batch) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self.spill is None:
            self.pipe.send(self.batch)
        else:
            pickle.dump(self.batch, self.spill, protocol=pickle.HIGHEST_PROTOCOL)
        self.batch = []

    def crashed(self, trace: str) -> None:
        """Tell the parent this worker failed (on the pipe, whatever the batches went to)."""
        self.pipe.send([(0, CRASH, trace)])

    @contextmanager
    def kept(self) -> Iterator[list[Entry]]:
        """The entries put meanwhile, kept back from the parent, in the list given; the place
        set meanwhile is set back."""
        sent, self.batch, place = self.batch, [], self.place
        kept: list[Entry] = []
        try:
            yield kept
        finally:
            kept.extend(self.batch)
            self.batch, self.place = sent, place


def spilled(spill: BinaryIO) -> Iterator[Entry]:
    """The entries a worker wrote to `spill`, in order, a batch at a time."""
    spill.seek(0)
    while True:
        try:
            batch: list[Entry] = pickle.load(spill)  # noqa: S301 - our own worker's, forked
        except EOFError:
            return
        yield from batch


class Recorder:
    """A reporter that sends what it is given to the parent, at the place of the current item.

    For a reporter that `Prepares` (a copy of the parent's, inherited at the fork and asked only
    what it would make of a result), it sends what the result comes to instead, or for a result
    the reporter only counts, the count of each rule, once, when it is done. With `ends=False`
    the summary is kept (`summary`) and the worker ends later (`end`).
    """

    def __init__(
        self,
        outbox: Outbox,
        *,
        reports_clean: bool,
        prepares: Prepares | None = None,
        ends: bool = True,
    ) -> None:
        self.outbox = outbox
        self.reports_clean = reports_clean
        self.prepares = prepares
        self.ends = ends
        self.tallied: collections.Counter[str] = collections.Counter()
        self.summary: Summary | None = None

    def start(self) -> None:
        pass

    def result(self, result: ObjectResult) -> None:
        prepares = self.prepares
        if prepares is None:
            self.outbox.put(RESULT, result)
        elif prepares.counted_only(result):
            tallied = self.tallied
            for violation in result.violations:
                tallied[violation.rule] += 1
        else:
            self.outbox.put(PREPARED, prepares.prepared(result))

    def unreport(self, result: ObjectResult) -> None:
        """Take back the count of rules `result` added, if it was one `result` only counted."""
        if self.prepares is not None and self.prepares.counted_only(result):
            self.tallied.subtract(violation.rule for violation in result.violations)

    def read_error(self, error: ReadError) -> None:
        self.outbox.put(ERROR, error)

    def file_done(self, file: str, observations: int, errors: int) -> None:
        self.outbox.put(DONE, (file, observations, errors))

    def finish(self, summary: Summary) -> None:
        self.summary = summary
        if self.ends:
            self.end()

    def end(self) -> None:
        tallied = {rule: count for rule, count in self.tallied.items() if count}
        if tallied:
            self.outbox.put(TALLY, tallied)
        self.outbox.put(END, self.summary)
        self.outbox.flush()


def start_workers(
    count: int, target: Callable[..., None], arguments: Callable[[int], dict[str, Any]]
) -> tuple[list[BaseProcess], list[Connection]]:
    """`count` forked workers, each running `target(**arguments(index), pipe=...)`; each pipe
    the parent's end of what the worker sends."""
    import multiprocessing  # noqa: PLC0415 - only where there are workers to start

    context = multiprocessing.get_context("fork")
    workers: list[BaseProcess] = []
    pipes: list[Connection] = []
    for index in range(count):
        receiving, sending = context.Pipe(duplex=False)
        worker = context.Process(
            target=target, kwargs={**arguments(index), "pipe": sending}, daemon=True
        )
        worker.start()
        sending.close()  # the worker's end: when it dies, receiving says so
        workers.append(worker)
        pipes.append(receiving)
    return workers, pipes


@contextmanager
def frozen_while_forked() -> Iterator[None]:
    """What is alive now left out of the garbage collections until the merge is done: the
    workers' then pass over what they inherit, where touching it would copy its memory pages
    into each of them (the gc module's advice for a fork), and the parent's, which the many
    results it unpickles set off, need not go through the engine and the modules each time."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def stop(workers: list[BaseProcess], pipes: list[Connection], *, at_once: bool = False) -> None:
    """Wait for the workers to end (at most 10 s each), or end them `at_once` (the merge failed:
    a worker may wait on a pipe nobody reads)."""
    for worker in workers:
        worker.join(timeout=0 if at_once else 10)
        if worker.is_alive():
            worker.kill()
            worker.join()
    for pipe in pipes:
        pipe.close()


def summed(parts: list[Summary]) -> Summary:
    """The workers' summaries as one (the files counted by the caller)."""
    summary = Summary()
    for part in parts:
        for name in COUNTS:
            setattr(summary, name, getattr(summary, name) + getattr(part, name))
    return summary
