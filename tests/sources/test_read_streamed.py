"""JSON recordings read entry by entry (sources/streamed.py) against the same files read whole.

Whatever the file, both ways must yield the same items: the same observations (the same values,
down to an integer staying an integer), the same read errors with the same messages, the same
counts. `stream_documents_from=0` streams every file; the default reads these small files whole.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import random
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runcontract.model import Observation
from runcontract.sources import Limits, streamed
from runcontract.sources.context import Unreadable
from runcontract.sources.jsonfile import UTF8_BOM, loads
from runcontract.sources.limits import DEFAULT_LIMITS
from runcontract.sources.streams import CHUNK_BYTES, chunks_of
from runcontract.sources.yamlfile import load
from tests.hostile import with_huge_timestamps, with_padding
from tests.synth import build_lifecycle, build_run

from .helpers import CASSETTES, REAL, SHARED, need_shared, read_all
from .test_read_fuzz import json_values

STREAMED = Limits(stream_documents_from=0)


def assert_read_alike(path: Path, limits: Limits = DEFAULT_LIMITS) -> list[Any]:
    whole = read_all([path], limits=limits).items
    streaming = read_all([path], limits=replace(limits, stream_documents_from=0)).items
    # repr, not ==: 1 == 1.0 == True, but a number read as another type is another verdict
    assert [repr(item) for item in streaming] == [repr(item) for item in whole]
    return whole


def is_streamed(path: Path) -> bool:
    with path.open("rb") as stream:
        return streamed.recording_in(chunks_of(stream), STREAMED.max_file_bytes) is not None


def har(*entries: object, **top: object) -> dict[str, Any]:
    return {"log": {"version": "1.2", "entries": list(entries)}, **top}


def entry(
    body: str | bytes, *, encoding: str | None = None, path: str = "/v1/threads/t/runs/r"
) -> dict[str, Any]:
    text = body.decode() if isinstance(body, bytes) else body
    content: dict[str, Any] = {"mimeType": "application/json", "text": text}
    if encoding:
        content["encoding"] = encoding
    return {
        "request": {"method": "GET", "url": f"https://api.openai.com{path}", "headers": []},
        "response": {"status": 200, "headers": [], "content": content},
    }


def runs_entry(run: dict[str, Any]) -> dict[str, Any]:
    return entry(orjson.dumps(run))


def test_every_shared_recording_and_document_is_read_alike() -> None:
    need_shared()
    files = sorted(
        path
        for folder in (REAL, CASSETTES, SHARED)
        for path in (folder.rglob("*.json") if folder is not SHARED else folder.glob("*.json"))
        if path.is_file()
    )
    assert files
    streams = 0
    for path in files:
        assert_read_alike(path)
        streams += is_streamed(path)
    assert streams >= 2, "the .NET session records, at least, are read entry by entry"


def test_real_cassettes_as_json_and_as_har_are_read_alike(tmp_path: Path) -> None:
    """The YAML cassettes' interactions, saved as vcrpy's JSON serializer and as a HAR."""
    need_shared()
    done = observed = 0
    for path in sorted(CASSETTES.rglob("*.y*ml")):
        document = load(path.read_bytes(), Limits())
        if not isinstance(document, dict) or "interactions" not in document:
            continue
        as_json = tmp_path / f"{path.stem}.json"
        as_json.write_text(json.dumps(document, default=_text))
        assert is_streamed(as_json)
        found = assert_read_alike(as_json)
        observed += sum(isinstance(item, Observation) for item in found)
        entries = [_har_entry(interaction) for interaction in document["interactions"]]
        as_har = tmp_path / f"{path.stem}.har"
        as_har.write_text(json.dumps(har(*entries), default=_text))
        assert is_streamed(as_har)
        assert_read_alike(as_har)
        done += 1
    assert done >= 3
    assert observed > 0


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _har_entry(interaction: dict[str, Any]) -> dict[str, Any]:
    request, response = interaction["request"], interaction["response"]
    body = response.get("body", {}).get("string", "")
    return {
        "request": {
            "method": request.get("method"),
            "url": request.get("uri"),
            "headers": [
                {"name": name, "value": value}
                for name, values in request.get("headers", {}).items()
                for value in (values if isinstance(values, list) else [values])
            ],
            "postData": {"text": request.get("body") or ""},
        },
        "response": {
            "status": response.get("status", {}).get("code"),
            "headers": [
                {"name": name, "value": value}
                for name, values in response.get("headers", {}).items()
                for value in (values if isinstance(values, list) else [values])
            ],
            "content": {"text": _text(body)},
        },
    }


def _hostile_documents() -> dict[str, bytes]:
    rng = random.Random(5)
    run = build_run(rng)
    life = [runs_entry(observed) for observed in build_lifecycle(rng)]
    gzipped = base64.b64encode(gzip.compress(orjson.dumps(run))).decode()
    echoed = base64.b64encode(b"\xff\xfe binary Bearer sk-abcdefghijklmnopqrstuvwx \x80").decode()
    stream = (
        f"event: thread.run.created\ndata: {orjson.dumps(run).decode()}\n\n"
        "event: done\ndata: [DONE]\n\n"
    )
    sse = entry(stream)
    sse["response"]["content"]["mimeType"] = "text/event-stream"
    documents: dict[str, object] = {
        "lifecycle": har(*life),
        "huge timestamps": har(entry(with_huge_timestamps(run)), *life),
        "padded": har(entry(with_padding(300_000)(run))),
        "base64 gzip body": har(entry(gzipped, encoding="base64")),
        "key echoed in binary": har(entry(echoed, encoding="base64")),
        "event stream": har(sse),
        "broken entries": har(3, {"request": "x"}, {"response": {"content": []}}, *life[:2]),
        "no entries": har(),
        "entries not a list": {"log": {"entries": {"a": 1}}},
        "log not an object": {"log": [1]},
        "a run's object key on top": har(*life, object="thread.run"),
        "vcr json": {"interactions": [{"request": {"uri": "/v1/x"}, "response": {}}, 7]},
        "ruby json": {
            "http_interactions": [
                {
                    "request": {"method": "get", "uri": "https://api.openai.com/v1/threads/t/runs"},
                    "response": {
                        "status": {"code": 200},
                        "body": {
                            "string": orjson.dumps({"object": "list", "data": [run]}).decode()
                        },
                    },
                }
            ]
        },
        "cut body": {"interactions": [{"response": {"body": {"truncated_from_bytes": 9}}}]},
        "session": {"Entries": [{"ResponseBody": run, "StatusCode": 200}, "text"]},
        "plain runs": [run, run],
        "list page": {"object": "list", "data": [run]},
    }
    found = {name: json.dumps(document).encode() for name, document in documents.items()}
    one = json.dumps(har(*life)).encode()

    def with_url(raw: bytes) -> bytes:
        """The lifecycle with one more entry, a run whose request URL is `raw` bytes of JSON."""
        return (
            json.dumps(har(*life, runs_entry(run)))
            .encode()
            .replace(b'"https://api.openai.com/v1/threads/t/runs/r"', raw)
        )

    found |= {
        "duplicate log": b'{"log": {"entries": []}, ' + one[1:],
        "duplicate entries": one[:-2] + b', "entries": [1]}}',
        "dotted key": b'{"log.entries": [1], ' + one[1:],
        "bom": b"\xef\xbb\xbf" + one,
        "truncated": one[: len(one) // 2],
        "trailing garbage": one + b" x",
        "lone surrogate": with_url(b'"\\ud800"'),
        "lone low surrogate after a backslash": with_url(b'"\\\\ud83c\\udf2e"'),
        "lone surrogate across a chunk": across_a_chunk(run, b"\\ud800"),
        "surrogate pair across a chunk": across_a_chunk(run, b"\\ud83d\\ude00"),
        "surrogate pair": with_url(b'"\\ud83d\\ude00"'),
        "escaped backslash u": with_url(b'"\\\\ud800"'),
        "number beyond a double": with_url(b"1e400"),
        "integer beyond 64 bits": with_url(b"123456789012345678901234567890"),
        "deep": with_url(b"[" * 600 + b"]" * 600),
        "deeper than orjson reads": with_url(b"[" * 1100 + b"]" * 1100),
        "invalid utf-8": with_url(b'"\xff"'),
        "control character": with_url(b'"a\x01"'),
        "nan": with_url(b"NaN"),
        "empty": b"",
    }
    return found


def across_a_chunk(run: dict[str, Any], escape: bytes) -> bytes:
    """A HAR whose one request URL holds `escape`, cut in two by the end of the first chunk."""
    document = json.dumps(har(runs_entry(run))).encode()
    url = b'"https://api.openai.com/v1/threads/t/runs/r"'
    at = document.index(url) + 1
    padding = CHUNK_BYTES - 3 - at
    return document.replace(url, b'"' + b"x" * padding + escape + b'"')


HOSTILE = _hostile_documents()


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("suffix", [".har", ".json", ".json.gz", ".yaml", ""])
def test_hostile_recordings_are_read_alike(tmp_path: Path, name: str, suffix: str) -> None:
    content = HOSTILE[name]
    path = tmp_path / f"in{suffix}"
    path.write_bytes(gzip.compress(content) if suffix.endswith(".gz") else content)
    assert_read_alike(path)


def test_streaming_is_what_reads_the_recordings_and_only_those(tmp_path: Path) -> None:
    expected = {
        "lifecycle": True,
        "bom": True,
        "session": True,
        "ruby json": True,
        "plain runs": False,
        "list page": False,
        "a run's object key on top": False,
        "duplicate log": False,
        "truncated": False,
        "lone surrogate": False,
        "lone surrogate across a chunk": False,
        "surrogate pair across a chunk": True,
        "surrogate pair": True,
        "lone low surrogate after a backslash": False,
        "integer beyond 64 bits": False,
        "deep": False,
        "deeper than orjson reads": False,
    }
    for name, wanted in expected.items():
        path = tmp_path / "in.har"
        path.write_bytes(HOSTILE[name])
        assert is_streamed(path) is wanted, name


def test_the_whole_document_limit_holds_when_streaming(tmp_path: Path) -> None:
    path = tmp_path / "in.har"
    path.write_bytes(HOSTILE["padded"])
    small = Limits(max_file_bytes=64 * 1024)
    found = assert_read_alike(path, small)
    assert [item.message for item in found if hasattr(item, "message")] == [
        "file is larger than 65536 bytes, the limit for whole documents"
    ]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    shape=st.sampled_from(["har", "vcr", "session"]),
    slots=st.lists(json_values, min_size=8, max_size=8),
)
def test_recordings_with_arbitrary_parts_are_read_alike(
    tmp_path: Path, shape: str, slots: list[object]
) -> None:
    method, url, headers, body, status, content, text, encoding = slots
    document: object
    if shape == "har":
        response = {"status": status, "headers": headers, "content": content}
        if isinstance(content, dict):
            response["content"] = dict(content, text=text, encoding=encoding)
        request = {"method": method, "url": url, "headers": headers, "postData": body}
        document = {"log": {"entries": [{"request": request, "response": response}, text]}}
    elif shape == "vcr":
        response = {"status": status, "headers": headers, "body": {"string": text}}
        request = {"method": method, "uri": url, "headers": headers, "body": body}
        document = {"interactions": [{"request": request, "response": response}, content]}
    else:
        document = {"Entries": [{"RequestHeaders": headers, "ResponseBody": content}, text]}
    path = tmp_path / "in.json"
    path.write_bytes(json.dumps(document).encode())
    assert_read_alike(path)


def test_a_recording_on_stdin_is_read_whole() -> None:
    content = HOSTILE["lifecycle"]
    whole = read_all(["-"], stdin=io.BytesIO(content)).items
    streaming = read_all(["-"], stdin=io.BytesIO(content), limits=STREAMED).items
    assert [repr(item) for item in streaming] == [repr(item) for item in whole]
    assert any(isinstance(item, Observation) for item in whole)


def _cut(document: bytes, prefix: str, size: int) -> list[Any]:
    """The items the second pass cuts from `document` given in chunks of `size` bytes."""
    chunks = [document[at : at + size] for at in range(0, len(document), size)]
    return list(streamed._entries(streamed._Checked(chunks, None), prefix.split(".")))


TRICKY_ITEMS: list[object] = [
    {"text": 'a "quoted" \\ backslash \\\\" and \\"', "n": [1, 2.5, -3e2, True, None]},
    {"t": "]}{[,:", "k\u00e9y \u2603": "\U0001f600", "e": {}, "l": [], "s": ""},
    3,
    "a string item",
    [[[]], {"a": [{"b": "\\"}]}],
    {"a": [{"b": [{"c": ["]", {"d": "}", "e": [[["[{"]]]}]}]}]},  # deeper than _NESTING
    [1, [2, [3, [4, [5, {"f": []}]]]]],
    {"big": 123456789012345678901234567890, "huge": 1e300},
    None,
]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64, 1 << 20])
def test_the_second_pass_cuts_items_as_orjson_reads_them_whatever_the_chunks(size: int) -> None:
    # keys before the list, with values that hold brackets, commas and escapes, and white space
    document = (
        b'\xef\xbb\xbf { "version" : "1.2", "creator" : {"name": "x ]}[{, \\" \\\\"},\n'
        b' "pages": [[1, {"a": "]"}], "\\"}"],  "entries2": "not this key",'
        b' "entries" :\n [ '
        + b" ,\n ".join(json.dumps(item).encode() for item in TRICKY_ITEMS)
        + b' \n] , "after": [1, 2]} '
    )
    if size < len(UTF8_BOM):  # the BOM is taken off the first chunk, which is 1 MiB when read
        document = document.removeprefix(UTF8_BOM)
    whole = loads(document.removeprefix(UTF8_BOM))  # as the whole document's reader reads it
    document_as_log = b'{"\\u006cog": ' + document.removeprefix(UTF8_BOM) + b"}"  # "log", escaped
    assert [repr(item) for item in _cut(document, "entries", size)] == [
        repr(item) for item in whole["entries"]
    ]
    assert [repr(item) for item in _cut(document_as_log, "log.entries", size)] == [
        repr(item) for item in whole["entries"]
    ]
    for empty in (b'{"Entries": []}', b'{"Entries":[ \n ]}'):
        assert _cut(empty, "Entries", size) == []


@settings(max_examples=60, deadline=None)
@given(items=st.lists(json_values, max_size=6), size=st.integers(1, 40))
def test_arbitrary_items_are_cut_as_orjson_reads_them(items: list[object], size: int) -> None:
    document = json.dumps({"interactions": items}).encode()
    assert [repr(item) for item in _cut(document, "interactions", size)] == [
        repr(item) for item in loads(document)["interactions"]
    ]


def test_a_file_that_changed_between_the_passes_is_an_error_not_a_crash() -> None:
    with pytest.raises(Unreadable, match="changed"):
        _cut(b'{"entries": [{"a": 1}, {"b": ', "entries", 4)
    with pytest.raises(Unreadable, match="changed"):
        _cut(b'{"other": [1]}', "entries", 4)


def test_a_huge_body_is_held_as_few_times_as_its_parsing_needs(tmp_path: Path) -> None:
    """One 20 MB body in a HAR: the peak above the start stays near three times the body."""
    body = 20_000_000
    run = build_run(random.Random(3))
    run["metadata"] = {"padding": "x" * body}
    path = tmp_path / "big.har"
    path.write_bytes(
        json.dumps(har(runs_entry(run), runs_entry(build_run(random.Random(4))))).encode()
    )
    del run
    probe = (
        "import sys\n"
        "from runcontract.sources import Limits, read_paths\n"
        "def peak():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'):\n"
        "            return int(line.split()[1]) * 1024\n"
        "idle = peak()\n"
        "items = list(read_paths([sys.argv[1]], limits=Limits(stream_documents_from=0)))\n"
        "print(peak() - idle, len(items))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=True
    )
    above, _ = (int(word) for word in done.stdout.split())
    # the entry's bytes, orjson's copy of them and the body's text; then the text, orjson's
    # copy of it and the parsed run (ijson kept two buffers as large as the body, and more)
    assert above < 4 * body, above
