"""No input makes the engine raise: arbitrary JSON, and valid runs with fields replaced by junk."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from runcontract.engine import Engine
from runcontract.model import Observation, Profile, Source
from tests.engine.test_properties import runs

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
# default and strict modes, and one profile forced on objects of any other
ENGINES = [Engine(), Engine(strict=True), Engine(profile=Profile.SEED)]


@given(json_values)
@settings(max_examples=200)
def test_any_json_value_is_judged_without_raising(value: Any) -> None:
    for engine in ENGINES:
        engine.check_run(value)


def add_junk(run: dict[str, Any], data: st.DataObject) -> None:
    """Replace a few of the run's fields with any JSON, and add a key to one nested object."""
    for key in data.draw(st.lists(st.sampled_from(sorted(run)), min_size=1, max_size=4)):
        run[key] = data.draw(json_values)
    nested = data.draw(st.sampled_from(["required_action", "usage", "tools", "metadata"]))
    if isinstance(run.get(nested), dict):
        run[nested][data.draw(st.text(max_size=8))] = data.draw(json_values)


@given(runs(), st.data())
@settings(max_examples=150)
def test_a_run_with_junk_in_its_fields_is_judged_without_raising(
    run: dict[str, Any], data: st.DataObject
) -> None:
    add_junk(run, data)
    for engine in ENGINES:
        violations = engine.check_run(run)
        assert all(v.rule in engine.catalogue for v in violations)


@given(st.lists(runs(), min_size=1, max_size=4), st.data())
@settings(max_examples=60)
def test_junk_sequences_of_one_run_are_judged_without_raising(
    batch: list[dict[str, Any]], data: st.DataObject
) -> None:
    for run in batch:
        run["id"] = "run_same"
        key = data.draw(st.sampled_from(sorted(run)))
        run[key] = data.draw(json_values)
    observations = [Observation(r, Source("x", f"[{i}]"), i) for i, r in enumerate(batch)]
    for engine in ENGINES:
        list(engine.judge_all(observations))
