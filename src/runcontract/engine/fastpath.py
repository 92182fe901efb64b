"""A compiled clean-or-not verdict, so the Python rules run only for objects that need them.

Most objects a gate sees keep the contract. For them one call into a compiled validator
(jsonschema-rs) decides: the profile's schema plus every object rule's schema form (status-
dependent fields, metadata limits, name and id patterns, counts and time ranges), and the rules'
residue forms in Python for what JSON Schema cannot say (the order of timestamps, the usage sum,
references between fields). An object that passes both has no violation of any rule, warnings
included; any other object goes the full way, where the checks in runcontract.rules produce the
findings.

Both forms are declared beside each rule's check (runcontract.rules.registry), and the checks
stay the source of truth: this is a necessary condition compiled for speed. The tests that break
each rule once (tests/engine/test_properties.py) fail if this verdict ever lets a broken object
through, because they go through the same Engine.check_run.
"""

from __future__ import annotations

import ast
import builtins
import linecache
import textwrap
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import jsonschema_rs

from runcontract.catalogue import load_catalogue
from runcontract.model import Profile
from runcontract.rules.registry import RESIDUE_FORMS, SCHEMA_FORMS, RunFields
from runcontract.schemas import profile_schema


def contract_schema(profile: Profile, *, patterns: bool = True) -> dict[str, Any]:
    """The object rules' schema forms for `profile`: what objects that keep them all satisfy.

    A form is kept when one of its rules applies to the profile (the catalogue says which).
    Without `patterns`, the forms that need a regular expression (I001 to I003, F001) are left
    out, for a caller that runs those rules' residue forms instead.
    """
    rules = load_catalogue().rules
    return {
        "allOf": [
            form.schema
            for form in SCHEMA_FORMS
            if (patterns or not form.pattern)
            and any(profile in rules[code].profiles for code in form.codes)
        ]
    }


RESIDUES = tuple(form.holds for form in RESIDUE_FORMS)


class InliningError(Exception):
    """A residue form written in a way `inlined` cannot copy into another function."""


def inlined(
    forms: tuple[Callable[[RunFields], bool], ...],
    fields: Mapping[str, str],
    failed: bool | None = None,
) -> tuple[list[str], dict[str, Any]]:
    """The residue forms' bodies as statements of one function, and the globals they read.

    Run once a line, a loop calling each form on a RunFields costs more than the forms' own
    work, so their bodies are copied into the caller's function instead: `run.<field>` reads
    the caller's local `fields[<field>]`, the forms' own names are renamed apart, a form that
    fails returns `failed`, one that holds goes on to the next. The statements fall through
    when every form holds. A form written in a way they cannot copy (`_inlined_form` says
    which) is called instead, on a RunFields made of those locals: slower, never wrong.
    """
    lines, namespace = _inlined(forms, tuple(fields.items()), failed)
    return list(lines), dict(namespace)


@cache
def _inlined(
    forms: tuple[Callable[[RunFields], bool], ...],
    fields: tuple[tuple[str, str], ...],
    failed: bool | None,
) -> tuple[tuple[str, ...], dict[str, Any]]:
    # once a process: each Engine's lane asks, and reading the forms' source takes milliseconds
    named = dict(fields)
    lines: list[str] = []
    namespace: dict[str, Any] = {}
    for number, holds in enumerate(forms):
        prefix = f"_r{number}_"
        try:
            body, used = _inlined_form(holds, named, prefix, ast.Constant(failed))
        except InliningError:
            made = ", ".join(named[name] for name in RunFields._fields)
            body = [f"if not {prefix}holds({prefix}RunFields({made})):", f"    return {failed}"]
            used = {f"{prefix}holds": holds, f"{prefix}RunFields": RunFields}
        lines += body
        namespace.update(used)
    return tuple(lines), namespace


def inlines(holds: Callable[[RunFields], bool]) -> bool:
    """Whether `inlined` copies the form's body (else it calls the form)."""
    try:
        _inlined_form(holds, {name: name for name in RunFields._fields}, "_", ast.Constant(None))
    except InliningError:
        return False
    return True


def _inlined_form(
    holds: Callable[[RunFields], bool], fields: Mapping[str, str], prefix: str, failed: ast.Constant
) -> tuple[list[str], dict[str, Any]]:
    function = _definition(holds)
    if not isinstance(function, ast.FunctionDef) or len(function.args.args) != 1:
        raise InliningError(f"{holds.__name__} is not a function of one RunFields")
    run = function.args.args[0].arg
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # its docstring
    own = {
        node.id
        for statement in body
        for node in ast.walk(statement)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }
    used: dict[str, Any] = {}

    class Rename(ast.NodeTransformer):
        def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
            if isinstance(node.value, ast.Name) and node.value.id == run:
                if node.attr not in fields:
                    raise InliningError(
                        f"{holds.__name__} reads {node.attr}, not a RunFields field"
                    )
                return ast.Name(fields[node.attr], ast.Load())
            return self.generic_visit(node)

        def visit_Name(self, node: ast.Name) -> ast.AST:
            name = node.id
            if name == run:
                raise InliningError(f"{holds.__name__} uses its RunFields whole")
            if name in own:
                return ast.Name(prefix + name, node.ctx)
            if name in holds.__globals__:
                used[prefix + name] = holds.__globals__[name]
                return ast.Name(prefix + name, node.ctx)
            if hasattr(builtins, name):
                return node
            raise InliningError(f"{holds.__name__} reads {name}, which it does not define")

        def generic_visit(self, node: ast.AST) -> ast.AST:
            if isinstance(
                node,
                ast.FunctionDef
                | ast.AsyncFunctionDef
                | ast.Lambda
                | ast.ClassDef
                | ast.Global
                | ast.Nonlocal
                | ast.Yield
                | ast.YieldFrom
                | ast.Await,
            ):
                raise InliningError(f"{holds.__name__} has a {type(node).__name__}")
            return super().generic_visit(node)

    if not body or not isinstance(body[-1], ast.Return):
        raise InliningError(f"{holds.__name__} does not end in a return")
    statements = _returns_as_exits([Rename().visit(statement) for statement in body], failed)
    if _exits_early(statements):
        # `break` leaves the form when it holds; the loop runs once
        statements = [ast.While(ast.Constant(True), statements, [])]
    elif isinstance(statements[-1], ast.Break):
        statements = statements[:-1]  # its one `break`, last: the form's end anyway
    module = ast.fix_missing_locations(ast.Module(statements, []))
    return ast.unparse(module).splitlines(), used


def _definition(holds: Callable[[RunFields], bool]) -> ast.stmt:
    """The form's definition, parsed from its lines in its module.

    Its last line is the last one its code covers (a statement may end a few lines after, on a
    closing bracket): quicker than inspect.getsource, whose tokenizer takes some milliseconds
    to set up, in every process that judges JSON Lines. InliningError when its source is not
    to be had (a form made by exec, an install without its .py files).
    """
    code = holds.__code__
    lines = linecache.getlines(code.co_filename)
    first = code.co_firstlineno - 1
    covered = [line for _, _, line in code.co_lines() if line is not None]
    covered += [end for _, end, _, _ in code.co_positions() if end is not None]
    last = max(covered, default=first + 1)
    for stop in range(last, min(last + 8, len(lines)) + 1):
        try:
            tree = ast.parse(textwrap.dedent("".join(lines[first:stop])))
        except SyntaxError:
            continue
        if tree.body and getattr(tree.body[0], "name", None) == holds.__name__:
            return tree.body[0]
    raise InliningError(f"the source of {holds.__name__} is not to be had")


def _returns_as_exits(statements: list[ast.stmt], failed: ast.Constant) -> list[ast.stmt]:
    """`return E` as "return `failed` unless E, else leave the form" (a `break`, or the end)."""
    out: list[ast.stmt] = []
    for statement in statements:
        if isinstance(statement, ast.Return):
            value = statement.value
            if isinstance(value, ast.Constant) and value.value is True:
                out.append(ast.Break())
            elif isinstance(value, ast.Constant) and value.value is False:
                out.append(ast.Return(failed))
            elif value is None:
                raise InliningError("a residue form that returns None")
            else:
                out += [
                    ast.If(ast.UnaryOp(ast.Not(), value), [ast.Return(failed)], []),
                    ast.Break(),
                ]
            break  # what follows a return never runs
        if isinstance(statement, ast.If):
            statement.body = _returns_as_exits(statement.body, failed)
            statement.orelse = _returns_as_exits(statement.orelse, failed)
        elif any(isinstance(node, ast.Return) for node in ast.walk(statement)):
            raise InliningError(f"a return inside a {type(statement).__name__}")
        out.append(statement)
    return out


def _exits_early(statements: list[ast.stmt]) -> bool:
    """Whether a `break` stands anywhere but last: the form leaves before its end."""
    last = statements[-1] if statements else None
    return any(
        isinstance(node, ast.Break) and node is not last
        for statement in statements
        for node in ast.walk(statement)
    )


def fused(forms: tuple[Callable[[RunFields], bool], ...]) -> Callable[[RunFields], bool]:
    """One function that holds when every form holds, their bodies inlined."""
    fields = {name: f"f_{name}" for name in RunFields._fields}
    lines, namespace = inlined(forms, fields, failed=False)
    source = "\n".join(
        [
            "def residues_hold(run):",
            f"    {', '.join(fields.values())}, = run",
            *(f"    {line}" for line in lines),
            "    return True",
        ]
    )
    exec(compile(source, "<residue forms>", "exec"), namespace)  # noqa: S102 - our own forms
    made: Callable[[RunFields], bool] = namespace["residues_hold"]
    return made


@cache
def residues_hold() -> Callable[[RunFields], bool]:
    """Every residue form, in one function (made once, when first asked for)."""
    return fused(RESIDUES)


def fields_of(run: dict[str, Any]) -> RunFields:
    """The RunFields of a run dict that passed the schema forms."""
    get = run.get
    usage = get("usage")
    tools = get("tools")
    action = get("required_action")
    return RunFields(
        run["id"],
        run["thread_id"],
        run["assistant_id"],
        run["created_at"],
        get("started_at"),
        get("expires_at"),
        (get("completed_at"), get("failed_at"), get("cancelled_at")),
        None
        if usage is None
        else (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]),
        [t["function"]["name"] for t in tools if t["type"] == "function"] if tools else [],
        None
        if action is None
        else [
            (c["id"], c["function"]["name"], c["function"]["arguments"])
            for c in action["submit_tool_outputs"]["tool_calls"]
        ],
    )


class FastVerdict:
    """`clean(run)`: True only when the run breaks no rule at all in this profile.

    Given a relaxed copy of the profile's schema, "no rule but the deviations it allows".
    """

    def __init__(self, profile: Profile, bundle: dict[str, Any] | None = None) -> None:
        """`bundle`: the profile's schema to hold to, when not its own (a relaxed copy, say)."""
        schema = dict(profile_schema(profile).bundle if bundle is None else bundle)
        schema["allOf"] = [*schema.get("allOf", []), contract_schema(profile)]
        self._is_valid = jsonschema_rs.validator_for(schema).is_valid

    def clean(self, run: Any) -> bool:
        if not self._is_valid(run):
            return False
        fields = fields_of(run)
        return all(holds(fields) for holds in RESIDUES)
