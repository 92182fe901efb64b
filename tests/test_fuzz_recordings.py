"""Mutated real cassettes, HAR and JSON Lines: every one judged, no crash, no hang, whole reports.

A fixed seed and a few hundred inputs in CI (tests/mutation.py says what is mutated). The long
run: RUNCONTRACT_FUZZ_INPUTS=20000 pytest tests/test_fuzz_recordings.py, or
`python -m tests.mutation 20000`.
"""

from __future__ import annotations

import os

import pytest

from tests.mutation import fuzz, seeds

INPUTS = int(os.environ.get("RUNCONTRACT_FUZZ_INPUTS", "300"))
SEED = int(os.environ.get("RUNCONTRACT_FUZZ_SEED", "0"))


def test_the_seeds_are_real_recordings() -> None:
    found = {seed.suffix for seed in seeds()}
    if len(found) < 3:
        pytest.skip("the shared corpus of cassettes is not here")
    assert {".yaml", ".json", ".har", ".jsonl"} <= found | {".yml"}


@pytest.mark.timeout(max(300, INPUTS // 10))
def test_mutated_recordings_are_judged_without_a_crash_or_a_hang() -> None:
    result = fuzz(INPUTS, SEED)
    assert result.failures == []
    assert result.inputs == INPUTS
    assert result.runs_judged > INPUTS  # the mutants still hold runs: the engine was reached
    assert result.unreadable > 0  # and some are broken: the readers' errors were reached
