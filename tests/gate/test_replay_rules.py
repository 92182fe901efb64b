"""`runcontract validate` judges recorded exchanges by the HTTP rules, as the gate judges answers.

Recordings are written here as a recorder writes them (HAR, a vcrpy cassette), and read through
the CLI; the real cassettes of the shared corpus must keep 0 errors under the new rules.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from runcontract.gate.replay import OFFLINE_NOTE, path_below_base
from tests.command import runcontract
from tests.gate.helpers import ERROR
from tests.sources.helpers import CASSETTES, make_run, need_shared

BASE = "https://api.openai.com/v1"
BETA = {"name": "OpenAI-Beta", "value": "assistants=v2"}
JSON_TYPE = {"name": "Content-Type", "value": "application/json"}
THREAD = "thread_abc123"


def entry(
    method: str,
    path: str,
    status: int,
    body: Any,
    *,
    request: Any = None,
    media: str = "application/json",
    beta: bool = True,
) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    har_request: dict[str, Any] = {
        "method": method,
        "url": f"{BASE}{path}",
        "headers": [BETA] if beta else [],
    }
    if request is not None:
        har_request["postData"] = {"mimeType": "application/json", "text": json.dumps(request)}
    return {
        "request": har_request,
        "response": {
            "status": status,
            "headers": [{"name": "Content-Type", "value": media}],
            "content": {"mimeType": media, "text": text},
        },
    }


def har(tmp_path: Path, *entries: dict[str, Any]) -> Path:
    path = tmp_path / "traffic.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": list(entries)}}))
    return path


def validate(path: Path, *options: str) -> tuple[int, dict[str, Any]]:
    code, out, err = runcontract("validate", "--format", "json", *options, str(path))
    assert "Traceback" not in err
    return code, json.loads(out)


def http_codes(report: dict[str, Any]) -> Counter[str]:
    return Counter(
        v["rule"] for r in report["results"] for v in r["violations"] if v["rule"].startswith("H")
    )


def run_on(thread: str, number: int, created_at: int) -> dict[str, Any]:
    return {**make_run("completed", number), "thread_id": thread, "created_at": created_at}


def page(runs: list[dict[str, Any]], *, has_more: bool = False) -> dict[str, Any]:
    return {
        "object": "list",
        "data": runs,
        "first_id": runs[0]["id"] if runs else None,
        "last_id": runs[-1]["id"] if runs else None,
        "has_more": has_more,
    }


def test_a_5xx_for_a_run_no_earlier_answer_named_is_h002(tmp_path: Path) -> None:
    unknown = f"/threads/{THREAD}/runs/run_neverGivenOut0000000000"
    known = make_run("queued", 1)
    path = har(
        tmp_path,
        entry("POST", f"/threads/{THREAD}/runs", 200, known, request={"assistant_id": "asst_1"}),
        entry("GET", f"/threads/{THREAD}/runs/{known['id']}", 500, ERROR),
        entry("GET", unknown, 500, ERROR),
    )
    code, report = validate(path)
    assert code == 1
    assert http_codes(report) == {"H002": 1}
    (found,) = [r for r in report["results"] if r["violations"]]
    assert found["source"].endswith(":entry 3")
    assert "never gave out (404)" in found["violations"][0]["message"]


def test_status_content_type_and_error_shape_are_judged_against_the_document(
    tmp_path: Path,
) -> None:
    runs = f"/threads/{THREAD}/runs"
    path = har(
        tmp_path,
        entry("GET", f"{runs}/run_1", 404, "<html>not found</html>", media="text/html"),
        entry("POST", runs, 201, make_run(), request={"assistant_id": "asst_1"}),
        entry("GET", f"{runs}/{make_run()['id']}", 200, make_run(), media="text/plain"),
    )
    code, report = validate(path)
    assert code == 1
    assert http_codes(report) == {"H003": 1, "H004": 1, "H005": 1}


def test_a_list_page_out_of_order_or_with_wrong_cursors_is_h001(tmp_path: Path) -> None:
    runs = [run_on(THREAD, 1, 100), run_on(THREAD, 2, 200)]  # ascending: desc was asked
    bad = {**page(runs), "last_id": "run_somethingElse"}
    path = har(tmp_path, entry("GET", f"/threads/{THREAD}/runs?order=desc&limit=20", 200, bad))
    code, report = validate(path)
    assert code == 1
    assert http_codes(report) == {"H001": 2}


def test_a_walk_by_cursors_through_a_recorded_thread_is_judged_like_the_gate_s(
    tmp_path: Path,
) -> None:
    """The thread's creation and its three runs are in the recording; the walk skips one."""
    first, second, third = (run_on(THREAD, n, 100 * n) for n in (1, 2, 3))
    create = [
        entry("POST", f"/threads/{THREAD}/runs", 200, run, request={"assistant_id": "a"})
        for run in (first, second, third)
    ]
    thread = {"id": THREAD, "object": "thread", "created_at": 1, "metadata": {}}
    listing = f"/threads/{THREAD}/runs?order=asc&limit=1"
    path = har(
        tmp_path,
        entry("POST", "/threads", 200, thread, request={}),
        *create,
        entry("GET", listing, 200, page([first], has_more=True)),
        entry("GET", f"{listing}&after={first['id']}", 200, page([third], has_more=False)),
    )
    code, report = validate(path)
    assert code == 1
    messages = [v["message"] for r in report["results"] for v in r["violations"]]
    assert http_codes(report) == {"H001": 3}, messages
    assert any("never reached" in m and second["id"] in m for m in messages)
    # without the thread's creation the recording may lack runs of it: no walk is judged
    code, report = validate(
        har(tmp_path, *create, *json.loads(path.read_text())["log"]["entries"][4:])
    )
    assert http_codes(report) == {}


def test_a_stream_without_done_is_h014(tmp_path: Path) -> None:
    run = make_run("queued")
    stream = f"event: thread.run.created\ndata: {json.dumps(run)}\n\n"
    path = har(
        tmp_path,
        entry(
            "POST",
            f"/threads/{THREAD}/runs",
            200,
            stream,
            request={"assistant_id": "asst_1", "stream": True},
            media="text/event-stream",
        ),
    )
    code, report = validate(path)
    assert code == 1
    assert http_codes(report) == {"H014": 1}


def test_the_note_on_what_is_not_judged_offline_is_said_once(tmp_path: Path) -> None:
    path = har(
        tmp_path,
        entry("GET", f"/threads/{THREAD}/runs/run_1", 200, make_run()),
        entry("GET", f"/threads/{THREAD}/runs/run_1", 200, make_run()),
    )
    code, out, _ = runcontract("validate", str(path), str(path))
    assert code == 0, out
    assert out.count("not judged offline") == 1
    assert "4 recorded exchanges judged by the HTTP rules" in out
    assert OFFLINE_NOTE in out


def test_recordings_without_requests_keep_today_s_verdicts(tmp_path: Path) -> None:
    run = make_run("queued")
    stream = tmp_path / "saved.sse"
    stream.write_text(f"event: thread.run.created\ndata: {json.dumps(run)}\n\n")  # no [DONE]
    plain = tmp_path / "run.json"
    plain.write_text(json.dumps(run))
    lines = tmp_path / "runs.jsonl"
    lines.write_text(json.dumps(run) + "\n")
    for path in (stream, plain, lines):
        code, report = validate(path)
        assert code == 0, report
        assert report["summary"]["exchanges"] == 0
        assert report["summary"]["notes"] == []


def test_a_vcrpy_cassette_is_judged_by_its_requests(tmp_path: Path) -> None:
    interaction = {
        "request": {
            "body": None,
            "headers": {"OpenAI-Beta": ["assistants=v2"]},
            "method": "GET",
            "uri": f"{BASE}/threads/{THREAD}/runs/run_unknown",
        },
        "response": {
            "body": {"string": "upstream failed"},
            "headers": {"Content-Type": ["text/plain"]},
            "status": {"code": 502, "message": "Bad Gateway"},
        },
    }
    path = tmp_path / "cassette.yaml"
    path.write_text(yaml.safe_dump({"interactions": [interaction], "version": 1}))
    code, report = validate(path)
    assert http_codes(report) == {"H002": 1, "H003": 1}
    assert report["summary"]["exchanges"] == 1
    # no run object in the file: "nothing checked" stays the verdict, the HTTP errors fail it
    assert code == 1
    # an answer the gate retried is judged by its retry, as the gate judges it
    interaction["runcontract"] = {"profile": "v2", "origin": "schemathesis", "retried": True}
    path.write_text(yaml.safe_dump({"interactions": [interaction], "version": 1}))
    code, report = validate(path)
    assert http_codes(report) == {}
    assert report["summary"]["exchanges"] == 0


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://api.openai.com/v1/threads/t/runs", "/threads/t/runs"),
        ("https://x.openai.azure.com/openai/threads/t/runs?api-version=1", "/threads/t/runs"),
        ("http://127.0.0.1:8000/threads", "/threads"),
        ("https://api.openai.com/v1/assistants", "/v1/assistants"),
    ],
)
def test_the_path_below_any_base_url(url: str, path: str) -> None:
    assert path_below_base(url) == path


@pytest.mark.slow
def test_every_real_cassette_keeps_0_errors_under_the_http_rules() -> None:
    need_shared()
    code, report = validate(CASSETTES)
    assert code == 0
    assert report["summary"]["errors"] == 0
    assert http_codes(report) == {}
    # 15 recordings of OpenAI's own answers: 166 exchanges with their requests, all judged
    assert report["summary"]["files"] == 15
    assert report["summary"]["exchanges"] == 166
