"""Acceptance tests of `runcontract validate`, driven through run() with streams of our own."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.command import EXAMPLES, runcontract

VALID = sorted((EXAMPLES / "valid").glob("*.json"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.json"))
SECRET = "sk-proj-Abcdefghijklmnop1234567890"  # noqa: S105 - a fake key, to prove it is masked


def example(code: str) -> Path:
    """The first invalid example for a rule (file names start with the rule's code)."""
    return next(path for path in INVALID if path.stem.split("-")[0] == code)


cli = runcontract


def report(*argv: str) -> dict[str, Any]:
    code, out, _ = cli("validate", "--format", "json", *argv)
    document: dict[str, Any] = json.loads(out)
    document["exit"] = code
    return document


def test_examples_exist() -> None:
    assert len(VALID) >= 25
    assert len(INVALID) >= 40


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_a_valid_example_passes_with_nothing_to_say(path: Path) -> None:
    document = report(str(path))
    assert document["exit"] == 0
    assert document["summary"]["passed"] == 1
    assert document["results"][0]["violations"] == []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_an_invalid_example_reports_its_rule(path: Path) -> None:
    rule = path.stem.split("-")[0]
    strict = ["--strict"] if rule.startswith("D") else []
    document = report(*strict, str(path))
    violations = document["results"][0]["violations"]
    found = [v for v in violations if v["rule"] == rule]
    assert found, violations
    assert found[0]["path"].startswith("$")
    errors = [v for v in violations if v["severity"] == "error"]
    assert document["exit"] == (1 if errors else 0)


def test_text_output_names_file_entry_run_rule_path_and_message(tmp_path: Path) -> None:
    run_object = json.loads(example("T002").read_text())
    target = tmp_path / "runs.jsonl"
    target.write_text(json.dumps(run_object) + "\n")
    code, out, _ = cli("validate", str(target))
    assert code == 1
    line = next(line for line in out.splitlines() if " T002 " in line)
    status = run_object["status"]
    assert line.startswith(f"{target}:line 1: {run_object['id']} ({status}, ")
    assert ": error T002 $." in line
    assert "is before started_at" in line
    assert out.splitlines()[-1].startswith("checked 1 run object in 1 file: 0 passed, 1 failed")


def test_warnings_alone_pass_and_strict_fails_them() -> None:
    path = str(example("D001"))
    assert cli("validate", path)[0] == 0
    assert cli("validate", "--strict", path)[0] == 1


def test_json_report_is_one_document_of_the_documented_shape(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    document = report(str(EXAMPLES / "valid"), str(example("U002")), str(bad))
    assert set(document) == {"summary", "results", "errors", "exit"}
    assert set(document["summary"]) >= {"files", "objects", "passed", "failed", "unreadable"}
    assert document["summary"]["objects"] == len(VALID) + 1
    assert document["summary"]["failed"] == 1
    assert document["summary"]["unreadable"] == 1
    assert document["summary"]["files"] == len(VALID) + 2
    assert document["exit"] == 1
    result = document["results"][-1]
    assert set(result) == {"source", "run_id", "status", "profile", "violations"}
    assert set(result["violations"][0]) >= {"rule", "severity", "path", "message"}
    assert document["errors"][0]["source"].startswith(str(bad))


def test_junit_report_parses_and_counts_failures(tmp_path: Path) -> None:
    target = tmp_path / "report.xml"
    code, out, _ = cli(
        "validate",
        "--format",
        "junit",
        "--output",
        str(target),
        str(EXAMPLES / "valid"),
        str(example("C002")),
    )
    assert code == 1
    assert str(target) in out
    root = ET.parse(target).getroot()  # noqa: S314 - our own report, written by this test
    assert root.tag == "testsuites"
    assert int(root.get("failures", "0")) == 1
    cases = root.findall(".//testcase")
    assert len(cases) == len(VALID) + 1
    failure = root.find(".//failure")
    assert failure is not None
    assert "C002" in failure.get("message", "")


def test_an_unreadable_input_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text((EXAMPLES / "valid" / "v2-completed.json").read_text())
    (tmp_path / "b.jsonl").write_text('{"id": 1\n')
    code, out, err = cli("validate", str(tmp_path), str(tmp_path / "missing.json"))
    assert code == 3
    assert "b.jsonl:line 1: unreadable" in out
    assert "missing.json" in out
    assert "1 passed, 0 failed, 2 unreadable" in out
    assert "Traceback" not in out + err


def test_stdin_is_read_with_a_dash() -> None:
    body = example("U001").read_bytes()
    code, out, _ = cli("validate", "-", stdin=body)
    assert code == 1
    assert out.startswith("<stdin>")
    assert " U001 " in out


def test_select_and_ignore_take_codes_and_prefixes() -> None:
    path = str(example("T002"))
    assert cli("validate", "--ignore", "T", path)[0] == 0
    assert cli("validate", "--select", "T002", path)[0] == 1
    assert cli("validate", "--select", "U,C", path)[0] == 0
    code, _, err = cli("validate", "--select", "X999", path)
    assert code == 2
    assert "X999" in err


def test_profile_can_be_forced() -> None:
    path = str(EXAMPLES / "valid" / "v2-completed.json")
    document = report("--profile", "seed", path)
    assert document["results"][0]["profile"] == "seed"
    assert any(v["path"] == "$.file_ids" for v in document["results"][0]["violations"])


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["validate"], "give at least one PATH"),
        (["validate", "--format", "xml", "x"], "invalid choice"),
        (["validate", "--profile", "v3", "x"], "invalid choice"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2_with_a_message(argv: list[str], needle: str) -> None:
    code, out, err = cli(*argv)
    assert code == 2
    assert needle in err
    assert "Traceback" not in out + err


def test_nothing_found_is_not_a_pass(tmp_path: Path) -> None:
    (tmp_path / "cassette.yaml").write_text("interactions: []\nversion: 1\n")
    code, out, _ = cli("validate", str(tmp_path))
    assert code == 3
    assert "no run objects found" in out


def test_secrets_never_reach_any_output(tmp_path: Path) -> None:
    run_object = json.loads(example("M003").read_text())
    run_object["metadata"] = {"note": f"key {SECRET}" + "x" * 600}
    # a wrong type, so that the message quotes the value and the secret in it
    run_object["instructions"] = {"header": f"Authorization: Bearer {SECRET}"}
    cassette = tmp_path / "c.yaml"
    interaction = {
        "request": {
            "method": "POST",
            "uri": "https://api.openai.com/v1/threads/thread_1/runs",
            "body": "{}",
            "headers": {"Authorization": [f"Bearer {SECRET}"], "OpenAI-Beta": ["assistants=v2"]},
        },
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": ["application/json"]},
            "body": {"string": json.dumps(run_object)},
        },
    }
    cassette.write_text(json.dumps({"interactions": [interaction], "version": 1}))
    for fmt in ("text", "json", "junit"):
        code, out, err = cli("validate", "--format", fmt, str(cassette))
        assert code == 1
        assert SECRET not in out + err
        assert "Bearer ***" in out  # masked, not dropped: the reader sees where it was


def test_bundled_examples_pass() -> None:
    code, out, _ = cli("validate", "--examples")
    assert code == 0, out
    assert " 0 failed" in out


def test_rules_lists_every_code_with_its_evidence() -> None:
    code, out, _ = cli("rules", "--evidence")
    assert code == 0
    for expected in (
        "S001",
        "T001",
        "C010",
        "U004",
        "M001",
        "F005",
        "I004",
        "D001",
        "D008",
        "L010",
    ):
        assert f"\n{expected} " in f"\n{out}"
    assert out.count("evidence:") >= 45


def test_the_console_script_runs_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe\x00!!python/object/apply:os.system ['echo pwned']")
    done = subprocess.run(
        [sys.executable, "-m", "runcontract", "validate", str(bad), str(EXAMPLES / "valid")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3
    assert "Traceback" not in done.stdout + done.stderr
    assert "pwned" not in done.stdout
    assert "bad.yaml" in done.stdout
