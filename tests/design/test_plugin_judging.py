"""The pytest plugin judges recordings through the same loop as `validate`, and says so when a
recording holds nothing to judge (validate exits 3 on it) instead of passing it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.command import runcontract
from tests.gate.helpers import cases, pytest_in
from tests.synth import pages_cassette

pytestmark = pytest.mark.timeout(600)
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _pytest_items(folder: Path, *recordings: Path) -> dict[str, str]:
    """Item name -> "passed", "failure" or "error", as the user's pytest reports them."""
    junit = folder / "report.xml"
    pytest_in(folder, f"--junitxml={junit}", *(f"--runcontract-recordings={r}" for r in recordings))
    return cases(junit)


def test_a_recording_without_a_run_object_is_an_error_as_in_validate(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("interactions: []\nversion: 1\n", encoding="utf-8")
    clean = tmp_path / "clean.json"
    clean.write_text((EXAMPLES / "valid" / "v2-completed.json").read_text(encoding="utf-8"))
    assert runcontract("validate", str(empty)).code == 3
    assert runcontract("validate", str(clean)).code == 0
    run_id = json.loads(clean.read_text(encoding="utf-8"))["id"]
    # one item per run object, named as pytest names its own; the empty file is one error item
    assert _pytest_items(tmp_path, empty, clean) == {
        "no run object": "error",
        f"{run_id} (completed)": "passed",
    }


@pytest.mark.parametrize("whole", [True, False], ids=["whole-pages", "pages-lacking-cursors"])
def test_a_recording_s_exchanges_are_judged_by_the_http_rules_as_in_validate(
    tmp_path: Path, whole: bool
) -> None:
    cassette = tmp_path / "pages.json"
    cassette.write_text(json.dumps(pages_cassette(2, whole=whole)), encoding="utf-8")
    by_validate = runcontract("validate", "--format", "json", str(cassette))
    h006 = [
        violation
        for result in json.loads(by_validate.out)["results"]
        for violation in result["violations"]
        if violation["rule"] == "H006"
    ]
    assert len(h006) == (0 if whole else 2)
    # no run object in it: the file's own error item, and one item for its two exchanges
    expected = "passed" if whole else "failure"
    assert _pytest_items(tmp_path, cassette) == {
        "no run object": "error",
        "HTTP exchanges (2)": expected,
    }
    if not whole:
        text = (tmp_path / "report.xml").read_text(encoding="utf-8")
        assert text.count("error H006") >= 2  # in the failure's message and its text
        assert "reproduce: curl -sS" in text
