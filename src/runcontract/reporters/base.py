"""Reporters render a result as it is collected; they never decide the verdict or exit code."""

from __future__ import annotations

from typing import Protocol, TextIO

from runcontract.model import ObjectResult, ReadError, Summary


class Reporter(Protocol):
    # Whether results without any violation are rendered; when not, the runner need not build
    # them, which matters on large inputs where nearly every run is clean.
    reports_clean: bool

    def start(self) -> None: ...

    def result(self, result: ObjectResult) -> None: ...

    def read_error(self, error: ReadError) -> None: ...

    def file_done(self, file: str, observations: int, errors: int) -> None: ...

    def finish(self, summary: Summary) -> None: ...


class ReporterFactory(Protocol):
    def __call__(self, stream: TextIO, *, quiet: bool = False) -> Reporter: ...
