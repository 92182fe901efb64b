"""The corrected OpenAPI documents: built from upstream, in step with the build, and loadable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from runcontract.gate.document import OPENAPI_DIR, document_path, load_document
from runcontract.model import Profile

ROOT = Path(__file__).resolve().parents[2]
GATE = ROOT / "src" / "runcontract" / "gate"
STREAMING = {"createRun", "createThreadAndRun", "submitToolOuputsToRun"}


def test_the_shipped_documents_are_what_the_build_script_makes(shared: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_gate_openapi.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("profile", [Profile.V1, Profile.V2], ids=str)
def test_every_operation_documents_the_answers_the_real_api_gives(profile: Profile) -> None:
    document = load_document(profile)
    assert len(document.operations) == 9
    for operation in document.operations:
        assert {"200", "400", "401", "404", "429", "5XX"} <= set(operation.responses)
        for status in ("400", "401", "404", "429", "5XX"):
            assert operation.responses[status] == {"application/json"}
        assert operation.streams == (operation.operation_id in STREAMING)


@pytest.mark.parametrize("profile", [Profile.V1, Profile.V2], ids=str)
def test_the_documents_speak_one_dialect_and_name_the_beta_header(profile: Profile) -> None:
    raw = yaml.safe_load(document_path(profile).read_text())
    assert raw["openapi"] == "3.1.0"
    assert "nullable:" not in document_path(profile).read_text()
    for item in raw["paths"].values():
        for operation in item.values():
            beta = [p for p in operation["parameters"] if p["name"] == "OpenAI-Beta"]
            assert beta
            assert beta[0]["required"]
            assert beta[0]["schema"]["enum"] == [f"assistants={profile.value}"]
    cursors = raw["components"]["schemas"]["ListRunsResponse"]["properties"]["first_id"]
    assert cursors["type"] == ["string", "null"]


@pytest.mark.parametrize("profile", [Profile.V1, Profile.V2], ids=str)
def test_the_run_object_is_the_engine_s_schema(profile: Profile) -> None:
    import json

    raw = yaml.safe_load(document_path(profile).read_text())
    engine_schema = json.loads((ROOT / "schemas" / profile.value / "RunObject.json").read_text())
    shipped = raw["components"]["schemas"]["RunObject"]
    assert set(shipped["properties"]) == set(engine_schema["properties"])
    assert shipped["required"] == engine_schema["required"]


def test_schemathesis_loads_both_documents_with_their_links() -> None:
    import schemathesis

    for profile in (Profile.V1, Profile.V2):
        schema = schemathesis.openapi.from_path(document_path(profile))
        assert schema.statistic.transitions.total == 19


def test_every_correction_is_listed_in_corrections_md() -> None:
    script = (ROOT / "tools" / "build_gate_openapi.py").read_text()
    listed = (OPENAPI_DIR / "CORRECTIONS.md").read_text()
    numbers = {
        line.split(".")[0].removeprefix("# -- ")
        for line in script.splitlines()
        if line.startswith("# -- ") and line[5:6].isdigit()
    }
    assert numbers == {str(n) for n in range(1, len(numbers) + 1)}
    for number in numbers:
        assert f"\n{number}. **" in listed or f"\n{number:>2}. **" in listed, number


def test_the_package_never_reads_the_shared_folder_at_run_time() -> None:
    for path in GATE.rglob("*.py"):
        text = path.read_text()
        assert "shared/" not in text, path
        assert '"shared"' not in text, path


def plain_st_run(document: Path, base_url: str, cwd: Path) -> str:
    st = Path(sys.executable).with_name("st")
    done = subprocess.run(
        [
            str(st),
            "run",
            str(document),
            "--url",
            base_url,
            "--no-color",
            "--seed",
            "1",
            "-H",
            "Authorization: Bearer sk-test-st",
            "-H",
            "OpenAI-Beta: assistants=v2",
            "--phases",
            "examples,fuzzing,stateful",
            "--max-examples",
            "10",
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    return done.stdout


@pytest.mark.timeout(600)
def test_plain_st_run_finds_undocumented_answers_in_upstream_and_none_in_ours(
    shared: Path, tmp_path: Path
) -> None:
    """Against the honest server: upstream lacks 400/401/404; the corrected document does not."""
    import re

    from runcontract.server import create_app
    from tests.serving import serving

    with serving(create_app(step_seconds=0.02)) as base_url:
        upstream = plain_st_run(shared / "reference" / "runs-api-v2.yaml", base_url, tmp_path)
        ours = plain_st_run(document_path(Profile.V2), base_url, tmp_path)
    assert "ST103 Undocumented status code" in upstream
    # ST1xx are the response conformance failures: status, content type, schema, headers.
    assert re.findall(r"ST1\d\d", ours) == [], ours


def test_the_gate_prints_its_document_for_st_run_users() -> None:
    from tests.gate.helpers import gate

    result = gate("--print-document", "v2")
    assert result.code == 0
    assert yaml.safe_load(result.out)["x-runcontract"]["profile"] == "v2"
