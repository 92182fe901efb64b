"""`--format sarif`: documents the official SARIF 2.1.0 schema accepts, one result per violation.

The schema under tests/data is the OASIS SARIF 2.1.0 (errata 01) schema, shipped as test data
because the tests reach no network; its `id` says where it is published.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from runcontract.catalogue import load_catalogue
from tests.command import runcontract
from tests.gate.helpers import QUICK, gate
from tests.sarif import conforms_to_sarif

HERE = Path(__file__).parent
INVALID = sorted((HERE / "examples" / "invalid").glob("*.json"))
VALID = sorted((HERE / "examples" / "valid").glob("*.json"))


def _violations(report: str) -> Counter[tuple[str, str]]:
    return Counter(
        (v["rule"], v["severity"])
        for result in json.loads(report)["results"]
        for v in result["violations"]
    )


def _results(document: dict[str, Any]) -> Counter[tuple[str, str]]:
    (run,) = document["runs"]
    return Counter((r["ruleId"], r["level"]) for r in run["results"])


def test_a_validate_run_with_errors_is_valid_sarif_with_every_violation(tmp_path: Path) -> None:
    lines = tmp_path / "runs.jsonl"
    lines.write_text(
        VALID[0].read_text().replace("\n", "") + "\n" + INVALID[0].read_text().replace("\n", "")
    )
    unreadable = tmp_path / "broken.json"
    unreadable.write_text('{"object": "thread.run", ')
    paths = [*map(str, INVALID), str(lines), str(unreadable)]
    sarif = runcontract("validate", "--format", "sarif", *paths)
    report = runcontract("validate", "--format", "json", *paths)
    assert sarif.code == report.code == 1
    document = json.loads(sarif.out)
    conforms_to_sarif(document)
    assert _results(document) == _violations(report.out)
    assert {level for _, level in _results(document)} == {"error", "warning"}

    (run,) = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    catalogue = load_catalogue()
    for result in run["results"]:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        assert rule["shortDescription"]["text"] == catalogue[rule["id"]].title
        assert rule["help"]["text"] == catalogue[rule["id"]].evidence
    assert len({r["id"] for r in rules}) == len(rules)

    # the file, the line of a JSON Lines entry, the JSON path as the logical location
    by_file = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r for r in run["results"]
    }
    assert set(by_file) == {Path(p).as_uri() for p in paths[:-1]}
    in_lines = by_file[lines.as_uri()]
    assert in_lines["locations"][0]["physicalLocation"]["region"] == {"startLine": 2}
    for result in run["results"]:
        (logical,) = result["locations"][0]["logicalLocations"]
        assert logical["name"] == result["properties"]["jsonPath"]
        assert logical["name"].startswith("$")

    # what could not be read is said, and the run does not read as a clean one
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    uri = notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == unreadable.as_uri()


def test_a_clean_validate_run_is_valid_sarif_without_results() -> None:
    outcome = runcontract("validate", "--format", "sarif", *map(str, VALID))
    assert outcome.code == 0
    document = json.loads(outcome.out)
    conforms_to_sarif(document)
    (run,) = document["runs"]
    assert run["results"] == []
    assert run["invocations"][0]["executionSuccessful"] is True


def test_a_relative_path_is_a_relative_artifact_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE.parent)
    path = INVALID[0].relative_to(HERE.parent)
    document = json.loads(runcontract("validate", "--format", "sarif", str(path)).out)
    conforms_to_sarif(document)
    locations = [r["locations"][0] for r in document["runs"][0]["results"]]
    assert {loc["physicalLocation"]["artifactLocation"]["uri"] for loc in locations} == {
        path.as_posix()
    }


@pytest.mark.timeout(600)  # a hang; the gate takes seconds
def test_a_gate_run_with_errors_is_valid_sarif_with_every_violation(tmp_path: Path) -> None:
    sarif, report = tmp_path / "gate.sarif", tmp_path / "gate.json"
    outcome = gate(
        "--fault",
        "list-out-of-order",
        "--fault",
        "created-at-moves",
        *QUICK,
        "--report",
        f"sarif={sarif},json={report}",
    )
    assert outcome.code == 1, outcome.output
    document = json.loads(sarif.read_text())
    conforms_to_sarif(document)
    assert _results(document) == _violations(report.read_text())
    assert {"H001", "L003"} <= {rule for rule, _ in _results(document)}
    for result in document["runs"][0]["results"]:
        # an API's finding: the operation and interaction, and the request to send it again
        (location,) = result["locations"]
        assert "physicalLocation" not in location
        assert ":interaction " in location["logicalLocations"][0]["fullyQualifiedName"]
        assert result["properties"]["reproduce"].startswith("curl ")
