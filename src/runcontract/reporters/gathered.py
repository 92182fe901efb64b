"""A reporter that renders nothing and keeps what it is given, for code that judges through the
one loop (`runner.judge_stream`) and wants the results themselves."""

from __future__ import annotations

from runcontract.model import ObjectResult, ReadError, Summary


class Gathered:
    """Every result, clean ones too; the HTTP rules' findings apart; the read errors."""

    reports_clean = True

    def __init__(self) -> None:
        self.runs: list[ObjectResult] = []
        self.exchanges: list[ObjectResult] = []  # the HTTP rules' findings, an exchange each
        self.errors: list[ReadError] = []

    def start(self) -> None:
        pass

    def result(self, result: ObjectResult) -> None:
        (self.exchanges if result.exchange else self.runs).append(result)

    def read_error(self, error: ReadError) -> None:
        self.errors.append(error)

    def file_done(self, file: str, observations: int, errors: int) -> None:
        pass

    def finish(self, summary: Summary) -> None:
        pass
