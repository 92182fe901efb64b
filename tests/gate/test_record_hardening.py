"""--record and --report against hostile targets: the key stays out, reports are whole, bounds hold.

Each target is a small misbehaving server on loopback (tests/hostile.py); the gate is the real
command, and the cassette it writes is read back the way a user would (`runcontract validate`).
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from runcontract.cli import run as runcontract
from runcontract.gate.cassette import MAX_BODY_BYTES, MAX_WAITING, Cassette
from runcontract.gate.secrets import Secret
from runcontract.gate.traffic import Exchange
from runcontract.server import create_app
from tests.gate.helpers import FAKE_KEY, gate
from tests.hostile import echo_key_in_binary, rewrite_runs, with_huge_timestamps, with_padding
from tests.serving import serving

pytestmark = pytest.mark.timeout(180)

LIFECYCLE = ("--phases", "lifecycle", "--request-timeout", "20")


def _leaves(value: Any) -> Iterator[Any]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            yield item


def test_a_key_echoed_into_a_binary_body_is_masked_in_the_recording(
    key_env: str, tmp_path: Path
) -> None:
    recording, report = tmp_path / "traffic.yaml", tmp_path / "gate.json"
    with serving(echo_key_in_binary) as base_url:
        result = gate(
            "--base-url", base_url, "--api-key-env", key_env, *LIFECYCLE,
            "--record", str(recording), "--report", f"json={report}",
        )  # fmt: skip
    assert result.code == 3, result.out  # nothing it answers is a run: could not check
    raw = recording.read_text(encoding="utf-8")
    assert "!!binary" in raw
    assert FAKE_KEY not in raw
    assert FAKE_KEY not in result.out + result.err
    binary = [leaf for leaf in _leaves(yaml.safe_load(raw)) if isinstance(leaf, bytes)]
    assert binary, "the answers were recorded"
    for body in binary:
        assert FAKE_KEY.encode() not in body
        assert FAKE_KEY[:12].encode() not in body  # not even its start
        assert b"Bearer ***" in body
        assert body.startswith(b"\xff\xfe\x00binary ")  # the rest kept as it was sent
    out = io.StringIO()
    runcontract(["validate", "--format", "json", str(recording)], out, io.StringIO())
    assert FAKE_KEY not in out.getvalue()
    json.loads(out.getvalue())


def test_integers_beyond_64_bits_give_whole_reports_and_the_exit_code_said(
    key_env: str, tmp_path: Path
) -> None:
    report, junit, text = tmp_path / "g.json", tmp_path / "g.xml", tmp_path / "g.txt"
    app = rewrite_runs(create_app(step_seconds=0.02, api_key=FAKE_KEY), with_huge_timestamps)
    with serving(app) as base_url:
        result = gate(
            "--base-url", base_url, "--api-key-env", key_env, *LIFECYCLE, "--budget", "2",
            "--report", f"json={report},junit={junit},text={text}",
        )  # fmt: skip
    assert result.code == 1, result.out + result.err
    assert "verdict: contract violations (exit 1)" in result.out
    assert "internal error" not in result.err
    document = json.loads(report.read_text())
    values = [
        v["value"] for r in document["results"] for v in r["violations"] if v["rule"] == "T006"
    ]
    assert 2**64 in values  # exactly, not as a float
    assert document["summary"]["failed"] >= 1
    root = ET.parse(junit).getroot()  # noqa: S314 - our own report
    assert any("18446744073709551616" in (f.text or "") for f in root.iter("failure"))
    assert "18446744073709551616" in text.read_text()


def test_answers_too_big_to_keep_are_cut_and_marked_and_reports_still_written(
    key_env: str, tmp_path: Path
) -> None:
    recording, report = tmp_path / "traffic.yaml", tmp_path / "gate.json"
    app = rewrite_runs(
        create_app(step_seconds=0.02, api_key=FAKE_KEY), with_padding(MAX_BODY_BYTES + 1000)
    )
    with serving(app) as base_url:
        result = gate(
            "--base-url", base_url, "--api-key-env", key_env, *LIFECYCLE, "--budget", "1",
            "--record", str(recording), "--report", f"json={report}",
        )  # fmt: skip
    assert result.code in (1, 3), result.out
    assert json.loads(report.read_text())["summary"]["objects"] >= 1
    assert f"bodies cut to {MAX_BODY_BYTES} bytes" in result.out
    cassette = yaml.safe_load(recording.read_text(encoding="utf-8"))
    assert "bodies cut" in cassette["runcontract_note"]
    cut = [i for i in cassette["interactions"] if "truncated_from_bytes" in i["response"]["body"]]
    assert cut
    for interaction in cut:
        body = interaction["response"]["body"]
        assert len(body["string"].encode()) <= MAX_BODY_BYTES < body["truncated_from_bytes"]
    out = io.StringIO()
    code = runcontract(["validate", str(recording)], out, io.StringIO())
    assert code == 3  # a cut run is not judged as a run: it is named, unreadable
    assert "was cut when it was recorded" in out.getvalue()


def _exchange(interaction: int, run_id: str, size: int = 0) -> Exchange:
    run = {"id": run_id, "object": "thread.run", "status": "queued", "note": "x" * size}
    return Exchange(
        number=interaction,
        origin="test",
        method="GET",
        url=f"http://127.0.0.1/v1/threads/thread_1/runs/{run_id}",
        path=f"/threads/thread_1/runs/{run_id}",
        request_headers=(("openai-beta", "assistants=v2"),),
        request_body=b"",
        status=200,
        response_headers=(("content-type", "application/json"),),
        response_body=json.dumps(run).encode(),
        interaction=interaction,
    )


def test_a_recording_lists_answers_in_judged_order_and_stops_at_its_total_bound(
    tmp_path: Path,
) -> None:
    path = tmp_path / "traffic.yaml"
    cassette = Cassette(path, Secret(FAKE_KEY).mask, max_total_bytes=3000)
    for number in (2, 1, 4, 3):  # judged 1..4, arriving out of turn from two workers
        cassette.add(_exchange(number, f"run_{number}"))
    cassette.add(_exchange(5, "run_5", size=5000))  # beyond what is left of the bound
    cassette.add(_exchange(6, "run_6"))
    line = cassette.close()
    assert line.startswith(f"recording written: {path} (4 interactions)")
    assert "2 interactions not written" in line
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    uris = [i["request"]["uri"].rpartition("/")[2] for i in document["interactions"]]
    assert uris == ["run_1", "run_2", "run_3", "run_4"]
    assert document["version"] == 1
    assert "2 interactions not written" in document["runcontract_note"]


def test_a_recording_without_its_closing_lines_still_reads(tmp_path: Path) -> None:
    """A gate killed mid-run leaves the interactions written so far, readable."""
    path = tmp_path / "traffic.yaml"
    cassette = Cassette(path, Secret(FAKE_KEY).mask)
    for number in (1, 2):
        cassette.add(_exchange(number, f"run_{number}"))
    out = io.StringIO()
    code = runcontract(["validate", "--format", "json", str(path)], out, io.StringIO())
    cassette.close()
    assert [r["run_id"] for r in json.loads(out.getvalue())["results"]] == ["run_1", "run_2"]
    assert code in (0, 1)


def test_an_answer_that_never_comes_holds_back_only_a_bounded_few(tmp_path: Path) -> None:
    path = tmp_path / "traffic.yaml"
    cassette = Cassette(path, Secret(FAKE_KEY).mask)
    for number in range(2, 2 + MAX_WAITING + 1):  # interaction 1 was judged, never recorded
        cassette.add(_exchange(number, f"run_{number}"))
    assert cassette.written == MAX_WAITING + 1  # written without waiting for the close
    cassette.close()
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert len(document["interactions"]) == MAX_WAITING + 1
