"""What a command imports: only what it needs, so a small file is judged without waiting.

Each case runs the command in a fresh interpreter (a subprocess) and reads its `sys.modules`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from runcontract.cli import COMMANDS, LAYER_COMMANDS, build_parser

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
VALID = EXAMPLES / "valid" / "v2-completed.json"
BROKEN = EXAMPLES / "invalid" / "S001-v2-requires_action.json"

_PROBE = """
import io, json, sys
from runcontract.cli import run
out, err = io.StringIO(), io.StringIO()
code = run(sys.argv[1:], out, err)
json.dump({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}, sys.stdout)
"""
HEAVY = ("starlette", "uvicorn", "schemathesis", "hypothesis", "httpx")
OTHER_LAYERS = ("runcontract.server", "runcontract.gate")


def _imported(*argv: str) -> tuple[int, str, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(done.stdout)
    return found["code"], found["out"], set(found["modules"])


def _packages(modules: set[str], names: tuple[str, ...]) -> set[str]:
    return {m for m in modules if any(m == n or m.startswith(f"{n}.") for n in names)}


def test_validate_of_a_small_file_imports_no_server_gate_or_python_jsonschema() -> None:
    code, out, modules = _imported("validate", str(VALID))
    assert code == 0, out
    assert "1 passed" in out
    assert not _packages(modules, HEAVY + OTHER_LAYERS)
    assert not _packages(modules, ("jsonschema",))  # jsonschema_rs gives the verdict
    # a small file is read whole: the streaming reader of large recordings is not loaded
    assert not _packages(modules, ("ijson", "runcontract.sources.streamed", "rich"))
    # the catalogue is read from its JSON copy, and a JSON file needs no YAML reader
    assert not _packages(modules, ("yaml", "runcontract.sources.yamlfile"))


def test_a_broken_run_brings_python_jsonschema_for_its_diagnostics() -> None:
    code, out, modules = _imported("validate", str(BROKEN))
    assert code == 1
    assert "S001" in out
    assert "jsonschema" in modules
    assert not _packages(modules, HEAVY + OTHER_LAYERS)


@pytest.mark.parametrize("argv", [["--help"], ["rules"], ["schema", "v2"]], ids=" ".join)
def test_other_light_commands_import_no_server_or_gate(argv: list[str]) -> None:
    code, _, modules = _imported(*argv)
    assert code == 0
    assert not _packages(modules, HEAVY + OTHER_LAYERS)
    assert not _packages(modules, ("yaml",))  # the catalogue's JSON copy is read


@pytest.mark.parametrize("command", sorted(LAYER_COMMANDS))
def test_a_layer_command_is_built_in_full_when_chosen(command: str) -> None:
    code, out, modules = _imported(command, "--help")
    assert code == 0
    assert f"usage: runcontract {command} [-h]" in out
    assert LAYER_COMMANDS[command][0] in modules


def _listed_help(argv: list[str], command: str) -> str | None:
    """The line `runcontract --help` gives `command`, with the parser built for `argv`."""
    subparsers = next(
        action
        for action in build_parser(argv)._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    return next(c.help for c in subparsers._choices_actions if c.dest == command)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_listed_line_of_a_command_is_its_own(command: str) -> None:
    other = "rules" if command != "rules" else "schema"
    assert _listed_help([command], command) == _listed_help([other], command)
    assert _listed_help([other], command) == COMMANDS[command][1]
