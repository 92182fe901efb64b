"""`read_paths`: every input the user named, as one ordered stream of observations and errors.

Nothing raised while reading an input escapes: a failure becomes a ReadError for that file (or
that entry of it) and the next input is read. Each file ends with a FileDone, so the caller can
count files, including those that could not be read at all.
"""

from __future__ import annotations

import contextlib
import gc
import io
import itertools
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeAlias

from runcontract.model import Observation, ReadError
from runcontract.sources import jsonfile, jsonl
from runcontract.sources.context import FastLane, FileContext, Unreadable
from runcontract.sources.documents import observations_in_document
from runcontract.sources.exchanges import Answered, Exchange, observations
from runcontract.sources.limits import DEFAULT_LIMITS, Limits
from runcontract.sources.paths import FoundFile, expand
from runcontract.sources.sniff import SNIFF_BYTES, Format, sniff
from runcontract.sources.streams import (
    CHUNK_BYTES,
    GZIP_MAGIC,
    chunks_of,
    gunzip,
    peek,
    read_capped,
)

if TYPE_CHECKING:
    from runcontract.engine.fastlane import Prejudged

STDIN_LABEL = "<stdin>"
STDIN_PATH = "-"


@dataclass(frozen=True, slots=True)
class FileDone:
    """One input file is finished: how many observations and read errors it gave."""

    file: str
    observations: int
    errors: int


Item: TypeAlias = "Observation | Prejudged | ReadError | FileDone"
# with exchanges=True: the whole recorded exchanges too, for the HTTP rules
RecordedItem: TypeAlias = "Item | Answered"
Opener = Callable[[], contextlib.AbstractContextManager[BinaryIO]]


def read_paths(
    paths: Sequence[str],
    *,
    stdin: BinaryIO | None = None,
    limits: Limits = DEFAULT_LIMITS,
    fast_lane: FastLane | None = None,
    on_file: Callable[[str, str], None] | None = None,
) -> Iterator[Item]:
    """What `read_recordings` gives, without the whole exchanges: run objects and errors."""
    for item in read_recordings(
        paths, stdin=stdin, limits=limits, fast_lane=fast_lane, on_file=on_file
    ):
        if not isinstance(item, Answered):
            yield item


def read_recordings(
    paths: Sequence[str],
    *,
    stdin: BinaryIO | None = None,
    limits: Limits = DEFAULT_LIMITS,
    fast_lane: FastLane | None = None,
    on_file: Callable[[str, str], None] | None = None,
) -> Iterator[RecordedItem]:
    """Observations of run objects in `paths` (files, folders, "-" for stdin), in recorded order.

    `sequence` counts from 0 across all paths. Each file's items end with its FileDone. With a
    `fast_lane` (the engine's), a JSON Lines entry it finds clean comes as a Prejudged instead of
    an Observation. `on_file(label, path)` is told of each file before it is opened (path ""
    for stdin), for progress lines. `read_recordings` gives, after the run objects of each
    exchange that holds its request and its answer, the exchange itself (an `Answered`).
    """
    next_sequence = itertools.count().__next__
    if isinstance(paths, str):  # a str is a Sequence[str] too; one path was meant
        paths = [paths]
    for given in paths:
        if given == STDIN_PATH:
            if on_file is not None:
                on_file(STDIN_LABEL, "")
            opener = _stdin_opener(stdin)
            yield from _read_one(
                STDIN_LABEL, "", opener, limits, next_sequence, fast_lane=fast_lane
            )
            continue
        try:
            for found in expand(given):
                if isinstance(found, FoundFile):
                    if on_file is not None:
                        on_file(found.label, found.path)
                    opener = _file_opener(found.path)
                    yield from _read_one(
                        found.label, found.path, opener, limits, next_sequence, fast_lane=fast_lane
                    )
                else:
                    yield from _unreadable(found.label, found.message, limits, next_sequence)
        except Exception as exc:  # noqa: BLE001 - listing a folder must not crash the caller
            problem = _os_problem(exc) if isinstance(exc, OSError) else f"cannot list ({exc})"
            yield from _unreadable(given, problem, limits, next_sequence)


def _unreadable(
    label: str, problem: str, limits: Limits, next_sequence: Callable[[], int]
) -> Iterator[ReadError | FileDone]:
    """An input that could not be read at all: its error, and its FileDone."""
    yield FileContext(label, limits, next_sequence).error(None, problem)
    yield FileDone(label, 0, 1)


@dataclass(frozen=True, slots=True)
class FilePart:
    """The lines of a JSON Lines file from byte `start` (a line's start) to `end` (None: to the
    file's end), which `validate --jobs` gives one worker.

    Or an input that gives no run, given whole to one worker: a file read the usual way
    (`whole`: one that is empty, binary or not UTF-8), or one that could not be found
    (`problem`, what is wrong with it).
    """

    label: str
    path: str
    start: int
    end: int | None
    whole: bool = False
    problem: str | None = None


def read_part(
    part: FilePart,
    *,
    limits: Limits = DEFAULT_LIMITS,
    fast_lane: FastLane | None = None,
    on_file: Callable[[str, str], None] | None = None,
) -> Iterator[Item]:
    """What `read_paths` gives of the lines of `part`, numbered as in the whole file, and a
    FileDone with the part's counts. `on_file` is told of the file at its first part."""
    next_sequence = itertools.count().__next__
    if part.problem is not None:
        yield from _unreadable(part.label, part.problem, limits, next_sequence)
        return
    if part.start == 0 and on_file is not None:
        on_file(part.label, part.path)

    def lines(stream: BinaryIO, ctx: FileContext) -> Iterator[Observation | Prejudged | ReadError]:
        before = lines_before(stream, part.start)
        chunks = _chunks_until(stream, part.end)
        return jsonl.read_lines(chunks, ctx, lines_before=before, file_start=part.start == 0)

    opener = _file_opener(part.path)
    read = None if part.whole else lines
    for item in _read_one(
        part.label, part.path, opener, limits, next_sequence, fast_lane=fast_lane, read=read
    ):
        if not isinstance(item, Answered):  # none: no part is a recording
            yield item


def lines_before(stream: BinaryIO, start: int) -> int:
    """The lines of `stream` before byte `start`, and the stream left at `start`."""
    stream.seek(0)
    lines, left = 0, start
    while left > 0 and (chunk := stream.read(min(CHUNK_BYTES, left))):
        # a BytesIO finds each line with memchr: some times faster than bytes.count for lines
        # of run objects (a chunk's last piece counts as a line only when it ends one)
        lines += sum(1 for _ in io.BytesIO(chunk)) - (chunk[-1:] != b"\n")
        left -= len(chunk)
    stream.seek(start)
    return lines


def _chunks_until(stream: BinaryIO, end: int | None) -> Iterator[bytes]:
    if end is None:
        yield from chunks_of(stream)
        return
    left = end - stream.tell()
    while left > 0 and (chunk := stream.read(min(CHUNK_BYTES, left))):
        left -= len(chunk)
        yield chunk


def _read_one(
    label: str,
    path: str,
    opener: Opener,
    limits: Limits,
    next_sequence: Callable[[], int],
    *,
    fast_lane: FastLane | None = None,
    read: Callable[[BinaryIO, FileContext], Iterator[RecordedItem]] | None = None,
) -> Iterator[RecordedItem]:
    """The items of one input, then its FileDone; what goes wrong is an error of the input.
    `read`: how its stream is read, when not as its first bytes say (a part of JSON Lines)."""
    ctx = FileContext(label, limits, next_sequence, fast_lane)
    try:
        with opener() as stream:
            if read is None:
                yield from _read_stream(stream, path, ctx, opener if path else None)
            else:
                yield from read(stream, ctx)
    except Unreadable as exc:
        yield ctx.error(None, str(exc))
    except OSError as exc:
        yield ctx.error(None, _os_problem(exc))
    except Exception as exc:  # noqa: BLE001 - no input may crash the caller; the error says why
        yield ctx.error(None, f"could not be read ({type(exc).__name__}: {exc})")
    # counted by the context as they were made: every observation and error of the file
    yield FileDone(label, ctx.found, ctx.failed)


def _read_stream(
    stream: BinaryIO, path: str, ctx: FileContext, reopen: Opener | None
) -> Iterator[Observation | Prejudged | ReadError | Answered]:
    head, chunks = _decoded(stream, ctx)
    fmt = sniff(head, path.lower().removesuffix(".gz"))
    if fmt is Format.JSONL:
        yield from jsonl.read_lines(chunks, ctx)
        return
    if reopen is not None and _worth_streaming(fmt, head, path, ctx):
        # a large recording, read entry by entry: the file is read twice (see streamed.py);
        # imported here, as ijson is: most inputs are smaller, and startup is what they wait for
        from runcontract.sources import streamed  # noqa: PLC0415

        recording = streamed.recording_in(chunks, ctx.limits.max_file_bytes)
        with reopen() as again:
            _, chunks = _decoded(again, ctx)
            if recording is not None:
                yield from streamed.read_recording(recording, chunks, ctx)
                return
            yield from _read_whole(chunks, fmt, ctx)
        return
    yield from _read_whole(chunks, fmt, ctx)


def _decoded(stream: BinaryIO, ctx: FileContext) -> tuple[bytes, Iterator[bytes]]:
    """The first bytes (for sniffing) and all the bytes, gunzipped when they are gzip."""
    head, chunks = peek(chunks_of(stream), SNIFF_BYTES)
    if head.startswith(GZIP_MAGIC):
        head, chunks = peek(gunzip(chunks, ctx.limits), SNIFF_BYTES)
    return head, chunks


def _worth_streaming(fmt: Format, head: bytes, path: str, ctx: FileContext) -> bool:
    if fmt is Format.SSE or (fmt is Format.YAML and not jsonfile.starts_like_json(head)):
        return False
    try:
        return Path(path).stat().st_size >= ctx.limits.stream_documents_from
    except OSError:
        return False


def _read_whole(
    chunks: Iterator[bytes], fmt: Format, ctx: FileContext
) -> Iterator[Observation | ReadError | Answered]:
    data = read_capped(chunks, ctx.limits.max_file_bytes, "file")
    if fmt is Format.SSE:
        yield from observations(Exchange.standalone_stream(data), ctx)
        return
    with _collector_paused():
        value, from_yaml = _parse(data, fmt, ctx)
    del data
    with _frozen():
        yield from observations_in_document(value, ctx, from_yaml=from_yaml)


# A parsed document is a tree: Python's cycle collector finds nothing in it, yet each of its full
# collections walks every object of it. While a document of 40,000 interactions was parsed, and
# then while its runs were judged (each run's objects start collections), that walking was most
# of the time, and the more interactions, the more time each one took.


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@contextlib.contextmanager
def _frozen() -> Iterator[None]:
    """What exists now (the parsed document above all) left out of collections until the end.

    The collector still runs for everything made meanwhile; a document that is dropped is freed
    as ever. Left alone when the program froze objects of its own, which unfreezing would undo.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _load_yaml(data: bytes, ctx: FileContext) -> object:
    from runcontract.sources import yamlfile  # noqa: PLC0415 - PyYAML only for YAML input

    return yamlfile.load(data, ctx.limits)


def _parse(data: bytes, fmt: Format, ctx: FileContext) -> tuple[object, bool]:
    """The parsed document and whether it came from YAML.

    JSON is tried first wherever it may be (it is much faster, and YAML would read it too);
    when both fail, the problem reported is the one of the format the file claims to be.
    """
    if fmt is Format.JSON:
        return jsonfile.parse(data), False
    if fmt is Format.YAML and not jsonfile.starts_like_json(data):
        return _load_yaml(data, ctx), True
    try:
        return jsonfile.parse(data), False
    except Unreadable as not_json:
        try:
            return _load_yaml(data, ctx), True
        except Unreadable:
            if fmt is Format.YAML:
                raise
            raise not_json from None


def _file_opener(path: str) -> Opener:
    return lambda: Path(path).open("rb")


def _stdin_opener(stdin: BinaryIO | None) -> Opener:
    def opener() -> contextlib.AbstractContextManager[BinaryIO]:
        stream = stdin if stdin is not None else getattr(sys.stdin, "buffer", None)
        if stream is None:
            raise Unreadable("no standard input to read")
        return contextlib.nullcontext(stream)  # the caller owns stdin and closes it

    return opener


def _os_problem(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file or folder"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a folder, not a file"
    return f"cannot read ({exc.strerror or exc})"
