"""Generated inputs: each format, stdin, folders, and every way an input can be bad."""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import sys
import tracemalloc
import types
import zlib
from pathlib import Path

import pytest

from runcontract.model import Observation, Profile
from runcontract.sources import FileDone, Limits, read_paths

from .helpers import make_run, read_all

MiB = 1024 * 1024


def jsonl(*values: object) -> str:
    return "".join(json.dumps(value) + "\n" for value in values)


def sse(*events: tuple[str, object]) -> str:
    blocks = [f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events]
    return "".join(blocks) + "event: done\ndata: [DONE]\n\n"


def text_bomb(mebibytes: int) -> bytes:
    """A JSON string of `mebibytes` MiB of "A", as gzip members of about 1 KiB per MiB inflated."""
    return gzip.compress(b'{"instructions": "') + gzip.compress(b"A" * MiB) * mebibytes


# JSON Lines


def test_jsonl_bad_line_is_reported_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    lines = [json.dumps(make_run(number=1)), json.dumps(make_run(number=2)), '{"id": run_3}', ""]
    lines += [json.dumps(make_run("completed", 4)), "   ", '"text"', "[1, {}]"]
    path.write_text("\n".join(lines) + "\n")

    reading = read_all([path])

    assert [obs.source.entry for obs in reading.observations] == [
        "line 1",
        "line 2",
        "line 5",
        "line 8, [1]",
    ]
    assert reading.messages == [
        f"{path}:line 3: not valid JSON (unexpected character, expected a JSON value at column 8)",
        f"{path}:line 7: expected a run object, an array of runs or a list response;"
        " found a string",
        f"{path}:line 8, [0]: expected a run object, found a number",
    ]
    assert reading.done == [FileDone(str(path), 4, 3)]


def test_jsonl_line_endings_bom_list_lines_and_no_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "runs.ndjson"
    listed = {"object": "list", "data": [make_run(number=2), make_run(number=3)]}
    text = "\ufeff" + json.dumps(make_run()) + "\r\n" + json.dumps(listed) + "\r\n"
    path.write_text(text + json.dumps(make_run("completed", 4)), encoding="utf-8")

    reading = read_all([path])

    assert reading.errors == []
    assert [obs.source.entry for obs in reading.observations] == [
        "line 1",
        "line 2, data[0]",
        "line 2, data[1]",
        "line 3",
    ]


def test_jsonl_across_many_chunks(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    count = 3000  # about 3 MiB: lines cross the 1 MiB chunk boundaries
    path.write_text(jsonl(*(make_run(number=number) for number in range(count))))

    reading = read_all([path])

    assert reading.errors == []
    assert [obs.run["id"] for obs in reading.observations] == [
        make_run(number=number)["id"] for number in range(count)
    ]
    assert reading.observations[-1].source.entry == f"line {count}"


def test_jsonl_overlong_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    huge = json.dumps({"instructions": "x" * (3 * MiB)})  # spans several chunks
    path.write_text(jsonl(make_run()) + huge + "\n" + jsonl(make_run(number=3)))

    reading = read_all([path], limits=Limits(max_line_bytes=100_000))

    assert [obs.source.entry for obs in reading.observations] == ["line 1", "line 3"]
    assert reading.messages == [
        f"{path}:line 2: line is longer than 100000 bytes, the limit; skipped"
    ]


def test_gzipped_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl.gz"
    path.write_bytes(gzip.compress(jsonl(make_run(), "oops", make_run("completed")).encode()))

    reading = read_all([path])

    assert reading.statuses == ["queued", "completed"]
    assert len(reading.errors) == 1
    assert reading.errors[0].source.entry == "line 2"


def test_json_named_file_holding_jsonl_is_read_as_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "runs.json"
    path.write_text(jsonl(make_run(), make_run("completed")))
    reading = read_all([path])
    assert reading.statuses == ["queued", "completed"]
    assert [obs.source.entry for obs in reading.observations] == ["line 1", "line 2"]


# JSON documents


def test_json_shapes(tmp_path: Path) -> None:
    single = tmp_path / "single.json"
    single.write_text(json.dumps(make_run()))
    array = tmp_path / "array.json"
    array.write_text(json.dumps([make_run(), "not a run", {"status": "queued"}]))
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps({"object": "list", "data": [make_run()], "has_more": False}))
    scalar = tmp_path / "scalar.json"
    scalar.write_text("42")

    reading = read_all([single, array, listed, scalar])

    assert [str(obs.source) for obs in reading.observations] == [
        str(single),
        f"{array}:[0]",
        f"{array}:[2]",  # no "object" key: still judged, as a broken run
        f"{listed}:data[0]",
    ]
    assert reading.messages == [
        f"{array}:[1]: expected a run object, found a string",
        f"{scalar}: expected a run object, an array of runs or a list response; found a number",
    ]


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "id": "run_1",\n  "status": queued\n}\n')
    reading = read_all([path])
    assert reading.messages == [
        f"{path}: not valid JSON (unexpected character, expected a JSON value at line 3 column 13)"
    ]


def test_yaml_named_json_and_plain_yaml_runs(tmp_path: Path) -> None:
    as_json = tmp_path / "run.yaml"
    as_json.write_text(json.dumps(make_run()))
    as_yaml = tmp_path / "runs.yml"
    as_yaml.write_text("- id: run_1\n  object: thread.run\n  status: queued\n  file_ids: []\n")
    dated = tmp_path / "dated.yaml"
    dated.write_text("id: run_1\ncreated_at: 2024-04-30\n")

    reading = read_all([as_json, as_yaml, dated])

    assert reading.statuses == ["queued", "queued"]
    assert reading.messages == [
        f"{dated}: holds a date at $.created_at, which JSON cannot represent"
    ]


# HAR


def test_har_with_base64_gzip_body_and_event_stream(tmp_path: Path) -> None:
    gzipped = base64.b64encode(gzip.compress(json.dumps(make_run()).encode())).decode()
    stream = sse(
        ("thread.run.created", make_run()),
        ("thread.run.step.created", {"id": "step_1", "object": "thread.run.step"}),
        ("thread.message.delta", {"id": "msg_1", "object": "thread.message.delta"}),
        ("thread.run.completed", make_run("completed")),
    )
    beta = {"name": "OpenAI-Beta", "value": "assistants=v2"}
    har = {
        "log": {
            "version": "1.2",
            "creator": {"name": "test", "version": "1"},
            "entries": [
                {
                    "request": {
                        "method": "post",
                        "url": "https://api.openai.com/v1/threads/thread_abc123/runs?x=1",
                        "headers": [beta, {"name": "Content-Type", "value": "application/json"}],
                        "postData": {"mimeType": "application/json", "text": '{"stream":false}'},
                    },
                    "response": {
                        "status": 200,
                        "headers": [{"name": "Content-Encoding", "value": "gzip"}],
                        "content": {
                            "mimeType": "application/json",
                            "encoding": "base64",
                            "text": gzipped,
                        },
                    },
                },
                {
                    "request": {
                        "method": "POST",
                        "url": "https://api.openai.com/v1/threads/runs",
                        "headers": [beta],
                    },
                    "response": {
                        "status": 200,
                        "headers": [{"name": "content-type", "value": "text/event-stream"}],
                        "content": {"mimeType": "text/event-stream", "text": stream},
                    },
                },
                {
                    "request": {
                        "method": "GET",
                        "url": "https://api.openai.com/v1/threads/t/runs/r",
                    },
                    "response": {
                        "status": 404,
                        "content": {"text": json.dumps({"error": {"message": "No run found"}})},
                    },
                },
                {
                    "request": {"method": "GET", "url": "https://api.openai.com/v1/assistants/a"},
                    "response": {"status": 200, "content": {"text": '{"object": "assistant"}'}},
                },
            ],
        }
    }
    path = tmp_path / "session.har"
    path.write_text(json.dumps(har))

    reading = read_all([path])

    assert reading.errors == []
    assert [(obs.source.entry, obs.event, obs.run["status"]) for obs in reading.observations] == [
        ("entry 1", None, "queued"),
        ("entry 2, event 1", "thread.run.created", "queued"),
        ("entry 2, event 4", "thread.run.completed", "completed"),
    ]
    first = reading.observations[0]
    assert first.request is not None
    assert (first.request.method, first.request.path) == ("POST", "/v1/threads/thread_abc123/runs")
    assert first.request.body == {"stream": False}
    assert first.request.headers == (
        ("openai-beta", "assistants=v2"),
        ("content-type", "application/json"),
    )
    assert (first.status_code, first.profile_hint) == (200, Profile.V2)
    assert reading.done == [FileDone(str(path), 3, 0)]


def test_recording_without_runs_is_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": []}}))
    reading = read_all([path])
    assert reading.items == [FileDone(str(path), 0, 0)]


# Cassette variants not in the shared corpus


def test_ruby_base64_string_body_and_r_file_body(tmp_path: Path) -> None:
    encoded = base64.encodebytes(json.dumps(make_run()).encode()).decode()  # wrapped like Ruby's
    block = "\n".join("        " + line for line in encoded.splitlines())
    path = tmp_path / "cassette.yml"
    path.write_text(
        "---\nhttp_interactions:\n"
        "- request:\n    method: get\n    uri: https://api.openai.com/v1/threads/t/runs/r\n"
        "    body: {encoding: US-ASCII, string: ''}\n"
        "    headers:\n      Openai-Beta: [assistants=v1]\n"
        "  response:\n    status: {code: 200, message: OK}\n    headers: {}\n"
        f"    body:\n      encoding: ASCII-8BIT\n      base64_string: |\n{block}\n"
        "- request: {method: get, uri: 'https://api.openai.com/v1/files/f/content'}\n"
        "  response:\n    status: {status_code: 200}\n"
        "    body: {encoding: '', file: yes, string: fixtures/files/f.bin}\n"
        "recorded_with: VCR 6.1.0\n"
    )

    reading = read_all([path])

    assert [obs.source.entry for obs in reading.observations] == ["interaction 1"]
    assert reading.observations[0].profile_hint is Profile.V1
    assert reading.messages == [
        f"{path}:interaction 2: response body was saved to a separate file by R vcr (file: yes),"
        " not read"
    ]


def test_session_record_with_stream_as_lines_and_text_body(tmp_path: Path) -> None:
    lines = sse(("thread.run.created", make_run()), ("thread.run.queued", make_run()))
    entry = {
        "RequestUri": "https://api.openai.com/v1/threads/t/runs",
        "RequestMethod": "POST",
        "RequestHeaders": {"Authorization": "Sanitized", "OpenAI-Beta": "assistants=v2"},
        "RequestBody": {"assistant_id": "asst_abc123", "stream": True},
        "StatusCode": 200,
        "ResponseHeaders": {"Content-Type": "text/event-stream; charset=utf-8"},
        "ResponseBody": [line + "\n" for line in lines.split("\n")[:-1]],
    }
    text_entry = dict(entry, ResponseHeaders={}, ResponseBody=json.dumps(make_run("completed")))
    path = tmp_path / "StreamingRunWorks.json"
    path.write_text(json.dumps({"Entries": [entry, text_entry], "Variables": {}}))

    reading = read_all([path])

    assert reading.errors == []
    assert [(obs.source.entry, obs.event) for obs in reading.observations] == [
        ("entry 1, event 1", "thread.run.created"),
        ("entry 1, event 2", "thread.run.queued"),
        ("entry 2", None),
    ]
    assert reading.observations[0].request is not None
    assert reading.observations[0].request.body == {"assistant_id": "asst_abc123", "stream": True}


def test_yaml_anchor_defined_twice_is_read(tmp_path: Path) -> None:
    body = json.dumps(make_run()).replace("'", "''")
    interaction = (
        "- request: {method: GET, uri: 'https://api.openai.com/v1/threads/t/runs/r', "
        "headers: &h {openai-beta: [assistants=v2]}}\n"
        f"  response: {{status: {{code: 200}}, headers: {{}}, body: {{string: '{body}'}}}}\n"
    )
    path = tmp_path / "anchors.yaml"
    path.write_text("interactions:\n" + interaction + interaction + "version: 1\n")
    reading = read_all([path])
    assert reading.errors == []
    assert len(reading.observations) == 2


def test_broken_stream_event_is_reported(tmp_path: Path) -> None:
    stream = 'event: thread.run.created\ndata: {"id": \n\n' + sse(("thread.run.queued", make_run()))
    reading = read_all(["-"], stdin=io.BytesIO(stream.encode()))
    assert [obs.source.entry for obs in reading.observations] == ["event 2"]
    assert reading.errors[0].source.entry == "event 1"
    assert reading.errors[0].message.startswith("data of thread.run.created is not valid JSON")


# stdin


@pytest.mark.parametrize(
    ("content", "entries"),
    [
        pytest.param(json.dumps(make_run()).encode(), [None], id="json"),
        pytest.param(jsonl(make_run(), make_run()).encode(), ["line 1", "line 2"], id="jsonl"),
        pytest.param(
            gzip.compress(jsonl(make_run(), make_run()).encode()),
            ["line 1", "line 2"],
            id="gzip-jsonl",
        ),
        pytest.param(json.dumps([make_run()]).encode() + b"\n", ["[0]"], id="one-line-array"),
        pytest.param(
            sse(("thread.run.created", make_run())).encode(), ["event 1"], id="event-stream"
        ),
        pytest.param(b"id: run_1\nobject: thread.run\n", [None], id="yaml"),
    ],
)
def test_stdin_is_sniffed(content: bytes, entries: list[str | None]) -> None:
    reading = read_all(["-"], stdin=io.BytesIO(content))
    assert reading.errors == []
    assert [obs.source.entry for obs in reading.observations] == entries
    assert {obs.source.file for obs in reading.observations} == {"<stdin>"}
    assert reading.done == [FileDone("<stdin>", len(entries), 0)]


class FolderOnStdin(io.RawIOBase):
    """What reading stdin gives when a shell redirects a folder into it (`< some/folder`)."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: object) -> int:
        raise IsADirectoryError(21, "Is a directory")


def test_stdin_that_is_a_folder(tmp_path: Path) -> None:
    stdin = io.BufferedReader(FolderOnStdin())
    reading = read_all(["-", tmp_path / "missing.json"], stdin=stdin)
    assert reading.messages == [
        "<stdin>: is a folder, not a file",
        f"{tmp_path / 'missing.json'}: no such file or folder",
    ]
    assert len(reading.done) == 2


# folders


def test_nested_folders_are_read_sorted_and_filtered(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "b/inner/c.json": json.dumps(make_run(number=3)),
        "b/a.jsonl": jsonl(make_run(number=1), make_run(number=2)),
        "b/B.JSON": json.dumps(make_run(number=0)),
        "b/d.yaml.gz": gzip.compress(b"id: run_4\nobject: thread.run\n"),
        "b/e.har": json.dumps({"log": {"entries": []}}),
        "b/notes.txt": "not read",
        "b/.hidden.json": "{not read",
        "b/.git/config.json": "{not read",
        "a.ndjson": jsonl(make_run(number=5)),
    }
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)

    reading = read_all([tmp_path])

    assert [done.file for done in reading.done] == [
        str(tmp_path / name)
        for name in [
            "a.ndjson",
            "b/B.JSON",
            "b/a.jsonl",
            "b/d.yaml.gz",
            "b/e.har",
            "b/inner/c.json",
        ]
    ]
    assert [obs.run["id"] for obs in reading.observations] == [
        make_run(number=5)["id"],
        make_run(number=0)["id"],
        make_run(number=1)["id"],
        make_run(number=2)["id"],
        "run_4",
        make_run(number=3)["id"],
    ]
    assert reading.errors == []


def test_folder_with_nothing_to_read(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    reading = read_all([tmp_path])
    assert len(reading.errors) == 1
    assert reading.errors[0].message.startswith("folder holds no files to read")
    assert reading.done == [FileDone(str(tmp_path), 0, 1)]


# bad input


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", "empty file", id="empty"),
        pytest.param(b" \n\t\r\n", "empty file", id="whitespace"),
        pytest.param(gzip.compress(b""), "empty file", id="empty-gzip"),
        pytest.param(
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file (binary data)", id="png"
        ),
        pytest.param(
            b"\xff\xfe{\x00}\x00",
            "UTF-16 text is not supported; save the file as UTF-8",
            id="utf16",
        ),
        pytest.param(b'{"a": "\xc3\x28"}', "not UTF-8 text (byte 7 of the file)", id="latin"),
        pytest.param(
            gzip.compress(b"{}" * 100)[:20], "gzip data is truncated", id="truncated-gzip"
        ),
        pytest.param(b"\x1f\x8b\x08\x00garbage-garbage", "gzip data is corrupt", id="corrupt-gzip"),
    ],
)
def test_bad_file_is_one_read_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "input.json"
    path.write_bytes(content)
    other = tmp_path / "fine.json"
    other.write_text(json.dumps(make_run()))

    reading = read_all([path, other])

    assert len(reading.errors) == 1
    assert reading.errors[0].source.file == str(path)
    assert reading.errors[0].message.startswith(message)
    assert reading.done == [FileDone(str(path), 0, 1), FileDone(str(other), 1, 0)]


def test_zeros_bomb_is_binary(tmp_path: Path) -> None:
    path = tmp_path / "zeros.jsonl.gz"
    path.write_bytes(gzip.compress(bytes(MiB)) * 1024)
    reading = read_all([path])
    assert reading.messages == [f"{path}: not a text file (binary data)"]


def test_random_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "noise.yaml"
    path.write_bytes(bytes(range(256)) * 64)
    reading = read_all([path])
    assert reading.messages == [f"{path}: not a text file (binary data)"]


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.json"
    path.write_text("{}")
    path.chmod(0)
    reading = read_all([path])
    assert reading.messages == [f"{path}: permission denied"]


@pytest.mark.parametrize("name", ["bomb.json.gz", "bomb.jsonl.gz", "bomb.yaml.gz"])
def test_gzip_bomb_is_stopped_early(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    # 1 MiB on disk, 1 GiB inflated; the last member cut short, so that a reader going to the
    # end would say "truncated": the bomb's name proves it stopped early, whatever the clock.
    path.write_bytes(text_bomb(1024)[:-4])
    tracemalloc.start()
    try:
        reading = read_all([path])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 48 * MiB
    bomb = "gzip data expands more than 200:1 (a decompression bomb?)"
    assert reading.messages[-1] == f"{path}: {bomb}"
    assert reading.done == [FileDone(str(path), 0, len(reading.errors))]


def test_whole_document_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.json.gz"
    path.write_bytes(text_bomb(8))
    limits = Limits(max_file_bytes=4 * MiB, max_gzip_ratio=10**6)
    reading = read_all([path], limits=limits)
    assert reading.messages == [f"{path}: file is larger than 4 MiB, the limit for whole documents"]


def test_gzip_bomb_in_a_recorded_body(tmp_path: Path) -> None:
    bomb = base64.b64encode(text_bomb(100)).decode()
    good = json.dumps(make_run())
    har = {
        "log": {
            "entries": [
                {
                    "request": {},
                    "response": {"status": 200, "content": {"text": bomb, "encoding": "base64"}},
                },
                {"request": {}, "response": {"status": 200, "content": {"text": good}}},
            ]
        }
    }
    path = tmp_path / "bomb.har"
    path.write_text(json.dumps(har))
    reading = read_all([path])
    assert [obs.source.entry for obs in reading.observations] == ["entry 2"]
    assert reading.errors[0].source.entry == "entry 1"
    assert reading.errors[0].message.startswith("response body: gzip data expands more than")


def test_deflate_body_limit(tmp_path: Path) -> None:
    deflated = base64.b64encode(zlib.compress(bytes(2 * MiB))).decode()
    har = {
        "log": {
            "entries": [
                {
                    "request": {},
                    "response": {
                        "headers": [{"name": "Content-Encoding", "value": "deflate"}],
                        "content": {"text": deflated, "encoding": "base64"},
                    },
                }
            ]
        }
    }
    path = tmp_path / "deflate.har"
    path.write_text(json.dumps(har))
    reading = read_all([path], limits=Limits(max_body_bytes=1 * MiB))
    assert reading.messages == [
        f"{path}:entry 1: response body: body inflates to more than 1048576 bytes, the limit"
    ]


def test_python_yaml_tag_is_refused_and_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(
        "interactions:\n"
        f"- request: !!python/object/apply:os.system ['touch {marker}']\n"
        "  response: {}\n"
    )
    reading = read_all([path])
    assert not marker.exists()
    assert reading.messages == [
        f"{path}: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' at line 2,"
        " column 12 is not allowed: only plain data is loaded"
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{new}: &{new} [{', '.join([f'*{old}'] * 10)}]\n"
                for old, new in zip("abcdefgh", "bcdefghi", strict=True)
            ),
            "aliases expand to more than 100000 nodes",
            id="billion-laughs",
        ),
        pytest.param("- " * 10_000 + "x\n", "nesting deeper than 100 levels", id="deep-block"),
        pytest.param("a: &a [*a]\n", "found an alias inside its own anchor", id="self-alias"),
        pytest.param("a: *nowhere\n", "found undefined alias", id="undefined-alias"),
        pytest.param("a: [1, 2\n", "not valid YAML", id="unclosed"),
        pytest.param("a: 2024-13-45\n", "not valid YAML (month must be in 1..12)", id="bad-date"),
    ],
)
def test_hostile_or_broken_yaml(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "input.yaml"
    path.write_text(text)
    reading = read_all([path])
    assert len(reading.errors) == 1
    assert problem in reading.errors[0].message


def test_deep_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 5000 + "]" * 5000)
    reading = read_all([path])
    assert reading.messages[0].startswith(f"{path}: not valid JSON (depth limit exceeded")


def test_consumer_may_stop_early(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text(jsonl(*(make_run(number=number) for number in range(10))))
    items = read_paths([str(path)])
    assert isinstance(items, types.GeneratorType)
    first = next(items)
    items.close()  # closes the file on the way out
    assert isinstance(first, Observation)
    assert first.source.entry == "line 1"


def test_deep_folders_and_link_loops(tmp_path: Path) -> None:
    deepest = tmp_path.joinpath(*["d"] * 300)
    deepest.mkdir(parents=True)
    (deepest / "run.json").write_text(json.dumps(make_run()))
    (deepest / "loop").symlink_to(tmp_path, target_is_directory=True)
    reading = read_all([tmp_path])
    assert reading.errors == []
    assert [done.file for done in reading.done] == [str(deepest / "run.json")]


def test_one_path_as_a_string_and_an_empty_path(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text(json.dumps(make_run()))
    assert [type(item).__name__ for item in read_paths(str(path))] == ["Observation", "FileDone"]
    assert read_all([""]).messages == [": empty path"]
