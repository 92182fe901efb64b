"""Whatever the bytes, read_paths yields, never raises, and closes every file with a FileDone."""

from __future__ import annotations

import gzip
import io
import itertools
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from runcontract.jobs.ranges import plan
from runcontract.model import Observation, ReadError
from runcontract.sources import FileDone, Limits, reader
from runcontract.sources.context import FileContext
from runcontract.sources.jsonl import read_lines
from runcontract.sources.reader import FilePart, read_part, read_paths

from .helpers import CASSETTES, read_all

NAMES = ["in.json", "in.jsonl", "in.ndjson", "in.yaml", "in.yml", "in.har", "in.json.gz", "in"]
# Small limits, so that the limit paths are reached by small examples too.
LIMITS = Limits(
    max_file_bytes=64 * 1024,
    max_body_bytes=16 * 1024,
    max_line_bytes=4 * 1024,
    gzip_ratio_floor=1024,
    max_yaml_depth=20,
    max_yaml_alias_nodes=200,
)
INTERESTING_KEYS = [
    "object", "data", "status", "log", "entries", "request", "response", "content", "text",
    "encoding", "interactions", "http_interactions", "Entries", "ResponseBody", "body",
    "string", "base64_string", "headers", "status_code", "code", "uri", "method",
]  # fmt: skip
INTERESTING_TEXT = [
    "thread.run", "list", "base64", "text/event-stream", "event: thread.run.created\ndata: {}\n\n",
    "H4sIAAAAAAAA/w==", '{"object": "thread.run"}', "assistants=v2", "sk-abcdefghijklmnop",
]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(INTERESTING_TEXT)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(INTERESTING_KEYS) | st.text(max_size=8), children, max_size=6
        )
    ),
    max_leaves=40,
)


def cassette_prefixes() -> list[bytes]:
    if not CASSETTES.is_dir():
        return [b"interactions:\n- request: {}\n"]
    return [path.read_bytes()[:6000] for path in sorted(CASSETTES.glob("*/*")) if path.is_file()]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def check(folder: Path, name: str, content: bytes) -> None:
    path = folder / name
    path.write_bytes(content)
    reading = read_all([path], limits=LIMITS)

    assert isinstance(reading.items[-1], FileDone)
    assert len(reading.done) == 1
    done = reading.done[0]
    assert done.file == str(path)
    assert (done.observations, done.errors) == (len(reading.observations), len(reading.errors))
    for error in reading.errors:
        assert isinstance(error, ReadError)
        assert "\n" not in error.message
        assert len(error.message) <= 300
    sequences = [item.sequence for item in reading.items if isinstance(item, Observation)]
    assert sequences == sorted(sequences)


fuzz = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fuzz
@given(name=st.sampled_from(NAMES), content=st.binary(max_size=3000), zipped=st.booleans())
def test_arbitrary_bytes(folder: Path, name: str, content: bytes, zipped: bool) -> None:
    check(folder, name, gzip.compress(content) if zipped else content)


@fuzz
@given(name=st.sampled_from(NAMES), text=st.text(max_size=2000))
def test_arbitrary_text(folder: Path, name: str, text: str) -> None:
    check(folder, name, text.encode("utf-8", "surrogatepass"))


@fuzz
@given(value=json_values, as_lines=st.booleans())
def test_arbitrary_json_values(folder: Path, value: object, as_lines: bool) -> None:
    if as_lines:
        values = value if isinstance(value, list) else [value]
        content = "".join(json.dumps(item) + "\n" for item in values)
        check(folder, "in.jsonl", content.encode())
    else:
        check(folder, "in.json", json.dumps(value).encode())


@fuzz
@given(value=json_values)
def test_arbitrary_yaml_values(folder: Path, value: object) -> None:
    check(folder, "in.yaml", yaml.safe_dump(value).encode())


@fuzz
@given(
    shape=st.sampled_from(["har", "vcr", "session"]),
    slots=st.lists(json_values, min_size=8, max_size=8),
    as_yaml=st.booleans(),
)
def test_recordings_with_arbitrary_parts(
    folder: Path, shape: str, slots: list[object], as_yaml: bool
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
        document = {"http_interactions": [{"request": request, "response": response}, content]}
    else:
        entry = {
            "RequestUri": url,
            "RequestMethod": method,
            "RequestHeaders": headers,
            "RequestBody": body,
            "StatusCode": status,
            "ResponseHeaders": headers,
            "ResponseBody": content,
        }
        document = {"Entries": [entry, text]}
    if as_yaml:
        check(folder, "in.yaml", yaml.safe_dump(document).encode())
    else:
        check(folder, "in.json", json.dumps(document).encode())


@fuzz
@given(
    prefix=st.sampled_from(cassette_prefixes()),
    cut=st.integers(min_value=0, max_value=6000),
    noise=st.binary(max_size=20),
)
def test_damaged_real_cassettes(folder: Path, prefix: bytes, cut: int, noise: bytes) -> None:
    check(folder, "in.yaml", prefix[:cut] + noise + prefix[cut:])


def _line_items(data: bytes, cuts: list[int], max_line: int) -> list[tuple[str | None, str]]:
    """What jsonl.read_lines makes of `data` given in chunks cut at `cuts`: each item's entry
    and kind (a run's id, or the read error's message)."""
    bounds = [0, *sorted(set(cuts)), len(data)]
    chunks = [data[start:end] for start, end in itertools.pairwise(bounds) if end > start]
    limits = Limits(max_line_bytes=max_line)
    context = FileContext("f", limits, itertools.count().__next__)
    found: list[tuple[str | None, str]] = []
    for item in read_lines(chunks, context):
        if isinstance(item, ReadError):
            found.append((item.source.entry, item.message))
        else:
            assert isinstance(item, Observation)
            found.append((item.source.entry, str(item.run.get("id"))))
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(
        st.sampled_from([b"", b"   ", b"{oops", b'{"id":"r%d"}', b'{"id":"r%d","x":"%s"}']),
        max_size=12,
    ),
    pads=st.lists(st.integers(0, 60), min_size=12, max_size=12),
    bom=st.booleans(),
    last_newline=st.booleans(),
    cuts=st.lists(st.integers(0, 1000), max_size=8),
)
def test_jsonl_lines_are_the_same_however_the_bytes_come_in_chunks(
    lines: list[bytes], pads: list[int], bom: bool, last_newline: bool, cuts: list[int]
) -> None:
    """Lines cut across chunks, chunks with no line end, overlong lines across chunks, a BOM:
    the items are those of the whole input read as one chunk, and each line's where it is."""
    made = [
        line.replace(b"%d", b"%d" % number).replace(b"%s", b"x" * pads[number])
        for number, line in enumerate(lines)
    ]
    data = (b"\xef\xbb\xbf" if bom else b"") + b"\n".join(made) + (b"\n" if last_newline else b"")
    max_line = 40
    whole = _line_items(data, [], max_line)
    # (the first chunk holds the BOM whole: a reader's first chunk is 1 MiB, or the whole file)
    cut_at = [at for at in (cut % (len(data) + 1) for cut in cuts) if at >= 3 or not bom]
    assert _line_items(data, cut_at, max_line) == whole
    # and the whole reading, line by line
    for number, line in enumerate(made, start=1):
        entry = f"line {number}"
        said = [kind for where, kind in whole if where == entry]
        if len(line) > max_line:
            assert said == [f"line is longer than {max_line} bytes, the limit; skipped"]
        elif line.startswith(b'{"id"'):
            assert said == [f"r{number - 1}"]
        elif line.strip():
            assert len(said) == 1
            assert said[0].startswith("not valid JSON")
        else:
            assert said == []


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(
        st.sampled_from([b"", b"{oops", b'{"id":"r%d"}', b'{"id":"r%d","x":"%s"}', b"[{}, 1]"]),
        max_size=12,
    ),
    pads=st.lists(st.integers(0, 60), min_size=12, max_size=12),
    bom=st.booleans(),
    crlf=st.booleans(),
    last_newline=st.booleans(),
    cuts=st.lists(st.integers(0, 12), max_size=4),
)
def test_jsonl_parts_give_what_the_whole_file_gives(  # noqa: PLR0917 - one per way a file varies
    folder: Path,
    lines: list[bytes],
    pads: list[int],
    bom: bool,
    crlf: bool,
    last_newline: bool,
    cuts: list[int],
) -> None:
    """A file cut at line starts (validate --jobs): its parts, read one after the other, give
    the items of the whole file, numbered as in it, and the counts of its FileDone."""
    end = b"\r\n" if crlf else b"\n"
    made = [
        line.replace(b"%d", b"%d" % number).replace(b"%s", b"x" * pads[number])
        for number, line in enumerate(lines)
    ]
    data = (b"\xef\xbb\xbf" if bom else b"") + end.join(made) + (end if last_newline else b"")
    path = folder / "parts.jsonl"
    path.write_bytes(data)
    assume(plan([str(path)], 2) is not None)  # what validate --jobs cuts: JSON Lines, sniffed
    starts = [0] + [at + 1 for at, byte in enumerate(data) if byte == ord("\n")]
    bounds = sorted({starts[cut % len(starts)] for cut in cuts} - {0, len(data)})
    limits = Limits(max_line_bytes=40)

    def seen(items: Sequence[object]) -> list[tuple[str | None, str]]:
        return [
            (item.source.entry, item.message)
            if isinstance(item, ReadError)
            else (item.source.entry, repr(item.run))
            for item in items
            if isinstance(item, ReadError | Observation)
        ]

    whole = list(read_paths([str(path)], limits=limits))
    parts = [
        list(read_part(FilePart(str(path), str(path), start, stop), limits=limits))
        for start, stop in zip([0, *bounds], [*bounds, None], strict=True)
    ]
    assert seen([item for part in parts for item in part]) == seen(whole)
    done = [part[-1] for part in parts]
    total = whole[-1]
    assert isinstance(total, FileDone)
    assert [isinstance(one, FileDone) for one in done] == [True] * len(parts)
    counts = [(one.observations, one.errors) for one in done if isinstance(one, FileDone)]
    assert tuple(map(sum, zip(*counts, strict=True))) == (total.observations, total.errors)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=300), at=st.integers(0, 300), chunk=st.integers(1, 17))
def test_the_lines_before_a_part_are_counted_however_the_chunks_cut_them(
    data: bytes, at: int, chunk: int
) -> None:
    start = at % (len(data) + 1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "CHUNK_BYTES", chunk)
        stream = io.BytesIO(data)
        assert reader.lines_before(stream, start) == data[:start].count(b"\n")
        assert stream.tell() == start
