"""Settings from runcontract.toml or [tool.runcontract] in pyproject.toml: found, checked, and
always overruled by a flag.

Each test runs `runcontract` from a project folder of its own (the current folder is where the
file is looked for), with a recording whose verdict depends on the setting.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runcontract.cli.options import GATE_OPTIONS, GATE_PHASES
from runcontract.cli.validate import OPTIONS as VALIDATE_OPTIONS
from runcontract.gate.session import ALL_PHASES
from tests.command import runcontract

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
RUN = json.loads((EXAMPLES / "valid" / "v2-completed.json").read_text())
# Passes by default; under --strict its missing parallel_tool_calls (deviation D003) is an error.
LAX = {key: value for key, value in RUN.items() if key != "parallel_tool_calls"}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "project"
    (folder / "recordings").mkdir(parents=True)
    (folder / "recordings" / "lax.json").write_text(json.dumps(LAX))
    monkeypatch.chdir(folder)
    return folder


def test_without_a_file_the_defaults_hold(project: Path) -> None:
    assert runcontract("validate", "recordings").code == 0


def test_pyproject_table_sets_an_option(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.runcontract.validate]\nstrict = true\n")
    done = runcontract("validate", "recordings")
    assert done.code == 1
    assert "error D003" in done.out


def test_a_flag_wins_over_the_file(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.runcontract.validate]\nstrict = true\n")
    assert runcontract("validate", "--no-strict", "recordings").code == 0


def test_a_list_from_the_command_line_replaces_the_files(project: Path) -> None:
    (project / "runcontract.toml").write_text('[validate]\nstrict = true\nignore = ["S"]\n')
    assert runcontract("validate", "recordings").code == 1  # D003 not ignored
    assert runcontract("validate", "--ignore", "D003", "recordings").code == 0


def test_runcontract_toml_wins_over_pyproject(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.runcontract.validate]\nstrict = true\n")
    (project / "runcontract.toml").write_text("[validate]\nstrict = false\n")
    assert runcontract("validate", "recordings").code == 0


def test_the_file_is_found_from_a_subfolder_and_its_paths_read_from_its_folder(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "runcontract.toml").write_text(
        '[validate]\nstrict = true\npaths = ["recordings"]\nformat = "json"\n'
    )
    (project / "deeper").mkdir()
    monkeypatch.chdir(project / "deeper")
    done = runcontract("validate")
    assert done.code == 1
    assert json.loads(done.out)["summary"]["objects"] == 1


def test_a_pyproject_without_the_table_is_passed_over(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "runcontract.toml").write_text("[validate]\nstrict = true\n")
    (project / "deeper").mkdir()
    (project / "deeper" / "pyproject.toml").write_text("[tool.other]\nx = 1\n")
    monkeypatch.chdir(project / "deeper")
    assert runcontract("validate", "../recordings").code == 1


def test_config_names_the_file(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "settings.toml"
    elsewhere.write_text("[validate]\nstrict = true\n")
    assert runcontract("validate", "--config", str(elsewhere), "recordings").code == 1
    missing = runcontract("validate", "--config", str(tmp_path / "none.toml"), "recordings")
    assert missing.code == 2
    assert f"{tmp_path / 'none.toml'}: no such configuration file" in missing.err


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "[tool.runcontract.validate]\nstrictly = true\n",
            "pyproject.toml: [tool.runcontract.validate] strictly: unknown key; the keys of "
            "[tool.runcontract.validate] are: color, dask, examples,",
        ),
        (
            "[tool.runcontract.validate]\nstrict = 'yes'\n",
            "pyproject.toml: [tool.runcontract.validate] strict: expected true or false, got 'yes'",
        ),
        (
            "[tool.runcontract.validate]\nprofile = 'v3'\n",
            "[tool.runcontract.validate] profile: expected one of 'auto', 'seed', 'v1', 'v2', "
            "got 'v3'",
        ),
        (
            "[tool.runcontract.validate]\nselect = ['S', 7]\n",
            "[tool.runcontract.validate] select: expected a list of strings, got ['S', 7]",
        ),
        (
            "[tool.runcontract.gate]\nbudget = -1\n",
            "[tool.runcontract.gate] budget: expected a whole number, got '-1'",
        ),
        (
            "[tool.runcontract.gate]\ntimeout = '10'\n",
            "[tool.runcontract.gate] timeout: expected a number, got '10'",
        ),
        (
            "[tool.runcontract.gate]\nphases = ['lifecycle', 'smoke']\n",
            "[tool.runcontract.gate] phases: unknown phase smoke; phases: lifecycle,",
        ),
        (
            "[tool.runcontract]\nstrict = true\n",
            "pyproject.toml: unknown key 'tool.runcontract.strict': options go in the tables "
            "[tool.runcontract.validate] and [tool.runcontract.gate]",
        ),
        ("[tool.runcontract.validate\n", "pyproject.toml: not valid TOML: "),
    ],
    ids=["unknown key", "bool", "choice", "list", "whole", "number", "phase", "flat", "toml"],
)
def test_a_wrong_file_is_a_usage_error_naming_file_and_key(
    project: Path, text: str, says: str
) -> None:
    (project / "pyproject.toml").write_text(text)
    command = "gate" if "gate]" in text else "validate"
    done = runcontract(command, "recordings") if command == "validate" else runcontract(command)
    assert done.code == 2
    assert says in done.err
    assert str(project / "pyproject.toml") in done.err
    assert "Traceback" not in done.output


def test_the_gate_reads_its_table(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.runcontract.gate]\nphases = "lifecycle"\nbudget = 0\nseed = 7\n'
    )
    done = runcontract("gate")
    # A budget of 0 runs: nothing may be created, so the scenarios cannot run: could not check.
    assert done.code == 3, done.output
    assert "budget 0" in done.out
    assert "seed" not in done.out  # the lifecycle alone draws no case from the seed
    done = runcontract("gate", "--budget", "30")
    assert done.code == 0, done.output


def test_every_option_of_validate_and_gate_has_its_key() -> None:
    """The file takes every option but the action that prints and exits."""
    in_file = {o.name for o in GATE_OPTIONS if o.in_file}
    assert {o.name for o in GATE_OPTIONS} - in_file == {"print-document"}
    assert all(o.in_file for o in VALIDATE_OPTIONS)
    assert GATE_PHASES == ALL_PHASES
