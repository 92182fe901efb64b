"""From the paths a user gave to the files to read.

A named file is read whatever its name (its content decides the format), and whatever it is: a
FIFO or /dev/stdin named on the command line is read as the stream the user meant to give. A
folder is read recursively in name order, skipping hidden entries and any file whose name does
not end in one of READABLE_SUFFIXES, optionally followed by `.gz`. In a folder, what is not a
regular file (a FIFO, a socket, a device) is named and skipped: nobody put it there to be read,
and opening a FIFO waits for a writer that may never come.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, NamedTuple

READABLE_SUFFIXES: Final = (".json", ".jsonl", ".ndjson", ".yaml", ".yml", ".har")


@dataclass(frozen=True, slots=True)
class FoundFile:
    label: str  # the path as the user would write it: the given folder joined with the rest
    path: str


@dataclass(frozen=True, slots=True)
class PathProblem:
    label: str
    message: str


def is_readable_name(name: str) -> bool:
    lower = name.lower().removesuffix(".gz")
    return lower.endswith(READABLE_SUFFIXES)


def expand(given: str) -> Iterator[FoundFile | PathProblem]:
    if not given:  # Path("") would mean the current folder
        yield PathProblem(given, "empty path")
        return
    if not Path(given).is_dir():
        yield FoundFile(given, given)  # opening it reports a missing or unreadable file
        return
    found_any = False
    for item in _walk(given):
        found_any = found_any or isinstance(item, FoundFile)
        yield item
    if not found_any:
        suffixes = " ".join(READABLE_SUFFIXES)
        yield PathProblem(given, f"folder holds no files to read (looked for {suffixes}, .gz too)")


def _walk(top: str) -> Iterator[FoundFile | PathProblem]:
    """Depth first in name order, with a stack rather than recursion: trees can be deep."""
    seen: set[tuple[int, int]] = set()  # folders already entered, against symbolic-link loops
    stack = [_listing(top, seen)]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
        elif isinstance(entry, PathProblem):
            yield entry
        elif entry.is_dir():
            stack.append(_listing(entry.path, seen))
        elif is_readable_name(entry.name):
            special = entry.special_kind()
            if special:
                yield PathProblem(entry.path, f"is {special}, not a regular file; skipped")
            else:
                yield FoundFile(entry.path, entry.path)


def _listing(folder: str, seen: set[tuple[int, int]]) -> Iterator[_Entry | PathProblem]:
    try:
        info = Path(folder).stat()
        if (info.st_dev, info.st_ino) in seen:
            return
        seen.add((info.st_dev, info.st_ino))
        with os.scandir(folder) as scan:
            names = sorted(entry.name for entry in scan if not entry.name.startswith("."))
    except OSError as exc:
        yield PathProblem(folder, f"cannot list folder ({exc.strerror or exc})")
        return
    for name in names:
        yield _Entry(name, str(Path(folder, name)))


class _Entry(NamedTuple):  # a tuple: no dataclass to build at import
    name: str
    path: str

    def is_dir(self) -> bool:
        try:
            return Path(self.path).is_dir()
        except OSError:
            return False

    def special_kind(self) -> str:
        """What the entry is when not a regular file (links followed), or "" for a file."""
        try:
            mode = Path(self.path).stat().st_mode
        except OSError:
            return ""  # opening it says what is wrong (a broken link: no such file)
        for test, kind in _SPECIAL_KINDS:
            if test(mode):
                return kind
        return ""


_SPECIAL_KINDS: Final = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)
