"""Clocks that drive the simulated executor.

The executor never runs in the background: it reads the clock whenever a run is looked at and
advances the run to that moment. So a test that owns a `ManualClock` decides exactly when
each step of a run happens, and `serve` uses the wall clock.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol, runtime_checkable

DEFAULT_START = 1_767_225_600.0  # 2026-01-01T00:00:00Z: a fixed, realistic origin for tests


@runtime_checkable
class Clock(Protocol):
    """The time in Unix seconds, as a float."""

    def now(self) -> float: ...


@runtime_checkable
class WaitableClock(Clock, Protocol):
    """A clock that knows how to let time pass until a moment (used by streams)."""

    async def wait_until(self, moment: float) -> None: ...


class WallClock:
    """Real time."""

    def now(self) -> float:
        return time.time()

    async def wait_until(self, moment: float) -> None:
        delay = moment - self.now()
        if delay > 0:
            await asyncio.sleep(delay)


class ManualClock:
    """Time that moves only when told to; waiting on it jumps straight to the moment."""

    def __init__(self, start: float = DEFAULT_START) -> None:
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError(f"a ManualClock cannot go back in time (advance({seconds!r}))")
        self._now += seconds
        return self._now

    def advance_to(self, moment: float) -> float:
        self._now = max(self._now, float(moment))
        return self._now

    async def wait_until(self, moment: float) -> None:
        self.advance_to(moment)


async def wait_until(clock: Clock, moment: float) -> None:
    """Let `clock` reach `moment`: jump a manual clock, sleep on any other."""
    if isinstance(clock, WaitableClock):
        await clock.wait_until(moment)
        return
    delay = moment - clock.now()
    if delay > 0:
        await asyncio.sleep(delay)
