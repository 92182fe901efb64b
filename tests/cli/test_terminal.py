"""What a terminal shows: colour and live progress there, and nothing of either anywhere else.

Run on pseudo-terminals (`in_terminal`): colour codes and a live display only appear where a
real terminal is, so that is where these look for them. Every wait is bounded by the helper.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.command import in_terminal, runcontract

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
BROKEN = EXAMPLES / "invalid" / "S001-v2-requires_action.json"
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def colours(text: str) -> set[int]:
    """The foreground colours (ANSI 30-37, 90-97) the text's escape codes switch on."""
    found = set()
    for params in SGR.findall(text):
        found |= {
            int(p) for p in params.split(";") if p and (30 <= int(p) <= 37 or 90 <= int(p) <= 97)
        }
    return found


def test_a_terminal_gets_colour() -> None:
    done = in_terminal("validate", "--no-progress", str(BROKEN))
    assert done.code == 1, done.output
    assert 31 in colours(done.out)  # the error in red
    assert "S001" in done.out


@pytest.mark.parametrize(
    ("env", "argv"),
    [({"NO_COLOR": "1"}, []), ({}, ["--color", "never"])],
    ids=["NO_COLOR", "--color never"],
)
def test_no_colour_when_asked_not_to(env: dict[str, str], argv: list[str]) -> None:
    done = in_terminal("validate", *argv, str(BROKEN), env=env)
    assert done.code == 1
    assert "S001" in done.out
    assert not colours(done.output)


def test_piped_output_has_no_escape_codes_even_with_a_terminal_beside_it() -> None:
    done = in_terminal("validate", str(BROKEN), terminal=("stderr",))
    assert done.code == 1
    assert "\x1b" not in done.out
    assert done.out == runcontract("validate", str(BROKEN)).out  # byte for byte the plain report


@pytest.mark.parametrize(("env", "argv"), [({"FORCE_COLOR": "1"}, []), ({}, ["--color", "always"])])
def test_colour_can_be_forced_into_a_pipe(env: dict[str, str], argv: list[str]) -> None:
    done = in_terminal("validate", *argv, str(BROKEN), terminal=(), env=env)
    assert 31 in colours(done.out)


def test_validate_shows_live_progress_on_a_terminal_only(tmp_path: Path) -> None:
    runs = tmp_path / "runs.jsonl"
    run = json.loads((EXAMPLES / "valid" / "v2-completed.json").read_text())
    runs.write_text("".join(json.dumps({**run, "id": f"run_{n:05d}"}) + "\n" for n in range(2000)))
    shown = in_terminal("validate", "--progress", str(runs), terminal=("stderr",))
    assert shown.code == 0, shown.output
    assert "1 file done · 2,000 run objects" in shown.err  # the last frame, before it is wiped
    assert shown.out.startswith("checked 2000 run objects in 1 file: 2000 passed, 0 failed")
    piped = in_terminal("validate", str(runs), terminal=())
    assert piped.err == ""
    assert piped.out == shown.out


def test_the_gate_shows_live_progress_on_a_terminal_and_its_report_stays_plain() -> None:
    argv = ("gate", "--phases", "lifecycle,examples", "--max-examples", "2", "--seed", "3")
    shown = in_terminal(*argv, terminal=("stderr",))
    assert shown.code == 0, shown.output
    assert "of --budget" in shown.err
    assert "left of --timeout" in shown.err
    assert "seed 3" in shown.err
    assert "gate: lifecycle completed: done" in shown.err  # the lines, above the display
    assert "\x1b" not in shown.out
    assert "gate: " not in shown.out  # the progress lines went to the terminal, not the pipe
    assert "verdict: conformant (exit 0)" in shown.out
    assert "seed 3: `--seed 3` sends the same cases again" in shown.out
    piped = in_terminal(*argv, terminal=())
    assert piped.err == ""
    assert "gate: lifecycle completed: done" in piped.out


def test_the_gate_verdict_is_coloured_on_a_terminal() -> None:
    done = in_terminal("gate", "--phases", "lifecycle", "--fault", "created-at-moves")
    assert done.code == 1
    verdict = next(line for line in done.out.splitlines() if "verdict:" in line)
    assert 31 in colours(verdict)


def test_many_missing_fields_are_one_line() -> None:
    done = runcontract("validate", "-", stdin=b'{"object": "thread.run"}')
    lines = done.out.splitlines()
    assert lines[0].startswith(
        "<stdin>: <no id> (no status, v2): error S001 $ (23 keys): required property '…' is "
        "missing: id, created_at, thread_id,"
    )
    assert lines[1] == (
        "<stdin>: <no id> (no status, v2): warning D003 $.parallel_tool_calls: required "
        "property 'parallel_tool_calls' is missing"
    )
    assert lines[2:] == [
        "by rule: D003 x1, S001 x23",
        "checked 1 run object in 1 file: 0 passed, 1 failed, 0 unreadable (23 errors, 1 warning)",
    ]
    # the JSON report keeps every violation apart
    document = json.loads(
        runcontract("validate", "--format", "json", "-", stdin=b'{"object": "thread.run"}').out
    )
    assert document["summary"]["errors"] == 23


def test_a_few_violations_stay_one_a_line() -> None:
    lines = runcontract("validate", str(BROKEN)).out.splitlines()
    assert all("keys)" not in line for line in lines)
