"""`runcontract --help` lists each command on one line; each command's --help tells every option."""

from __future__ import annotations

import pytest

from runcontract.cli import COMMANDS
from runcontract.cli.options import GATE_OPTIONS, Kind
from runcontract.cli.validate import OPTIONS as VALIDATE_OPTIONS
from tests.command import runcontract


def test_the_commands_one_line_each_on_an_80_column_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    done = runcontract("--help")
    assert done.code == 0
    lines = done.out.splitlines()
    listed = [line.split()[0] for line in lines if line.startswith("    ") and line.split()]
    assert listed == list(COMMANDS)
    for name, (_, summary) in COMMANDS.items():
        assert f"    {name:<10}{summary}" in lines


@pytest.mark.parametrize(
    ("command", "options"), [("validate", VALIDATE_OPTIONS), ("gate", GATE_OPTIONS)]
)
def test_a_commands_help_tells_every_option_and_the_configuration(
    command: str, options: tuple[object, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    done = runcontract(command, "--help")
    assert done.code == 0
    text = " ".join(done.out.split())
    for option in (o for o in GATE_OPTIONS + VALIDATE_OPTIONS if o in options):
        if option.kind is Kind.PATHS:
            assert f"[{option.metavar} ...]" in text
        else:
            assert option.flag in text, option.name
            assert " ".join(option.help.replace("%%", "%").split()) in text, option.name
    assert f"[tool.runcontract.{command}] in pyproject.toml" in text
    assert "--config PATH" in text


@pytest.mark.parametrize("command", ["serve", "rules", "schema"])
def test_the_other_commands_have_their_help(command: str) -> None:
    done = runcontract(command, "--help")
    assert done.code == 0
    assert done.out.startswith(f"usage: runcontract {command} [-h]")
