"""Tool rules: calls refer to the run's own function tools, by well-formed names, unique ids."""

from __future__ import annotations

import re
from typing import Any

import orjson

from runcontract.model import Profile
from runcontract.rules.registry import Finding, RunFields, object_check, residue_form, schema_form

FUNCTION_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def _function_names(run: dict[str, Any], out: list[Finding]) -> set[str] | None:
    """The names of the run's function tools; None when tools is not a list (schema's business)."""
    tools = run.get("tools")
    if not isinstance(tools, list):
        return None
    names: set[str] = set()
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict) or tool.get("type") != "function":
            continue
        function = tool.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(name, str):
            continue
        if name not in _GOOD_NAMES and not _well_formed(name):
            out.append(
                Finding(
                    "F001",
                    f"$.tools[{index}].function.name",
                    f"function name {name!r} is not 1-64 of a-z A-Z 0-9 _ -",
                    name,
                )
            )
        if name in names:
            out.append(
                Finding(
                    "F005",
                    f"$.tools[{index}].function.name",
                    f"function name {name!r} appears twice in tools",
                    name,
                )
            )
        names.add(name)
    return names


def _tool_calls(run: dict[str, Any]) -> list[Any]:
    action = run.get("required_action")
    if not isinstance(action, dict):
        return []
    outputs = action.get("submit_tool_outputs")
    calls = outputs.get("tool_calls") if isinstance(outputs, dict) else None
    return calls if isinstance(calls, list) else []


@object_check("F001", "F002", "F003", "F004", "F005", "I004")
def tools(run: dict[str, Any], profile: Profile, out: list[Finding]) -> None:
    if not run.get("tools") and not run.get("required_action"):
        return
    names = _function_names(run, out)
    seen_ids: set[str] = set()
    for index, call in enumerate(_tool_calls(run)):
        if not isinstance(call, dict):
            continue
        where = f"$.required_action.submit_tool_outputs.tool_calls[{index}]"
        call_id = call.get("id")
        if isinstance(call_id, str):
            if call_id in seen_ids:
                out.append(
                    Finding(
                        "F003", f"{where}.id", f"tool call id {call_id!r} is used twice", call_id
                    )
                )
            seen_ids.add(call_id)
            if not call_id.startswith("call_"):
                out.append(
                    Finding(
                        "I004",
                        f"{where}.id",
                        f"tool call id {call_id!r} does not start with call_",
                        call_id,
                    )
                )
        function = call.get("function")
        if not isinstance(function, dict):
            continue
        name = function.get("name")
        if isinstance(name, str) and names is not None and name not in names:
            known = ", ".join(sorted(names)) or "none"
            out.append(
                Finding(
                    "F002",
                    f"{where}.function.name",
                    f"tool call to {name!r}, which is not a function tool of this run "
                    f"(its functions: {known})",
                    name,
                )
            )
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            try:
                orjson.loads(arguments)
            except orjson.JSONDecodeError:
                out.append(
                    Finding(
                        "F004",
                        f"{where}.function.arguments",
                        "tool call arguments are not a JSON document",
                        arguments[:80],
                    )
                )


schema_form(
    "F001",
    schema={
        "properties": {
            "tools": {
                "items": {
                    "if": {"properties": {"type": {"const": "function"}}, "required": ["type"]},
                    "then": {
                        "properties": {
                            "function": {
                                "properties": {"name": {"pattern": f"^{FUNCTION_NAME.pattern}$"}}
                            }
                        }
                    },
                }
            }
        }
    },
    pattern=True,
)

# Function names already found well formed: the same few tools come back run after run.
_GOOD_NAMES: set[str] = set()
_GOOD_NAMES_KEPT = 4096


def _well_formed(name: str) -> bool:
    """F001 for one name, remembered when it holds."""
    if not FUNCTION_NAME.fullmatch(name):
        return False
    if len(_GOOD_NAMES) >= _GOOD_NAMES_KEPT:
        _GOOD_NAMES.clear()
    _GOOD_NAMES.add(name)
    return True


def _names_hold(names: list[str]) -> bool:
    """F001 and F005: each name well formed, none there twice."""
    for name in names:
        if name not in _GOOD_NAMES:
            if not FUNCTION_NAME.fullmatch(name):
                return False
            if len(_GOOD_NAMES) >= _GOOD_NAMES_KEPT:
                _GOOD_NAMES.clear()
            _GOOD_NAMES.add(name)
    return len(set(names)) == len(names)


def _calls_hold(calls: list[tuple[str, str, str]], names: list[str]) -> bool:
    """F002 to F004 and I004 for the required tool calls as (id, function name, arguments)."""
    if len({call[0] for call in calls}) != len(calls):  # F003
        return False
    for call_id, name, arguments in calls:
        if not call_id.startswith("call_") or name not in names:  # I004, F002
            return False
        try:
            orjson.loads(arguments)  # F004
        except orjson.JSONDecodeError:
            return False
    return True


@residue_form("F001", "F002", "F003", "F004", "F005", "I004")
def tools_hold(run: RunFields) -> bool:
    names, calls = run.names, run.calls
    if not names:
        return not calls  # a call with no function tool to name is F002
    return _names_hold(names) and (calls is None or _calls_hold(calls, names))
