"""Each object rule is one definition: its check, and beside it the fast forms the engine compiles.

The checks (runcontract.rules) say what a broken run is told; the schema and residue forms
declared with them say what a run keeping the rules satisfies, and the engine builds its two
"breaks no rule" verdicts from them (fastpath.FastVerdict for run dicts, fastlane.FastLane for
JSON Lines bytes). These tests fail when a rule has one form only, and hold the three to one
verdict on runs that break each rule and runs that keep them all.
"""

from __future__ import annotations

import functools

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runcontract.catalogue import declarations, load_catalogue
from runcontract.engine.fastpath import FastVerdict
from runcontract.engine.schemacheck import SchemaCheck, schema_deviations
from runcontract.model import Profile
from runcontract.rules import OBJECT_CHECKS
from runcontract.rules.registry import RESIDUE_FORMS, SCHEMA_FORMS
from tests.engine.breaks import BREAKS, Break
from tests.engines import default_engine, engine_lane
from tests.strategies import Run, runs

CHECKED = {code for check in OBJECT_CHECKS for code in check.codes}
# what FastVerdict compiles: every form; what the JSON Lines lane compiles: all but patterns
VERDICT_FORMS = {c for form in SCHEMA_FORMS for c in form.codes} | {
    c for form in RESIDUE_FORMS for c in form.codes
}
LANE_FORMS = {c for form in SCHEMA_FORMS if not form.pattern for c in form.codes} | {
    c for form in RESIDUE_FORMS for c in form.codes
}


def _object_rules() -> set[str]:
    """The catalogue's codes judged on one run object by a check: not the schema (S001) or its
    deviations, not what a lifecycle or HTTP check declares (the stream-event deviation D007)."""
    elsewhere = {
        code
        for declaration in declarations()
        if declaration.kind in ("lifecycle", "http")
        for code in declaration.codes
    }
    return {
        code
        for code, rule in load_catalogue().rules.items()
        if rule.family not in ("lifecycle", "http", "schema")
        and not (rule.match and "schema" in rule.match)
        and code not in elsewhere
    }


def test_every_object_rule_of_the_catalogue_has_a_check() -> None:
    assert _object_rules() - CHECKED == set()
    assert CHECKED - _object_rules() == set()  # and no check reports a code the catalogue lacks


def test_every_checked_code_has_a_fast_form_in_both_verdicts() -> None:
    # a rule with a check and no fast form: the fast verdicts would call its broken runs clean
    unsaid, unsaid_in_lane = CHECKED - VERDICT_FORMS, CHECKED - LANE_FORMS
    assert unsaid == set()
    assert unsaid_in_lane == set()


def test_every_fast_form_stands_for_checked_codes() -> None:
    # a fast form with no check: runs it turns away would be judged clean the slow way
    unchecked = VERDICT_FORMS - CHECKED
    assert unchecked == set()


def test_every_form_applies_to_some_profile() -> None:
    rules = load_catalogue().rules
    for form in SCHEMA_FORMS:
        assert any(rules[code].profiles for code in form.codes), form


@functools.cache
def _verdicts(profile: Profile) -> tuple[FastVerdict, FastVerdict]:
    """The compiled verdict on the spec as written, and on the spec with the deviations."""
    relaxed = SchemaCheck(profile, schema_deviations(load_catalogue())).relaxed
    return FastVerdict(profile), FastVerdict(profile, relaxed)


def _name(item: Break) -> str:
    return item.code


@pytest.mark.parametrize("item", BREAKS, ids=_name)
@given(data=st.data())
@settings(max_examples=15)
def test_a_run_breaking_a_rule_is_turned_away_by_every_form(
    item: Break, data: st.DataObject
) -> None:
    run, profile = item.draw_broken(data)
    found = {v.rule for v in default_engine().check_run(run, profile=profile)}
    assert item.code in found  # the check
    strict, relaxed = _verdicts(profile)
    assert not strict.clean(run)  # the forms compiled for run dicts
    assert not relaxed.clean(run)
    assert engine_lane().judge(orjson.dumps(run)) is None  # and for JSON Lines


@given(runs())
@settings(max_examples=150)
def test_a_run_keeping_every_rule_is_clean_in_every_form(run: Run) -> None:
    line = orjson.dumps(run)
    judged = engine_lane().judge(line)
    assert judged is not None
    profile = judged.profile
    assert default_engine().check_run(run, profile=profile) == []
    strict, relaxed = _verdicts(profile)
    assert strict.clean(run)
    assert relaxed.clean(run)
