"""How deep a JSON value nests, found without recursion: hostile answers nest without end.

The API's deepest run objects nest about a dozen levels (a function tool's parameters schema
the most). Past `MAX_NESTING`, nothing in a value is judged: the JSON Schema validators and
Python's own json module recurse once per level, and a value a thousand levels deep exhausts
the interpreter's recursion limit (a RecursionError in whatever thread meets it).
"""

from __future__ import annotations

from runcontract.model import JSON

MAX_NESTING = 100  # the bound of the readers too (Limits.max_yaml_depth)


def too_deep(value: JSON, limit: int = MAX_NESTING) -> str | None:
    """The JSON path where `value` first nests deeper than `limit` levels, or None."""
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
