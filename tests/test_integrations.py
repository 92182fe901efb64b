"""The GitHub Action and the pre-commit hook, run as their hosts would run them.

The action's `run:` steps are taken from action.yml, their `${{ ... }}` expressions filled in as
GitHub does, and run with GitHub's `bash --noprofile --norc -eo pipefail`. Its `uses:` steps
(setup-python, the SARIF upload) are GitHub's own and are not run. The install step is given
this environment's runcontract through the action's `install-command` input: installing the
checkout into a fresh venv on every test run would cost minutes and test pip, not the action.
The pre-commit hook is run by `pre-commit try-repo`, which does install it from a clone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.gate.helpers import QUICK
from tests.sarif import conforms_to_sarif

ROOT = Path(__file__).parent.parent
VALID = sorted((ROOT / "tests" / "examples" / "valid").glob("*.json"))[0]
INVALID = ROOT / "tests" / "examples" / "invalid" / "C003-v2-failed.json"
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
# this environment's runcontract, checked to be the one on the PATH the steps get
REUSE = "runcontract --help > /dev/null && python -c 'import runcontract'"


def _action() -> dict[str, Any]:
    action: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    return action


def _run_action(given: dict[str, str], workdir: Path) -> tuple[list[int], dict[str, str]]:
    """Every `run:` step in order, as GitHub runs a composite action's steps."""
    action = _action()
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    assert set(given) <= set(inputs), "an input the action does not declare"
    inputs |= given
    outputs: dict[str, str] = {}
    output_file = workdir / "github-output"

    def fill(text: str) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("inputs."):
                return inputs[name.removeprefix("inputs.")]
            if name == "github.action_path":
                return str(ROOT)
            if name.startswith("steps.run.outputs."):
                return outputs[name.removeprefix("steps.run.outputs.")]
            raise AssertionError(f"an expression the test does not know: {name}")

        return EXPRESSION.sub(value, text)

    codes = []
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    for step in action["runs"]["steps"]:
        if "run" not in step:
            continue
        assert step["shell"] == "bash"
        env = {**os.environ, "PATH": path, "GITHUB_OUTPUT": str(output_file)}
        env |= {name: fill(str(text)) for name, text in step.get("env", {}).items()}
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", fill(step["run"])],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        codes.append(done.returncode)
        if output_file.exists():
            for line in output_file.read_text().splitlines():
                name, _, text = line.partition("=")
                outputs[name] = text
    return codes, outputs


def test_the_action_validates_writes_both_reports_and_keeps_the_exit_code(tmp_path: Path) -> None:
    (tmp_path / "recordings").mkdir()
    shutil.copy(INVALID, tmp_path / "recordings" / "broken.json")
    shutil.copy(VALID, tmp_path / "recordings" / "fine.json")
    codes, outputs = _run_action(
        {
            "command": "validate",
            "paths": "recordings/*.json",
            "args": "--profile auto",
            "sarif": "out/runcontract.sarif",
            "junit": "out/runcontract.xml",
            "install-command": f"mkdir out && {REUSE}",
        },
        tmp_path,
    )
    assert codes == [0, 0, 1]  # install, run, and the verdict kept for the job
    assert outputs["exit-code"] == "1"
    sarif = json.loads((tmp_path / "out" / "runcontract.sarif").read_text())
    conforms_to_sarif(sarif)
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["C003"]
    junit = ET.parse(tmp_path / "out" / "runcontract.xml").getroot()  # noqa: S314 - our own file
    assert junit.get("failures") == "1"
    assert junit.get("tests") == "2"


def test_the_action_passes_on_conformant_recordings(tmp_path: Path) -> None:
    shutil.copy(VALID, tmp_path / "fine.json")
    codes, outputs = _run_action(
        {"paths": "fine.json", "install-command": REUSE, "python-version": ""}, tmp_path
    )
    assert codes == [0, 0, 0]
    assert outputs["exit-code"] == "0"


@pytest.mark.timeout(600)  # a hang; the gate takes seconds
def test_the_action_gates_and_writes_its_reports(tmp_path: Path) -> None:
    codes, outputs = _run_action(
        {
            "command": "gate",
            "args": " ".join(("--fault", "list-out-of-order", *QUICK)),
            "sarif": "gate.sarif",
            "junit": "gate.xml",
            "install-command": REUSE,
        },
        tmp_path,
    )
    assert codes == [0, 0, 1]
    assert outputs["exit-code"] == "1"
    sarif = json.loads((tmp_path / "gate.sarif").read_text())
    conforms_to_sarif(sarif)
    assert "H001" in {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert ET.parse(tmp_path / "gate.xml").getroot().get("failures") != "0"  # noqa: S314


@pytest.mark.parametrize(
    ("given", "code"),
    [({"command": "lint", "paths": "x.json"}, "2"), ({"command": "validate"}, "2")],
)
def test_the_action_refuses_what_it_cannot_run(
    given: dict[str, str], code: str, tmp_path: Path
) -> None:
    codes, outputs = _run_action({**given, "install-command": REUSE}, tmp_path)
    assert outputs["exit-code"] == code
    assert codes[-1] == int(code)


@pytest.mark.slow
@pytest.mark.timeout(900)  # two hook installs from PyPI's cache: under a minute when idle
def test_the_pre_commit_hook_passes_a_valid_fixture_and_fails_an_invalid_one(
    tmp_path: Path,
) -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("try-repo needs the checkout as a git repository")
    hooks, project = tmp_path / "hooks", tmp_path / "project"
    # the hook as committed: try-repo installs it from a repository, here a clone of HEAD
    subprocess.run(["git", "clone", "-q", str(ROOT), str(hooks)], check=True, timeout=300)
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True, timeout=60)
    shutil.copy(VALID, project / "run.json")
    shutil.copy(INVALID, project / "broken.json")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}

    def try_repo(*files: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "pre_commit", "try-repo", str(hooks)]
        return subprocess.run(
            [*command, "runcontract-validate", "--files", *files],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    passed = try_repo("run.json")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"runcontract validate\.+Passed", passed.stdout)
    failed = try_repo("run.json", "broken.json")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "broken.json: run_F9KYpuyr0Yzxh7KmLIlRXJb8 (failed, v2): error C003" in failed.stdout


def test_the_readme_uses_the_action_with_inputs_it_declares() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    declared = set(_action()["inputs"])
    used = []
    for block in re.findall(r"```yaml\n(.*?)```", readme, flags=re.DOTALL):
        steps = yaml.safe_load(block)
        if isinstance(steps, dict):  # a whole job: its steps
            steps = [s for job in steps.get("jobs", {}).values() for s in job["steps"]]
        for step in steps if isinstance(steps, list) else []:
            if str(step.get("uses", "")).endswith("/runcontract@main"):
                used.append(step)
                assert set(step["with"]) <= declared
    assert len(used) == 2  # the gate job and the recorded fixtures
