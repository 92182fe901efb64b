"""Property tests: valid runs give no violation; each single contract break gives its rule."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runcontract.engine import Engine
from runcontract.model import Severity
from tests.engine.breaks import BREAKS, DEVIATIONS, Break
from tests.strategies import Run, runs
from tests.synth import build_run


@given(runs())
@settings(max_examples=300)
def test_a_valid_run_has_no_violation(engine: Engine, strict_engine: Engine, run: Run) -> None:
    assert engine.check_run(run) == []
    assert strict_engine.check_run(run) == []


def _name(item: Break) -> str:
    return item.code


@pytest.mark.parametrize("item", BREAKS, ids=_name)
@given(data=st.data())
@settings(max_examples=25)
def test_each_break_gives_its_rule(engine: Engine, item: Break, data: st.DataObject) -> None:
    run, profile = item.draw_broken(data)
    found = {(v.rule, v.severity) for v in engine.check_run(run, profile=profile)}
    assert (item.code, item.severity) in found, found


@pytest.mark.parametrize("item", DEVIATIONS, ids=_name)
@given(data=st.data())
@settings(max_examples=25)
def test_a_deviation_is_a_warning_by_default_and_an_error_when_strict(
    engine: Engine, strict_engine: Engine, item: Break, data: st.DataObject
) -> None:
    run, profile = item.draw_broken(data)
    default = engine.check_run(run, profile=profile)
    strict = strict_engine.check_run(run, profile=profile)
    assert [(v.rule, v.severity) for v in default] == [(item.code, Severity.WARNING)]
    assert [(v.rule, v.severity) for v in strict] == [(item.code, Severity.ERROR)]


def test_every_catalogue_rule_is_exercised_by_a_break(engine: Engine) -> None:
    """A rule no test breaks is a rule no test shows can fail."""
    exercised = {b.code for b in BREAKS + DEVIATIONS}
    object_rules = {
        code
        for code, rule in engine.catalogue.rules.items()
        if rule.family not in ("lifecycle", "http") and code != "D007"
    }
    assert object_rules - exercised == set()


def test_a_generated_corpus_is_clean(engine: Engine) -> None:
    """A larger deterministic sample than Hypothesis draws, as the benchmark uses."""
    rng = random.Random(20261124)
    for _ in range(2000):
        run = build_run(rng)
        assert engine.check_run(run) == [], run


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("created_at", 1_700_000_000_000.0, "T006"),  # milliseconds, written as a float
        ("started_at", 1.0, "T001"),  # before created_at
        ("expires_at", 1e23, "T006"),
    ],
)
def test_an_integral_float_is_the_integer_json_schema_says_it_is(
    engine: Engine, key: str, value: float, code: str
) -> None:
    run = build_run(random.Random(5), "v2", "in_progress")
    run[key] = value
    assert code in {v.rule for v in engine.check_run(run)}


def test_usage_counts_written_as_integral_floats_are_added_up(engine: Engine) -> None:
    run = build_run(random.Random(5), "v2", "completed")
    run["usage"] = {"prompt_tokens": 10.0, "completion_tokens": 5.0, "total_tokens": 16.0}
    assert "U002" in {v.rule for v in engine.check_run(run)}
