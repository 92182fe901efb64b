"""One defect, one finding: a rule whose premise another finding breaks is not reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runcontract.catalogue import Catalogue, CatalogueError, Rule, load_catalogue
from runcontract.engine import Engine
from runcontract.model import Profile, Severity

SHARED = Path(__file__).resolve().parents[3] / "shared"
COMPLETED = (
    SHARED / "corpus/real/unknown__printed-sdk-output/idx1022549777__jane_doe__GlzH-completed.json"
)


def real_run() -> dict[str, Any]:
    if not COMPLETED.is_file():
        pytest.skip("the shared corpus is not beside the checkout")
    run: dict[str, Any] = json.loads(COMPLETED.read_text(encoding="utf-8"))
    return run


def codes(engine: Engine, run: dict[str, Any]) -> list[str]:
    return sorted(v.rule for v in engine.check_run(run))


def test_the_real_run_breaks_no_timestamp_rule() -> None:
    assert not [code for code in codes(Engine(), real_run()) if code.startswith("T")]


def test_created_at_in_milliseconds_is_t006_alone() -> None:
    run = real_run()
    run["created_at"] *= 1000  # the one defect; every later timestamp now looks "before" it

    assert [c for c in codes(Engine(), run) if c.startswith("T")] == ["T006"]


def test_with_t006_ignored_the_order_rules_speak_again() -> None:
    run = real_run()
    run["created_at"] *= 1000

    found = [c for c in codes(Engine(ignore=["T006"]), run) if c.startswith("T")]
    assert "T006" not in found
    assert {"T001", "T003"} <= set(found)


def test_an_order_rule_stays_when_the_units_are_right() -> None:
    run = real_run()
    run["completed_at"] = run["created_at"] - 5  # seconds, and before the run existed

    found = [c for c in codes(Engine(), run) if c.startswith("T")]
    assert "T003" in found
    assert "T006" not in found


def test_the_order_rules_name_t006_as_their_premise() -> None:
    rules = load_catalogue().rules
    for code in ("T001", "T002", "T003", "T004"):
        assert rules[code].suppressed_by == {"T006"}
    assert rules["H005"].suppressed_by == {"H003"}


def rule(code: str, suppressed_by: frozenset[str] = frozenset()) -> Rule:
    return Rule(
        code,
        code.lower(),
        "a title",
        "family",
        Severity.ERROR,
        frozenset(Profile),
        "evidence",
        suppressed_by=suppressed_by,
    )


@pytest.mark.parametrize("by", [frozenset({"X999"}), frozenset({"X001"})])
def test_a_premise_naming_no_other_rule_is_a_catalogue_error(by: frozenset[str]) -> None:
    with pytest.raises(CatalogueError, match="X001 is suppressed_by"):
        Catalogue([rule("X001", by), rule("X002")])
