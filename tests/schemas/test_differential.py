"""Differential property test: our schema files accept exactly what upstream's components accept.

For every type file of every profile, instances are drawn from the upstream schema (converted by
``upstream.py``) and from ours; each must be valid on both sides. Then every valid instance is
broken in every single place we know how to break it (a key dropped or added, a value nulled or
swapped for another type, every enum string and every number on or beside a bound put in, an
array overfilled) and each such near miss must get the same verdict from both sides.

Our side is the bundled profile judged by ``jsonschema`` and by ``jsonschema_rs``; upstream's is
the converted component judged by both as well. The sweep of near misses (hundreds per instance)
runs on ``jsonschema_rs``, which is about a thousand times faster; a sample of them and every
generated instance also go through ``jsonschema``, so the engines are checked against each other.

``test_near_misses_catch_a_sabotaged_schema`` shows that the sweep is sharp enough: it breaks one
of our files in memory in a way that matters (an enum value, a required key, a bound, nullability,
maxItems, additionalProperties) and requires a disagreement to be found.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from hypothesis_jsonschema import from_schema

from tests.schemas import upstream
from tests.schemas.upstream import JSON, PROFILES, UPSTREAM_LOCATION

CASES = [(profile, name) for profile in PROFILES for name in sorted(UPSTREAM_LOCATION[profile])]
CASE_IDS = [f"{profile}-{name}" for profile, name in CASES]

GENERATION = settings(max_examples=30, deadline=None)
NEAR_MISSES = settings(max_examples=25, deadline=None)

# -- the two sides ----------------------------------------------------------------------------

Verdicts = tuple[bool, ...]


class Judge:
    """Verdicts on one type: ours (the bundled profile) and upstream's, each by both engines."""

    def __init__(self, files: dict[str, JSON], profile: str, name: str) -> None:
        ours = upstream.bundle(files, root=name)
        theirs = upstream.upstream_schema(profile, name)
        self.ours = jsonschema.Draft202012Validator(ours)
        self.ours_rs = jsonschema_rs.validator_for(ours)
        self.upstream = jsonschema.Draft202012Validator(theirs)
        self.upstream_rs = jsonschema_rs.validator_for(theirs)

    def verdicts(self, instance: JSON) -> Verdicts:
        return (
            self.ours.is_valid(instance),
            self.ours_rs.is_valid(instance),
            self.upstream.is_valid(instance),
            self.upstream_rs.is_valid(instance),
        )

    def agree_fast(self, instance: JSON) -> bool:
        return bool(self.ours_rs.is_valid(instance) == self.upstream_rs.is_valid(instance))

    def explain(self, instance: JSON) -> str:
        labels = (
            "ours/jsonschema",
            "ours/jsonschema_rs",
            "upstream/jsonschema",
            "upstream/jsonschema_rs",
        )
        lines = [f"instance: {instance!r}"]
        lines += [f"{label}: {v}" for label, v in zip(labels, self.verdicts(instance), strict=True)]
        for label, validator in (("ours", self.ours), ("upstream", self.upstream)):
            error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
            if error is not None:
                lines.append(f"{label} says {error.json_path}: {error.message}")
        return "\n".join(lines)


@functools.cache
def judge(profile: str, name: str) -> Judge:
    return Judge(upstream.our_files(profile), profile, name)


# -- valid instances --------------------------------------------------------------------------

# Keys that real responses carry beyond the documents (RunObject leaves room for them).
_EXTRA_KEYS = ("tool_resources", "reasoning_effort", "unexpected_key")
_ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=5), inner, max_size=2)
    ),
    max_leaves=4,
)


def _by_property(
    schema: JSON, value: Callable[[str, JSON], SearchStrategy[JSON]]
) -> SearchStrategy[JSON]:
    properties = schema["properties"]
    required = set(schema.get("required", ()))
    mandatory = {k: value(k, v) for k, v in properties.items() if k in required}
    optional = {k: value(k, v) for k, v in properties.items() if k not in required}
    optional.update({k: _ANY_JSON for k in _EXTRA_KEYS if k not in properties})
    return st.fixed_dictionaries(mandatory, optional=optional)


def _closed(schema: JSON) -> JSON:
    """The schema with `additionalProperties: false` wherever it lists properties and is silent
    about others.

    Only for generation: every instance of the closed schema is an instance of the open one.
    Left open, hypothesis-jsonschema spends most of its time (4-5x) inventing unknown keys with
    random values. Unknown keys are still tried: RunObject gets some (`_EXTRA_KEYS`), and the
    near-miss sweep adds `unexpected_key` (and every known property name) to every object.
    """
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, JSON] = {}
    for key, value in schema.items():
        if key == "properties":
            out[key] = {name: _closed(sub) for name, sub in value.items()}
        elif key in {"items", "additionalProperties", "anyOf", "oneOf", "allOf", "not"}:
            out[key] = _closed(value)
        else:
            out[key] = value
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def strategy_for(schema: JSON, name: str) -> SearchStrategy[JSON]:
    """Valid instances of a reference-free schema of type `name`.

    RunObject (and ListRunsResponse, a list of them) is too slow for hypothesis-jsonschema as a
    whole: ~7 s for 30 v2 RunObjects, and its oneOf/anyOf members make it throw away most drafts
    and trip the filter_too_much health check. So it is reduced: each property is drawn with
    `from_schema` from that property's own schema, and the object is put together with
    `fixed_dictionaries` (required keys always, the others and some unknown keys sometimes).
    Every property schema is still exercised; what is lost is only hypothesis-jsonschema's own
    choice of which optional and extra keys to add.
    """
    if name == "RunObject":
        return _by_property(schema, lambda _key, sub: from_schema(_closed(sub)))
    if name == "ListRunsResponse":
        run = strategy_for(schema["properties"]["data"]["items"], "RunObject")
        return _by_property(
            schema,
            lambda key, sub: st.lists(run, max_size=2) if key == "data" else from_schema(sub),
        )
    return from_schema(_closed(schema))


@functools.cache
def upstream_instances(profile: str, name: str) -> SearchStrategy[JSON]:
    return strategy_for(upstream.inline_upstream(profile, name), name)


@functools.cache
def our_instances(profile: str, name: str) -> SearchStrategy[JSON]:
    return strategy_for(upstream.inline_ours(upstream.our_files(profile), name), name)


# -- near misses ------------------------------------------------------------------------------


def _walk(node: JSON) -> Iterator[JSON]:
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        yield from _walk(child)


def _pools() -> tuple[list[str], list[int | float], list[str]]:
    """Every enum string, every number on and beside every bound, and every property name of
    all three documents, so that a value legal in one version is also tried in the others."""
    strings: set[str] = {"", "not_in_any_enum"}
    numbers: set[int | float] = {0, -1, 0.5, 1.5}
    keys: set[str] = {"unexpected_key"}
    for profile in PROFILES:
        for node in _walk(upstream.upstream_defs(profile)):
            if not isinstance(node, dict):
                continue
            strings.update(v for v in node.get("enum", ()) if isinstance(v, str))
            for bound in ("minimum", "maximum"):
                value = node.get(bound)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    numbers.update({value - 1, value - 0.5, value, value + 0.5, value + 1})
            properties = node.get("properties")
            if isinstance(properties, dict):
                keys.update(properties)
    return sorted(strings), sorted(numbers), sorted(keys)


STRINGS, NUMBERS, KEYS = _pools()
OTHER_TYPES: tuple[JSON, ...] = (None, True, 0, 1.5, "text", [], {})
ADDED_VALUES: tuple[JSON, ...] = (None, "not_in_any_enum", 0, {})
TOO_MANY = 21  # one past the largest maxItems upstream (tools: 20)


def _slots(node: JSON) -> Iterator[tuple[Any, Any]]:
    """(container, key or index) for every value below `node`, depth first."""
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in list(items):
        yield node, key
        yield from _slots(value)


def _is_number(value: JSON) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _replacements(value: JSON) -> Iterator[JSON]:
    """What one value can be swapped for: another type, and for strings and numbers every
    enum string or every number near a bound."""
    yield from (v for v in OTHER_TYPES if v != value or type(v) is not type(value))
    if isinstance(value, str):
        yield from STRINGS
    if _is_number(value):
        yield from NUMBERS
    if isinstance(value, list) and value:
        yield [value[i % len(value)] for i in range(TOO_MANY)]


def _object_edits(target: dict[str, JSON]) -> Iterator[Callable[[], Callable[[], None]]]:
    """Edits of one object in place; each returns the function that undoes it."""
    for key in list(target):

        def drop(key: str = key) -> Callable[[], None]:
            old = target.pop(key)
            return lambda: target.__setitem__(key, old)

        yield drop
    for key in KEYS:
        if key in target:
            continue
        for value in ADDED_VALUES:

            def add(key: str = key, value: JSON = value) -> Callable[[], None]:
                target[key] = value
                return lambda: target.pop(key)

            yield add


def near_misses(instance: JSON) -> Iterator[JSON]:
    """Every one-place break of `instance`, made in place and undone after it is looked at.

    Yields the (temporarily broken) instance itself, so a caller that keeps one must copy it.
    """
    yield from _replacements(instance)
    containers: list[Any] = [instance]
    for container, key in list(_slots(instance)):
        old = container[key]
        for new in _replacements(old):
            container[key] = new
            yield instance
        container[key] = old
        containers.append(old)
    for target in containers:
        if isinstance(target, dict):
            for edit in _object_edits(target):
                undo = edit()
                yield instance
                undo()


def first_disagreement(referee: Judge, instance: JSON) -> JSON | None:
    for broken in near_misses(instance):
        if not referee.agree_fast(broken):
            return _snapshot(broken)
    return None


def _snapshot(value: JSON) -> JSON:
    """A deep copy of one near miss (the sweep hands out an instance that it keeps editing)."""
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snapshot(v) for v in value]
    return value


# -- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "name"), CASES, ids=CASE_IDS)
@GENERATION
@given(data=st.data())
def test_upstream_instances_are_valid_on_both_sides(profile: str, name: str, data: Any) -> None:
    referee = judge(profile, name)
    instance = data.draw(upstream_instances(profile, name), label="from upstream")
    assert all(referee.verdicts(instance)), referee.explain(instance)


@pytest.mark.parametrize(("profile", "name"), CASES, ids=CASE_IDS)
@GENERATION
@given(data=st.data())
def test_our_instances_are_valid_on_both_sides(profile: str, name: str, data: Any) -> None:
    referee = judge(profile, name)
    instance = data.draw(our_instances(profile, name), label="from ours")
    assert all(referee.verdicts(instance)), referee.explain(instance)


@pytest.mark.parametrize(("profile", "name"), CASES, ids=CASE_IDS)
@NEAR_MISSES
@given(data=st.data())
def test_near_misses_get_the_same_verdict(profile: str, name: str, data: Any) -> None:
    referee = judge(profile, name)
    source = data.draw(st.sampled_from([upstream_instances, our_instances]))
    instance = data.draw(source(profile, name), label="valid instance")
    disagreement = first_disagreement(referee, instance)
    assert disagreement is None, referee.explain(disagreement)
    # A few of the same near misses through both engines on both sides.
    count = sum(1 for _ in near_misses(instance))
    chosen = set(data.draw(st.lists(st.integers(0, count - 1), max_size=5), label="sample"))
    for index, broken in enumerate(near_misses(instance)):
        if index in chosen:
            sample = _snapshot(broken)
            assert len(set(referee.verdicts(sample))) == 1, referee.explain(sample)


def _sabotage_enum(files: dict[str, JSON]) -> None:
    files["RunObjectLastError"]["properties"]["code"]["enum"].remove("invalid_prompt")


def _sabotage_required(files: dict[str, JSON]) -> None:
    files["RunObject"]["required"].remove("usage")


def _sabotage_nullable(files: dict[str, JSON]) -> None:
    files["RunObject"]["properties"]["instructions"]["type"] = ["string", "null"]


def _sabotage_not_nullable(files: dict[str, JSON]) -> None:
    files["TruncationObject"]["properties"]["last_messages"] = {"type": "integer", "minimum": 1}


def _sabotage_minimum(files: dict[str, JSON]) -> None:
    files["RunObject"]["properties"]["max_prompt_tokens"]["minimum"] = 255


def _sabotage_maximum(files: dict[str, JSON]) -> None:
    search = files["AssistantToolsFileSearch"]["properties"]["file_search"]
    search["properties"]["max_num_results"]["maximum"] = 51


def _sabotage_max_items(files: dict[str, JSON]) -> None:
    del files["RunObject"]["properties"]["tools"]["maxItems"]


def _sabotage_closed(files: dict[str, JSON]) -> None:
    files["RunCompletionUsage"]["additionalProperties"] = False


SABOTAGE = [
    ("v1", "RunObjectLastError", _sabotage_enum),
    ("seed", "RunObject", _sabotage_required),
    ("v2", "RunObject", _sabotage_nullable),
    ("v2", "TruncationObject", _sabotage_not_nullable),
    ("v1", "RunObject", _sabotage_minimum),
    ("v2", "AssistantToolsFileSearch", _sabotage_maximum),
    ("seed", "RunObject", _sabotage_max_items),
    ("v1", "RunCompletionUsage", _sabotage_closed),
]


@pytest.mark.parametrize(
    ("profile", "name", "sabotage"),
    SABOTAGE,
    ids=[f"{p}-{n}-{s.__name__.removeprefix('_sabotage_')}" for p, n, s in SABOTAGE],
)
def test_near_misses_catch_a_sabotaged_schema(
    profile: str, name: str, sabotage: Callable[[dict[str, JSON]], None]
) -> None:
    files = upstream.our_files(profile)
    sabotage(files)
    broken = Judge(files, profile, name)
    found = find(
        upstream_instances(profile, name),
        lambda instance: first_disagreement(broken, instance) is not None,
        settings=settings(
            max_examples=100,
            database=None,
            derandomize=True,
            # The first instance with a disagreeing near miss is proof enough.
            phases=[Phase.generate],
        ),
    )
    disagreement = first_disagreement(broken, found)
    assert disagreement is not None
    assert len(set(broken.verdicts(disagreement))) > 1
