"""From the paths and URLs a user gave to the parts of an archive, in the order one process reads.

A local path is expanded as `validate` expands it (a folder recursively, in name order, only the
names it reads); a URL with a scheme (`s3://`, `gs://`, `file://`, `memory://`, anything fsspec
knows) is listed through fsspec the same way. Each file is one part: the readers stream it, and
what a part keeps is a few hundred bytes per run object in it, so a part's memory is bounded by
the size of the file (archives are written as rotated shards; see the README).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from runcontract.archive import require
from runcontract.sources.paths import FoundFile, expand, is_readable_name


@dataclass(frozen=True, slots=True)
class Part:
    """One input file (or one input that could not be listed), in its place in the order."""

    index: int
    label: str  # as reports name it: the path or URL as the user would write it
    location: str  # a local path, or a URL for fsspec
    remote: bool = False
    problem: str | None = None  # set when the input is not there to be read

    def open(self) -> contextlib.AbstractContextManager[BinaryIO]:
        if not self.remote:
            return Path(self.location).open("rb")
        fsspec = require("fsspec")
        # raw bytes: the readers recognise gzip by its magic number, as for local files
        return cast(contextlib.AbstractContextManager[BinaryIO], fsspec.open(self.location, "rb"))


def is_url(given: str) -> bool:
    scheme, sep, _ = given.partition("://")
    return bool(sep) and scheme.replace("+", "").replace("-", "").isalnum()


def parts_of(paths: Sequence[str]) -> list[Part]:
    """Every file to read, numbered in the order `validate` reads them in one process."""
    found: list[Part] = []
    for given in paths:
        for label, location, remote, problem in _expand(given):
            found.append(Part(len(found), label, location, remote, problem))
    return found


def _expand(given: str) -> Iterator[tuple[str, str, bool, str | None]]:
    if not is_url(given):
        for item in expand(given):
            if isinstance(item, FoundFile):
                yield item.label, item.path, False, None
            else:
                yield item.label, "", False, item.message
        return
    core = require("fsspec.core")
    try:
        fs, root = core.url_to_fs(given)
        if not fs.isdir(root):
            yield given, given, True, None
            return
        names = sorted(
            name
            for name in fs.find(root)
            if is_readable_name(name.rsplit("/", 1)[-1]) and not _hidden(name, root)
        )
    except Exception as exc:  # noqa: BLE001 - any store's failure is reported as that input's
        yield given, "", True, f"cannot list ({type(exc).__name__}: {exc})"
        return
    if not names:
        yield given, "", True, "folder holds no files to read"
        return
    for name in names:
        # named from the URL as given, as a local folder's files are named from the folder
        inside = name[len(root) :].lstrip("/") if name.startswith(root) else name
        yield f"{given.rstrip('/')}/{inside}", fs.unstrip_protocol(name), True, None


def _hidden(name: str, root: str) -> bool:
    """Hidden below the given folder, as a local folder's walk skips dot-names."""
    inside = name[len(root) :] if name.startswith(root) else name
    return any(part.startswith(".") for part in inside.split("/"))
