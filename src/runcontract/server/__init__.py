"""An in-memory reference implementation of the Assistants Runs API, with fault injection.

`create_app()` gives the ASGI app (tests drive it in-process with a `ManualClock`);
`runcontract serve` / `python -m runcontract.server` serve it over HTTP with the wall clock.
"""

from __future__ import annotations

from runcontract.server.app import create_app
from runcontract.server.clock import Clock, ManualClock, WallClock
from runcontract.server.faults import CATALOGUE, FaultInfo, UnknownFaultError, list_faults
from runcontract.vocabulary import FAIL_PHRASE, LONG_PHRASE

__all__ = [
    "CATALOGUE",
    "FAIL_PHRASE",
    "LONG_PHRASE",
    "Clock",
    "FaultInfo",
    "ManualClock",
    "UnknownFaultError",
    "WallClock",
    "create_app",
    "list_faults",
]
