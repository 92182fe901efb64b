"""How deep a JSON value nests, found without recursion: hostile answers nest without end.

The API's deepest run objects nest about a dozen levels (a function tool's parameters schema
the most). Past `MAX_NESTING`, nothing in a value is judged: the JSON Schema validators and
Python's own json module recurse once per level, and a value a thousand levels deep exhausts
the interpreter's recursion limit (a RecursionError in whatever thread meets it).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import jsonschema_rs

from runcontract.model import JSON

MAX_NESTING = 100  # the bound of the readers too (Limits.max_yaml_depth)


@cache
def _nests_within(limit: int) -> Callable[[JSON], bool]:
    """A compiled check that a value's objects and arrays lie at most `limit` levels deep.

    Level k of the schema takes a scalar, or an object or array whose members are of level
    k - 1; level 0 takes scalars only. Compiled (jsonschema-rs), it walks a run in a few
    microseconds, where the walk below takes some tens; the validator descends no deeper than
    the schema, so a value nested without end cannot exhaust its stack either.
    """
    levels: dict[str, JSON] = {"0": {"not": {"type": ["object", "array"]}}}
    for level in range(1, limit + 1):
        below = {"$ref": f"#/$defs/{level - 1}"}
        levels[str(level)] = {"additionalProperties": below, "items": below}
    schema = {"$defs": levels, "$ref": f"#/$defs/{limit}"}
    return jsonschema_rs.validator_for(schema).is_valid


def too_deep(value: JSON, limit: int = MAX_NESTING) -> str | None:
    """The JSON path where `value` first nests deeper than `limit` levels, or None."""
    if not isinstance(value, dict | list) or _nests_within(limit)(value):
        return None  # the common case, compiled; the walk finds the place only when there is one
    return walk_too_deep(value, limit)


def walk_too_deep(value: JSON, limit: int = MAX_NESTING) -> str | None:
    """`too_deep` in Python alone: every object and array visited, without recursion."""
    # (value, depth, index of the parent entry, key in the parent): the path is rebuilt only
    # for the one place that is too deep.
    entries: list[tuple[int, str | int]] = []
    stack: list[tuple[JSON, int, int, str | int]] = [(value, 0, -1, "")]
    while stack:
        item, depth, parent, key = stack.pop()
        if not isinstance(item, dict | list):
            continue
        entries.append((parent, key))
        here = len(entries) - 1
        if depth >= limit:
            return _path(entries, here)
        children = item.items() if isinstance(item, dict) else enumerate(item)
        for name, child in children:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1, here, name))
    return None


def _path(entries: list[tuple[int, str | int]], index: int) -> str:
    parts: list[str] = []
    while index > 0:
        parent, key = entries[index]
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
        index = parent
    return "$" + "".join(reversed(parts))
