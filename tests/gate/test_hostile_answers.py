"""Hostile answers on loopback: the gate names them as findings, never as a traceback."""

from __future__ import annotations

import gc
import re
import threading
import tracemalloc
from typing import Any

import pytest

from runcontract.engine import Engine
from runcontract.engine.nesting import MAX_NESTING
from runcontract.gate.phases import STAND_IN, nests_too_deep
from runcontract.server import create_app
from tests.gate.helpers import FAKE_KEY, exchange, gate, judge
from tests.serving import serving

pytestmark = pytest.mark.timeout(120)

DEPTH = 100_000
DEEP = b'{"a":' * DEPTH + b"1" + b"}" * DEPTH
ONE_RUN = re.compile(rb"/v1/threads/[^/]+/runs/[^/]+$")


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def deep_runs(app: Any) -> Any:
    """The reference server, except that reading one run answers JSON 100,000 levels deep."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("raw_path") or scope.get("path", "").encode()
        if scope["type"] == "http" and scope["method"] == "GET" and ONE_RUN.search(path):
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": DEEP})
            return
        await app(scope, receive, send)

    return wrapped


def test_answers_100000_levels_deep_are_h006_with_no_traceback(
    key_env: str, capfd: pytest.CaptureFixture[str]
) -> None:
    app = deep_runs(create_app(step_seconds=0.02, api_key=FAKE_KEY))
    with serving(app) as base_url:
        result = gate(
            "--base-url",
            base_url,
            "--api-key-env",
            key_env,
            "--phases",
            "lifecycle,examples,fuzzing,stateful",
            "--max-examples",
            "5",
            "--timeout",
            "90",
        )
    out, err = capfd.readouterr()
    everything = result.out + result.err + out + err
    assert "Traceback" not in everything
    assert "RecursionError" not in everything
    assert result.code in (1, 3), result.out
    one_run = r"GET /threads/\{thread_id\}/runs/\{run_id\}"
    assert re.search(rf"^  error   H006 .*{one_run} .*depth", result.out, re.M)
    for phase in ("examples", "fuzzing", "stateful"):
        cases = re.search(rf"^gate: schemathesis {phase}: (\d+) cases", result.out, re.M)
        assert cases is not None, result.out
        assert int(cases.group(1)) > 0, phase


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 1_000, 1_020, 5_000, DEPTH])
def test_a_deep_run_answer_is_judged_without_recursion(depth: int) -> None:
    found = judge()
    found.known_ids.update({"thread_a", "run_x"})
    body = '{"id": "run_x", "object": "thread.run", "metadata": ' + nested(depth) + "}"
    item = exchange("GET", "/threads/thread_a/runs/run_x", 200, raw=body.encode())
    errors: list[BaseException] = []
    codes: list[str] = []

    def judged() -> None:  # in a thread, as the gate's client judges, with its smaller stack
        try:
            codes.extend(v.rule for v in found.judge(item).violations())
        except BaseException as exc:  # noqa: BLE001 - the test reports whatever escaped
            errors.append(exc)

    worker = threading.Thread(target=judged)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert errors == []
    # read (orjson takes 1024 levels): the engine's S001 names the place; else unreadable: H006
    assert ("S001" in codes) if depth < 1024 else (codes == ["H006"]), codes


def test_the_engine_names_where_a_run_nests_too_deep() -> None:
    run: dict[str, Any] = {"id": "run_x", "object": "thread.run", "metadata": {"k": []}}
    inner: Any = run["metadata"]["k"]
    for _ in range(MAX_NESTING):
        inner.append([])
        inner = inner[-1]
    found = Engine().check_run(run)
    assert [(v.rule, v.path[:17]) for v in found] == [("S001", "$.metadata.k[0][0")]
    assert "nests deeper than 100 levels" in found[0].message


def test_only_bodies_too_deep_are_kept_from_schemathesis() -> None:
    assert nests_too_deep(DEEP)
    assert nests_too_deep(nested(MAX_NESTING + 5).encode())
    assert not nests_too_deep(nested(MAX_NESTING - 5).encode())
    assert not nests_too_deep(b'{"data": [' + b"{}," * 5000 + b"{}]}")  # many, not deep
    assert not nests_too_deep(b"[[[[ not json")
    assert not nests_too_deep(STAND_IN)


def test_the_judge_keeps_verdicts_not_bodies() -> None:
    """20 answers of 1 MiB of metadata each: what the judge still holds after is a small part."""
    answers, size = 20, 1024 * 1024
    found = judge()
    found.known_ids.update({"thread_a", "run_x"})
    # one answer of the same kind first: the modules and caches the first verdict loads are not
    # what the judge keeps of its answers, and in a test run alone they would be counted
    warm_run = {
        "id": "run_x",
        "object": "thread.run",
        "status": "queued",
        "metadata": {"a": "x" * 600},
    }
    warm = exchange("GET", "/threads/thread_a/runs/run_x", 200, warm_run)
    warm.number = 0
    found.judge(warm)
    del warm
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(1, answers + 1):
            run = {
                "id": "run_x",
                "object": "thread.run",
                "status": "queued",
                "metadata": {"filler": "x" * size, "nested": {"deep": ["y" * 4096] * 64}},
            }
            item = exchange("GET", "/threads/thread_a/runs/run_x", 200, run)
            item.number = number
            verdict = found.judge(item)
            assert {"M003", "S001"} <= {v.rule for v in verdict.violations()}
            del item, verdict, run
        gc.collect()  # what is kept, not what waits for the collector (schema errors cycle)
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    judged = answers * size
    assert len(found.verdicts) == answers + 1
    assert kept < judged / 20, f"{kept:,} bytes kept of {judged:,} judged"
    for verdict in found.verdicts.values():
        if verdict.exchange.number == 0:
            continue
        assert verdict.exchange.response_body == b""
        for violation in verdict.violations():
            assert len(violation.message) < 1100
            assert not isinstance(violation.value, str) or len(violation.value) < 1100


async def error_500_to_everything(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b'{"error": {"message": "down", "type": "server_error", "param": null, "code": null}}'
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def test_a_500_to_creating_the_assistant_is_no_h002(key_env: str) -> None:
    with serving(error_500_to_everything) as base_url:
        result = gate("--base-url", base_url, "--api-key-env", key_env, "--timeout", "60", "-v")
    assert result.code == 3, result.out
    assert "POST /v1/assistants" in result.out or "setup" in result.out, result.out
    assert "H002" not in result.out, result.out
