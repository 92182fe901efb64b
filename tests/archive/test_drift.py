"""`runcontract drift`: the real API's key sets over time, each kind of departure, and Dask.

The timeline pinned here is read off the 769 REAL-REC objects of ../shared: run objects first
carried `usage` and `required_action` in February 2024 (the runs of November 2023 lack both),
`parallel_tool_calls` in June 2024 (v2 runs of April to June 2024 still lack it), and
`reasoning_effort` in March 2025; `file_ids` went with v1 after May 2024.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.archive.generated import write_archive
from tests.command import runcontract
from tests.corpus.verdicts import inputs, provenance
from tests.synth import build_run

DOCS = Path(__file__).resolve().parents[2] / "docs" / "drift.md"
REPO = DOCS.parent.parent


@pytest.fixture(scope="module")
def real_recordings(shared: Path) -> list[str]:
    """The REAL-REC files, as paths relative to the checkout (../shared/...)."""
    classes = provenance()
    return [
        str(Path("..") / found.relative_to(shared.parent))
        for name, found in inputs()
        if name.startswith("real/") and classes.get(found.name) == "REAL-REC"
    ]


@pytest.fixture
def at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def _drift_json(*argv: str) -> dict[str, Any]:
    outcome = runcontract("drift", "--format", "json", *argv)
    assert outcome.code == 0, outcome.err
    report: dict[str, Any] = json.loads(outcome.out)
    return report


@pytest.mark.usefixtures("at_repo")
def test_the_real_apis_key_sets_over_time(real_recordings: list[str]) -> None:
    report = _drift_json(*real_recordings)
    keys = {k["key"]: (k["first_month"], k["last_month"], k["count"]) for k in report["keys"]}
    assert sum(p["objects"] for p in report["profiles"].values()) == 769
    assert keys["id"] == ("2023-11", "2026-03", 769)
    assert keys["usage"][0] == "2024-02"
    assert keys["required_action"][0] == "2024-02"
    assert keys["parallel_tool_calls"][0] == "2024-06"
    assert keys["reasoning_effort"][0] == "2025-03"
    assert keys["file_ids"][:2] == ("2023-11", "2024-05")
    v2 = {(f["kind"], f["path"]): f for f in report["profiles"]["v2"]["findings"]}
    missing = v2["missing required", "$.parallel_tool_calls"]
    assert (missing["first_month"], missing["last_month"]) == ("2024-04", "2024-06")
    seed = {(f["kind"], f["path"]): f for f in report["profiles"]["seed"]["findings"]}
    assert seed["missing required", "$.usage"]["last_month"] == "2023-11"


@pytest.mark.usefixtures("at_repo")
def test_docs_drift_is_the_report_of_the_real_corpus(real_recordings: list[str]) -> None:
    outcome = runcontract("drift", "--format", "markdown", *real_recordings)
    assert outcome.code == 0
    assert DOCS.read_text(encoding="utf-8") == outcome.out


def _spec_run(rng: random.Random, status: str) -> dict[str, Any]:
    """A v2 run with only the keys the v2 spec has (the builder adds the real API's extras)."""
    run = build_run(rng, "v2", status)
    for extra in ("reasoning_effort", "tool_resources"):
        run.pop(extra, None)
    return run


def _runs() -> Iterator[dict[str, Any]]:
    rng = random.Random(5)
    first = _spec_run(rng, "completed")
    first["created_at"] = 1_735_700_000  # 2025-01
    first["truncation_strategy"] = {"type": "middle_out", "last_messages": None}
    first["shiny"] = True
    yield first
    logged = _spec_run(rng, "queued")
    logged["created_at"] = 1_746_000_000  # 2025-04
    logged["status"] = "sk-proj-abcdefghijklmnop"  # a key logged where the status goes
    yield logged
    second = _spec_run(rng, "queued")
    second["created_at"] = 1_741_000_000  # 2025-03
    second["truncation_strategy"] = {"type": "middle_out", "last_messages": None}
    second["temperature"] = "0.5"
    del second["model"]
    yield second


def test_each_kind_of_departure_with_its_months(tmp_path: Path) -> None:
    archive = tmp_path / "runs.jsonl"
    archive.write_bytes(b"".join(orjson.dumps(run) + b"\n" for run in _runs()))
    report = _drift_json(str(archive))
    found = [
        (f["kind"], f["path"], f["detail"], f["count"], f["first_month"], f["last_month"])
        for f in report["profiles"]["v2"]["findings"]
    ]
    assert found == [
        ("unknown field", "$.shiny", "", 1, "2025-01", "2025-01"),
        ("enum value", "$.truncation_strategy.type", "middle_out", 2, "2025-01", "2025-03"),
        ("enum value", "$.status", "sk-***", 1, "2025-04", "2025-04"),  # never the key itself
        ("missing required", "$.model", "", 1, "2025-03", "2025-03"),
        (
            "type change",
            "$.temperature",
            "string (schema: null or number)",
            1,
            "2025-03",
            "2025-03",
        ),
    ]
    examples = {f["path"]: f["example"] for f in report["profiles"]["v2"]["findings"]}
    assert examples["$.truncation_strategy.type"] == f"{archive}:line 1"
    text = runcontract("drift", str(archive))
    assert "enum value $.truncation_strategy.type = middle_out: 2x, 2025-01..2025-03" in text.out
    markdown = runcontract("drift", "--format", "markdown", str(archive))
    for outcome in (text, markdown):
        assert "abcdefghijklmnop" not in outcome.output


@pytest.mark.timeout(240)
@pytest.mark.usefixtures("at_repo")
def test_drift_on_dask_is_the_drift_of_one_process(
    real_recordings: list[str], tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed")
    from runcontract.archive.cluster import local_cluster

    write_archive(tmp_path, 1_000, per_shard=200, seed=2)
    given = [*real_recordings, str(tmp_path)]
    with local_cluster(2) as local, distributed.Client(local):
        for report in ("json", "markdown"):
            one = runcontract("drift", "--format", report, *given)
            many = runcontract(
                "drift", "--dask", local.scheduler_address, "--format", report, *given
            )
            assert one.code == 0
            assert (many.code, many.out) == (one.code, one.out)
