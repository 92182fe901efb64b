"""A finding's request as a curl command: safe to paste, never carrying the key, and it works."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from runcontract.reproduce import curl
from runcontract.server import create_app
from tests.command import runcontract
from tests.gate.helpers import FAKE_KEY, QUICK, gate
from tests.serving import serving

EXAMPLES = Path(__file__).parent / "examples"
KEY_WORDS = ["-H", "Authorization: Bearer $OPENAI_API_KEY"]
URL = "https://api.openai.com/v1/threads/thread_abc123/runs"
HOSTILE_BODIES = [
    '{"instructions": "it\'s"}',
    '{"instructions": "$(touch /tmp/owned) `id` $HOME \\\\ \\" !!"}',
    '{"instructions": "two\nlines\ttab"}',
    "@/etc/passwd",
    "",
    '{"name": "\u00e9t\u00e9 \u2603"}',
]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_the_command_splits_back_into_the_request_it_was_made_from(body: str) -> None:
    headers = (("openai-beta", "assistants=v2"), ("content-type", "application/json"))
    command = curl("post", URL, headers, body)
    assert command is not None
    expected = ["curl", "-sS", "-X", "POST", URL, *KEY_WORDS]
    expected += ["-H", "OpenAI-Beta: assistants=v2", "-H", "Content-Type: application/json"]
    if body:
        expected += ["--data-raw", body]
    assert shlex.split(command) == expected


def test_only_the_headers_that_change_the_answer_are_kept_and_never_a_credential() -> None:
    headers = (
        ("user-agent", "OpenAI/Python 1.40"),
        ("authorization", f"Bearer {FAKE_KEY}"),
        ("openai-beta", "assistants=v1"),
        ("x-stainless-retry-count", "0"),
    )
    command = curl("GET", f"{URL}?limit=2&order=asc", headers)
    assert command is not None
    assert shlex.split(command) == [
        "curl",
        "-sS",
        f"{URL}?limit=2&order=asc",
        *KEY_WORDS,
        "-H",
        "OpenAI-Beta: assistants=v1",
    ]
    # a key that reached a body or a URL some other way is masked as in every other output
    leaked = curl("POST", f"{URL}?key={FAKE_KEY}", (), f'{{"note": "{FAKE_KEY}"}}')
    assert leaked is not None
    assert FAKE_KEY not in leaked
    assert "sk-***" in leaked


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/v1/threads/thread_abc123/runs", None),  # no host: curl could not reach it
        ("ftp://example.com/runs", None),
        ("http://[::1/runs", None),
        (URL, b'{"a": "\xff"}'),  # not UTF-8
        (URL, '{"a": "\x00"}'),  # no argument can carry a NUL
    ],
)
def test_no_command_where_no_shell_could_send_the_request(url: str, body: str | bytes) -> None:
    assert curl("POST", url, (), body) is None


def _cassette(run: dict[str, Any]) -> dict[str, Any]:
    request_body = json.dumps({"assistant_id": run["assistant_id"], "instructions": "it's $HOME"})
    return {
        "interactions": [
            {
                "request": {
                    "method": "GET",
                    "uri": "https://api.openai.com/v1/threads/thread_abc123/runs?limit=1",
                    "body": None,
                    "headers": {"Authorization": [f"Bearer {FAKE_KEY}"]},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": ["application/json"]},
                    "body": {
                        "string": json.dumps(
                            {
                                "object": "list",
                                "data": [],
                                "first_id": None,
                                "last_id": None,
                                "has_more": False,
                            }
                        )
                    },
                },
            },
            {
                "request": {
                    "method": "POST",
                    "uri": f"https://api.openai.com/v1/threads/{run['thread_id']}/runs",
                    "body": request_body,
                    "headers": {
                        "Authorization": [f"Bearer {FAKE_KEY}"],
                        "OpenAI-Beta": ["assistants=v2"],
                        "Content-Type": ["application/json"],
                        "User-Agent": ["OpenAI/Python 1.40"],
                    },
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": ["application/json"]},
                    "body": {"string": json.dumps(run)},
                },
            },
        ],
        "version": 1,
    }


def test_a_recorded_finding_carries_its_request_and_interaction_in_every_format(
    tmp_path: Path,
) -> None:
    run = json.loads((EXAMPLES / "invalid" / "C003-v2-failed.json").read_text())
    recording = tmp_path / "cassette.yaml"
    recording.write_text(yaml.safe_dump(_cassette(run)))
    text = runcontract("validate", str(recording))
    report = runcontract("validate", "--format", "json", str(recording))
    junit = runcontract("validate", "--format", "junit", str(recording))
    assert text.code == report.code == junit.code == 1
    for outcome in (text, report, junit):
        assert FAKE_KEY not in outcome.output
        assert FAKE_KEY[:12] not in outcome.output
    expected = ["curl", "-sS", "-X", "POST", f"{URL.replace('thread_abc123', run['thread_id'])}"]
    expected += [*KEY_WORDS, "-H", "OpenAI-Beta: assistants=v2"]
    expected += ["-H", "Content-Type: application/json"]
    body = json.dumps({"assistant_id": run["assistant_id"], "instructions": "it's $HOME"})
    expected += ["--data-raw", json.dumps(json.loads(body), separators=(",", ":"))]

    (result,) = json.loads(report.out)["results"]  # the empty page, whole, breaks nothing
    assert result["source"].endswith(":interaction 2")
    commands = {v["reproduce"] for v in result["violations"]}
    assert len(commands) == 1
    assert shlex.split(commands.pop()) == expected

    # text: once per rule, under its first example, with the interaction it came from
    lines = text.out.splitlines()
    rules = {v["rule"] for v in result["violations"]}
    shown = [i for i, line in enumerate(lines) if line.startswith("  reproduce (interaction 2): ")]
    assert len(shown) == len(rules)
    assert all(" error " in lines[i - 1] or " warning " in lines[i - 1] for i in shown)
    assert shlex.split(lines[shown[0]].split(": ", 1)[1]) == expected
    assert "reproduce (interaction 2): curl -sS -X POST" in junit.out


@pytest.mark.timeout(600)  # a hang; the gate takes seconds
def test_the_printed_command_gets_the_answer_the_gate_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate over HTTP with a key: its first H002's command, run by curl, answers the same."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    recording, report = tmp_path / "traffic.yaml", tmp_path / "gate.json"
    app = create_app(step_seconds=0.02, api_key=FAKE_KEY, faults=["server-error-on-unknown-id"])
    environment = {**os.environ, "OPENAI_API_KEY": FAKE_KEY}
    with serving(app) as base_url:
        monkeypatch.setenv("RUNCONTRACT_REPRODUCE_TEST_KEY", FAKE_KEY)
        outcome = gate(
            "--base-url",
            base_url,
            "--api-key-env",
            "RUNCONTRACT_REPRODUCE_TEST_KEY",
            *QUICK,
            "--record",
            str(recording),
            "--report",
            f"json={report}",
        )
        assert outcome.code == 1, outcome.output
        written = outcome.output + report.read_text() + recording.read_text()
        assert FAKE_KEY not in written
        assert "reproduce (interaction " in outcome.out
        found = [
            (result["source"], violation["reproduce"])
            for result in json.loads(report.read_text())["results"]
            for violation in result["violations"]
            if violation["rule"] == "H002"
        ]
        assert found, outcome.out
        source, command = found[0]
        answer = subprocess.run(
            ["bash", "-c", command],
            capture_output=True,
            env=environment,
            timeout=120,
            check=True,
        )
    # the interaction number names the recorded exchange the command was made from
    number = int(source.rsplit(":interaction ", 1)[1])
    interaction = yaml.safe_load(recording.read_text())["interactions"][number - 1]
    words = shlex.split(command)
    assert interaction["request"]["uri"] in words
    method = words[words.index("-X") + 1] if "-X" in words else "GET"
    assert interaction["request"]["method"] == method
    assert interaction["response"]["status"]["code"] == 500
    assert json.loads(answer.stdout) == json.loads(interaction["response"]["body"]["string"])


def _har(cassette: dict[str, Any]) -> dict[str, Any]:
    """The same exchanges as HAR 1.2 writes them."""

    def pairs(headers: dict[str, list[str]]) -> list[dict[str, str]]:
        return [{"name": n, "value": v} for n, values in headers.items() for v in values]

    entries = []
    for interaction in cassette["interactions"]:
        request, response = interaction["request"], interaction["response"]
        entry: dict[str, Any] = {
            "request": {
                "method": request["method"],
                "url": request["uri"],
                "headers": pairs(request["headers"]),
            },
            "response": {
                "status": response["status"]["code"],
                "headers": pairs(response["headers"]),
                "content": {"mimeType": "application/json", "text": response["body"]["string"]},
            },
        }
        if request["body"] is not None:
            entry["request"]["postData"] = {"mimeType": "application/json", "text": request["body"]}
        entries.append(entry)
    return {
        "log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}
    }


def test_a_finding_in_a_har_carries_its_request_and_entry(tmp_path: Path) -> None:
    run = json.loads((EXAMPLES / "invalid" / "C003-v2-failed.json").read_text())
    recording = tmp_path / "traffic.har"
    recording.write_text(json.dumps(_har(_cassette(run))))
    report = runcontract("validate", "--format", "json", str(recording))
    assert report.code == 1
    assert FAKE_KEY[:12] not in report.output
    (result,) = json.loads(report.out)["results"]
    assert result["source"].endswith(":entry 2")
    (command,) = {v["reproduce"] for v in result["violations"]}
    words = shlex.split(command)
    assert words[:5] == [
        "curl",
        "-sS",
        "-X",
        "POST",
        URL.replace("thread_abc123", run["thread_id"]),
    ]
    assert words[5:7] == KEY_WORDS
    assert json.loads(words[words.index("--data-raw") + 1])["instructions"] == "it's $HOME"
