"""pytest plugin: the gate and recorded traffic as test items (`--runcontract-...` options).

    pytest --runcontract-base-url https://api.example.com/v1 --junitxml gate.xml
    pytest --runcontract-recordings cassettes/ --junitxml recordings.xml

With --runcontract-base-url (or --runcontract-in-process) the gate runs once, on the first item
that needs it, and each lifecycle scenario and each operation of the document is an item that
fails with the error-severity violations found there. With --runcontract-recordings each file
is an item judged like `runcontract validate` judges it. A gate that could not check makes every
gate item an error (not a failure, not a pass), as the CLI exits 3.

This module is loaded by every pytest run once runcontract is installed, so it imports only
pytest at import time, adds only --runcontract-* options and does nothing unless one is given.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest

from runcontract.errors import RuncontractError  # no imports of its own: costs nothing

if TYPE_CHECKING:
    from runcontract.gate.session import GateOutcome
    from runcontract.model import Violation

GATE_KEY = pytest.StashKey["GateOutcome"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("runcontract", "runcontract: the Run contract of the Assistants API")
    group.addoption(
        "--runcontract-base-url",
        metavar="URL",
        help="run `runcontract gate` against this API (base URL with its /v1 prefix) as items",
    )
    group.addoption(
        "--runcontract-in-process",
        action="store_true",
        help="run the gate against the embedded reference server, as items",
    )
    group.addoption(
        "--runcontract-api-key-env",
        default="OPENAI_API_KEY",
        metavar="NAME",
        help="environment variable holding the API key (default OPENAI_API_KEY)",
    )
    group.addoption("--runcontract-profile", choices=["v1", "v2"], default="v2")
    group.addoption("--runcontract-strict", action="store_true")
    group.addoption("--runcontract-max-examples", type=int, default=20, metavar="N")
    group.addoption("--runcontract-workers", type=int, default=2, metavar="N")
    group.addoption("--runcontract-budget", type=int, default=30, metavar="RUNS")
    group.addoption("--runcontract-timeout", type=float, default=600.0, metavar="SECONDS")
    group.addoption(
        "--runcontract-phases",
        default=None,
        metavar="LIST",
        help="lifecycle,examples,coverage,fuzzing,stateful (default: all)",
    )
    group.addoption(
        "--runcontract-recordings",
        action="append",
        default=[],
        metavar="PATH",
        help="judge recorded traffic (files or folders) as items, one per file",
    )


def _gate_wanted(config: pytest.Config) -> bool:
    return bool(
        config.getoption("runcontract_base_url") or config.getoption("runcontract_in_process")
    )


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if _gate_wanted(config):
        gate = GateCollector.from_parent(
            session, name="runcontract-gate", nodeid="runcontract-gate"
        )
        items.extend(gate.collect())
    recordings = config.getoption("runcontract_recordings")
    if recordings:
        folder = RecordingsCollector.from_parent(
            session, name="runcontract-recordings", nodeid="runcontract-recordings"
        )
        items.extend(folder.collect())


# -- the gate -------------------------------------------------------------------------------------
class GateCouldNotCheckError(RuncontractError):
    """The gate could not check the target: an error of the test run, not a verdict."""


class ContractViolatedError(RuncontractError, AssertionError):
    """Error-severity violations of the Run contract."""


def _describe(violations: list[Violation]) -> str:
    from runcontract.redact import redact  # noqa: PLC0415

    lines = []
    for v in violations:
        where = f" at {v.source}" if v.source is not None else ""
        lines.append(f"{v.severity.value} {v.rule} {v.path}: {v.message}{where}")
    return redact("\n".join(lines))


class _VerdictItem(pytest.Item):
    """A test item that fails on error-severity violations and reports the warnings."""

    def judge(self, found: list[Violation]) -> None:
        from runcontract.model import Severity  # noqa: PLC0415

        errors = [v for v in found if v.severity is Severity.ERROR]
        warnings = [v for v in found if v.severity is Severity.WARNING]
        if warnings:
            self.add_report_section("call", "runcontract warnings", _describe(warnings))
        if errors:
            raise ContractViolatedError(_describe(errors))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ContractViolatedError | GateCouldNotCheckError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style))


class GateCollector(pytest.Collector):
    def collect(self) -> list[pytest.Item]:
        from runcontract.gate.document import load_document  # noqa: PLC0415
        from runcontract.gate.driver import SCENARIOS  # noqa: PLC0415
        from runcontract.model import Profile  # noqa: PLC0415

        document = load_document(Profile(self.config.getoption("runcontract_profile")))
        items: list[pytest.Item] = [
            GateItem.from_parent(
                self, name=f"lifecycle-{name.replace(' ', '-')}", unit=f"lifecycle: {name}"
            )
            for name in SCENARIOS
        ]
        items.extend(
            GateItem.from_parent(self, name=operation.operation_id, unit=operation.label)
            for operation in document.operations
        )
        items.append(
            GateItem.from_parent(
                self, name="outside-document", unit="requests outside the document"
            )
        )
        return items


def _run_gate(config: pytest.Config) -> GateOutcome:
    found = config.stash.get(GATE_KEY, None)
    if found is not None:
        return found
    from runcontract.gate.secrets import Secret  # noqa: PLC0415
    from runcontract.gate.session import ALL_PHASES, GateOptions, in_process_key, run_gate  # noqa: PLC0415
    from runcontract.model import Profile  # noqa: PLC0415

    base_url = config.getoption("runcontract_base_url")
    key_env = config.getoption("runcontract_api_key_env")
    key = os.environ.get(key_env, "") if base_url else in_process_key()
    if not key:
        raise pytest.UsageError(f"--runcontract-base-url: {key_env} holds no API key")
    phases = config.getoption("runcontract_phases")
    options = GateOptions(
        base_url=base_url,
        api_key_env=key_env,
        profile=Profile(config.getoption("runcontract_profile")),
        strict=config.getoption("runcontract_strict"),
        max_examples=config.getoption("runcontract_max_examples"),
        workers=config.getoption("runcontract_workers"),
        budget=config.getoption("runcontract_budget"),
        timeout=config.getoption("runcontract_timeout"),
        phases=tuple(p for p in phases.split(",") if p) if phases else ALL_PHASES,
    )
    outcome = run_gate(options, key, lambda _line: None, secret=Secret(key))
    config.stash[GATE_KEY] = outcome
    return outcome


class GateItem(_VerdictItem):
    def __init__(self, *, unit: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.unit = unit

    def setup(self) -> None:
        from runcontract.gate.session import EXIT_COULD_NOT_CHECK  # noqa: PLC0415

        outcome = _run_gate(self.config)
        # As the CLI's exit 3: no judged target, or nothing found where gaps were left.
        if outcome.exit_code == EXIT_COULD_NOT_CHECK:
            raise GateCouldNotCheckError(
                "runcontract gate could not check the target:\n"
                + "\n".join(f"- {p}" for p in [*outcome.problems, *outcome.unfinished])
            )

    def runtest(self) -> None:
        outcome = _run_gate(self.config)
        self.judge([v for verdict, v in outcome.violations() if verdict.unit == self.unit])

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "runcontract gate", None, self.unit


# -- recordings -----------------------------------------------------------------------------------
class RecordingsCollector(pytest.Collector):
    def collect(self) -> list[pytest.Item]:
        from runcontract.sources.paths import FoundFile, expand  # noqa: PLC0415

        items: list[pytest.Item] = []
        for given in self.config.getoption("runcontract_recordings"):
            for found in expand(given):
                if isinstance(found, FoundFile):
                    items.append(
                        RecordingItem.from_parent(self, name=found.label, path_=found.path)
                    )
                else:
                    items.append(
                        RecordingItem.from_parent(
                            self, name=found.label, path_=None, problem=found.message
                        )
                    )
        return items


class RecordingItem(_VerdictItem):
    def __init__(self, *, path_: str | None, problem: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recording = path_
        self.problem = problem
        self.violations: list[Violation] = []

    def setup(self) -> None:
        """Read and judge the file; a file that cannot be read is an error, not a verdict."""
        from runcontract.engine import Engine  # noqa: PLC0415
        from runcontract.model import Observation, ReadError  # noqa: PLC0415
        from runcontract.sources import read_paths  # noqa: PLC0415

        if self.recording is None:
            raise GateCouldNotCheckError(f"{self.name}: {self.problem}")
        engine = Engine(strict=self.config.getoption("runcontract_strict"))
        read = list(read_paths([self.recording]))
        unreadable = [f"{i.source}: {i.message}" for i in read if isinstance(i, ReadError)]
        if unreadable:
            raise GateCouldNotCheckError("could not read:\n" + "\n".join(unreadable))
        observations = [i for i in read if isinstance(i, Observation)]
        if not observations:
            # as `validate` exits 3 on it: a check that saw nothing is not a pass
            raise GateCouldNotCheckError(f"{self.name}: no run object found in it")
        for result in engine.judge_all(observations):
            self.violations.extend(result.violations)

    def runtest(self) -> None:
        self.judge(self.violations)

    def reportinfo(self) -> tuple[str, int | None, str]:
        return self.recording or self.name, None, f"recording {self.name}"
