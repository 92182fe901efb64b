"""Reports stay whole documents whatever numbers a run holds (2^64 and beyond, 1e400)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.command import EXAMPLES
from tests.command import runcontract as cli

RUN = EXAMPLES / "valid" / "seed-cancelled.json"
HUGE = 2**64
HUGER = 10**60


@pytest.fixture
def huge_numbers(tmp_path: Path) -> Path:
    text = RUN.read_text().replace('"created_at": 1706672593', f'"created_at": {HUGE}')
    text = text.replace('"expires_at": 1706673193', f'"expires_at": {HUGER}')
    text = text.replace('"cancelled_at": 1706672660', '"cancelled_at": 1e400')
    path = tmp_path / "huge.json"
    path.write_text(text)
    return path


def test_the_json_report_renders_huge_integers_exactly(huge_numbers: Path) -> None:
    other = EXAMPLES / "valid" / "v2-requires_action.json"
    code, out, err = cli("validate", "--format", "json", str(huge_numbers), str(other))
    assert code == 1, err
    document = json.loads(out)
    values = {v["path"]: v["value"] for r in document["results"] for v in r["violations"]}
    assert values["$.created_at"] == HUGE
    assert HUGER in values.values()
    assert [r["source"] for r in document["results"]] == [str(huge_numbers), str(other)]
    assert document["summary"]["files"] == 2


def test_the_junit_and_text_reports_render_huge_integers_exactly(huge_numbers: Path) -> None:
    code, out, _ = cli("validate", "--format", "junit", str(huge_numbers), str(EXAMPLES / "valid"))
    assert code == 1
    root = ET.fromstring(out)  # noqa: S314 - our own report
    assert any(str(HUGE) in (f.text or "") for f in root.iter("failure"))
    assert int(root.get("tests") or 0) > 1
    code, out, _ = cli("validate", str(huge_numbers), str(EXAMPLES / "valid"))
    assert code == 1
    assert f"created_at {HUGE} is not a Unix time in seconds" in out
    assert "checked" in out.splitlines()[-1]
