"""JSON Lines (.jsonl, .ndjson), read line by line in constant memory.

Each line is read like a small JSON document (a run, an array of runs or a list response). A bad
line is a ReadError for that line only; blank lines are skipped; a line longer than the limit
is reported and skipped without being held in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import orjson

from runcontract.model import Observation, ReadError
from runcontract.sources.context import FileContext
from runcontract.sources.jsonfile import UTF8_BOM, json_problem, plain_observations


def read_lines(chunks: Iterable[bytes], ctx: FileContext) -> Iterator[Observation | ReadError]:
    max_line = ctx.limits.max_line_bytes
    number = 0  # lines finished so far
    partial = b""
    overlong = False  # the current line passed the limit and is being skipped
    for index, chunk in enumerate(chunks):
        lines = (chunk.removeprefix(UTF8_BOM) if index == 0 else chunk).split(b"\n")
        if partial:
            lines[0] = partial + lines[0]
        partial = lines.pop()
        for line in lines:
            number += 1
            if overlong:
                overlong = False
                continue
            if len(line) > max_line:
                yield _too_long(number, ctx)
                continue
            yield from _read_line(line, number, ctx)
        if len(partial) > max_line:
            if not overlong:
                overlong = True
                yield _too_long(number + 1, ctx)
            partial = b""
    if partial and not overlong:
        yield from _read_line(partial, number + 1, ctx)


def _read_line(line: bytes, number: int, ctx: FileContext) -> Iterator[Observation | ReadError]:
    try:
        value = orjson.loads(line)
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
