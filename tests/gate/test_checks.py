"""The runcontract checks under plain `st run` (SCHEMATHESIS_HOOKS), and under the gate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from runcontract.gate.document import document_path
from runcontract.model import Profile
from runcontract.server import create_app
from tests.serving import serving

pytestmark = pytest.mark.timeout(600)  # a hang; a loaded machine took 87 s for one gate
HEADERS = {"Authorization": "Bearer sk-test-st", "OpenAI-Beta": "assistants=v2"}


def st_run(base_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`st run` of the shipped document with the runcontract checks only, on real ids."""
    with httpx.Client(base_url=base_url, headers=HEADERS, timeout=60) as client:
        assistant = client.post("/assistants", json={"model": "gpt-4o", "instructions": "x"})
        thread = client.post("/threads", json={"messages": [{"role": "user", "content": "hi"}]})
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        "[parameters]\n"
        f'"path.thread_id" = "{thread.json()["id"]}"\n'
        f'"body.assistant_id" = "{assistant.json()["id"]}"\n'
    )
    st = Path(sys.executable).with_name("st")
    return subprocess.run(
        [
            str(st),
            "--config-file",
            str(config),
            "run",
            str(document_path(Profile.V2)),
            "--url",
            base_url,
            "-H",
            f"Authorization: {HEADERS['Authorization']}",
            "--phases",
            "examples,fuzzing",
            "--max-examples",
            "5",
            "--seed",
            "1",
            "--checks",
            "runcontract_runs,runcontract_http",
            "--no-color",
        ],
        env={**os.environ, "SCHEMATHESIS_HOOKS": "runcontract.gate.checks"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )


def test_st_run_loads_the_checks_and_they_fail_a_broken_server(tmp_path: Path) -> None:
    with serving(create_app(step_seconds=0.02, faults=["missing-required-field"])) as base_url:
        done = st_run(base_url, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "runcontract S001" in done.stdout


def test_st_run_with_the_checks_passes_the_reference_server(tmp_path: Path) -> None:
    with serving(create_app(step_seconds=0.02)) as base_url:
        done = st_run(base_url, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "runcontract" not in done.stdout.split("SUMMARY")[-1]


def test_the_checks_are_registered_by_importing_the_module() -> None:
    from schemathesis.checks import CHECKS

    import runcontract.gate.checks  # noqa: F401

    assert {"runcontract_runs", "runcontract_http"} <= set(CHECKS.get_all_names())
