"""pytest plugin: the gate and recorded traffic as test items (`--runcontract-...` options).

    pytest --runcontract-base-url https://api.example.com/v1 --junitxml gate.xml
    pytest --runcontract-recordings recordings/ --junitxml recordings.xml

With --runcontract-base-url (or --runcontract-in-process) the gate runs once, on the first item
that needs it, and each lifecycle scenario and each operation of the document is an item that
fails with the error-severity violations found there. A gate that could not check makes every
gate item an error (not a failure, not a pass), as the CLI exits 3.

With --runcontract-recordings, the files found there are collected as pytest collects its own:
each run object is an item, `recordings/run.json::run_abc (completed)`, judged like
`runcontract validate` judges it (the file's observations together, for the lifecycle rules). A
file that cannot be read, or holds no run object, is an error item, as `validate` exits 3.

The options are the gate's (`runcontract.cli.options`), each as `--runcontract-NAME`; what the
command line leaves out is read from `[tool.runcontract.gate]` of the configuration file found
from pytest's rootdir (runcontract.toml or pyproject.toml), as `runcontract gate` reads it.

This module is loaded by every pytest run once runcontract is installed, so it imports only
pytest and the option table at import time, and does nothing unless one of its options is given.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from runcontract.cli.options import GATE_OPTIONS, Kind, Option
from runcontract.errors import RuncontractError  # no imports of its own: costs nothing

if TYPE_CHECKING:
    from runcontract.engine import Engine
    from runcontract.gate.session import GateOutcome
    from runcontract.model import Violation

GATE_KEY = pytest.StashKey["GateOutcome"]()
SETTINGS_KEY = pytest.StashKey[dict[str, Any]]()
RECORDINGS_KEY = pytest.StashKey[set[Path]]()
ENGINE_KEY: pytest.StashKey[Engine] = pytest.StashKey()

# The gate's options that mean something here: what to judge and how, and the bounds.
PLUGIN_OPTIONS: tuple[Option, ...] = tuple(
    o
    for o in GATE_OPTIONS
    if o.name
    in {
        "base-url",
        "api-key-env",
        "profile",
        "assistant-id",
        "model",
        "budget",
        "max-examples",
        "workers",
        "timeout",
        "request-timeout",
        "phases",
        "seed",
        "strict",
        "select",
        "ignore",
    }
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("runcontract", "runcontract: the Run contract of the Assistants API")
    for option in PLUGIN_OPTIONS:
        common: dict[str, Any] = {"dest": f"runcontract_{option.dest}", "default": None}
        flag = f"--runcontract-{option.name}"
        if option.kind is Kind.SWITCH:
            group.addoption(flag, action="store_true", help=option.help, **common)
        elif option.kind is Kind.LIST:
            group.addoption(
                flag,
                type=option.parse,
                action="extend",
                metavar=option.metavar,
                help=option.help,
                **common,
            )
        else:
            group.addoption(
                flag,
                type=option.parse,
                choices=option.choices,
                metavar=option.metavar,
                help=option.help.replace("%%", "%"),
                **common,
            )
    group.addoption(
        "--runcontract-in-process",
        action="store_true",
        help="run the gate against the embedded reference server, as items",
    )
    group.addoption(
        "--runcontract-recordings",
        action="append",
        default=[],
        metavar="PATH",
        help="judge recorded traffic (files or folders): each run object an item",
    )


def settings(config: pytest.Config) -> dict[str, Any]:
    """The gate's options: the command line's, else the configuration file's, else the default."""
    found = config.stash.get(SETTINGS_KEY, None)
    if found is not None:
        return found
    from runcontract.config import ConfigError, load_settings  # noqa: PLC0415

    try:
        from_file = load_settings(
            "gate", PLUGIN_OPTIONS, explicit=None, start=config.rootpath
        ).values
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from exc
    found = {}
    for option in PLUGIN_OPTIONS:
        given = config.getoption(f"runcontract_{option.dest}")
        if given is None or (option.kind is Kind.SWITCH and not given):
            given = from_file.get(option.name, option.default)
        found[option.name] = given
    config.stash[SETTINGS_KEY] = found
    return found


def _gate_wanted(config: pytest.Config) -> bool:
    return bool(
        config.getoption("runcontract_base_url") or config.getoption("runcontract_in_process")
    )


def pytest_configure(config: pytest.Config) -> None:
    given = config.getoption("runcontract_recordings", None)
    if not given:
        return
    from runcontract.sources.paths import FoundFile, expand  # noqa: PLC0415

    found: set[Path] = set()
    base = config.invocation_params.dir
    for path in given:
        for item in expand(path):
            if not isinstance(item, FoundFile):
                raise pytest.UsageError(f"--runcontract-recordings {item.label}: {item.message}")
            found.add((base / item.path).resolve())
    config.stash[RECORDINGS_KEY] = found
    # Collected by pytest itself, so ids, -k, "collected N items" and --collect-only are its own.
    covered = [(base / a.split("::")[0]).resolve() for a in config.args]
    for path in given:
        resolved = (base / path).resolve()
        if not any(resolved == c or c in resolved.parents for c in covered):
            config.args.append(str(path))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    recordings = parent.config.stash.get(RECORDINGS_KEY, None)
    if recordings and file_path.resolve() in recordings:
        return RecordingFile.from_parent(parent, path=file_path)
    return None


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not _gate_wanted(config):
        return
    gate = GateCollector.from_parent(session, name="runcontract-gate", nodeid="runcontract-gate")
    found = gate.collect()
    told: list[pytest.Item | pytest.Collector] = [*found]
    # Told as pytest tells what it collects, so "collected N items" counts them.
    config.hook.pytest_collectreport(report=pytest.CollectReport(gate.nodeid, "passed", None, told))
    items.extend(found)


# -- the gate -------------------------------------------------------------------------------------
def could_not_check(message: str) -> NoReturn:
    """Stop an item's setup: an error of the test run, not a verdict, told in `message` alone
    (pytest shows no traceback of ours for it)."""
    pytest.fail(message, pytrace=False)


class ContractViolatedError(RuncontractError, AssertionError):
    """Error-severity violations of the Run contract."""


def _describe(violations: list[Violation]) -> str:
    from runcontract.redact import redact  # noqa: PLC0415

    lines = []
    for v in violations:
        where = f" at {v.source}" if v.source is not None else ""
        lines.append(f"{v.severity.value} {v.rule} {v.path}: {v.message}{where}")
        if v.reproduce is not None:
            lines.append(f"  reproduce: {v.reproduce}")
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
        if isinstance(excinfo.value, ContractViolatedError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style))


class GateCollector(pytest.Collector):
    def collect(self) -> list[pytest.Item]:
        from runcontract.gate.document import load_document  # noqa: PLC0415
        from runcontract.gate.driver import SCENARIOS  # noqa: PLC0415
        from runcontract.model import Profile  # noqa: PLC0415

        document = load_document(Profile(settings(self.config)["profile"]))
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

    chosen = settings(config)
    base_url = chosen["base-url"]
    key_env = chosen["api-key-env"]
    key = os.environ.get(key_env, "") if base_url else in_process_key()
    if not key:
        raise pytest.UsageError(f"--runcontract-base-url: {key_env} holds no API key")
    options = GateOptions(
        base_url=base_url,
        api_key_env=key_env,
        profile=Profile(chosen["profile"]),
        strict=chosen["strict"],
        select=tuple(chosen["select"]),
        ignore=tuple(chosen["ignore"]),
        max_examples=chosen["max-examples"],
        workers=chosen["workers"],
        budget=chosen["budget"],
        timeout=chosen["timeout"],
        request_timeout=chosen["request-timeout"],
        phases=tuple(chosen["phases"]) if chosen["phases"] else ALL_PHASES,
        assistant_id=chosen["assistant-id"],
        model=chosen["model"],
        seed=chosen["seed"],
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
            could_not_check(
                "runcontract gate could not check the target:\n"
                + "\n".join(f"- {p}" for p in [*outcome.problems, *outcome.unfinished])
            )

    def runtest(self) -> None:
        outcome = _run_gate(self.config)
        self.judge([v for verdict, v in outcome.violations() if verdict.unit == self.unit])

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "runcontract gate", None, self.unit


# -- recordings -----------------------------------------------------------------------------------
class RecordingFile(pytest.File):
    """A recording: read, and judged whole (the lifecycle rules compare its observations), when
    collected; each run object in it is then an item that fails with what broke there."""

    def collect(self) -> list[pytest.Item]:
        from runcontract.engine import Engine, SelectionError  # noqa: PLC0415
        from runcontract.reporters.gathered import Gathered  # noqa: PLC0415
        from runcontract.runner import judge_stream  # noqa: PLC0415
        from runcontract.sources.reader import read_recordings  # noqa: PLC0415

        engine = self.config.stash.get(ENGINE_KEY, None)
        if engine is None:
            chosen = settings(self.config)
            try:
                engine = Engine(
                    strict=chosen["strict"], select=chosen["select"], ignore=chosen["ignore"]
                )
            except SelectionError as exc:
                raise pytest.UsageError(
                    f"--runcontract-select/--runcontract-ignore: {exc}"
                ) from exc
            self.config.stash[ENGINE_KEY] = engine  # one for every file, as validate has
        # Named as the user would name it where pytest runs, so a finding says where to look.
        shown = (
            self.path.relative_to(Path.cwd()) if self.path.is_relative_to(Path.cwd()) else self.path
        )
        # judged as `validate` judges it: the same loop, the HTTP rules on its recorded exchanges
        gathered = Gathered()  # every run object is an item, passed or failed
        summary = judge_stream(read_recordings([str(shown)]), engine, gathered)
        unreadable = [f"{e.source}: {e.message}" for e in gathered.errors]
        results = gathered.runs
        names = [f"{r.run_id or '<no id>'} ({r.status or 'no status'})" for r in results]
        repeated = Counter(names)
        items: list[pytest.Item] = [
            RunItem.from_parent(
                self,
                name=f"{name} [{result.source.entry}]" if repeated[name] > 1 else name,
                violations=result.violations,
            )
            for name, result in zip(names, results, strict=True)
        ]
        if summary.exchanges:
            # one item for the recorded exchanges the HTTP rules judged, passed or not
            items.append(
                RunItem.from_parent(
                    self,
                    name=f"HTTP exchanges ({summary.exchanges})",
                    violations=[v for result in gathered.exchanges for v in result.violations],
                )
            )
        if unreadable:
            items.append(
                ProblemItem.from_parent(
                    self, name="unreadable", problem="could not read:\n" + "\n".join(unreadable)
                )
            )
        elif not summary.objects:
            items.append(
                ProblemItem.from_parent(
                    self, name="no run object", problem="no run object found in this file"
                )
            )
        return items


class RunItem(_VerdictItem):
    """One run object of a recording, with what the engine found in it."""

    def __init__(self, *, violations: list[Violation], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.violations = violations

    def runtest(self) -> None:
        self.judge(self.violations)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.name


class ProblemItem(_VerdictItem):
    """A recording that could not be checked: an error of the test run, not a verdict."""

    def __init__(self, *, problem: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.problem = problem

    def setup(self) -> None:
        could_not_check(f"{self.path.name}: {self.problem}")

    def runtest(self) -> None:
        raise AssertionError("not reached: setup raised")  # pragma: no cover

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.name
