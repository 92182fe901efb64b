"""List answers whose envelope leaves out `"object": "list"`: their runs are judged all the same."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from .helpers import CASSETTES, make_run, need_shared, read_all


def test_a_page_without_object_list_gives_each_of_its_runs(tmp_path: Path) -> None:
    runs = [make_run("completed", 1), make_run("queued", 2)]
    page = {"data": runs, "first_id": runs[0]["id"], "last_id": runs[1]["id"], "has_more": False}
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page))

    reading = read_all([path])

    assert reading.errors == []
    assert [obs.source.entry for obs in reading.observations] == ["data[0]", "data[1]"]
    assert [obs.run for obs in reading.observations] == runs


def test_a_run_without_object_is_still_one_run(tmp_path: Path) -> None:
    run = make_run("completed")
    del run["object"]
    path = tmp_path / "run.json"
    path.write_text(json.dumps(run))

    assert [obs.run for obs in read_all([path]).observations] == [run]


def test_a_recorded_page_without_object_list_gives_the_same_runs(tmp_path: Path) -> None:
    need_shared()
    original = CASSETTES / "r-vcr/wilkox__lemur__runs-f61c730.yml"
    cassette = yaml.safe_load(original.read_text(encoding="utf-8"))
    stripped = 0
    for interaction in cassette["http_interactions"]:
        body = interaction["response"]["body"]
        text = body.get("string") or ""
        if '"object": "list"' in text:
            page = json.loads(text)
            del page["object"]
            body["string"] = json.dumps(page)
            stripped += 1
    assert stripped
    path = tmp_path / "cassette.yml"
    path.write_text(yaml.safe_dump(cassette))

    before, after = read_all([original]), read_all([path])

    assert after.errors == []
    assert [(o.source.entry, o.run) for o in after.observations] == [
        (o.source.entry, o.run) for o in before.observations
    ]
    assert any("data[0]" in (o.source.entry or "") for o in after.observations)
