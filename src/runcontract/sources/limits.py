"""How much a source may read, so that hostile or broken input ends in a ReadError, not a crash.

JSONL is streamed and needs no file limit; whole documents (JSON, YAML, HAR, cassettes) are held
in memory and so are capped. Every cap is checked while reading, before the memory is spent.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    max_file_bytes: int = 256 * MiB
    """Whole-document formats: the file's size after gunzip."""

    max_body_bytes: int = 64 * MiB
    """One recorded request or response body after base64 and gzip decoding."""

    max_line_bytes: int = 16 * MiB
    """One JSONL line; a longer line is a ReadError for that line and reading goes on."""

    max_gzip_ratio: int = 200
    """Decompressed over compressed size; checked once the output passes `gzip_ratio_floor`."""

    gzip_ratio_floor: int = 8 * MiB
    """Small outputs are never called bombs: a run of spaces compresses 1000:1 legitimately."""

    max_yaml_depth: int = 100
    """Nesting of YAML collections; the API's deepest run objects nest about a dozen levels."""

    max_yaml_alias_nodes: int = 100_000
    """Nodes that YAML aliases may repeat in total, which stops "billion laughs" documents."""

    stream_documents_from: int = 8 * MiB
    """JSON recordings (HAR, cassettes) this large on disk are read entry by entry, not whole."""


DEFAULT_LIMITS = Limits()
