"""The lane's types say every shipped schema, and a schema they cannot say is an error seen here.

`typed` turns JSON Schema into msgspec types; a keyword it has no form for raises Unsupported.
The engine then judges that profile's lines the slow way, with a FastLaneWarning, which the
suite's `filterwarnings = error` turns into a failure: a shipped schema never gets there.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import orjson
import pytest

from runcontract.engine import Engine
from runcontract.engine.fastlane import FastLane, FastLaneWarning, run_type
from runcontract.engine.schemacheck import schema_deviations
from runcontract.engine.typed import ANY, Narrower, Unsupported
from runcontract.model import Profile
from runcontract.schemas import profile_schema
from tests.synth import build_run

# how validate builds its engine: default, --strict, and --profile for each profile
ENGINES: dict[str, dict[str, Any]] = {
    "default": {},
    "strict": {"strict": True},
    **{f"fixed-{p.value}": {"profile": p} for p in Profile},
}


@pytest.mark.parametrize("options", ENGINES.values(), ids=ENGINES.keys())
@pytest.mark.parametrize("profile", list(Profile), ids=str)
def test_the_lane_of_every_shipped_profile_is_built_with_its_deviations(
    options: dict[str, Any], profile: Profile
) -> None:
    lane = Engine(**options).fast_lane
    assert lane is not None
    assert lane.compile(profile) is True  # the relaxed type: deviating lines take it too


@pytest.mark.parametrize("profile", list(Profile), ids=str)
def test_the_strict_lane_of_every_shipped_profile_is_built(profile: Profile) -> None:
    assert FastLane().compile(profile) is False


# Keywords of JSON Schema 2020-12 the types have no form for, each with a value it may take.
UNSAID = {
    "minLength": 1,
    "minItems": 1,
    "minProperties": 1,
    "not": {"type": "null"},
    "format": "date-time",
    "uniqueItems": True,
    "multipleOf": 2,
    "exclusiveMinimum": 0,
    "exclusiveMaximum": 10,
    "patternProperties": {"^x": {"type": "string"}},
    "dependentRequired": {"a": ["b"]},
    "prefixItems": [{"type": "string"}],
    "contains": {"type": "string"},
    "unevaluatedProperties": False,
}


@pytest.mark.parametrize(("keyword", "value"), UNSAID.items(), ids=UNSAID.keys())
def test_a_keyword_the_types_cannot_say_raises(keyword: str, value: Any) -> None:
    with pytest.raises(Unsupported, match=f"'{keyword}'"):
        Narrower({}).narrow(ANY, {keyword: value})


@pytest.mark.parametrize(("keyword", "value"), UNSAID.items(), ids=UNSAID.keys())
def test_a_shipped_schema_with_such_a_keyword_raises_not_falls_back(
    keyword: str, value: Any
) -> None:
    bundle = copy.deepcopy(profile_schema(Profile.V2).bundle)
    bundle["properties"]["model"] = {**bundle["properties"]["model"], keyword: value}
    with pytest.raises(Unsupported, match=f"'{keyword}'"):
        run_type(Profile.V2, bundle)


def _lane_with_relaxed(change: Any) -> FastLane:
    """The default engine's lane, its v2 relaxed schema changed by `change`."""
    engine = Engine()
    relaxed = copy.deepcopy(engine._schema_checks[Profile.V2].relaxed)
    change(relaxed)
    find = engine._schema_checks[Profile.V2].deviation_findings
    return FastLane(None, {Profile.V2: (relaxed, find)})


def test_a_lane_that_cannot_be_built_warns_and_leaves_lines_to_the_slow_way() -> None:
    def unsaid(relaxed: dict[str, Any]) -> None:
        relaxed["properties"]["id"] = {**relaxed["properties"]["id"], "minLength": 1}

    lane = _lane_with_relaxed(unsaid)
    line = orjson.dumps(build_run(random.Random(7), "v2", "completed"))
    with pytest.warns(FastLaneWarning, match="v2 schema"):
        assert lane.judge(line) is None
    with pytest.raises(Unsupported):
        lane.compile(Profile.V2)


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r["properties"].update(model={"type": "integer"}),  # not a relaxation
        lambda r: r.update(additionalProperties=False),  # below the top-level properties
        lambda r: r["properties"].update(id={"anyOf": [{"type": "string"}, {"type": "integer"}]}),
    ],
    ids=["retyped", "root-keyword", "other-anyof"],
)
def test_a_relaxation_of_an_unknown_kind_is_refused(change: Any) -> None:
    # the lane finds deviations only where null, a missing key or a lower number is allowed
    with pytest.raises(Unsupported):
        _lane_with_relaxed(change).compile(Profile.V2)


def test_every_deviation_of_the_catalogue_is_of_a_kind_the_lane_finds(engine: Engine) -> None:
    # a relaxation the lane cannot find would turn the whole relaxed lane off (a warning)
    kinds = {d.keyword for d in schema_deviations(engine.catalogue)}
    assert kinds <= {"type", "minimum", "required"}
    lane = engine.fast_lane
    assert lane is not None
    assert all(lane.compile(p) for p in Profile)
