"""The schema findings, held to the order of asking they were first written with.

`SchemaCheck.findings` asks the relaxed schema first, and the strict one only when the run shows
a deviation; it was written asking the strict one first. Both must give the same findings.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runcontract.catalogue import load_catalogue
from runcontract.engine.schemacheck import SchemaCheck, schema_deviations
from runcontract.model import Profile
from runcontract.rules.registry import Finding
from tests.engine.breaks import BREAKS, DEVIATIONS, Break, run_profile
from tests.strategies import add_junk, json_values, runs

CHECKS = {p: SchemaCheck(p, schema_deviations(load_catalogue())) for p in Profile}


def _strict_first(check: SchemaCheck, run: Any) -> list[Finding]:
    if check.schema.is_valid(run):
        return []
    if isinstance(run, dict) and check._relaxed_is_valid(run):
        return check.deviation_findings(run)
    return check.findings(run)  # the detailed errors: the same way either order


def _same_in_every_profile(run: Any) -> None:
    for profile, check in CHECKS.items():
        assert check.findings(run) == _strict_first(check, run), profile


@pytest.mark.parametrize("item", BREAKS + DEVIATIONS, ids=lambda b: b.code)
@given(data=st.data())
@settings(max_examples=10)
def test_the_findings_of_each_break_are_those_of_the_strict_schema_first(
    item: Break, data: st.DataObject
) -> None:
    run, _ = item.draw_broken(data)
    _same_in_every_profile(run)


@given(runs(), st.data())
@settings(max_examples=100)
def test_the_findings_of_junk_are_those_of_the_strict_schema_first(
    run: dict[str, Any], data: st.DataObject
) -> None:
    if data.draw(st.booleans()):
        for item in data.draw(st.lists(st.sampled_from(DEVIATIONS), max_size=3, unique=True)):
            fits = item.applies(run) if callable(item.applies) else run["status"] in item.applies
            if fits and run_profile(run) in item.profiles:
                item.apply(run)
    if data.draw(st.booleans()):
        add_junk(run, data)
    _same_in_every_profile(run)


@given(json_values)
@settings(max_examples=50)
def test_the_findings_of_any_json_value_are_those_of_the_strict_schema_first(value: Any) -> None:
    _same_in_every_profile(value)
