"""Credentials in recordings never reach an Observation or a ReadError."""

from __future__ import annotations

import base64
import gzip
import io
import json
from pathlib import Path

import yaml

from runcontract.cli import run

from .helpers import make_run, read_all

BEARER = "sk-live-9f8e7d6c5b4a39281706fedcba"
PROJECT_KEY = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx_12-34"
COOKIE = "__cf_bm=Zq8Xw7Vv6Uu5Tt4Ss3Rr2Qq1Pp0Oo"
SESSION = "sessionid=7hKs92LmQpX0aZ"
SECRETS = (BEARER, PROJECT_KEY, COOKIE, SESSION, "Zq8Xw7Vv6Uu5", "7hKs92LmQpX0aZ")


def vcrpy_cassette() -> str:
    run = json.dumps(make_run()).replace("'", "''")
    broken = ('{"error": "bad key ' + PROJECT_KEY + '"').replace("'", "''")
    body = json.dumps({"assistant_id": "asst_abc123", "metadata": {"note": PROJECT_KEY}})
    request = (
        "    method: POST\n"
        f"    uri: https://api.openai.com/v1/threads/thread_abc123/runs?api_key={PROJECT_KEY}\n"
        f"    body: '{body}'\n"
        "    headers:\n"
        "      Authorization:\n      - Bearer " + BEARER + "\n"
        "      Cookie:\n      - " + COOKIE + "; " + SESSION + "\n"
        "      api-key: " + PROJECT_KEY + "\n"
        "      X-Api-Key: [" + PROJECT_KEY + "]\n"
        "      OpenAI-Api-Key: " + PROJECT_KEY + "\n"
        "      X-Forwarded-Token: [" + PROJECT_KEY + "]\n"
        "      OpenAI-Beta: [assistants=v2]\n"
    )
    response_headers = (
        "    headers:\n"
        "      Set-Cookie:\n      - " + COOKIE + "; path=/\n      - " + SESSION + "; HttpOnly\n"
        "      Content-Type: [application/json]\n"
    )
    return (
        "interactions:\n"
        f"- request:\n{request}  response:\n{response_headers}"
        f"    body: {{string: '{run}'}}\n    status: {{code: 200, message: OK}}\n"
        f"- request:\n{request}  response:\n{response_headers}"
        f"    body: {{string: '{broken}'}}\n    status: {{code: 401, message: Unauthorized}}\n"
        "version: 1\n"
    )


def test_no_credential_survives_in_anything_yielded(tmp_path: Path) -> None:
    path = tmp_path / "leaky.yaml"
    path.write_text(vcrpy_cassette())

    reading = read_all([path])

    assert len(reading.observations) == 1
    assert len(reading.errors) == 1  # the truncated 401 body, reported without quoting it
    everything = repr(reading.items)
    for secret in SECRETS:
        assert secret not in everything
    request = reading.observations[0].request
    assert request is not None
    names = {name for name, _ in request.headers}
    assert names.isdisjoint({"authorization", "cookie", "api-key", "x-api-key", "openai-api-key"})
    assert ("x-forwarded-token", "sk-***") in request.headers
    assert ("openai-beta", "assistants=v2") in request.headers
    assert request.path == "/v1/threads/thread_abc123/runs"
    assert request.body == {"assistant_id": "asst_abc123", "metadata": {"note": "sk-***"}}


def test_secrets_in_error_messages_are_masked(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text(json.dumps(make_run()) + "\n" + "{" + PROJECT_KEY + "\n")
    folder = tmp_path / BEARER
    folder.mkdir()
    reading = read_all([path, folder])
    assert len(reading.errors) == 2
    for error in reading.errors:
        assert PROJECT_KEY not in error.message
        assert BEARER not in error.message


def test_a_key_in_binary_bodies_reaches_nothing_yielded_or_reported(tmp_path: Path) -> None:
    """Bodies that are not UTF-8 (`!!binary`) are decoded by the reader; what they hold stays in."""
    binary = b"\xff\xfe\x00 Bearer " + BEARER.encode() + b" \x80 " + PROJECT_KEY.encode()
    gzipped = gzip.compress(json.dumps({"echo": PROJECT_KEY, "object": "thread.run"}).encode())
    document = {
        "interactions": [
            {
                "request": {"method": "POST", "uri": "https://api.openai.com/v1/x", "body": binary},
                "response": {"status": {"code": 200}, "body": {"string": binary}},
            },
            {
                "request": {"method": "GET", "uri": "https://api.openai.com/v1/threads/t/runs/r"},
                "response": {"status": {"code": 200}, "body": {"string": gzipped}},
            },
        ]
    }
    path = tmp_path / "binary.yaml"
    path.write_text(yaml.safe_dump(document))
    assert base64.b64encode(binary).decode()[:20] in path.read_text()  # stored as !!binary
    reading = read_all([path])
    everything = repr(reading.items)
    assert BEARER not in everything
    assert PROJECT_KEY not in everything
    for secret in (BEARER, PROJECT_KEY):
        assert base64.b64encode(secret.encode()).decode()[:16] not in everything
    for report in ("text", "json", "junit"):
        out = io.StringIO()
        run(["validate", "--format", report, str(path)], out, io.StringIO())
        assert BEARER not in out.getvalue()
        assert PROJECT_KEY not in out.getvalue()


def test_a_session_record_with_a_huge_integer_and_a_key_is_judged_and_masked(
    tmp_path: Path,
) -> None:
    run = {**make_run(), "created_at": 2**64, "metadata": {"note": PROJECT_KEY}}
    entry = {"RequestUri": "https://api.openai.com/v1/threads/t/runs", "ResponseBody": run}
    path = tmp_path / "session.json"
    path.write_text(json.dumps({"Entries": [entry]}))
    reading = read_all([path])
    assert [o.run["created_at"] for o in reading.observations] == [2**64]
    assert PROJECT_KEY not in repr(reading.items)
