"""Checks of request bodies and query parameters, answering 400 the way the real API does.

Each checker takes the value and the parameter's path ("tools[0].function.name") and returns
the value, normalised, or raises an ApiError naming the parameter in `param` and the kind of
problem in `code` (missing_required_parameter, unknown_parameter, invalid_type, invalid_value,
integer_below_min_value, ...), as the real API reports them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from runcontract.model import Profile
from runcontract.server.errors import ApiError, bad_request
from runcontract.vocabulary import (
    METADATA_MAX_KEY_LENGTH,
    METADATA_MAX_KEYS,
    METADATA_MAX_VALUE_LENGTH,
)

Checker = Callable[[Any, str], Any]

FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
METADATA_MAX_KEY = METADATA_MAX_KEY_LENGTH
METADATA_MAX_VALUE = METADATA_MAX_VALUE_LENGTH
MAX_TOOLS = 20
INCLUDE_VALUES = frozenset({"step_details.tool_calls[*].file_search.results[*].content"})


_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),  # before int: a bool is an int to Python, not to JSON
    (int, "an integer"),
    (float, "a decimal"),
    (str, "a string"),
    (list, "an array"),
    (dict, "an object"),
)


def _kind(value: Any) -> str:
    """How the real API names the JSON type of a value in its messages."""
    if value is None:
        return "null"
    return next((name for kind, name in _KINDS if isinstance(value, kind)), "an object")


def _invalid_type(param: str, expected: str, value: Any) -> ApiError:
    return bad_request(
        f"Invalid type for '{param}': expected {expected}, but got {_kind(value)} instead.",
        param=param,
        code="invalid_type",
    )


def parse_body(raw: bytes) -> dict[str, Any]:
    """The JSON object of a request body; an empty body counts as {}."""
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise bad_request(
            "The body of your request is not valid JSON. Send a JSON object with "
            "'Content-Type: application/json'."
        ) from None
    if not isinstance(body, dict):
        raise bad_request(f"The body of your request must be a JSON object, not {_kind(body)}.")
    return body


# -- scalar checkers -----------------------------------------------------------------------------
def string(value: Any, param: str) -> str:
    if not isinstance(value, str):
        raise _invalid_type(param, "a string", value)
    return value


def boolean(value: Any, param: str) -> bool:
    if not isinstance(value, bool):
        raise _invalid_type(param, "a boolean", value)
    return value


def integer(minimum: int | None = None, maximum: int | None = None) -> Checker:
    def check(value: Any, param: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _invalid_type(param, "an integer", value)
        _in_range(value, param, minimum, maximum, "integer")
        return value

    return check


def number(minimum: float | None = None, maximum: float | None = None) -> Checker:
    def check(value: Any, param: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _invalid_type(param, "a number", value)
        _in_range(value, param, minimum, maximum, "decimal")
        return value

    return check


def _in_range(
    value: float, param: str, minimum: float | None, maximum: float | None, kind: str
) -> None:
    if minimum is not None and value < minimum:
        raise bad_request(
            f"Invalid '{param}': {kind} below minimum value. Expected a value >= {minimum}, "
            f"but got {value} instead.",
            param=param,
            code=f"{kind}_below_min_value",
        )
    if maximum is not None and value > maximum:
        raise bad_request(
            f"Invalid '{param}': {kind} above maximum value. Expected a value <= {maximum}, "
            f"but got {value} instead.",
            param=param,
            code=f"{kind}_above_max_value",
        )


def _supported(values: tuple[Any, ...]) -> str:
    quoted = [repr(v) if isinstance(v, str) else str(v) for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def enum(*values: Any) -> Checker:
    def check(value: Any, param: str) -> Any:
        if value not in values or isinstance(value, bool) != isinstance(values[0], bool):
            raise bad_request(
                f"Invalid value: {value!r}. Supported values are: {_supported(values)}.",
                param=param,
                code="invalid_value",
            )
        return value

    return check


def nullable(checker: Checker) -> Checker:
    def check(value: Any, param: str) -> Any:
        return None if value is None else checker(value, param)

    return check


def array(item: Checker, *, max_items: int | None = None, min_items: int = 0) -> Checker:
    def check(value: Any, param: str) -> list[Any]:
        if not isinstance(value, list):
            raise _invalid_type(param, "an array", value)
        if max_items is not None and len(value) > max_items:
            raise bad_request(
                f"Invalid '{param}': array too long. Expected an array with maximum length "
                f"{max_items}, but got an array with length {len(value)} instead.",
                param=param,
                code="array_above_max_length",
            )
        if len(value) < min_items:
            raise bad_request(
                f"Invalid '{param}': array too short. Expected an array with minimum length "
                f"{min_items}, but got an array with length {len(value)} instead.",
                param=param,
                code="array_below_min_length",
            )
        return [item(element, f"{param}[{index}]") for index, element in enumerate(value)]

    return check


def any_object(value: Any, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid_type(param, "an object", value)
    return value


def fields(
    spec: Mapping[str, Checker], *, required: tuple[str, ...] = (), root: bool = False
) -> Checker:
    """An object with known keys: unknown keys and missing required keys are both a 400."""

    def check(value: Any, param: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _invalid_type(param, "an object", value)
        prefix = "" if root else f"{param}."
        for key in value:
            if key not in spec:
                name = f"{prefix}{key}"
                raise bad_request(
                    f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter"
                )
        for key in required:
            if key not in value:
                name = f"{prefix}{key}"
                raise bad_request(
                    f"Missing required parameter: '{name}'.",
                    param=name,
                    code="missing_required_parameter",
                )
        return {key: spec[key](item, f"{prefix}{key}") for key, item in value.items()}

    return check


def open_fields(spec: Mapping[str, Checker], *, required: tuple[str, ...] = ()) -> Checker:
    """An object whose known keys are checked and whose other keys are kept as sent."""

    def check(value: Any, param: str) -> dict[str, Any]:
        checked = dict(any_object(value, param))
        for key in required:
            if key not in checked:
                raise bad_request(
                    f"Missing required parameter: '{param}.{key}'.",
                    param=f"{param}.{key}",
                    code="missing_required_parameter",
                )
        for key, item in spec.items():
            if key in checked:
                checked[key] = item(checked[key], f"{param}.{key}")
        return checked

    return check


# -- the API's composite types -------------------------------------------------------------------
def metadata(value: Any, param: str) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _invalid_type(param, "an object", value)
    if len(value) > METADATA_MAX_KEYS:
        raise bad_request(
            f"Invalid '{param}': too many properties. Expected an object with at most "
            f"{METADATA_MAX_KEYS} properties, but got an object with {len(value)} properties "
            "instead.",
            param=param,
            code="object_above_max_properties",
        )
    for key, item in value.items():
        if len(key) > METADATA_MAX_KEY:
            raise bad_request(
                f"Invalid '{param}': string too long. Expected a key with maximum length "
                f"{METADATA_MAX_KEY}, but got a key with length {len(key)} instead.",
                param=f"{param}.{key}",
                code="string_above_max_length",
            )
        string(item, f"{param}.{key}")
        if len(item) > METADATA_MAX_VALUE:
            raise bad_request(
                f"Invalid '{param}.{key}': string too long. Expected a string with maximum "
                f"length {METADATA_MAX_VALUE}, but got a string with length {len(item)} instead.",
                param=f"{param}.{key}",
                code="string_above_max_length",
            )
    return dict(value)


def function_name(value: Any, param: str) -> str:
    name = string(value, param)
    if not FUNCTION_NAME.match(name):
        raise bad_request(
            f"Invalid '{param}': string does not match pattern. Expected a string that matches "
            f"the pattern '{FUNCTION_NAME.pattern}'.",
            param=param,
            code="invalid_value",
        )
    return name


_FUNCTION = fields(
    {
        "name": function_name,
        "description": string,
        "parameters": any_object,
        "strict": nullable(boolean),
    },
    required=("name",),
)


# a run echoes its file_search tool, whose schema bounds these (the document allows other keys)
_FILE_SEARCH = open_fields(
    {
        "max_num_results": integer(minimum=1, maximum=50),
        "ranking_options": fields(
            {
                "ranker": enum("auto", "default_2024_08_21"),
                "score_threshold": number(minimum=0, maximum=1),
            },
            required=("score_threshold",),
        ),
    }
)


def tool(profile: Profile) -> Checker:
    kinds = ("code_interpreter", "file_search", "function")
    if profile is Profile.V1:
        kinds = ("code_interpreter", "retrieval", "function")
    type_check = enum(*kinds)

    def check(value: Any, param: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _invalid_type(param, "an object", value)
        if "type" not in value:
            raise bad_request(
                f"Missing required parameter: '{param}.type'.",
                param=f"{param}.type",
                code="missing_required_parameter",
            )
        kind = type_check(value["type"], f"{param}.type")
        spec: dict[str, Checker] = {"type": string}
        required: tuple[str, ...] = ()
        if kind == "file_search":
            spec["file_search"] = nullable(_FILE_SEARCH)
        if kind == "function":
            spec["function"] = _FUNCTION
            required = ("function",)
        checked: dict[str, Any] = fields(spec, required=required)(value, param)
        if "file_search" in checked and checked["file_search"] is None:
            # null is the settings left out, and a run's tool has an object there or nothing
            del checked["file_search"]
        if kind == "function" and profile is Profile.V2:
            # The real API echoes function tools with "strict": false when it was not given.
            function = dict(checked["function"])
            function["strict"] = bool(function.pop("strict", False))
            checked["function"] = function
        return checked

    return check


def tools(profile: Profile) -> Checker:
    each = array(tool(profile), max_items=MAX_TOOLS)

    def check(value: Any, param: str) -> list[dict[str, Any]]:
        checked: list[dict[str, Any]] = each(value, param)
        seen: set[str] = set()
        for index, item in enumerate(checked):
            if item["type"] != "function":
                continue
            name = item["function"]["name"]
            if name in seen:
                where = f"{param}[{index}].function.name"
                raise bad_request(
                    f"Invalid '{where}': the function name '{name}' is already used by another "
                    "tool.",
                    param=where,
                    code="invalid_value",
                )
            seen.add(name)
        return checked

    return check


def tool_choice(profile: Profile) -> Checker:
    modes = ("none", "auto", "required") if profile is Profile.V2 else ("none", "auto")
    kinds = ("function", "code_interpreter", "file_search")
    if profile is Profile.V1:
        kinds = ("function", "code_interpreter", "retrieval")
    named = fields(
        {"type": enum(*kinds), "function": fields({"name": string}, required=("name",))},
        required=("type",),
    )

    def check(value: Any, param: str) -> Any:
        if isinstance(value, str):
            return enum(*modes)(value, param)
        checked = named(value, param)
        if checked["type"] == "function" and "function" not in checked:
            raise bad_request(
                f"Missing required parameter: '{param}.function'.",
                param=f"{param}.function",
                code="missing_required_parameter",
            )
        return checked

    return check


# What a run echoes must match its schema, so these are checked as far as the document states:
# other keys and any name string are documented, and refusing them would be refusing documented
# requests (the gate's H013).
_JSON_SCHEMA_FORMAT = open_fields(
    {
        "name": string,
        "description": string,
        "schema": any_object,
        "strict": nullable(boolean),
    },
    required=("name",),
)


def response_format(profile: Profile) -> Checker:
    modes = ("auto",) if profile is Profile.V2 else ("none", "auto")
    kinds = (
        ("text", "json_object", "json_schema") if profile is Profile.V2 else ("text", "json_object")
    )
    formats = fields(
        {"type": enum(*kinds), "json_schema": _JSON_SCHEMA_FORMAT},
        required=("type",) if profile is Profile.V2 else (),
    )

    def check(value: Any, param: str) -> Any:
        if isinstance(value, str):
            return enum(*modes)(value, param)
        checked = formats(value, param)
        if checked.get("type") == "json_schema" and "json_schema" not in checked:
            raise bad_request(
                f"Missing required parameter: '{param}.json_schema'.",
                param=f"{param}.json_schema",
                code="missing_required_parameter",
            )
        return checked

    return check


truncation_strategy = fields(
    {"type": enum("auto", "last_messages"), "last_messages": nullable(integer(minimum=1))},
    required=("type",),
)

tool_resources = fields(
    {
        "code_interpreter": fields({"file_ids": array(string, max_items=20)}),
        "file_search": fields(
            {
                "vector_store_ids": array(string, max_items=1),
                "vector_stores": array(any_object, max_items=1),
            }
        ),
    }
)


def _content_part(value: Any, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid_type(param, "an object", value)
    kind = enum("text", "image_file", "image_url")(value.get("type"), f"{param}.type")
    if kind == "text":
        checked = fields({"type": string, "text": string}, required=("type", "text"))(value, param)
        return {"type": "text", "text": {"value": checked["text"], "annotations": []}}
    image: dict[str, Any] = fields({"type": string, kind: any_object}, required=("type", kind))(
        value, param
    )
    return image


def content(value: Any, param: str) -> list[dict[str, Any]]:
    """Message content as stored: a string becomes one text part, as the real API shows it."""
    if isinstance(value, str):
        return [{"type": "text", "text": {"value": value, "annotations": []}}]
    if isinstance(value, list):
        parts: list[dict[str, Any]] = array(_content_part, min_items=1)(value, param)
        return parts
    raise _invalid_type(param, "a string or an array of content parts", value)


def message(profile: Profile, *, root: bool = False) -> Checker:
    spec: dict[str, Checker] = {
        "role": enum("user", "assistant"),
        "content": content,
        "metadata": metadata,
    }
    if profile is Profile.V2:
        spec["attachments"] = nullable(array(any_object))
    else:
        spec["file_ids"] = array(string, max_items=10)
    return fields(spec, required=("role", "content"), root=root)


def _run_options(profile: Profile) -> dict[str, Checker]:
    spec: dict[str, Checker] = {
        "assistant_id": string,
        "model": nullable(string),
        "instructions": nullable(string),
        "tools": nullable(tools(profile)),
        "metadata": metadata,
        "temperature": nullable(number(0, 2)),
        "top_p": nullable(number(0, 1)),
        "stream": nullable(boolean),
        "max_prompt_tokens": nullable(integer(minimum=256)),
        "max_completion_tokens": nullable(integer(minimum=256)),
        "truncation_strategy": nullable(truncation_strategy),
        "tool_choice": nullable(tool_choice(profile)),
        "response_format": nullable(response_format(profile)),
    }
    if profile is Profile.V2:
        spec["parallel_tool_calls"] = boolean
    return spec


REASONING_EFFORT = nullable(enum("none", "minimal", "low", "medium", "high", "xhigh", "max"))


def create_run(profile: Profile) -> Checker:
    spec = _run_options(profile)
    spec["additional_instructions"] = nullable(string)
    spec["additional_messages"] = nullable(array(message(profile)))
    if profile is Profile.V2:
        spec["reasoning_effort"] = REASONING_EFFORT
    return fields(spec, required=("assistant_id",), root=True)


def create_thread(profile: Profile, *, root: bool = True) -> Checker:
    spec: dict[str, Checker] = {"messages": array(message(profile)), "metadata": metadata}
    if profile is Profile.V2:
        spec["tool_resources"] = nullable(tool_resources)
    return fields(spec, root=root)


def create_thread_and_run(profile: Profile) -> Checker:
    spec = _run_options(profile)
    spec["thread"] = create_thread(profile, root=False)
    if profile is Profile.V2:
        spec["tool_resources"] = nullable(tool_resources)
    return fields(spec, required=("assistant_id",), root=True)


def create_assistant(profile: Profile) -> Checker:
    spec: dict[str, Checker] = {
        "model": string,
        "name": nullable(string),
        "description": nullable(string),
        "instructions": nullable(string),
        "tools": tools(profile),
        "metadata": metadata,
        "temperature": nullable(number(0, 2)),
        "top_p": nullable(number(0, 1)),
        "response_format": nullable(response_format(profile)),
    }
    if profile is Profile.V2:
        spec["tool_resources"] = nullable(tool_resources)
        spec["reasoning_effort"] = REASONING_EFFORT
    else:
        spec["file_ids"] = array(string, max_items=20)
    return fields(spec, required=("model",), root=True)


modify_run = fields({"metadata": metadata}, root=True)

_TOOL_OUTPUT = fields({"tool_call_id": string, "output": string}, required=("tool_call_id",))
submit_tool_outputs = fields(
    {"tool_outputs": array(_TOOL_OUTPUT), "stream": nullable(boolean)},
    required=("tool_outputs",),
    root=True,
)


# -- query parameters ----------------------------------------------------------------------------
def list_params(query: Mapping[str, str]) -> tuple[int, str, str | None, str | None]:
    """limit (1-100, default 20), order (asc|desc, default desc), after, before."""
    raw_limit = query.get("limit")
    limit = 20
    if raw_limit is not None:
        try:
            limit = int(raw_limit)
        except ValueError:
            raise bad_request(
                f"Invalid 'limit': expected an integer, but got {raw_limit!r} instead.",
                param="limit",
                code="invalid_type",
            ) from None
        _in_range(limit, "limit", 1, 100, "integer")
    order = enum("asc", "desc")(query.get("order", "desc"), "order")
    return limit, order, query.get("after"), query.get("before")


def include_params(values: list[str]) -> list[str]:
    for value in values:
        if value not in INCLUDE_VALUES:
            raise bad_request(
                f"Invalid value: {value!r}. Supported values are: "
                f"{_supported(tuple(sorted(INCLUDE_VALUES)))}.",
                param="include[]",
                code="invalid_value",
            )
    return values
