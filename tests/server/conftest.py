"""Fixtures: the reference server in-process (ManualClock) and over real HTTP (uvicorn)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from runcontract.engine import Engine
from runcontract.model import Profile
from runcontract.server import ManualClock, create_app
from tests.server.conformance import real_keys, schema_errors
from tests.server.recording import STEP_SECONDS, Api, Recorder
from tests.serving import serving

LIVE_STEP_SECONDS = 0.05


@dataclass
class Harness:
    """An in-process server with its clock, its recorder and clients of both profiles."""

    clock: ManualClock
    recorder: Recorder
    client: TestClient
    v2: Api
    v1: Api
    step: float = STEP_SECONDS

    def tick(self, steps: int = 1) -> None:
        self.clock.advance(self.step * steps)


def assert_honest(recorder: Recorder) -> None:
    """Every run, run list and error the server sent has its real shape and breaks no rule."""
    engine = Engine(lifecycle=False)
    for exchange in recorder.exchanges:
        profile = exchange.profile or Profile.V2
        for _, payload in exchange.payloads():
            if not isinstance(payload, dict):
                continue
            if payload.get("object") == "thread.run":
                assert tuple(payload) == real_keys(profile)
                assert schema_errors(payload, profile) == []
                assert engine.check_run(payload, profile=profile) == []
            elif "error" in payload:
                assert schema_errors(payload, profile, "ErrorResponse") == []
            elif payload.get("object") == "list" and exchange.path.endswith("/runs"):
                for run in payload["data"]:
                    assert tuple(run) == real_keys(profile)
                    assert engine.check_run(run, profile=profile) == []
                if payload["data"]:  # the schema wants string cursors; the real API sends null
                    assert schema_errors(payload, profile, "ListRunsResponse") == []


@pytest.fixture
def harness() -> Iterator[Harness]:
    """The server in-process; afterwards, everything it sent is checked by assert_honest."""
    clock = ManualClock()
    recorder = Recorder(create_app(clock=clock, step_seconds=STEP_SECONDS))
    with TestClient(recorder) as client:
        yield Harness(clock, recorder, client, Api(client, "v2"), Api(client, "v1"))
    assert_honest(recorder)


@dataclass
class LiveServer:
    base_url: str  # http://127.0.0.1:PORT/v1
    recorder: Recorder
    clock: ManualClock | None = None  # None: the wall clock


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    """The honest server under uvicorn on 127.0.0.1, a free port, in a background thread."""
    recorder = Recorder(create_app(step_seconds=LIVE_STEP_SECONDS))
    with serving(recorder) as base_url:
        yield LiveServer(base_url, recorder)


@pytest.fixture
def paused_live_server() -> Iterator[LiveServer]:
    """As live_server, but on a ManualClock: a run stays where it is until the test moves time.

    For a test whose requests must reach a run in a given status: on the wall clock a loaded
    machine can let the run move on between two requests.
    """
    clock = ManualClock()
    recorder = Recorder(create_app(clock=clock, step_seconds=STEP_SECONDS))
    with serving(recorder) as base_url:
        yield LiveServer(base_url, recorder, clock)
