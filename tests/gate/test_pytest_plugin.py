"""The pytest plugin (entry point pytest11): the gate and recordings as test items.

Each test runs pytest in a subprocess from an empty folder, so the plugin is loaded the way a
user's pytest loads it: from the installed entry point.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from runcontract.gate.driver import SCENARIOS
from runcontract.server import create_app
from tests.gate.helpers import FAKE_KEY, KEY_ENV, gate
from tests.serving import serving

pytestmark = pytest.mark.timeout(600)  # a hang; a loaded machine took 87 s for one gate
QUICK = ("--runcontract-phases=lifecycle,fuzzing", "--runcontract-max-examples=3")


def pytest_in(folder: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *argv],
        cwd=folder,
        env={**os.environ, KEY_ENV: FAKE_KEY},
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )


def cases(junit: Path) -> dict[str, str]:
    """Test case name -> "passed", "failure" or "error"."""
    found = {}
    root = ElementTree.parse(junit).getroot()  # noqa: S314 - pytest's report, written here
    for case in root.iter("testcase"):
        outcome = next((child.tag for child in case if child.tag in ("failure", "error")), "passed")
        found[case.get("name", "")] = outcome
    return found


def test_without_its_options_the_plugin_adds_nothing(tmp_path: Path) -> None:
    done = pytest_in(tmp_path)
    assert done.returncode == 5, done.stdout  # pytest's "no tests collected"
    assert "runcontract" not in done.stdout


def test_the_gate_runs_as_one_item_per_scenario_and_operation(tmp_path: Path) -> None:
    junit = tmp_path / "gate.xml"
    with serving(create_app(step_seconds=0.02, api_key=FAKE_KEY)) as base_url:
        done = pytest_in(
            tmp_path,
            f"--runcontract-base-url={base_url}",
            f"--runcontract-api-key-env={KEY_ENV}",
            *QUICK,
            f"--junitxml={junit}",
        )
    assert done.returncode == 0, done.stdout + done.stderr
    found = cases(junit)
    assert {f"lifecycle-{name.replace(' ', '-')}" for name in SCENARIOS} <= set(found)
    assert {"getRun", "createRun", "listRuns", "submitToolOuputsToRun"} <= set(found)
    assert set(found.values()) == {"passed"}
    assert FAKE_KEY not in done.stdout + junit.read_text()


def test_a_broken_server_fails_the_item_where_the_rule_broke(tmp_path: Path) -> None:
    junit = tmp_path / "gate.xml"
    with serving(create_app(step_seconds=0.02, faults=["list-out-of-order"])) as base_url:
        done = pytest_in(
            tmp_path,
            f"--runcontract-base-url={base_url}",
            f"--runcontract-api-key-env={KEY_ENV}",
            "--runcontract-phases=lifecycle",
            f"--junitxml={junit}",
        )
    assert done.returncode == 1, done.stdout
    found = cases(junit)
    assert found["lifecycle-list-pages"] == "failure"
    assert found["lifecycle-completed"] == "passed"
    assert "H001" in junit.read_text()


def test_a_gate_that_cannot_check_errors_every_item(tmp_path: Path) -> None:
    with serving(create_app(api_key="sk-not-the-one-sent")) as base_url:
        done = pytest_in(
            tmp_path,
            f"--runcontract-base-url={base_url}",
            f"--runcontract-api-key-env={KEY_ENV}",
            "--runcontract-phases=lifecycle",
        )
    assert done.returncode == 1, done.stdout
    assert "errors" in done.stdout.splitlines()[-1]
    assert "passed" not in done.stdout.splitlines()[-1]
    assert "authentication refused" in done.stdout


def test_recordings_run_as_one_item_per_file(tmp_path: Path) -> None:
    broken, clean = tmp_path / "broken.yaml", tmp_path / "clean.yaml"
    assert (
        gate("--fault", "created-at-moves", "--phases", "lifecycle", "--record", str(broken)).code
        == 1
    )
    assert gate("--phases", "lifecycle", "--record", str(clean)).code == 0
    junit = tmp_path / "recordings.xml"
    done = pytest_in(
        tmp_path,
        f"--runcontract-recordings={broken}",
        f"--runcontract-recordings={clean}",
        f"--junitxml={junit}",
    )
    assert done.returncode == 1, done.stdout
    found = cases(junit)
    assert found == {str(broken): "failure", str(clean): "passed"}
    assert "L003" in junit.read_text()
