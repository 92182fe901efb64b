"""Plain JSON documents: a run object, an array of runs, or a list response.

Here every object counts, run or not, so that a broken run is judged rather than passed over;
anything else in a place where a run belongs is a ReadError for that entry.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator

import orjson

from runcontract.model import JSON, Observation, ReadError
from runcontract.sources.context import FileContext, Unreadable, join_entry, kind_of

UTF8_BOM = b"\xef\xbb\xbf"
_JSON_START = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*[\[{]")


# orjson's reason for a number beyond a double, which JSON's grammar allows (RFC 8259, 6)
_BEYOND_DOUBLE = "number is infinity"


def loads(data: bytes | memoryview | str) -> JSON:
    """A JSON document, read by orjson; one with a number beyond a double's range by Python's json.

    JSON's grammar allows any number and leaves the range to the reader. orjson refuses what a
    double cannot hold; such a document is read here as Python reads it (a float infinity, or an
    exact integer), so it is judged like any other, and alike in every path that reads it.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if not exc.msg.startswith(_BEYOND_DOUBLE):
            raise
        try:
            text = data if isinstance(data, str) else str(data, "utf-8")
            return json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):
            raise exc from None


def _refuse_constant(name: str) -> JSON:
    raise ValueError(f"{name} is not JSON")


def parse(data: bytes) -> JSON:
    try:
        return loads(data.removeprefix(UTF8_BOM))
    except orjson.JSONDecodeError as exc:
        raise Unreadable(f"not valid JSON ({json_problem(exc)})") from None


def starts_like_json(data: bytes) -> bool:
    return _JSON_START.match(data) is not None


def json_problem(exc: orjson.JSONDecodeError, *, single_line: bool = False) -> str:
    """orjson's reason in the words of a report: "unexpected character at line 2 column 7"."""
    where = f"column {exc.colno}" if single_line else f"line {exc.lineno} column {exc.colno}"
    return f"{exc.msg} at {where}"


def is_list_response(value: dict[str, JSON]) -> bool:
    """A list page, with its `"object": "list"` or without it.

    Some servers leave the envelope's `object` out; the runs in its `data` are still runs to
    judge, and no run object has a `data` key of its own. Judging the envelope is the gate's
    (H006 on the answer), not the reader's.
    """
    return value.get("object", "list") == "list" and isinstance(value.get("data"), list)


def plain_observations(
    value: JSON, entry: str | None, ctx: FileContext, *, from_yaml: bool = False
) -> Iterator[Observation | ReadError]:
    if isinstance(value, dict) and not is_list_response(value):
        yield _observation(value, entry, ctx, from_yaml=from_yaml)
        return
    if isinstance(value, dict):
        items = [(f"data[{index}]", item) for index, item in enumerate(value["data"])]
    elif isinstance(value, list):
        items = [(f"[{index}]", item) for index, item in enumerate(value)]
    else:
        yield ctx.error(
            entry,
            f"expected a run object, an array of runs or a list response; found {kind_of(value)}",
        )
        return
    for part, item in items:
        where = join_entry(entry, part)
        if isinstance(item, dict):
            yield _observation(item, where, ctx, from_yaml=from_yaml)
        else:
            yield ctx.error(where, f"expected a run object, found {kind_of(item)}")


def _observation(
    run: dict[str, JSON], entry: str | None, ctx: FileContext, *, from_yaml: bool
) -> Observation | ReadError:
    if from_yaml:
        try:
            check_json_data(run)
        except Unreadable as exc:
            return ctx.error(entry, str(exc))
    return ctx.observation(run, entry)


def check_json_data(value: object) -> None:
    """Refuse YAML values that JSON has no word for (dates, bytes, sets, non-string keys, inf)."""
    stack: list[tuple[object, str]] = [(value, "$")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise Unreadable(f"has {kind_of(key)} as a key in {path}; JSON keys are text")
                stack.append((child, f"{path}.{key}"))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{index}]") for index, child in enumerate(item))
        elif isinstance(item, float) and not math.isfinite(item):
            raise Unreadable(f"holds {item} at {path}, which JSON cannot represent")
        elif item is not None and not isinstance(item, str | int | float):
            raise Unreadable(f"holds {kind_of(item)} at {path}, which JSON cannot represent")
