"""The engines the tests judge with, each built once a process, on first use (not at import).

An Engine's verdicts depend on nothing it keeps between judgements (only whether it asks its
compiled verdict first does), so one of each kind serves every test; the `engine` and
`strict_engine` fixtures hand out these same instances.
"""

from __future__ import annotations

import functools

from runcontract.engine import Engine
from runcontract.engine.fastlane import FastLane


@functools.cache
def default_engine() -> Engine:
    """As `runcontract validate` builds it."""
    return Engine()


@functools.cache
def strict_engine() -> Engine:
    """As `runcontract validate --strict` builds it."""
    return Engine(strict=True)


@functools.cache
def engine_lane() -> FastLane:
    """The default engine's fast lane: clean runs, and those whose only faults are the real API's
    schema deviations."""
    lane = default_engine().fast_lane
    assert lane is not None, "the default engine has no fast lane"
    return lane
