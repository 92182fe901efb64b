"""The README's first five minutes and its configuration example, run as written."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest

from runcontract.cli.options import GATE_OPTIONS
from runcontract.cli.validate import OPTIONS as VALIDATE_OPTIONS
from runcontract.config import load_settings
from tests.command import runcontract

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _block(heading: str, language: str) -> str:
    section = README.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert found is not None, f"no {language} block under {heading}"
    return found[1]


def test_the_first_five_minutes_give_what_they_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    commands = [
        shlex.split(line.split("#")[0])
        for line in _block("The first five minutes", "sh").splitlines()
        if line.startswith("runcontract ")
    ]
    said = [int(code) for code in re.findall(r"exit (\d)", _block("The first five minutes", "sh"))]
    assert len(commands) == 3
    assert said == [0, 1, 1]
    # the embedded server's default gate is run by tests/gate; here its lifecycle, for speed
    codes = [runcontract(*commands[0][1:], "--phases", "lifecycle").code]
    codes += [runcontract(*command[1:]).code for command in commands[1:]]
    assert codes == said
    finding = runcontract("validate", "traffic.yaml").out.splitlines()[0]
    assert re.match(
        r"traffic\.yaml:interaction \d+: run_\w+ \(\w+, v2\): error L003 \$\.created_at: "
        r"created_at changed from \d+ \(at traffic\.yaml:interaction \d+\) to \d+$",
        finding,
    )


def test_the_configuration_example_is_taken_as_it_stands(tmp_path: Path) -> None:
    example = _block("Configuration", "toml")
    assert tomllib.loads(example)["tool"]["runcontract"].keys() == {"validate", "gate"}
    (tmp_path / "pyproject.toml").write_text(example)
    validate = load_settings("validate", VALIDATE_OPTIONS, explicit=None, start=tmp_path)
    assert validate.values["paths"] == [str(tmp_path / "tests/recordings")]
    assert validate.values["ignore"] == ["D001"]
    gate = load_settings("gate", GATE_OPTIONS, explicit=None, start=tmp_path)
    assert gate.values["report"] == [
        ("junit", str(tmp_path / "reports/gate.xml")),
        ("json", str(tmp_path / "reports/gate.json")),
    ]
    assert gate.values["budget"] == 20
