"""The real run corpus: every file reads cleanly into as many observations as it holds objects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import REAL, need_shared, read_all

REAL_FILES = sorted(REAL.glob("*/*.json"))
CORPUS_OBJECTS = 825  # the count PROVENANCE.md's tables add up to


def objects_in(path: Path) -> int:
    """Counted with the standard library, independently of the reader under test."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(document, list):
        return len(document)
    if document.get("object") == "list":
        return len(document["data"])
    return 1


@pytest.fixture(autouse=True)
def _shared_corpus() -> None:
    need_shared()


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda path: path.name)
def test_real_file_reads_without_errors(path: Path) -> None:
    reading = read_all([path])
    assert reading.messages == []
    assert len(reading.observations) == objects_in(path)
    assert reading.done[0].observations == objects_in(path)


def test_whole_corpus_count() -> None:
    reading = read_all([REAL])
    assert reading.errors == []
    assert len(reading.observations) == CORPUS_OBJECTS
    assert len(reading.done) == len(REAL_FILES)  # PROVENANCE.md is not a readable name


def test_array_and_list_entries() -> None:
    sequence = next(path for path in REAL_FILES if path.name.endswith("-sequence.json"))
    listed = next(path for path in REAL_FILES if path.name.endswith("__list.json"))
    single = next(path for path in REAL_FILES if path.name.endswith("-completed.json"))
    reading = read_all([sequence, listed, single])
    entries = [observation.source.entry for observation in reading.observations]
    arrays = objects_in(sequence)
    assert entries[:arrays] == [f"[{index}]" for index in range(arrays)]
    assert entries[arrays] == "data[0]"
    assert entries[-1] is None  # a single object is the whole file
    assert all(observation.request is None for observation in reading.observations)
