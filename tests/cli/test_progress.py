"""`validate --progress`: lines on stderr for long reads; the report on stdout is untouched."""

from __future__ import annotations

import json
from pathlib import Path

from tests.command import EXAMPLES
from tests.command import runcontract as cli

RUN = json.loads((EXAMPLES / "valid" / "seed-cancelled.json").read_text())


def test_progress_names_each_file_and_counts_long_ones(tmp_path: Path) -> None:
    lines = tmp_path / "runs.jsonl"
    with lines.open("w") as handle:
        for number in range(20_001):
            handle.write(json.dumps({**RUN, "id": f"run_{number:06d}"}) + "\n")
    small = tmp_path / "one.json"
    small.write_text(json.dumps(RUN))
    code, out, err = cli("validate", "--progress", "--format", "json", str(lines), str(small))
    assert code == 0, err
    assert json.loads(out)["summary"]["objects"] == 20_002  # the report is whole on stdout
    assert err.splitlines() == [
        f"runcontract: reading {lines} ({lines.stat().st_size / 1_048_576:.1f} MiB)",
        f"runcontract: {lines}: 10000 items read",
        f"runcontract: {lines}: 20000 items read",
        f"runcontract: {lines}: done, 20001 run objects, 0 unreadable",
        f"runcontract: reading {small} (0.0 MiB)",
        f"runcontract: {small}: done, 1 run object, 0 unreadable",
    ]


def test_no_progress_unless_asked_or_on_a_terminal(tmp_path: Path) -> None:
    small = tmp_path / "one.json"
    small.write_text(json.dumps(RUN))
    assert cli("validate", str(small))[2] == ""  # stderr here is no terminal
    assert cli("validate", "--no-progress", str(small))[2] == ""
