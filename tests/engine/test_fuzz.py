"""No input makes the engine raise: arbitrary JSON, and valid runs with fields replaced by junk."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runcontract.engine import Engine
from runcontract.model import Observation, Profile, Source
from tests.strategies import add_junk, json_values, runs


@pytest.fixture(scope="module")
def engines(engine: Engine, strict_engine: Engine) -> list[Engine]:
    """Default and strict modes, and one profile forced on objects of any other."""
    return [engine, strict_engine, Engine(profile=Profile.SEED)]


@given(json_values)
@settings(max_examples=200)
def test_any_json_value_is_judged_without_raising(engines: list[Engine], value: Any) -> None:
    for engine in engines:
        engine.check_run(value)


@given(runs(), st.data())
@settings(max_examples=150)
def test_a_run_with_junk_in_its_fields_is_judged_without_raising(
    engines: list[Engine], run: dict[str, Any], data: st.DataObject
) -> None:
    add_junk(run, data)
    for engine in engines:
        violations = engine.check_run(run)
        assert all(v.rule in engine.catalogue for v in violations)


@given(st.lists(runs(), min_size=1, max_size=4), st.data())
@settings(max_examples=60)
def test_junk_sequences_of_one_run_are_judged_without_raising(
    engines: list[Engine], batch: list[dict[str, Any]], data: st.DataObject
) -> None:
    for run in batch:
        run["id"] = "run_same"
        key = data.draw(st.sampled_from(sorted(run)))
        run[key] = data.draw(json_values)
    observations = [Observation(r, Source("x", f"[{i}]"), i) for i, r in enumerate(batch)]
    for engine in engines:
        list(engine.judge_all(observations))
