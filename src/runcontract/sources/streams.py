"""Bytes in bounded pieces: files and stdin as chunk iterators, gunzip, and capped reads.

Everything downstream takes an iterator of chunks, so a regular file, a gzip file and a pipe on
stdin are read by the same code, and nothing has to fit in memory unless a format needs it.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO, Final

from runcontract.sources.context import Unreadable
from runcontract.sources.limits import Limits, MiB

CHUNK_BYTES: Final = 1 * MiB
GZIP_MAGIC: Final = b"\x1f\x8b"
_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS


def chunks_of(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK_BYTES):
        yield chunk


def peek(chunks: Iterator[bytes], size: int) -> tuple[bytes, Iterator[bytes]]:
    """The first `size` bytes (fewer at the end of input) and an iterator over all of the bytes."""
    head = bytearray()
    for chunk in chunks:
        head += chunk
        if len(head) >= size:
            break
    first = bytes(head)
    return first, itertools.chain((first,) if first else (), chunks)


def gunzip(
    chunks: Iterable[bytes], limits: Limits, max_output: int | None = None
) -> Iterator[bytes]:
    """Decompress gzip data (several members too) without ever holding more than a chunk.

    Raises Unreadable for corrupt or truncated data, for output beyond `max_output`, and for a
    compression ratio beyond the limit, which only a deliberate bomb reaches.
    """
    decompressor = zlib.decompressobj(_GZIP_WBITS)
    consumed = produced = 0  # compressed bytes actually inflated, not merely read
    try:
        for chunk in chunks:
            data = chunk
            while True:
                offered = len(data)
                out = decompressor.decompress(data, CHUNK_BYTES)
                data = decompressor.unconsumed_tail
                rest = decompressor.unused_data if decompressor.eof else b""
                consumed += offered - len(data) - len(rest)
                if out:
                    produced += len(out)
                    _check_size(produced, consumed, limits, max_output)
                    yield out
                if decompressor.eof:
                    if not rest.startswith(GZIP_MAGIC):
                        return  # trailing padding after the last member, as gzip(1) ignores it
                    decompressor = zlib.decompressobj(_GZIP_WBITS)
                    data = rest
                    continue
                if not data and len(out) < CHUNK_BYTES:
                    break
    except zlib.error as exc:
        raise Unreadable(f"gzip data is corrupt ({exc})") from None
    if consumed and not decompressor.eof:
        raise Unreadable("gzip data is truncated")


def _check_size(produced: int, consumed: int, limits: Limits, max_output: int | None) -> None:
    if max_output is not None and produced > max_output:
        raise Unreadable(f"decompresses to more than {_size(max_output)}, the limit")
    if produced > limits.gzip_ratio_floor and produced > consumed * limits.max_gzip_ratio:
        raise Unreadable(
            f"gzip data expands more than {limits.max_gzip_ratio}:1 (a decompression bomb?)"
        )


def read_capped(chunks: Iterable[bytes], cap: int, what: str) -> bytes:
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        if len(buffer) > cap:
            raise Unreadable(too_large(cap, what))
    return bytes(buffer)


def too_large(cap: int, what: str) -> str:
    return f"{what} is larger than {_size(cap)}, the limit for whole documents"


def _size(count: int) -> str:
    if count >= MiB and count % MiB == 0:
        return f"{count // MiB} MiB"
    return f"{count} bytes"
