"""`validate --dask` on a real LocalCluster gives exactly the verdicts of one process.

The archive holds generated gzip shards whose runs' observations continue from one shard into
the next (each shard is a partition), with lifecycle breaks among them, the real cassettes of
../shared, a plain JSON Lines file and a damaged gzip file. Every report format, with and without
--files-in-order, must come out byte for byte as one process writes it, with the same exit code.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runcontract.archive.cluster import local_cluster
from tests.archive.generated import write_archive
from tests.command import runcontract
from tests.synth import pages_cassette

EXAMPLE_HAR = Path(__file__).resolve().parents[2] / "src/runcontract/examples/reference-server.har"

distributed = pytest.importorskip("distributed")
fsspec = pytest.importorskip("fsspec")

# Starting worker processes and importing runcontract in them takes seconds on a loaded machine;
# these bounds are for a hung cluster, not for speed.
pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """Two worker processes: what a worker gets is pickled, as on a real cluster."""
    with local_cluster(2) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    root = tmp_path_factory.mktemp("archive")
    shards = write_archive(root / "shards", 3_000, per_shard=250, seed=7, broken=0.02)
    assert len(shards) == 12
    shutil.copytree(shared / "corpus" / "cassettes", root / "recordings", ignore=_no_readmes)
    (root / "plain.jsonl").write_bytes(gzip.decompress(shards[3].read_bytes()))
    (root / "zz-damaged.jsonl.gz").write_bytes(shards[0].read_bytes()[:400])
    # recorded exchanges the HTTP rules judge in each recording's order: a whole HAR, and a
    # cassette whose list pages lack first_id, last_id and has_more (H006) every other time
    shutil.copy(EXAMPLE_HAR, root / "recordings" / "reference-server.har")
    (root / "recordings" / "pages.json").write_text(json.dumps(pages_cassette(12)))
    return root


def _no_readmes(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name.endswith(".md")]


@pytest.mark.parametrize("options", [(), ("--files-in-order",)], ids=["default", "in-order"])
@pytest.mark.parametrize("report", ["text", "json", "junit"])
def test_the_cluster_reports_exactly_what_one_process_does(
    cluster: str, archive: Path, report: str, options: tuple[str, ...]
) -> None:
    one = runcontract("validate", "--format", report, *options, str(archive))
    many = runcontract("validate", "--dask", cluster, "--format", report, *options, str(archive))
    assert one.code == 1
    assert many.out.splitlines() == one.out.splitlines()
    assert many.code == one.code


def test_the_archive_makes_the_lifecycle_meet_across_partitions(
    cluster: str, archive: Path
) -> None:
    """What the identical reports above rest on: runs whose observations lie in several files,
    lifecycle findings among them, a recording's and an unreadable file's items too."""
    many = runcontract("validate", "--dask", cluster, "--format", "json", str(archive))
    report: dict[str, Any] = json.loads(many.out)
    lifecycle = [
        (result["source"], violation)
        for result in report["results"]
        for violation in result["violations"]
        if violation["rule"].startswith("L")
    ]
    across = [
        violation
        for source, violation in lifecycle
        if violation["rule"] == "L003"
        and violation["related"].rsplit(":", 1)[0] != source.rsplit(":", 1)[0]
    ]
    within = [v for _, v in lifecycle if v["rule"] == "L002"]
    assert len(across) >= 10
    assert within
    pages = [
        violation["rule"]
        for result in report["results"]
        if result["source"].startswith(str(archive / "recordings" / "pages.json"))
        for violation in result["violations"]
    ]
    assert pages == ["H006"] * 6
    assert report["summary"]["exchanges"] > 12 + 60  # the HAR's and the cassettes' too
    assert any("/recordings/" in result["source"] for result in report["results"])
    assert [e["source"] for e in report["errors"]] == [f"{archive}/zz-damaged.jsonl.gz"]
    summary = report["summary"]
    assert summary["objects"] > 3_000 + 100  # the shards, the plain copy and the recordings
    assert summary["failed"] > 0
    assert summary["unreadable"] == 1


def test_an_fsspec_url_is_read_on_the_cluster(tmp_path: Path) -> None:
    """memory:// lives in one process, so this cluster's two workers are threads of this one."""
    shards = write_archive(tmp_path, 600, per_shard=100, seed=3, broken=0.05)
    memory = fsspec.filesystem("memory")
    for shard in shards:
        memory.pipe(f"/archive/{shard.name}", shard.read_bytes())
    try:
        with local_cluster(2, processes=False) as local:
            many = runcontract("validate", "--dask", local.scheduler_address, "memory://archive")
    finally:
        memory.rm("/archive", recursive=True)
    one = runcontract("validate", str(tmp_path))
    assert many.code == one.code == 1
    # the same lines, each file named by its URL rather than its local path
    assert many.out == one.out.replace(f"{tmp_path}/", "memory://archive/")
    assert "memory://archive/part-00000.jsonl.gz:line" in many.out


def test_without_the_extra_the_message_names_it(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as on a machine where the extra was not installed: importing it fails
    monkeypatch.setitem(sys.modules, "distributed", None)
    outcome = runcontract("validate", "--dask", "local", str(archive))
    assert outcome.code == 2
    assert "pip install 'runcontract[dask]'" in outcome.err
    assert "Traceback" not in outcome.output
    assert outcome.out == ""


def test_stdin_is_not_an_archive() -> None:
    outcome = runcontract("validate", "--dask", "local", "-", stdin=b"{}")
    assert outcome.code == 2
    assert "not stdin" in outcome.err
