"""`runcontract drift`: how the run objects seen depart from their profile's schema, over time.

For each profile: the fields seen that its schema does not have, enum values outside its enums
(nested ones too, such as `truncation_strategy.type`), required fields missing, and values of a
type the schema does not allow. Each finding has its count, the first and last month
(`created_at`, UTC, YYYY-MM) it was seen in and the first source it was seen at. Beside them, the
timeline of the top-level keys: when each was first and last seen. This is how a user sees the
API change before their code does: a new key shows up as an unknown field months before a new
spec version names it.

The tally of one file is made where the file lies and tallies add up (`Drift.merge`), so
`--dask` gives the same report as one process.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TextIO

from runcontract.engine.profiles import detect_profile
from runcontract.engine.schemacheck import portable_schema
from runcontract.model import JSON, Observation, Profile, ReadError, Source
from runcontract.reporters.text import counted

UNKNOWN_FIELD = "unknown field"
ENUM_VALUE = "enum value"
MISSING_REQUIRED = "missing required"
TYPE_CHANGE = "type change"
KINDS = (UNKNOWN_FIELD, ENUM_VALUE, MISSING_REQUIRED, TYPE_CHANGE)
KEYS = "keys"  # the timeline of top-level keys, beside the profiles
Place = tuple[int, int]  # (file, position) in the order the inputs were given: the recorded order


@dataclass(slots=True)
class Seen:
    """How often, in which months, and first where (in recorded order)."""

    count: int = 0
    first_month: str | None = None
    last_month: str | None = None
    example: str = ""
    place: Place = (1 << 62, 0)

    def add(self, month: str | None, source: Source, place: Place) -> None:
        self.count += 1
        if month is not None:
            if self.first_month is None or month < self.first_month:
                self.first_month = month
            if self.last_month is None or month > self.last_month:
                self.last_month = month
        if place < self.place:
            self.place, self.example = place, str(source)

    def merge(self, other: Seen) -> None:
        self.count += other.count
        months = [m for m in (self.first_month, other.first_month) if m is not None]
        self.first_month = min(months) if months else None
        months = [m for m in (self.last_month, other.last_month) if m is not None]
        self.last_month = max(months) if months else None
        if other.place < self.place:
            self.place, self.example = other.place, other.example


Key = tuple[str, str, str, str]  # (profile or KEYS, kind, path, detail)


@dataclass(slots=True)
class Drift:
    """The tally of a set of inputs: findings, objects per profile, unreadable entries."""

    found: dict[Key, Seen] = field(default_factory=dict)
    objects: dict[str, Seen] = field(default_factory=dict)  # per profile
    unreadable: int = 0

    def observe(self, run: JSON, profile: Profile, source: Source, place: Place) -> None:
        if not isinstance(run, dict):
            return
        month = month_of(run.get("created_at"))
        self._note(self.objects, profile.value, month, source, place)
        for key in run:
            self._note(self.found, (KEYS, "key", f"$.{key}", ""), month, source, place)
        for kind, path, detail in departures(run, _root(profile)):
            self._note(self.found, (profile.value, kind, path, detail), month, source, place)

    @staticmethod
    def _note(table: dict[Any, Seen], key: Any, month: str | None, src: Source, at: Place) -> None:
        seen = table.get(key)
        if seen is None:
            seen = table[key] = Seen()
        seen.add(month, src, at)

    def merge(self, other: Drift) -> Drift:
        _merge_into(self.found, other.found)
        _merge_into(self.objects, other.objects)
        self.unreadable += other.unreadable
        return self


def _merge_into(mine: dict[Any, Seen], theirs: dict[Any, Seen]) -> None:
    for key, seen in theirs.items():
        if key in mine:
            mine[key].merge(seen)
        else:
            mine[key] = Seen(
                seen.count, seen.first_month, seen.last_month, seen.example, seen.place
            )


def month_of(created_at: JSON) -> str | None:
    if created_at.__class__ is not int or not 0 <= created_at < 253_402_300_800:  # year 9999
        return None
    moment = datetime.datetime.fromtimestamp(created_at, tz=datetime.UTC)
    return f"{moment.year:04d}-{moment.month:02d}"


def tally(
    items: Iterable[object], index: int, profile: Profile | None = None, drift: Drift | None = None
) -> Drift:
    """The drift of one input's items (file number `index` in the order given)."""
    drift = drift or Drift()
    for position, item in enumerate(items):
        if isinstance(item, Observation):
            chosen = profile or detect_profile(item.run, item.profile_hint)
            drift.observe(item.run, chosen, item.source, (index, position))
        elif isinstance(item, ReadError):
            drift.unreadable += 1
    return drift


# The schema, walked alongside a run.

Node = dict[str, Any]
_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


@cache
def _document(profile: Profile) -> Node:
    document: Node = portable_schema(profile, None)
    return document


def _root(profile: Profile) -> tuple[Node, Node]:
    document = _document(profile)
    return document, document


def _alternatives(node: Any, document: Node) -> Iterator[Node]:
    """The plain schemas a node allows: references followed, anyOf/oneOf/allOf opened."""
    stack = [node]
    seen = 0
    while stack and seen < 1000:  # a schema that refers to itself stops here
        seen += 1
        current = stack.pop()
        if not isinstance(current, dict):
            continue
        ref = current.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            stack.append(document.get("$defs", {}).get(ref.removeprefix("#/$defs/")))
            continue
        branches = [b for key in ("anyOf", "oneOf", "allOf") for b in current.get(key, ())]
        if branches:
            stack.extend(reversed(branches))
            rest = {k: v for k, v in current.items() if k not in ("anyOf", "oneOf", "allOf")}
            if "properties" in rest or "type" in rest:
                yield rest
            continue
        yield current


def _types(node: Node) -> set[str] | None:
    declared = node.get("type")
    if declared is None:
        if "enum" in node:
            return {_json_type(v) for v in node["enum"]}
        if "const" in node:
            return {_json_type(node["const"])}
        return None  # any type
    return {declared} if isinstance(declared, str) else set(declared)


def _json_type(value: JSON) -> str:
    return _JSON_TYPES.get(type(value), "unknown")


def _accepts(types: set[str] | None, found: str) -> bool:
    return types is None or found in types or (found == "integer" and "number" in types)


def departures(run: JSON, root: tuple[Node, Node]) -> Iterator[tuple[str, str, str]]:
    """(kind, path, detail) of every place where `run` departs from the schema."""
    node, document = root
    stack: list[tuple[JSON, list[Node], str]] = [(run, list(_alternatives(node, document)), "$")]
    while stack:
        value, alternatives, path = stack.pop()
        if not alternatives:
            continue
        found = _json_type(value)
        fitting = [alt for alt in alternatives if _accepts(_types(alt), found)]
        if not fitting:
            allowed = sorted({t for alt in alternatives for t in _types(alt) or ()})
            yield TYPE_CHANGE, path, f"{found} (schema: {' or '.join(allowed)})"
            continue
        if found == "object":
            yield from _object(value, fitting, path, document, stack)
        elif found == "array":
            items = [
                item
                for alt in fitting
                for item in _alternatives(alt.get("items"), document)
                if "items" in alt
            ]
            for element in value:
                stack.append((element, items, f"{path}[]"))
        else:
            enums = [alt for alt in fitting if "enum" in alt or "const" in alt]
            if enums and len(enums) == len(fitting):
                allowed_values = [v for alt in enums for v in alt.get("enum", [alt.get("const")])]
                # by type too: True is not the enum's 1, nor 1 its True
                if not any(type(v) is type(value) and v == value for v in allowed_values):
                    yield ENUM_VALUE, path, _shown(value)


def _object(
    value: dict[str, Any],
    fitting: list[Node],
    path: str,
    document: Node,
    stack: list[tuple[JSON, list[Node], str]],
) -> Iterator[tuple[str, str, str]]:
    declaring = [alt for alt in fitting if isinstance(alt.get("properties"), dict)]
    kind = value.get("type")
    if len(declaring) > 1 and isinstance(kind, str):
        # a tagged union (tools, tool calls): the branch whose own "type" names the value's
        tagged = [alt for alt in declaring if kind in _tags(alt["properties"].get("type"))]
        declaring = tagged or declaring
    if not declaring:
        return
    known = {name for alt in declaring for name in alt["properties"]}
    required = set.intersection(*(set(alt.get("required", ())) for alt in declaring))
    for name in sorted(required - value.keys()):
        yield MISSING_REQUIRED, f"{path}.{name}", ""
    for name, inner in value.items():
        if name not in known:
            yield UNKNOWN_FIELD, f"{path}.{name}", ""
            continue
        schemas = [
            sub
            for alt in declaring
            if name in alt["properties"]
            for sub in _alternatives(alt["properties"][name], document)
        ]
        stack.append((inner, schemas, f"{path}.{name}"))


def _tags(node: Any) -> list[Any]:
    if not isinstance(node, dict):
        return []
    return list(node.get("enum", ())) + ([node["const"]] if "const" in node else [])


def _shown(value: JSON) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:59] + "…"


# Rendering: text, json, markdown.


def as_json(drift: Drift) -> dict[str, Any]:
    profiles: dict[str, Any] = {}
    for profile, seen in sorted(drift.objects.items()):
        profiles[profile] = {
            "objects": seen.count,
            "first_month": seen.first_month,
            "last_month": seen.last_month,
            "findings": [
                _finding_json(kind, path, detail, s)
                for (p, kind, path, detail), s in _ordered(drift)
                if p == profile
            ],
        }
    keys = [
        {
            "key": path.removeprefix("$."),
            "count": s.count,
            "first_month": s.first_month,
            "last_month": s.last_month,
            "example": s.example,
        }
        for (p, _, path, _), s in _ordered(drift)
        if p == KEYS
    ]
    return {"profiles": profiles, "keys": keys, "unreadable": drift.unreadable}


def _finding_json(kind: str, path: str, detail: str, seen: Seen) -> dict[str, Any]:
    return {
        "kind": kind,
        "path": path,
        "detail": detail,
        "count": seen.count,
        "first_month": seen.first_month,
        "last_month": seen.last_month,
        "example": seen.example,
    }


def _ordered(drift: Drift) -> list[tuple[Key, Seen]]:
    """Profiles in order; in each, by kind, then the month first seen, then the path."""

    def order(pair: tuple[Key, Seen]) -> tuple[Any, ...]:
        (profile, kind, path, detail), seen = pair
        rank = KINDS.index(kind) if kind in KINDS else len(KINDS)
        return (profile, rank, seen.first_month or "9999", path, detail)

    return sorted(drift.found.items(), key=order)


def _months(seen: Seen) -> str:
    first, last = seen.first_month or "?", seen.last_month or "?"
    return first if first == last else f"{first}..{last}"


def write_text(drift: Drift, stream: TextIO) -> None:
    for profile, seen in sorted(drift.objects.items()):
        stream.write(f"profile {profile}: {counted(seen.count, 'run object')}, {_months(seen)}\n")
        for (p, kind, path, detail), found in _ordered(drift):
            if p != profile:
                continue
            what = f"{kind} {path}" + (f" = {detail}" if detail else "")
            stream.write(f"  {what}: {found.count}x, {_months(found)}, e.g. {found.example}\n")
    stream.write("top-level keys (first..last month seen):\n")
    for (p, _, path, _), found in _ordered(drift):
        if p == KEYS:
            stream.write(f"  {path.removeprefix('$.')}: {found.count}x, {_months(found)}\n")
    _unreadable(drift, stream)


def write_markdown(drift: Drift, stream: TextIO) -> None:
    stream.write("# Drift of the run objects seen from their profiles' schemas\n\n")
    for profile, seen in sorted(drift.objects.items()):
        stream.write(
            f"## Profile {profile}\n\n{counted(seen.count, 'run object')}, {_months(seen)}.\n\n"
            "| kind | path | detail | count | first | last | example |\n"
            "| --- | --- | --- | ---: | --- | --- | --- |\n"
        )
        for (p, kind, path, detail), found in _ordered(drift):
            if p == profile:
                stream.write(
                    f"| {kind} | `{path}` | {_cell(detail)} | {found.count} | "
                    f"{found.first_month or '?'} | {found.last_month or '?'} | "
                    f"`{_cell(found.example)}` |\n"
                )
        stream.write("\n")
    stream.write(
        "## Top-level keys\n\n| key | objects | first seen | last seen |\n"
        "| --- | ---: | --- | --- |\n"
    )
    for (p, _, path, _), found in _ordered(drift):
        if p == KEYS:
            stream.write(
                f"| `{path.removeprefix('$.')}` | {found.count} | {found.first_month or '?'} | "
                f"{found.last_month or '?'} |\n"
            )
    if drift.unreadable:
        stream.write("\n")
    _unreadable(drift, stream)


def _unreadable(drift: Drift, stream: TextIO) -> None:
    if drift.unreadable:
        stream.write(f"{drift.unreadable} unreadable entries (run validate to see them)\n")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
