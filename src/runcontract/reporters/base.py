"""Reporters render a result as it is collected; they never decide the verdict or exit code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TextIO, runtime_checkable

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
class Prepares(Protocol):
    """A reporter whose work on a result splits in two: what depends on the result alone
    (`prepared`), and what depends on the results before it (`replay`, in order).

    `validate --jobs` workers prepare their results and the parent replays them, which sends
    less than the results and leaves the parent less to do. Of some results the reporter keeps
    only how often each rule was broken (text under --quiet, of a run with warnings only): the
    workers count those themselves and send the counts, once (`tally`).
    """

    def counted_only(self, result: ObjectResult) -> bool:
        """Whether `result` comes to no more than its rules' counts."""
        ...

    def tally(self, rules: Mapping[str, int]) -> None:
        """Count these rules' violations, of results `counted_only` kept back."""
        ...

    def prepared(self, result: ObjectResult) -> Any:
        """What `result` comes to, made of it alone (and the reporter's options)."""
        ...

    def replay(self, prepared: Any) -> None:
        """Report what `prepared` gave, as `result` would report its result."""
        ...


class ReporterFactory(Protocol):
    def __call__(self, stream: TextIO, *, quiet: bool = False) -> Reporter: ...
