"""The schemas as other tools read them: `runcontract schema` and the shipped files, offline.

check-jsonschema (a subprocess, as a user runs it) judges every example of tests/examples by
each profile's schema, in three forms: the exported document as written, the exported document
with the real API's deviations allowed (`--compatible`), and the shipped schemas/<profile>/
RunObject.json. Its verdict on each file must be the engine's schema verdict: S001 and the
schema deviations under --strict for the spec as written, S001 alone by default for the
compatible form. Any network access fails (the proxy is a closed port), so a reference that
needs one cannot pass, and the working directory is elsewhere, so none resolves by chance.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runcontract.catalogue import load_catalogue
from runcontract.cli import run
from runcontract.engine import Engine
from runcontract.engine.schemacheck import SCHEMA_RULE, schema_deviations
from runcontract.model import Profile
from tests.schemas.upstream import SCHEMAS

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FILES = sorted([*EXAMPLES.glob("valid/*.json"), *EXAMPLES.glob("invalid/*.json")])
SCHEMA_DEVIATIONS = sorted({d.code for d in schema_deviations(load_catalogue())})
CHECK_JSONSCHEMA = shutil.which("check-jsonschema")


def _export(profile: Profile, *options: str) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    assert run(["schema", profile.value, *options], out, err) == 0, err.getvalue()
    document: dict[str, Any] = json.loads(out.getvalue())
    return document


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _nodes(item)


def _failing(schema: Path, cwd: Path) -> set[str]:
    """The example files check-jsonschema finds invalid against `schema`, with no network."""
    assert CHECK_JSONSCHEMA is not None, "check-jsonschema is in the test extra"
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens, a fetch fails at once
    env = {**os.environ, "HTTP_PROXY": closed, "HTTPS_PROXY": closed, "NO_PROXY": ""}
    env = {k: v for k, v in env.items() if k.lower() not in ("no_proxy",)}
    done = subprocess.run(
        [CHECK_JSONSCHEMA, "--no-cache", "-o", "json", "--schemafile", str(schema)]
        + [str(path) for path in FILES],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=240,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert not report.get("parse_errors"), report["parse_errors"]
    return {Path(error["filename"]).name for error in report.get("errors", [])}


def _engine_failing(engine: Engine, codes: set[str]) -> set[str]:
    failing = set()
    for path in FILES:
        run_object = json.loads(path.read_text(encoding="utf-8"))
        if any(v.rule in codes for v in engine.check_run(run_object)):
            failing.add(path.name)
    return failing


def test_the_examples_hold_both_verdicts() -> None:
    # a check that agrees on nothing but passes is no check: both verdicts must be among them
    assert len(FILES) >= 60
    assert any(p.parent.name == "valid" for p in FILES)
    assert any(p.name.startswith("S001") for p in FILES)


@pytest.mark.parametrize("profile", list(Profile), ids=lambda p: p.value)
def test_check_jsonschema_agrees_with_the_engine(profile: Profile, tmp_path: Path) -> None:
    as_written = tmp_path / f"{profile.value}.json"
    as_written.write_text(json.dumps(_export(profile)), encoding="utf-8")
    compatible = tmp_path / f"{profile.value}-compatible.json"
    compatible.write_text(json.dumps(_export(profile, "--compatible")), encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    strict = Engine(profile=profile, strict=True, lifecycle=False)
    by_default = Engine(profile=profile, lifecycle=False)
    spec_failing = _engine_failing(strict, {SCHEMA_RULE, *SCHEMA_DEVIATIONS})
    compatible_failing = _engine_failing(by_default, {SCHEMA_RULE})

    assert _failing(as_written, elsewhere) == spec_failing
    assert _failing(SCHEMAS / profile.value / "RunObject.json", elsewhere) == spec_failing
    assert _failing(compatible, elsewhere) == compatible_failing
    # the deviations are what sets the two forms apart; the seed and v2 examples show some (the
    # v1 example of a deviation, D002, is a v2 run, which fails v1 for the keys it lacks)
    assert compatible_failing <= spec_failing
    if profile is not Profile.V1:
        assert compatible_failing < spec_failing


@pytest.mark.parametrize("profile", list(Profile), ids=lambda p: p.value)
@pytest.mark.parametrize("options", [(), ("--compatible",)], ids=["as-written", "compatible"])
def test_the_export_is_one_self_contained_document(
    profile: Profile, options: tuple[str, ...]
) -> None:
    document = _export(profile, *options)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["title"] == "RunObject"
    files = {path.stem for path in (SCHEMAS / profile.value).glob("*.json")}
    assert set(document["$defs"]) == files - {"RunObject"}
    refs = [node["$ref"] for node in _nodes(document) if "$ref" in node]
    assert refs
    for ref in refs:
        # "#": ListRunsResponse's items are the run, the document itself
        assert ref == "#" or ref.removeprefix("#/$defs/") in document["$defs"], ref
    assert not [node for node in _nodes(document) if "$id" in node]


def test_an_unknown_profile_is_a_usage_error() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run(["schema", "v3"], out, err) == 2
    assert "invalid choice: 'v3'" in err.getvalue()
    assert out.getvalue() == ""
