"""One way to declare a rule: every code the catalogue has is emitted by a declared check, and
every check emits only the codes it declares (read from its source, so a new literal code in a
check that does not declare it fails here)."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections import Counter

import pytest

from runcontract.catalogue import Declaration, declarations, load_catalogue

CODE = re.compile(r"^[A-Z]\d{3}$")
# The modules whose checks name their codes in their bodies (object checks are held to their
# declared codes by running them: tests/test_api.py).
EMITTING_MODULES = (
    "runcontract.engine.lifecycle",
    "runcontract.gate.judge",
    "runcontract.gate.driver",
)


def _declared() -> list[Declaration]:
    return declarations()


def test_every_catalogue_code_is_declared_by_a_check_and_every_declared_code_exists() -> None:
    declared = set().union(*(d.codes for d in _declared()))
    catalogue = set(load_catalogue().rules)
    assert sorted(catalogue - declared) == []
    assert sorted(declared - catalogue) == []


def test_every_kind_of_rule_is_declared_the_same_way() -> None:
    kinds = Counter(d.kind for d in _declared())
    assert set(kinds) == {"object", "lifecycle", "http"}
    by_letter = {d.kind for d in _declared() for code in d.codes if code[0] in "LH"}
    assert by_letter == {"lifecycle", "http"}


def test_each_lifecycle_code_is_emitted_in_one_place() -> None:
    emitters = Counter(
        code for d in _declared() if d.kind == "lifecycle" for code in d.codes if code[0] == "L"
    )
    assert emitters
    assert {code: n for code, n in emitters.items() if n != 1} == {}


def _literal_codes(module_name: str) -> list[tuple[str, str]]:
    """(qualified name of the enclosing function, code) for every code written in the module."""
    module = importlib.import_module(module_name)
    tree = ast.parse(inspect.getsource(module))
    found: list[tuple[str, str]] = []

    def visit(node: ast.AST, scope: list[str], function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, [*scope, child.name], function)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = ".".join([*scope, child.name])
                # the decorators name the codes; the body is what must keep to them
                for statement in child.body:
                    visit(statement, [*scope, child.name], name)
            elif (
                isinstance(child, ast.Constant)
                and isinstance(child.value, str)
                and CODE.match(child.value)
            ):
                found.append((f"{module_name}.{function or '<module>'}", child.value))
            else:
                visit(child, scope, function)

    visit(tree, [], None)
    return found


@pytest.mark.parametrize("module_name", EMITTING_MODULES)
def test_a_check_writes_only_the_codes_it_declares(module_name: str) -> None:
    declared = {d.name: d.codes for d in _declared()}
    written = _literal_codes(module_name)
    assert written, "the module names no code: this test reads the wrong thing"
    undeclared = sorted(
        (function, code) for function, code in written if code not in declared.get(function, ())
    )
    assert undeclared == []
