"""The compiled verdict rests in a stream of broken runs, and verdicts stay the same.

`Engine.check_run` asks the compiled verdict first; after MISSES_BEFORE_REST misses in a row it
sends the next runs the slow way unasked. A run the compiled verdict would have passed (clean,
or with the real API's schema deviations only) is then judged the slow way, which must give it
the same violations, in the same order.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runcontract.engine import Engine
from runcontract.model import Profile, Source, Violation
from runcontract.rests import FIRST_REST, LONGEST_REST, MISSES_BEFORE_REST
from tests.engine.breaks import BREAKS, DEVIATIONS, Break, run_profile
from tests.engines import default_engine
from tests.strategies import Run, runs

SOURCE = Source("runs.jsonl", "line 1")


def _resting(engine: Engine, run: Any) -> list[Violation]:
    """The violations of `run` judged the slow way: the engine resting."""
    engine._rests.resting = 1
    found = engine.check_run(run, source=SOURCE)
    assert engine._rests.resting == 0
    return found


def _asked(engine: Engine, run: Any) -> list[Violation]:
    """The violations of `run` with the compiled verdict asked first."""
    engine._rests.missed = engine._rests.resting = 0
    return engine.check_run(run, source=SOURCE)


@given(runs())
@settings(max_examples=100)
def test_a_clean_run_judged_the_slow_way_gets_the_same_violations(run: Run) -> None:
    engine = default_engine()
    assert engine._fast[Profile(run_profile(run))](run)  # the compiled verdict passes it
    assert _resting(engine, run) == _asked(engine, run) == []


@pytest.mark.parametrize("item", DEVIATIONS, ids=lambda b: b.code)
@given(data=st.data())
@settings(max_examples=20)
def test_a_deviating_run_judged_the_slow_way_gets_the_same_violations(
    item: Break, data: st.DataObject
) -> None:
    run, _ = item.draw_broken(data)
    engine = default_engine()
    assert _resting(engine, run) == _asked(engine, run)


@pytest.mark.parametrize("item", BREAKS, ids=lambda b: b.code)
@given(data=st.data())
@settings(max_examples=5)
def test_a_broken_run_gets_the_same_violations_resting_or_not(
    item: Break, data: st.DataObject
) -> None:
    run, _ = item.draw_broken(data)
    engine = default_engine()
    assert _resting(engine, run) == _asked(engine, run) != []


def test_the_verdict_rests_after_misses_in_a_row_and_longer_while_they_go_on() -> None:
    engine = Engine()
    broken = {"object": "thread.run", "status": "paused"}
    for _ in range(MISSES_BEFORE_REST - 1):
        engine.check_run(broken)
    assert engine._rests.resting == 0
    engine.check_run(broken)
    assert engine._rests.resting == FIRST_REST
    for _ in range(FIRST_REST + MISSES_BEFORE_REST):
        engine.check_run(broken)
    assert engine._rests.resting == 2 * FIRST_REST
    for _ in range(20):
        engine._rests.resting = 0
        for _ in range(MISSES_BEFORE_REST):
            engine.check_run(broken)
    assert engine._rests.resting == LONGEST_REST


@given(runs())
@settings(max_examples=5)
def test_a_run_that_passes_ends_the_rests(run: Run) -> None:
    engine = Engine()
    for _ in range(MISSES_BEFORE_REST):
        engine.check_run({"object": "thread.run"})
    assert engine._rests.resting == FIRST_REST
    engine._rests.resting, engine._rests.missed = 0, 3
    engine.check_run(run)
    assert (engine._rests.missed, engine._rests.rest) == (0, FIRST_REST)
