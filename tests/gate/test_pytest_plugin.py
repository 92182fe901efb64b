"""The pytest plugin (entry point pytest11): the gate and recordings as test items.

Each test runs pytest in a subprocess from an empty folder, so the plugin is loaded the way a
user's pytest loads it: from the installed entry point.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from runcontract.gate.driver import SCENARIOS
from runcontract.server import create_app
from tests.gate.helpers import FAKE_KEY, KEY_ENV, cases, gate, pytest_in
from tests.serving import serving

RECORDINGS = ("--runcontract-recordings", "recordings")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
pytestmark = pytest.mark.timeout(600)  # a hang; a loaded machine took 87 s for one gate
QUICK = ("--runcontract-phases=lifecycle,fuzzing", "--runcontract-max-examples=3")


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


def test_recordings_run_as_one_item_per_run_object(tmp_path: Path) -> None:
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
    by_file: dict[str, set[str]] = {"broken.yaml": set(), "clean.yaml": set()}
    exchanges: dict[str, str] = {}
    root = ElementTree.parse(junit).getroot()  # noqa: S314 - pytest's report, written here
    for case in root.iter("testcase"):
        outcome = next((child.tag for child in case if child.tag in ("failure", "error")), "passed")
        name = case.get("name", "")
        if name.startswith("HTTP exchanges ("):  # the HTTP rules on the file's exchanges
            exchanges[case.get("classname", "")] = outcome
            continue
        by_file[case.get("classname", "")].add(outcome)
        assert name.startswith("run_"), name
    assert by_file == {"broken.yaml": {"passed", "failure"}, "clean.yaml": {"passed"}}
    # the fault breaks a run's fields, not the API's answers: both recordings' exchanges pass
    assert exchanges == {"broken.yaml": "passed", "clean.yaml": "passed"}
    assert "L003" in junit.read_text()


def test_recordings_are_named_as_pytest_names_its_items_under_the_users_configuration(
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    (project / "recordings" / "nested").mkdir(parents=True)
    run = json.loads((EXAMPLES / "valid" / "v2-completed.json").read_text())
    (project / "recordings" / "run.json").write_text(json.dumps(run))
    lax = {key: value for key, value in run.items() if key != "parallel_tool_calls"}
    (project / "recordings" / "nested" / "lax.json").write_text(
        json.dumps({**lax, "id": "run_lax"})
    )
    (project / "recordings" / "notes.txt").write_text("not a recording")
    # The user's own settings: pytest's, and runcontract's (strict: the D003 deviation fails).
    (project / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\naddopts = "-rA"\n\n[tool.runcontract.gate]\nstrict = true\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "runcontract.pytest_plugin", *RECORDINGS],
        cwd=project,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"rootdir: {project}" in lines
    assert "configfile: pyproject.toml" in lines
    assert "collected 2 items" in lines
    assert f"PASSED recordings/run.json::{run['id']} (completed)" in lines
    assert any(
        line.startswith("FAILED recordings/nested/lax.json::run_lax (completed) - error D003")
        for line in lines
    ), done.stdout
    # None of the checkout's own pytest settings (xdist on every core, no cache) applied.
    assert "workers" not in done.stdout
    assert (project / ".pytest_cache").is_dir()


def test_a_recording_without_run_objects_is_an_error_as_validate_exits_3(tmp_path: Path) -> None:
    (tmp_path / "recordings").mkdir()
    (tmp_path / "recordings" / "list.json").write_text('{"object": "list", "data": []}')
    done = pytest_in(tmp_path, "--runcontract-recordings=recordings", "-rE")
    assert done.returncode == 1, done.stdout
    lines = done.stdout.splitlines()
    assert "list.json: no run object found in this file" in lines  # the message alone
    assert any(line.startswith("ERROR recordings/list.json::no run object - ") for line in lines)
