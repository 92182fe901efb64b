"""Reporters render a result as it is collected; they never decide the verdict or exit code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, TextIO, runtime_checkable

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


@runtime_checkable
class Tallies(Protocol):
    """A reporter that keeps of some results only how often each rule was broken (text under
    --quiet, of a run with warnings only). `validate --jobs` workers count those themselves and
    send the counts instead of the results."""

    def counted_only(self, result: ObjectResult) -> bool:
        """Whether `result` comes to no more than its rules' counts (a pure function of it)."""
        ...

    def tally(self, rules: Mapping[str, int]) -> None:
        """Count these rules' violations, of results `counted_only` kept back."""
        ...


class ReporterFactory(Protocol):
    def __call__(self, stream: TextIO, *, quiet: bool = False) -> Reporter: ...
