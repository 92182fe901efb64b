"""Whatever bytes a file holds, `runcontract validate` answers with a verdict, never a traceback."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.command import runcontract
from tests.strategies import json_values

SUFFIXES = [".json", ".jsonl", ".yaml", ".har", ".json.gz", ".txt"]


def validate(content: bytes, suffix: str) -> tuple[int, str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(content)
        outcome = runcontract("validate", str(path))
        return outcome.code, outcome.output


@given(st.binary(max_size=2000), st.sampled_from(SUFFIXES))
@settings(max_examples=150)
def test_arbitrary_bytes_get_a_verdict(content: bytes, suffix: str) -> None:
    code, output = validate(content, suffix)
    assert code in (0, 1, 3)
    assert "Traceback" not in output
    assert "internal error" not in output


@given(json_values, st.sampled_from([".json", ".jsonl"]))
@settings(max_examples=150)
def test_arbitrary_json_gets_a_verdict(value: Any, suffix: str) -> None:
    code, output = validate(json.dumps(value).encode(), suffix)
    assert code in (0, 1, 3)
    assert "internal error" not in output
