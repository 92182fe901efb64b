"""The package's shape, read from its modules: one root error, and a gate that does not reach
into the reference server."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import runcontract
from runcontract import RuncontractError

PACKAGE = Path(runcontract.__file__).parent
# Raised and caught inside runcontract, never handed to a user, each with where it is caught.
INTERNAL = {
    "runcontract.cli._Exit": "argparse finished (--help, --version); run() returns its status",
    "runcontract.engine.typed.Unsupported": "a schema the fast lane cannot type; the engine "
    "then judges the slow way",
    "runcontract.engine.fastpath.InliningError": "a residue form the fast lane cannot copy "
    "into its judge; the judge calls the form instead",
    "runcontract.engine.fastlane.FastLaneWarning": "a warning category, never raised: the lane "
    "could not be built (an error in the tests, which turn warnings into errors)",
    "runcontract.gate.driver.ScenarioStopped": "a scenario that cannot go on; the driver "
    "reports it as unfinished",
    "runcontract.gate.proxy.NotSentError": "no answer to a schemathesis request; schemathesis "
    "records an error and the gate reports it as could not check",
    "runcontract.sources.streamed._NotForStreaming": "a recording the streaming reader leaves "
    "to the whole-document reader, which then reads it",
    "runcontract.server.errors.ApiError": "the reference server's answer to a bad request: "
    "rendered as an HTTP error response",
}


def _modules() -> list[str]:
    names = ["runcontract"]
    for info in pkgutil.walk_packages([str(PACKAGE)], prefix="runcontract."):
        if not info.name.endswith("__main__"):  # running them is what importing them does
            names.append(info.name)
    return names


def _exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for name in _modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == name
            ):
                found[f"{name}.{value.__qualname__}"] = value
    return found


def test_every_exception_raised_to_a_user_is_a_runcontract_error() -> None:
    classes = _exception_classes()
    # the walk sees the classes the package is known to define, so it reads the right thing
    assert {
        "runcontract.cli.UsageError",
        "runcontract.server.faults.UnknownFaultError",
        "runcontract.sources.context.Unreadable",
        "runcontract.engine.core.SelectionError",
        "runcontract.catalogue.CatalogueError",
    } <= set(classes)
    internal = tuple(classes[name] for name in INTERNAL if name in classes)
    public = {name for name, kind in classes.items() if not issubclass(kind, internal)}
    assert sorted(n for n in public if not issubclass(classes[n], RuncontractError)) == []
    # an entry of INTERNAL that no longer exists is a stale excuse
    assert sorted(set(INTERNAL) - set(classes)) == []


def test_errors_keep_the_builtin_base_older_handlers_catch() -> None:
    classes = _exception_classes()
    assert issubclass(classes["runcontract.server.faults.UnknownFaultError"], ValueError)
    assert issubclass(classes["runcontract.engine.core.SelectionError"], ValueError)
    # pytest and schemathesis report an AssertionError as a failed test, not an error of the run
    assert issubclass(classes["runcontract.pytest_plugin.ContractViolatedError"], AssertionError)
    assert issubclass(classes["runcontract.gate.checks.RunContractViolated"], AssertionError)


# What starts the reference server: the gate's in-process target and the `serve` command.
SERVER_ENTRY_POINTS = frozenset({"create_app", "ManualClock", "list_faults", "UnknownFaultError"})


def _server_imports(path: Path) -> list[str]:
    """The server names a module imports: `runcontract.server.x` modules, or names of
    `runcontract.server` itself."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("runcontract.server")]
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            if node.module == "runcontract.server":
                found += [f"runcontract.server:{a.name}" for a in node.names]
            elif node.module.startswith("runcontract.server."):
                found.append(node.module)
    return found


def test_nothing_outside_the_server_imports_its_internals() -> None:
    outside = [path for path in PACKAGE.rglob("*.py") if (PACKAGE / "server") not in path.parents]
    imports = {str(path.relative_to(PACKAGE)): _server_imports(path) for path in outside}
    # the gate starts the server in-process: the walk sees that import, so it reads imports
    assert any(imports.values())
    reaching = {
        module: [
            name
            for name in names
            if not (
                name.startswith("runcontract.server:")
                and name.split(":", 1)[1] in SERVER_ENTRY_POINTS
            )
        ]
        for module, names in imports.items()
    }
    assert {module: names for module, names in reaching.items() if names} == {}


def test_no_test_module_imports_another() -> None:
    # what tests share lives in helper modules (tests/command.py, tests/gate/helpers.py, ...):
    # importing a test module runs its collection-time work and ties two modules' tests together
    tests = Path(__file__).resolve().parents[1]
    found = []
    for path in sorted(tests.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module and module.startswith("tests.") and module.rsplit(".")[-1][:5] == "test_":
                found.append(f"{path.relative_to(tests)}: from {module}")
    assert not found, found
