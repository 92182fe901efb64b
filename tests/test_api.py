"""The Python API: `runcontract.check`, `judge`, `load_catalogue`, and the root error."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import runcontract
from runcontract import Profile, RuncontractError, Severity
from runcontract.catalogue import CatalogueError
from runcontract.engine import SelectionError
from runcontract.rules import OBJECT_CHECKS, Finding

EXAMPLES = Path(__file__).resolve().parent / "examples"
VALID = sorted((EXAMPLES / "valid").glob("*.json"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.json"))


def _load(path: Path) -> dict[str, object]:
    run = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(run, dict)
    return run


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_a_valid_example_has_no_violation(path: Path) -> None:
    profile = path.stem.split("-")[0]
    assert runcontract.check(_load(path), profile=profile, strict=True) == []


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_an_invalid_example_breaks_the_rule_it_is_named_for(path: Path) -> None:
    code, profile = path.stem.split("-")[:2]
    found = runcontract.check(_load(path), profile=profile, strict=True)
    assert code in {v.rule for v in found}
    # --select and --ignore act on the code, whichever check emits it
    alone = runcontract.check(_load(path), profile=profile, strict=True, select=[code])
    assert code in {v.rule for v in alone}
    assert {v.rule for v in alone} == {code}
    rest = runcontract.check(_load(path), profile=profile, strict=True, ignore=[code])
    assert code not in {v.rule for v in rest}


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_every_code_a_check_emits_is_one_it_declares(path: Path) -> None:
    """The engine schedules a check by its declared codes, so an undeclared one escapes --select."""
    run = _load(path)
    profile = Profile(path.stem.split("-")[1])
    for check in OBJECT_CHECKS:
        findings: list[Finding] = []
        check.run(run, profile, findings)
        assert {f.code for f in findings} <= check.codes, check.name


def test_check_detects_the_profile_and_reports_deviations_as_warnings() -> None:
    run = _load(EXAMPLES / "invalid" / "D001-seed-in_progress.json")
    lenient = runcontract.check(run)
    assert [v.rule for v in lenient] == ["D001"]
    assert lenient[0].severity is Severity.WARNING
    strict = runcontract.check(run, strict=True)
    assert [(v.rule, v.severity) for v in strict] == [("D001", Severity.ERROR)]


def test_select_takes_prefixes_as_a_list_or_a_comma_separated_string() -> None:
    run = _load(EXAMPLES / "invalid" / "T002-seed-failed.json")
    assert {v.rule for v in runcontract.check(run, select="T")} == {"T002"}
    assert runcontract.check(run, select=["U", "C001"]) == []


def test_judge_applies_the_lifecycle_rules_across_observations_in_order() -> None:
    done = _load(EXAMPLES / "valid" / "v2-completed.json")
    later = copy.deepcopy(done)
    later["status"] = "in_progress"  # a finished run must not change status
    later["completed_at"] = None
    results = runcontract.judge([done, later], profile="v2")
    assert [r.source.entry for r in results] == ["[0]", "[1]"]
    assert results[0].violations == []
    l002 = [v for v in results[1].violations if v.rule == "L002"]
    assert l002
    assert l002[0].related is not None
    assert l002[0].related.entry == "[0]"
    assert not any(
        v.rule == "L002" for v in runcontract.judge([done, later], lifecycle=False)[1].violations
    )


def test_load_catalogue_gives_the_catalogue() -> None:
    catalogue = runcontract.load_catalogue()
    assert "S001" in catalogue
    assert catalogue["T002"].severity is Severity.ERROR
    assert all(rule.evidence for rule in catalogue.rules.values())


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: runcontract.check({}, profile="v3"), "profile='v3' (str) is not a profile"),
        (lambda: runcontract.check({}, profile=2), "profile=2 (int)"),  # type: ignore[arg-type]
        (lambda: runcontract.check({}, select=["Z999"]), "Z999"),
        (lambda: runcontract.judge([{}], ignore="Q"), "'Q'"),
    ],
)
def test_bad_arguments_raise_the_root_error_naming_them(call: object, words: str) -> None:
    with pytest.raises(RuncontractError, match=words.replace("(", r"\(").replace(")", r"\)")):
        call()  # type: ignore[operator]


def test_every_error_a_caller_may_see_is_a_runcontract_error() -> None:
    assert issubclass(SelectionError, RuncontractError)
    assert issubclass(SelectionError, ValueError)
    assert issubclass(CatalogueError, RuncontractError)


def test_an_engine_is_built_once_per_set_of_options() -> None:
    assert runcontract.engine_for(profile="v2") is runcontract.engine_for(profile=Profile.V2)
    assert runcontract.engine_for(strict=True) is not runcontract.engine_for(strict=False)
