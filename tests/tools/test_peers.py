"""The peer-conformance script's own logic, on fixed input: no install, no network.

The script itself (tools/peers/run.py) installs servers from the package index and is never part
of the test run; what it reads and writes is tested here: the operation a request names, the
findings read back from a gate report and its recording, the page, and the evidence quotes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from tools.peers.evidence import DISPUTED, EVIDENCE, Evidence, locate
from tools.peers.findings import Exchange, Finding, Occurrence, operation_of, read_findings
from tools.peers.render import Page, PeerResult, render


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("POST", "/v1/threads/runs", "POST /threads/runs"),
        ("GET", "/v1/threads/thread_a/runs?order=asc&limit=2", "GET /threads/{thread_id}/runs"),
        (
            "POST",
            "/v1/threads/thread_a/runs/run_b/submit_tool_outputs",
            "POST /threads/{thread_id}/runs/{run_id}/submit_tool_outputs",
        ),
        (
            "GET",
            "/v1/threads/thread_a/runs/run_b/steps/step_c",
            "GET /threads/{thread_id}/runs/{run_id}/steps/{step_id}",
        ),
        ("DELETE", "/v1/assistants/asst_x", "DELETE /assistants/{assistant_id}"),
    ],
)
def test_a_request_names_its_operation_with_parameter_names(
    method: str, path: str, operation: str
) -> None:
    assert operation_of(method, path) == operation


def _write_gate_output(folder: Path) -> tuple[Path, Path]:
    """A report and recording shaped as `runcontract gate --report json=... --record ...` writes."""
    interactions = [
        ("POST", "http://127.0.0.1:9/v1/threads/thread_1/runs", 201),
        ("GET", "http://127.0.0.1:9/v1/threads/thread_1/runs/run_1", 200),
        ("GET", "http://127.0.0.1:9/v1/threads/thread_2/runs/run_2", 200),
        ("GET", "http://127.0.0.1:9/v1/threads/thread_2/runs?order=AAA", 200),
    ]
    recording = folder / "traffic.yaml"
    recording.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "interactions": [
                    {
                        "request": {"method": m, "uri": u, "body": None, "headers": {}},
                        "response": {"status": {"code": c, "message": ""}, "body": {"string": ""}},
                    }
                    for m, u, c in interactions
                ],
            }
        )
    )
    report = folder / "gate.json"
    late = {"rule": "T002", "severity": "error", "path": "$.cancelled_at", "value": 5}
    report.write_text(
        json.dumps(
            {
                "results": [
                    {
                        "source": "lifecycle: completed:interaction 1",
                        "violations": [
                            {"rule": "H004", "severity": "error", "path": "$", "message": "201"}
                        ],
                    },
                    {
                        "source": "lifecycle: cancelled:interaction 2",
                        "violations": [{**late, "message": "first"}],
                    },
                    {
                        "source": "GET /threads/{thread_id}/runs/{run_id}:interaction 3",
                        "violations": [
                            {**late, "message": "second"},
                            {"rule": "C010", "severity": "warning", "path": "$", "message": "w"},
                        ],
                    },
                    {
                        "source": "GET /threads/{thread_id}/runs:interaction 4",
                        "violations": [
                            {"rule": "H001", "severity": "error", "path": "$", "message": "order"}
                        ],
                    },
                    {"source": "lifecycle: completed:interaction 2", "violations": []},
                ],
                "errors": [{"source": "gate", "message": "scenario 'x' could not finish"}],
                "summary": {},
            }
        )
    )
    return report, recording


def test_findings_are_distinct_by_rule_and_operation_with_the_first_as_example(
    tmp_path: Path,
) -> None:
    report, recording = _write_gate_output(tmp_path)

    def disputed(occurrence: Occurrence) -> str | None:
        exchange = occurrence.exchange
        return "invalid order" if exchange and "order=AAA" in exchange.path else None

    findings, problems = read_findings(report, recording, disputed)

    assert problems == ["scenario 'x' could not finish"]
    summary = [(f.rule, f.operation, f.count, f.disputed) for f in findings]
    assert summary == [
        ("H004", "POST /threads/{thread_id}/runs", 1, None),
        # A scenario's poll and a generated GET of a run are one operation.
        ("T002", "GET /threads/{thread_id}/runs/{run_id}", 2, None),
        ("C010", "GET /threads/{thread_id}/runs/{run_id}", 1, None),
        ("H001", "GET /threads/{thread_id}/runs", 1, "invalid order"),
    ]
    t002 = findings[1]
    assert t002.example.message == "first"
    assert t002.example.unit == "lifecycle: cancelled"
    assert t002.example.exchange == Exchange("GET", "/v1/threads/thread_1/runs/run_1", 200)


def test_findings_without_a_recording_fall_back_to_the_gates_unit(tmp_path: Path) -> None:
    report, _ = _write_gate_output(tmp_path)
    findings, _ = read_findings(report, tmp_path / "absent.yaml")
    assert ("H004", "lifecycle: completed") in {(f.rule, f.operation) for f in findings}


def _result(**changes: object) -> PeerResult:
    example = Occurrence(
        rule="T005",
        severity="error",
        where="$.cancelled_at",
        message="completed_at and cancelled_at are all set",
        value="1796079082",
        unit="lifecycle: cancelled",
        exchange=Exchange("GET", "/v1/threads/thread_1/runs/run_1", 200),
    )
    fields: dict[str, object] = {
        "name": "Peer",
        "version": "1.2.3",
        "about": "A server.",
        "server_command": "peer serve --port 5",
        "gate_command": "runcontract gate --base-url http://127.0.0.1:5/v1 --budget 30",
        "exit_code": 1,
        "budget": 30,
        "runs_created": 31,
        "gate_runs_created": 30,
        "seconds": 12.34,
        "summary": "summary: 3 answers\nverdict: contract violations (exit 1)",
        "findings": (
            Finding("T005", "error", "GET /threads/{thread_id}/runs/{run_id}", 4, example),
            Finding("H001", "error", "GET /threads/{thread_id}/runs", 2, example, "order=AAA"),
            Finding("Z999", "warning", "GET /threads/{thread_id}/runs", 1, example),
        ),
        "problems": ("scenario 'requires_action' could not finish",),
    }
    fields.update(changes)
    return PeerResult(**fields)  # type: ignore[arg-type]


def test_the_page_gives_each_server_its_figures_and_findings(tmp_path: Path) -> None:
    evidence = {"T005": (Evidence("spec.yaml", "a run ends once", "so two ends break it."),)}
    (tmp_path / "spec.yaml").write_text("intro\n  description: a run\n    ends once\n")

    def locate_here(entry: Evidence) -> int | None:
        return locate(entry, tmp_path)

    page = render(
        Page("on a fixed date", "--budget 30 --timeout 300", [_result()]),
        {"T005": "More than one of completed_at, failed_at and cancelled_at is set"},
        locate_here,
        evidence,
    )

    assert page.startswith("# What the gate finds in open-source Assistants servers\n")
    assert "## Peer 1.2.3" in page
    assert "| exit code | 1 (contract violations) |" in page
    assert "| runs created, counted by the server | 31 of budget 30 (**exceeded**)" in page
    assert "| wall time of the gate | 12.3 s |" in page
    assert "- scenario 'requires_action' could not finish" in page
    assert "### Findings: 1 rules broken, 1 warned (2 distinct rule and operation pairs)" in page
    t005 = page.split("#### T005 (error): More than one of completed_at, failed_at and ")[1]
    assert t005.startswith("cancelled_at is set\n\n4 answers, 1 operations.\n")
    # The quote runs over two lines of the file; it is found where it starts.
    assert "- evidence, `spec.yaml` line 2: “a run ends once” so two ends break it." in t005
    assert (
        "| `GET /threads/{thread_id}/runs/{run_id}` | 4 | `GET /v1/threads/thread_1/runs/run_1` "
        "→ 200 (lifecycle: cancelled): `$.cancelled_at`: completed_at and cancelled_at are all "
        "set (value `1796079082`) |"
    ) in t005
    assert "#### Z999 (warning)" in page
    assert "none on file for this rule" in page.split("#### Z999 (warning)")[1]
    heading = (
        "### Reported by the gate but not standing: the gate's errors, or breaks no evidence "
        "establishes (1 rule and operation pairs)"
    )
    standing, disputed = page.split(heading)
    assert "#### H001 (error)" in disputed
    assert "- **does not stand**: order=AAA" in disputed
    assert "#### H001" not in standing


def test_a_quote_not_in_its_file_is_not_shown_as_evidence(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text("something else\n")
    evidence = {"T005": (Evidence("spec.yaml", "a run ends once", "."),)}
    page = render(
        Page("now", "--budget 1", [_result(runs_created=3, exit_code=None)]),
        {},
        lambda entry: locate(entry, tmp_path),
        evidence,
    )
    assert "(**quote not found there**)" in page
    assert "| exit code | none: the gate did not run to its end |" in page
    assert "3 of budget 30 (held); the gate's summary says 30" in page


def test_every_evidence_quote_is_in_its_file(shared: Path) -> None:
    missing = [
        (rule, entry.file, entry.quote)
        for rule, entries in EVIDENCE.items()
        for entry in entries
        if locate(entry, shared) is None
    ]
    assert EVIDENCE, "the evidence table is empty"
    assert missing == []


def test_every_dispute_names_a_rule_of_the_catalogue() -> None:
    catalogue = Path(__file__).resolve().parents[2] / "contracts"
    codes = {
        str(rule["code"])
        for path in catalogue.glob("*.yaml")
        for rule in (yaml.safe_load(path.read_text()) or {}).get("rules", [])
    }
    assert {dispute.rule for dispute in DISPUTED} <= codes
