"""An ASGI app under uvicorn on 127.0.0.1, a free port, in a background thread.

One helper for the server tests, the gate tests and the gate benchmark: real HTTP on loopback,
started within a deadline and stopped (and joined) when the block ends. The bounds are far above
what either takes: they catch a hang, and a loaded CI machine does not reach them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


class ServerDidNotStartError(RuntimeError):
    pass


@contextmanager
def serving(app: Any, *, start_within: float = 60.0) -> Iterator[str]:
    """Yields the base URL with the /v1 prefix, as the SDK takes it."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", loop="asyncio"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="loopback-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_within
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise ServerDidNotStartError(f"the server did not start within {start_within} s")
        time.sleep(0.005)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        if thread.is_alive():
            raise ServerDidNotStartError("the server did not stop within 60 s")
