"""The gate over real HTTP: a loopback server, the key from the environment, never shown."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from runcontract.server import create_app
from tests.command import runcontract
from tests.gate.helpers import FAKE_KEY, QUICK, closed_port, gate
from tests.serving import serving

pytestmark = pytest.mark.timeout(600)  # a hang; a loaded machine took 87 s for one gate


def test_the_gate_passes_on_the_reference_server_over_http(key_env: str) -> None:
    with serving(create_app(step_seconds=0.02, api_key=FAKE_KEY)) as base_url:
        result = gate("--base-url", base_url, "--api-key-env", key_env, *QUICK)
    assert result.code == 0, result.out + result.err
    assert f"target: {base_url}" in result.out
    assert "lifecycle scenarios: 8 of 8 done" in result.out


def test_the_key_never_appears_in_output_reports_or_recordings(
    key_env: str, tmp_path: Path
) -> None:
    junit, report, text = tmp_path / "g.xml", tmp_path / "g.json", tmp_path / "g.txt"
    recording = tmp_path / "traffic.yaml"
    app = create_app(step_seconds=0.02, api_key=FAKE_KEY, faults=["metadata-key-too-long"])
    with serving(app) as base_url:
        result = gate(
            "--base-url",
            base_url,
            "--api-key-env",
            key_env,
            *QUICK,
            "-v",
            "--report",
            f"junit={junit},json={report},text={text}",
            "--record",
            str(recording),
        )
    assert result.code == 1, result.out
    written = [result.out, result.err] + [p.read_text() for p in (junit, report, text, recording)]
    assert all(FAKE_KEY not in item for item in written)
    assert all(FAKE_KEY[:12] not in item for item in written)  # not even its start
    cassette = yaml.safe_load(recording.read_text())
    names = {name.lower() for i in cassette["interactions"] for name in i["request"]["headers"]}
    assert names.isdisjoint({"authorization", "api-key", "cookie"})
    assert "openai-beta" in names


def test_a_recording_judged_offline_gives_the_gate_s_verdicts(tmp_path: Path) -> None:
    """--record round trip: `runcontract validate` of the cassette finds the same rules."""
    recording, report = tmp_path / "traffic.yaml", tmp_path / "gate.json"
    result = gate(
        "--fault",
        "usage-changes-after-terminal",
        "--fault",
        "created-at-moves",
        *QUICK,
        "--record",
        str(recording),
        "--report",
        f"json={report}",
    )
    assert result.code == 1
    gate_codes = Counter(
        v["rule"] for r in json.loads(report.read_text())["results"] for v in r["violations"]
    )
    code, out, _ = runcontract("validate", "--format", "json", str(recording))
    offline = Counter(v["rule"] for r in json.loads(out)["results"] for v in r["violations"])
    assert code == 1
    assert set(gate_codes) == {"L003", "L007"}
    assert offline == gate_codes


def test_an_unreachable_target_is_could_not_check(key_env: str) -> None:
    result = gate("--base-url", f"http://127.0.0.1:{closed_port()}/v1", "--api-key-env", key_env)
    assert result.code == 3, result.out
    assert "verdict: could not check (exit 3)" in result.out
    assert "setup failed" in result.out
    assert "unreachable" in result.out


def test_a_target_refusing_the_key_is_could_not_check(key_env: str) -> None:
    with serving(create_app(api_key="sk-another-key-altogether")) as base_url:
        result = gate("--base-url", base_url, "--api-key-env", key_env)
    assert result.code == 3, result.out
    assert "authentication refused" in result.out


def test_a_target_that_stops_answering_in_time_is_could_not_check(key_env: str) -> None:
    async def never_answers(scope: dict[str, Any], receive: Any, send: Any) -> None:
        # Until the gate hangs up: a late answer could beat the timeout on a loaded machine.
        while (await receive())["type"] != "http.disconnect":
            pass

    with serving(never_answers) as base_url:
        result = gate("--base-url", base_url, "--api-key-env", key_env, "--request-timeout", "0.3")
    assert result.code == 3, result.out
    assert "timeout" in result.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--base-url", "ftp://example.invalid/v1"], "must be an http(s) URL"),
        (["--base-url", "http://user:pw@127.0.0.1/v1"], "must not carry credentials"),
        (["--fault", "no-such-fault"], "unknown fault"),
        (["--report", "xml=out.xml"], "expected KIND=PATH"),
        (["--select", "Z999"], "no rule has the code"),
        (["--budget", "-1"], "whole number"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str) -> None:
    result = gate(*argv)
    assert result.code == 2
    assert message in result.err


def test_a_missing_key_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNCONTRACT_NO_SUCH_KEY", raising=False)
    result = gate("--base-url", "http://127.0.0.1:9/v1", "--api-key-env", "RUNCONTRACT_NO_SUCH_KEY")
    assert result.code == 2
    assert "RUNCONTRACT_NO_SUCH_KEY holds no API key" in result.err
