"""The test recorder under uvicorn: a client can be done with a stream before the app is.

This is how `test_a_streamed_run_through_the_sdk` once failed on a loaded machine: the SDK stops
reading at `[DONE]` and returns, while the server has still to send the stream's last message,
so the exchange was not yet in the recording the test read.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from tests.server.recording import Recorder, RecordingNotSettledError
from tests.serving import serving

pytestmark = pytest.mark.timeout(60)


def stream_held_open(release: threading.Event) -> Any:
    """An app sending one event, then its last message only once `release` is set."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        import anyio.to_thread

        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        body = b"event: done\ndata: [DONE]\n\n"
        await send({"type": "http.response.body", "body": body, "more_body": True})
        await anyio.to_thread.run_sync(release.wait, 30)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


def read_to_done(base_url: str) -> None:
    with httpx.Client(timeout=30) as http, http.stream("GET", f"{base_url}/stream") as response:
        for line in response.iter_lines():
            if line == "data: [DONE]":
                return
    pytest.fail("the stream ended without [DONE]")


def test_a_stream_the_client_left_is_recorded_once_the_app_is_done() -> None:
    release = threading.Event()
    recorder = Recorder(stream_held_open(release))
    with serving(recorder) as base_url:
        read_to_done(base_url)
        assert recorder.exchanges == []  # the app is still holding its last message
        release.set()
        exchanges = recorder.settled().exchanges
    assert [(e.path, e.events) for e in exchanges] == [("/v1/stream", [("done", None)])]


def test_settled_names_what_is_unfinished_when_the_app_never_finishes() -> None:
    release = threading.Event()
    recorder = Recorder(stream_held_open(release))
    with serving(recorder) as base_url:
        read_to_done(base_url)
        try:
            with pytest.raises(RecordingNotSettledError, match="1 exchange"):
                recorder.settled(within=0.1)
        finally:
            release.set()
