"""Differential property test: our schema files accept exactly what upstream's components accept.

For every type file of every profile, instances are drawn from the upstream schema (converted by
``upstream.py``) and from ours; each must be valid on both sides. Then near misses, valid instances
with one thing broken (a key dropped or added, a value nulled, an enum or bound overstepped, an
array overfilled, a type swapped), must get the same verdict from both sides. Our side is judged
by ``jsonschema`` and by ``jsonschema_rs`` on the bundled profile, so the two engines are checked
against each other as well.

``test_near_misses_catch_a_sabotaged_schema`` shows the near misses are sharp enough: it breaks
one of our files in memory in a way that matters (an enum value, a required key, a bound,
nullability, maxItems, additionalProperties) and requires a disagreement to be found.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from tests.schemas import _compat, upstream
from tests.schemas.upstream import JSON, PROFILES, UPSTREAM_LOCATION

_compat.install()

from hypothesis_jsonschema import from_schema  # noqa: E402  (needs the shim installed first)

if not upstream.REFERENCE.is_dir():
    pytest.skip(f"upstream reference documents not found at {upstream.REFERENCE}",
                allow_module_level=True)

CASES = [(profile, name) for profile in PROFILES for name in sorted(UPSTREAM_LOCATION[profile])]
CASE_IDS = [f"{profile}-{name}" for profile, name in CASES]

# Objects big enough that hypothesis-jsonschema's whole-object generation is slow (RunObject: ~7 s
# for 30 examples in v2, where its oneOf/anyOf members make it filter out most drafts and trip
# the filter_too_much health check; ListRunsResponse holds a list of them). For these the
# instances are put together property by property from the same side's schema; see
# `_reduced_object`.
_REDUCED = frozenset({"RunObject", "ListRunsResponse"})
_EXTRA_KEYS = ("tool_resources", "reasoning_effort", "x")
_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=2),
    max_leaves=4,
)

GENERATION = settings(max_examples=30, deadline=None)
NEAR_MISSES = settings(max_examples=50, deadline=None)


# -- the two sides ----------------------------------------------------------------------------


class Judge:
    """Verdicts on one type: ours by jsonschema and jsonschema_rs, upstream's by jsonschema."""

    def __init__(self, files: dict[str, JSON], profile: str, name: str) -> None:
        ours = upstream.bundle(files, root=name)
        self.ours = jsonschema.Draft202012Validator(ours)
        self.ours_rs = jsonschema_rs.validator_for(ours)
        self.upstream = jsonschema.Draft202012Validator(upstream.upstream_schema(profile, name))

    def verdicts(self, instance: JSON) -> tuple[bool, bool, bool]:
        return (
            self.ours.is_valid(instance),
            self.ours_rs.is_valid(instance),
            self.upstream.is_valid(instance),
        )

    def explain(self, instance: JSON) -> str:
        ours, ours_rs, theirs = self.verdicts(instance)
        lines = [f"instance: {instance!r}",
                 f"ours (jsonschema): {ours}", f"ours (jsonschema_rs): {ours_rs}",
                 f"upstream: {theirs}"]
        for label, validator in (("ours", self.ours), ("upstream", self.upstream)):
            error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
            if error is not None:
                lines.append(f"{label} says: {error.json_path}: {error.message}")
        return "\n".join(lines)


@functools.cache
def judge(profile: str, name: str) -> Judge:
    return Judge(upstream.our_files(profile), profile, name)


def _reduced_object(schema: JSON, item_strategy: Callable[[JSON], SearchStrategy[JSON]]) -> Any:
    properties = schema["properties"]
    required = set(schema.get("required", ()))
    mandatory = {k: item_strategy(v) for k, v in properties.items() if k in required}
    optional = {k: item_strategy(v) for k, v in properties.items() if k not in required}
    optional.update({k: _ANY_JSON for k in _EXTRA_KEYS if k not in properties})
    return st.fixed_dictionaries(mandatory, optional=optional)


def strategy_for(schema: JSON, name: str) -> SearchStrategy[JSON]:
    """Valid instances of a reference-free schema of type `name`."""
    if name == "RunObject":
        return _reduced_object(schema, from_schema)
    if name == "ListRunsResponse":
        run_schema = schema["properties"]["data"]["items"]

        def item(sub: JSON) -> SearchStrategy[JSON]:
            if sub is schema["properties"]["data"]:
                return st.lists(_reduced_object(run_schema, from_schema), max_size=2)
            return from_schema(sub)

        return _reduced_object(schema, item)
    return from_schema(schema)


@functools.cache
def upstream_instances(profile: str, name: str) -> SearchStrategy[JSON]:
    return strategy_for(upstream.inline_upstream(profile, name), name)


@functools.cache
def our_instances(profile: str, name: str) -> SearchStrategy[JSON]:
    return strategy_for(upstream.inline_ours(upstream.our_files(profile), name), name)


# -- near misses ------------------------------------------------------------------------------


def _walk(node: JSON) -> Iterator[JSON]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _schema_nodes() -> Iterator[dict[str, JSON]]:
    for profile in PROFILES:
        for node in _walk(upstream.upstream_defs(profile)):
            if isinstance(node, dict):
                yield node


def _pools() -> tuple[list[str], list[int | float], list[str]]:
    """Strings from every enum, numbers on and beside every bound, and every property name,
    taken from all three documents, so a value legal in one version is tried in the others."""
    strings: set[str] = {"", "not_in_any_enum"}
    numbers: set[int | float] = {0, -1, 0.5, 1.5}
    keys: set[str] = {"unexpected_key"}
    for node in _schema_nodes():
        strings.update(v for v in node.get("enum", ()) if isinstance(v, str))
        for bound in ("minimum", "maximum"):
            value = node.get(bound)
            if isinstance(value, int | float) and not isinstance(value, bool):
                numbers.update({value - 1, value, value + 1, value - 0.5, value + 0.5})
        properties = node.get("properties")
        if isinstance(properties, dict):
            keys.update(properties)
    return sorted(strings), sorted(numbers), sorted(keys)


STRINGS, NUMBERS, KEYS = _pools()
_OTHER_TYPES: tuple[JSON, ...] = (True, 0, 1.5, "text", [], {}, None)
_TOO_MANY = 21  # one past the largest maxItems upstream (tools: 20)

Path = tuple[str | int, ...]


def _locations(node: JSON, path: Path = ()) -> Iterator[tuple[Path, JSON]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _locations(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _locations(value, (*path, index))


def _replace(instance: JSON, path: Path, value: JSON) -> JSON:
    if not path:
        return value
    out = copy.deepcopy(instance)
    parent = out
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return out


@st.composite
def near_miss(draw: st.DrawFn, valid: SearchStrategy[JSON]) -> JSON:
    """One valid instance, broken in one place."""
    instance = draw(valid)
    path, target = draw(st.sampled_from(list(_locations(instance))))
    operations = ["null", "string", "number", "other_type"]
    if isinstance(target, dict):
        operations += ["add_key", "empty_object"] + (["drop_key"] if target else [])
    if isinstance(target, list) and target:
        operations.append("overfill")
    operation = draw(st.sampled_from(operations))
    if operation == "drop_key":
        key = draw(st.sampled_from(sorted(target)))
        return _replace(instance, path, {k: v for k, v in target.items() if k != key})
    if operation == "add_key":
        key = draw(st.sampled_from(KEYS))
        value = draw(st.sampled_from([*_OTHER_TYPES, *STRINGS, *NUMBERS]))
        return _replace(instance, path, {**target, key: copy.deepcopy(value)})
    if operation == "empty_object":
        return _replace(instance, path, {})
    if operation == "overfill":
        return _replace(instance, path, [target[i % len(target)] for i in range(_TOO_MANY)])
    replacement = {
        "null": st.none(),
        "string": st.sampled_from(STRINGS),
        "number": st.sampled_from(NUMBERS),
        "other_type": st.sampled_from(_OTHER_TYPES),
    }[operation]
    return _replace(instance, path, copy.deepcopy(draw(replacement)))


# -- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "name"), CASES, ids=CASE_IDS)
@GENERATION
@given(data=st.data())
def test_upstream_instances_are_valid_on_both_sides(profile: str, name: str, data: Any) -> None:
    instance = data.draw(upstream_instances(profile, name), label="from upstream")
    assert judge(profile, name).verdicts(instance) == (True, True, True), judge(
        profile, name
    ).explain(instance)


@pytest.mark.parametrize(("profile", "name"), CASES, ids=CASE_IDS)
@GENERATION
@given(data=st.data())
def test_our_instances_are_valid_on_both_sides(profile: str, name: str, data: Any) -> None:
    instance = data.draw(our_instances(profile, name), label="from ours")
    assert judge(profile, name).verdicts(instance) == (True, True, True), judge(
        profile, name
    ).explain(instance)


@pytest.mark.parametrize(("profile", "name"), CASES, ids=CASE_IDS)
@NEAR_MISSES
@given(data=st.data())
def test_near_misses_get_the_same_verdict(profile: str, name: str, data: Any) -> None:
    source = data.draw(st.sampled_from([upstream_instances, our_instances]))
    instance = data.draw(near_miss(source(profile, name)), label="near miss")
    verdicts = judge(profile, name).verdicts(instance)
    assert len(set(verdicts)) == 1, judge(profile, name).explain(instance)


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
        near_miss(upstream_instances(profile, name)),
        lambda instance: len(set(broken.verdicts(instance))) > 1,
        settings=settings(
            max_examples=2000,
            database=None,
            derandomize=True,
            # The first disagreement found is proof enough; shrinking it would only cost time.
            phases=[Phase.generate],
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    assert len(set(broken.verdicts(found))) > 1
