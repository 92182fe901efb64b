"""`runcontract gate` with no target: the embedded reference server, in-process."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from runcontract.gate.driver import SCENARIOS
from runcontract.server import list_faults
from tests.gate.helpers import QUICK, gate

pytestmark = pytest.mark.timeout(600)  # a hang; a loaded machine took 87 s for one gate


def test_the_default_gate_passes_on_the_reference_server(tmp_path: Path) -> None:
    junit, report = tmp_path / "gate.xml", tmp_path / "gate.json"
    result = gate("--report", f"junit={junit},json={report}")
    assert result.code == 0, result.out + result.err
    assert "verdict: conformant (exit 0)" in result.out
    assert "violations: 0 errors" in result.out
    for name in SCENARIOS:
        assert re.search(rf"^gate: lifecycle {name}: done", result.out, re.MULTILINE), name
    for phase in ("examples", "coverage", "fuzzing", "stateful"):
        found = re.search(rf"^gate: schemathesis {phase}: (\d+) cases", result.out, re.MULTILINE)
        assert found is not None, phase
        assert int(found.group(1)) > 0, phase
    suites = ElementTree.parse(junit).getroot()  # noqa: S314 - the gate's own report
    assert suites.get("failures") == "0"
    assert suites.get("errors") == "0"
    assert int(suites.get("tests", "0")) > 50
    document = json.loads(report.read_text())
    assert document["summary"]["failed"] == 0
    units = {r["source"].rsplit(":interaction", 1)[0] for r in document["results"]}
    assert "lifecycle: completed" in units
    # schemathesis's answers are units of their operation. Which operations give run objects
    # varies with the 30-run budget: in 6 runs the list endpoint gave 19 to 30, the single run
    # 2 to 12, and once (in CI) none, so the test names the operations' shared path.
    assert any(unit.startswith("GET /threads/{thread_id}/runs") for unit in units), units


def test_the_default_gate_fails_on_a_broken_server_with_the_rule_in_every_report(
    tmp_path: Path,
) -> None:
    junit = tmp_path / "gate.xml"
    result = gate("--fault", "list-out-of-order", "--report", f"junit={junit}")
    assert result.code == 1, result.out + result.err
    assert "verdict: contract violations (exit 1)" in result.out
    assert re.search(
        r"^  error   H001  x\d+ +GET /threads/\{thread_id\}/runs \| e\.g\. lifecycle: list pages",
        result.out,
        re.MULTILINE,
    ), result.out
    failures = ElementTree.parse(junit).getroot().iter("failure")  # noqa: S314 - our report
    assert any(f.get("type") == "H001" for f in failures)


# Every fault mode that breaks a rule; random-tool-calls breaks none (a model may call a tool it
# has), and is held by its own test below.
FAULT_MATRIX = [
    pytest.param(fault, id=fault.name) for fault in list_faults() if fault.rule is not None
]


@pytest.mark.parametrize("fault", FAULT_MATRIX)
def test_every_fault_mode_fails_the_gate_with_its_rule(fault: object) -> None:
    """The fault-detection matrix: each fault of the server's catalogue, caught by its rule."""
    from runcontract.engine import Engine
    from runcontract.model import Severity

    name, rule = fault.name, fault.rule  # type: ignore[attr-defined]
    result = gate("--fault", name, *QUICK)
    severity = Engine().severity(rule)
    # A fault whose rule is a warning (bad-id-prefix, I001) is reported and does not fail.
    expected = 1 if severity is Severity.ERROR else 0
    assert result.code == expected, result.out + result.err
    shown = result.out if severity is Severity.ERROR else gate("--fault", name, *QUICK, "-v").out
    assert re.search(rf"^  {severity.value:<7} {rule} ", shown, re.MULTILINE), shown


def test_random_tool_calls_are_answered_and_every_scenario_ends() -> None:
    """A server whose model calls tools at random (FakeAI) is no fault of the contract: the
    gate answers each call it is asked and reaches a verdict in every scenario."""
    result = gate("--fault", "random-tool-calls", *QUICK)
    assert result.code == 0, result.out + result.err
    assert "lifecycle scenarios: 8 of 8 done" in result.out, result.out


def test_the_quick_gate_passes_on_the_reference_server() -> None:
    """The matrix's settings find nothing on the honest server (so each failure is the fault's)."""
    result = gate(*QUICK)
    assert result.code == 0, result.out
    assert "violations: 0 errors" in result.out


def test_the_v1_profile_passes_on_the_reference_server() -> None:
    result = gate("--profile", "v1", *QUICK)
    assert result.code == 0, result.out
    assert "profile v1" in result.out


def test_every_request_is_bounded_by_the_budget() -> None:
    result = gate("--budget", "3", *QUICK)
    created = re.search(
        r"(\d+) runs created .*; (\d+) run-creating requests sent \(budget 3\)", result.out
    )
    assert created is not None, result.out
    assert int(created.group(1)) <= int(created.group(2)) <= 3, result.out
    skipped = re.search(r"not sent for the budget: (\d+)", result.out)
    assert skipped is not None
    assert int(skipped.group(1)) > 0
    assert "not run: the --budget of runs is spent" in result.out


def test_a_gate_that_runs_out_of_time_could_not_check() -> None:
    # No lifecycle phase: its length on a loaded machine could spend the 5 s before schemathesis
    # starts. The schemathesis phases need many times 5 s, the setup before them a fraction.
    result = gate("--phases", "examples,coverage,fuzzing,stateful", "--timeout", "5")
    assert result.code == 3, result.out
    assert "the --timeout was reached during the schemathesis phases" in result.out


@pytest.mark.parametrize("fault", ["created-at-moves", "usage-changes-after-terminal", None])
def test_lifecycle_verdicts_do_not_depend_on_the_number_of_workers(fault: str | None) -> None:
    """The same rules break with one worker and with four; none on the honest server.

    How many observations break them varies: scenarios share the manual clock, so with more
    workers more time can pass between two reads of a run.
    """
    faults = ("--fault", fault) if fault else ()
    rules = []
    for workers in ("1", "4"):
        result = gate(*faults, "--phases", "lifecycle", "--workers", workers)
        assert result.code == (1 if fault else 0), result.out
        rules.append(set(re.findall(r"^  error   (\w+) ", result.out, re.MULTILINE)))
    assert rules[0] == rules[1]
    assert bool(rules[0]) == (fault is not None)


def test_the_seed_profile_sends_v1_requests_and_judges_by_the_seed_schema(tmp_path: Path) -> None:
    """Seed-era traffic is v1 on the wire; its run objects are judged by the seed schema."""
    import yaml

    recording, report = tmp_path / "seed.yaml", tmp_path / "seed.json"
    result = gate(
        "--profile",
        "seed",
        "--phases",
        "lifecycle",
        "--record",
        str(recording),
        "--report",
        f"json={report}",
    )
    assert result.code == 0, result.out
    assert "profile seed" in result.out
    cassette = yaml.safe_load(recording.read_text())
    betas = {
        value
        for interaction in cassette["interactions"]
        for name, values in interaction["request"]["headers"].items()
        if name.lower() == "openai-beta"
        for value in values
    }
    assert betas == {"assistants=v1"}
    profiles = {r["profile"] for r in json.loads(report.read_text())["results"]}
    assert profiles == {"seed"}
