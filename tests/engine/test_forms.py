"""Each object rule is one definition: its check, and beside it the fast forms the engine compiles.

The checks (runcontract.rules) say what a broken run is told; the schema and residue forms
declared with them say what a run keeping the rules satisfies, and the engine builds its two
"breaks no rule" verdicts from them (fastpath.FastVerdict for run dicts, fastlane.FastLane for
JSON Lines bytes). These tests fail when a rule has one form only, and hold the three to one
verdict on runs that break each rule and runs that keep them all.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runcontract.catalogue import declarations, load_catalogue
from runcontract.engine.fastpath import FastVerdict, fused, inlines, residues_hold
from runcontract.engine.schemacheck import SchemaCheck, schema_deviations
from runcontract.model import Profile
from runcontract.rules import OBJECT_CHECKS
from runcontract.rules.registry import RESIDUE_FORMS, SCHEMA_FORMS, RunFields
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


# --- the residue forms inlined into one function (fastpath.inlined), as the lane runs them ---

_times = st.none() | st.integers(-2, 12)
_fields = st.builds(
    RunFields,
    id=st.sampled_from(["run_1", "rn_1", ""]),
    thread_id=st.sampled_from(["thread_1", "thread", "t_1"]),
    assistant_id=st.sampled_from(["asst_1", "ast_1"]),
    created_at=st.integers(0, 10),
    started_at=_times,
    expires_at=_times,
    ends=st.tuples(_times, _times, _times),
    counts=st.none() | st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 6)),
    names=st.lists(st.sampled_from(["f", "g", "bad name", "h-1", ""]), max_size=3),
    calls=st.none()
    | st.lists(
        st.tuples(
            st.sampled_from(["call_1", "call_2", "cal_3"]),
            st.sampled_from(["f", "g", "z"]),
            st.sampled_from(["{}", "{", '{"a": 1}', ""]),
        ),
        max_size=3,
    ),
)


def test_every_residue_form_is_inlined() -> None:
    # a form the inliner cannot copy is called instead: right, but the lane's speed is lost
    assert [form.holds.__name__ for form in RESIDUE_FORMS if not inlines(form.holds)] == []


@given(_fields)
@settings(max_examples=400)
def test_the_inlined_forms_hold_exactly_when_every_form_holds(fields: RunFields) -> None:
    assert residues_hold()(fields) is all(form.holds(fields) for form in RESIDUE_FORMS)


def _ends_early(run: RunFields) -> bool:
    """A form of the shapes the inliner rewrites: early exits both ways, names of its own."""
    counts = run.counts
    if counts is None:
        return True
    if counts[0] > 2:
        return False
    if counts[1] > 2:
        limit = 4
    else:
        if run.names:
            return len(run.names) < 2
        limit = 6
    total = sum(counts)
    return total < limit and run.id.startswith(_PREFIX)


def _loops(run: RunFields) -> bool:
    for name in run.names:  # noqa: SIM110 - a return inside a loop: called, not inlined
        if name == "g":
            return False
    return True


_PREFIX = "run_"


def _sourceless() -> Callable[[RunFields], bool]:
    namespace: dict[str, Any] = {}
    exec("def _made(run):\n    return run.counts is None\n", namespace)  # noqa: S102 - no file
    made: Callable[[RunFields], bool] = namespace["_made"]
    return made


@given(_fields)
@settings(max_examples=300)
def test_inlined_forms_with_early_exits_and_called_ones_agree_with_the_forms(
    fields: RunFields,
) -> None:
    sourceless = _sourceless()
    assert inlines(_ends_early)
    assert not inlines(_loops)
    assert not inlines(sourceless)  # called, its source not to be had
    expected = _ends_early(fields) and _loops(fields)
    assert fused((_ends_early, _loops))(fields) is expected
    assert fused((_loops, _ends_early))(fields) is expected
    assert fused((sourceless, _ends_early))(fields) is (sourceless(fields) and _ends_early(fields))
