"""Whole recorded exchanges (`Answered`) for the HTTP rules, and the gate's mark on cassettes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from runcontract.model import Observation, Profile
from runcontract.sources import read_paths
from runcontract.sources.exchanges import Answered, GateMark, gate_mark
from runcontract.sources.reader import read_recordings
from tests.sources.helpers import CASSETTES, make_run, need_shared


def cassette(tmp_path: Path, *, mark: object, beta: bool) -> Path:
    run = make_run("queued")
    interaction: dict[str, object] = {
        "request": {
            "body": '{"assistant_id": "asst_abc123"}',
            "headers": {"OpenAI-Beta": ["assistants=v1"]} if beta else {},
            "method": "POST",
            "uri": "http://127.0.0.1:8000/v1/threads/thread_abc123/runs",
        },
        "response": {
            "body": {"string": json.dumps(run)},
            "headers": {"content-type": ["application/json"]},
            "status": {"code": 200, "message": "OK"},
        },
    }
    if mark is not None:
        interaction["runcontract"] = mark
    path = tmp_path / "gate.yaml"
    path.write_text(yaml.safe_dump({"interactions": [interaction], "version": 1}))
    return path


def test_an_exchange_with_its_request_ends_with_its_answered(tmp_path: Path) -> None:
    path = cassette(tmp_path, mark=None, beta=True)
    items = list(read_recordings([str(path)]))
    (observation,) = [i for i in items if isinstance(i, Observation)]
    (answered,) = [i for i in items if isinstance(i, Answered)]
    assert items.index(answered) == items.index(observation) + 1
    assert answered.runs == (observation,)
    assert answered.source.entry == "interaction 1"
    assert answered.exchange.status_code == 200
    assert answered.exchange.gate is None
    # read_paths, which every other reader of inputs uses, gives what it gave before
    assert not [i for i in read_paths([str(path)]) if isinstance(i, Answered)]


def test_the_gate_s_profile_is_the_hint_even_without_an_openai_beta_header(
    tmp_path: Path,
) -> None:
    mark = {"profile": "seed", "origin": "schemathesis", "key": False}
    items = list(read_recordings([str(cassette(tmp_path, mark=mark, beta=False))]))
    (observation,) = [i for i in items if isinstance(i, Observation)]
    (answered,) = [i for i in items if isinstance(i, Answered)]
    assert observation.profile_hint is Profile.SEED
    assert answered.exchange.gate == GateMark(Profile.SEED, "schemathesis", sent_key=False)


def test_the_request_s_header_is_the_hint_without_a_mark(tmp_path: Path) -> None:
    items = list(read_recordings([str(cassette(tmp_path, mark=None, beta=True))]))
    (observation,) = [i for i in items if isinstance(i, Observation)]
    assert observation.profile_hint is Profile.V1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"profile": "v2", "origin": "lifecycle: x"}, GateMark(Profile.V2, "lifecycle: x")),
        ({"profile": "v9", "origin": 3, "retried": True}, GateMark(None, None, retried=True)),
        ({}, GateMark(None, None)),
        ("v2", None),
        (None, None),
    ],
)
def test_a_gate_mark_takes_only_what_it_knows(value: object, expected: GateMark | None) -> None:
    assert gate_mark(value) == expected


def test_a_saved_stream_and_bare_runs_have_no_exchange(tmp_path: Path) -> None:
    run = make_run("queued")
    stream = tmp_path / "saved.sse"
    stream.write_text(f"event: thread.run.created\ndata: {json.dumps(run)}\n\n")
    plain = tmp_path / "run.json"
    plain.write_text(json.dumps(run))
    items = list(read_recordings([str(stream), str(plain)]))
    assert len([i for i in items if isinstance(i, Observation)]) == 2
    assert not [i for i in items if isinstance(i, Answered)]


def test_every_real_cassette_gives_its_exchanges() -> None:
    need_shared()
    answered = [i for i in read_recordings([str(CASSETTES)]) if isinstance(i, Answered)]
    assert len(answered) == 166
    assert len({a.source.file for a in answered}) == 15
