"""JSON Lines (.jsonl, .ndjson), read line by line in constant memory.

Each line is read like a small JSON document (a run, an array of runs or a list response). A bad
line is a ReadError for that line only; blank lines are skipped; a line longer than the limit
is reported and skipped without being held in memory. With the engine's fast lane, a line whose
verdict it knows becomes a Prejudged without a dict ever being built, and a line the lane says
another process judges (`Passed.OVER`) becomes nothing; every other line is read here.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from typing import TYPE_CHECKING

import orjson

from runcontract.model import Observation, ReadError
from runcontract.rests import Rests
from runcontract.sources.context import FileContext, Passed
from runcontract.sources.jsonfile import UTF8_BOM, json_problem, loads, plain_observations

if TYPE_CHECKING:
    from runcontract.engine.fastlane import Prejudged


def read_lines(  # noqa: PLR0912, PLR0915 - one loop a line, kept flat: it runs for every line of large inputs
    chunks: Iterable[bytes], ctx: FileContext, *, lines_before: int = 0, file_start: bool = True
) -> Iterator[Observation | Prejudged | ReadError]:
    """The items of the lines in `chunks`: a whole file's, or (`validate --jobs`) the lines of
    one part of it, after `lines_before` lines; a UTF-8 BOM is the file's only at its start."""
    max_line = ctx.limits.max_line_bytes
    longest = max_line + 1  # a whole line, with its "\n"
    fast_lane, file = ctx.fast_lane, ctx.file
    number = lines_before  # lines finished so far
    partial = b""  # the start of a line the next chunk finishes
    overlong = False  # the current line passed the limit and is being skipped
    prejudged = 0
    # A line the lane cannot clear costs it a decode (two, for a v1 or seed line) before the
    # slow way reads the line again: in a file where run after run is broken, the lane rests
    # (rests.py), and the lines of a rest go the slow way untried.
    rests = Rests()
    over = Passed.OVER  # a local: an enum's member read from its class costs a lookup a line
    # A lane that routes lines between processes (validate --jobs) is asked of a line it rests
    # on too, whether another process owns it: else every process would read it, and keep it.
    passes_over: Callable[[bytes], bool] | None = getattr(fast_lane, "passes_over", None)
    try:
        for data in _without_bom(chunks) if file_start else chunks:
            cut = data.rfind(b"\n") + 1
            if cut:
                lines = _whole_lines(data, partial, cut)
                partial = data[cut:]
            else:  # no line ends in this chunk
                lines, partial = (), partial + data
            for line in lines:
                number += 1
                if overlong:
                    overlong = False
                    continue
                if len(line) > longest:
                    yield _too_long(number, ctx)
                    continue
                if fast_lane is not None:
                    if rests.resting:
                        rests.resting -= 1
                        if passes_over is not None and passes_over(line):
                            continue  # another process judges it
                    else:
                        judged = fast_lane(line, file, number)
                        if judged is over:
                            continue  # another process judges it: no hit, no miss
                        if judged is not None:
                            if rests.missed:
                                rests.hit()
                            prejudged += 1
                            yield judged
                            continue
                        rests.miss()
                yield from _read_line(line[:-1], number, ctx)
            if len(partial) > max_line:
                if not overlong:
                    overlong = True
                    yield _too_long(number + 1, ctx)
                partial = b""
        if partial and not overlong:
            yield from _read_line(partial, number + 1, ctx)
    finally:
        ctx.found += prejudged


def _without_bom(chunks: Iterable[bytes]) -> Iterator[bytes]:
    chunks = iter(chunks)
    return chain((next(chunks, b"").removeprefix(UTF8_BOM),), chunks)


def _whole_lines(data: bytes, partial: bytes, cut: int) -> Iterable[bytes]:
    """The lines that end in the chunk `data` (the last one ends at `cut`), each with its "\n",
    the first joined to `partial`, the start of it that earlier chunks gave.

    A BytesIO finds them with memchr, in the chunk's own bytes: the chunk is not copied to join
    the first line to its start.
    """
    whole = io.BytesIO(data)
    if not partial:
        return islice(whole, data.count(b"\n", 0, cut))
    first = data.find(b"\n") + 1
    whole.seek(first)
    return chain((partial + data[:first],), islice(whole, data.count(b"\n", first, cut)))


def _read_line(line: bytes, number: int, ctx: FileContext) -> Iterator[Observation | ReadError]:
    try:
        value = loads(line)
    except orjson.JSONDecodeError as exc:
        if not line.strip():
            return
        problem = json_problem(exc, single_line=True)
        yield ctx.error(f"line {number}", f"not valid JSON ({problem})")
        return
    if type(value) is dict and value.get("object") != "list":
        # The common case, kept short: this loop runs once per object of large inputs.
        yield ctx.observation(value, f"line {number}")
    else:
        yield from plain_observations(value, f"line {number}", ctx)


def _too_long(number: int, ctx: FileContext) -> ReadError:
    limit = ctx.limits.max_line_bytes
    return ctx.error(f"line {number}", f"line is longer than {limit} bytes, the limit; skipped")
