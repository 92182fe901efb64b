"""Dask is imported only by --dask: validate and drift of files in one process never load it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from runcontract._data import data_dir

_PROBE = """
import io, json, sys
from runcontract.cli import run
code = run(sys.argv[1:], io.StringIO(), io.StringIO())
json.dump({"code": code, "modules": sorted(sys.modules)}, sys.stdout)
"""
DASK = ("dask", "distributed", "fsspec")


@pytest.mark.parametrize("command", ["validate", "drift"])
def test_one_process_loads_no_dask(command: str) -> None:
    examples = Path(data_dir("examples"))
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, command, str(examples / "reference-server-runs.jsonl")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(done.stdout)
    assert found["code"] == 0
    loaded = {m for m in found["modules"] if m.partition(".")[0] in DASK}
    assert loaded == set()
