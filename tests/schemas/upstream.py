"""The upstream side of the differential test, and the bundling both sides share.

The upstream OpenAPI documents are read from ``../shared/reference`` and their component schemas
are turned into JSON Schema 2020-12 here, independently of the hand-written files in
``schemas/<profile>/``: the differential test then checks that both accept the same instances.

The conversion only knows what these three documents use. OpenAPI 3.0 ``nullable: true``
becomes ``null`` in ``type`` (and in ``enum``); next to a ``$ref``, or as an ``allOf`` member
``{nullable: true}``, it becomes ``anyOf: [<the rest>, {"type": "null"}]``; references to
``#/components/schemas/`` point into ``$defs``; ``x-*``, ``example``, ``format: unixtime`` and
annotations are dropped. Anything it has not been taught raises, so that a new upstream construct
cannot slip through unconverted.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import yaml

JSON = Any
DRAFT = "https://json-schema.org/draft/2020-12/schema"

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
SHARED = REPO.parent / "shared"
REFERENCE = SHARED / "reference"

DOCUMENTS = {
    "seed": "runs-api-v1-seed.yaml",
    "v1": "runs-api-v1.yaml",
    "v2": "runs-api-v2.yaml",
}
PROFILES = tuple(DOCUMENTS)

_RUN = "RunObject/properties"
# Our type file -> where its schema lives upstream, as a path below components/schemas.
# Inline objects that the seed (or we, for incomplete_details) named are addressed in place.
_COMMON = {
    "RunObject": "RunObject",
    "RunObjectRequiredAction": f"{_RUN}/required_action",
    "RunObjectRequiredActionSubmitToolOutputs": (
        f"{_RUN}/required_action/properties/submit_tool_outputs"
    ),
    "RunObjectLastError": f"{_RUN}/last_error",
    "AssistantObjectToolsInner": f"{_RUN}/tools/items",
    "RunCompletionUsage": "RunCompletionUsage",
    "RunToolCallObject": "RunToolCallObject",
    "AssistantToolsCode": "AssistantToolsCode",
    "AssistantToolsFunction": "AssistantToolsFunction",
    "FunctionObject": "FunctionObject",
    "FunctionParameters": "FunctionParameters",
    "ListRunsResponse": "ListRunsResponse",
    "Error": "Error",
    "ErrorResponse": "ErrorResponse",
}
_SINCE_V1 = {
    "RunObjectIncompleteDetails": f"{_RUN}/incomplete_details",
    "TruncationObject": "TruncationObject",
    "AssistantsApiToolChoiceOption": "AssistantsApiToolChoiceOption",
    "AssistantsApiResponseFormatOption": "AssistantsApiResponseFormatOption",
}
UPSTREAM_LOCATION: dict[str, dict[str, str]] = {
    "seed": {**_COMMON, "AssistantToolsRetrieval": "AssistantToolsRetrieval"},
    "v1": {
        **_COMMON,
        **_SINCE_V1,
        "AssistantToolsRetrieval": "AssistantToolsRetrieval",
        "AssistantsApiNamedToolChoice": "AssistantsApiNamedToolChoice",
        "AssistantsApiResponseFormat": "AssistantsApiResponseFormat",
    },
    "v2": {
        **_COMMON,
        **_SINCE_V1,
        "AssistantToolsFileSearch": "AssistantToolsFileSearch",
        "AssistantsNamedToolChoice": "AssistantsNamedToolChoice",
        "FileSearchRankingOptions": "FileSearchRankingOptions",
        "FileSearchRanker": "FileSearchRanker",
        "Metadata": "Metadata",
        "ParallelToolCalls": "ParallelToolCalls",
        "ResponseFormatText": "ResponseFormatText",
        "ResponseFormatJsonObject": "ResponseFormatJsonObject",
        "ResponseFormatJsonSchema": "ResponseFormatJsonSchema",
        "ResponseFormatJsonSchemaSchema": "ResponseFormatJsonSchemaSchema",
    },
}

_SCHEMA_MAP_KEYS = frozenset({"properties"})
_SCHEMA_LIST_KEYS = frozenset({"allOf", "anyOf", "oneOf"})
_SCHEMA_KEYS = frozenset({"items", "additionalProperties", "not"})
_DATA_KEYS = frozenset({"type", "enum", "required", "default", "minimum", "maximum", "maxItems"})
_DROPPED_KEYS = frozenset({"description", "title", "example", "nullable"})


class UnsupportedSchemaError(ValueError):
    """An upstream construct that the converter was not written for."""


@functools.cache
def openapi_document(profile: str) -> dict[str, JSON]:
    path = REFERENCE / DOCUMENTS[profile]
    if not path.is_file():
        raise FileNotFoundError(f"upstream document not found at {path}: tests need ../shared")
    with path.open(encoding="utf-8") as handle:
        document: dict[str, JSON] = yaml.safe_load(handle)
    return document


@functools.cache
def upstream_defs(profile: str) -> dict[str, JSON]:
    """The component schemas our types reach upstream, converted, keyed by component name.

    Only those: the request bodies of the same documents use keywords (minLength, format: uri,
    ...) that the Run object never meets, and the converter is kept to what it is tested on.
    """
    components = openapi_document(profile)["components"]["schemas"]
    pending = [location.split("/")[0] for location in UPSTREAM_LOCATION[profile].values()]
    reached: set[str] = set()
    while pending:
        name = pending.pop()
        if name not in reached:
            reached.add(name)
            pending.extend(_component_refs(components[name]))
    return {name: convert(components[name]) for name in sorted(reached)}


def _component_refs(node: JSON) -> list[str]:
    if isinstance(node, list):
        return [name for item in node for name in _component_refs(item)]
    if not isinstance(node, dict):
        return []
    names = [name for value in node.values() for name in _component_refs(value)]
    ref = node.get("$ref")
    if isinstance(ref, str):
        names.append(ref.rsplit("/", 1)[-1])
    return names


def convert(node: JSON) -> JSON:
    """Turn one OpenAPI schema object (3.0 or 3.1, as upstream writes them) into 2020-12."""
    if not isinstance(node, dict):
        raise UnsupportedSchemaError(f"expected a schema object, got {node!r}")
    out: dict[str, JSON] = {}
    for key, value in node.items():
        if key.startswith("x-") or key in _DROPPED_KEYS:
            continue
        if key == "format":
            if value != "unixtime":
                raise UnsupportedSchemaError(f"format {value!r}")
            continue
        out[key] = _convert_keyword(key, value)
    return _apply_nullable(node, out)


def _convert_keyword(key: str, value: JSON) -> JSON:
    if key == "$ref":
        prefix = "#/components/schemas/"
        if not value.startswith(prefix):
            raise UnsupportedSchemaError(f"$ref outside components/schemas: {value!r}")
        return "#/$defs/" + value.removeprefix(prefix)
    if key in _SCHEMA_MAP_KEYS:
        return {name: convert(sub) for name, sub in value.items()}
    if key == "allOf":
        return [{} if _is_null_marker(sub) else convert(sub) for sub in value]
    if key in _SCHEMA_LIST_KEYS:
        return [convert(sub) for sub in value]
    if key in _SCHEMA_KEYS:
        return value if isinstance(value, bool) else convert(value)
    if key in _DATA_KEYS:
        return copy.deepcopy(value)
    raise UnsupportedSchemaError(f"keyword {key!r}")


def _is_null_marker(node: JSON) -> bool:
    """An allOf member that says only `nullable: true` (and maybe a description)."""
    return (
        isinstance(node, dict)
        and node.get("nullable") is True
        and set(node) <= {"nullable", "description"}
    )


def _apply_nullable(node: dict[str, JSON], out: dict[str, JSON]) -> dict[str, JSON]:
    if "allOf" in out:
        nullable = [_is_null_marker(member) for member in node["allOf"]]
        if any(nullable):
            rest = [c for c, n in zip(out["allOf"], nullable, strict=True) if not n]
            inner = rest[0] if len(rest) == 1 else {"allOf": rest}
            del out["allOf"]
            return _or_null(out, inner)
    if node.get("nullable") is not True:
        return out
    if "$ref" in out:
        # OpenAPI 3.0 ignores siblings of $ref; upstream plainly means "this, or null".
        inner = {"$ref": out.pop("$ref")}
        return _or_null(out, inner)
    if "type" in out:
        if not isinstance(out["type"], str):
            raise UnsupportedSchemaError(f"nullable with type {out['type']!r}")
        out["type"] = [out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    raise UnsupportedSchemaError(f"nullable without type or $ref: {sorted(node)}")


def _or_null(siblings: dict[str, JSON], inner: JSON) -> dict[str, JSON]:
    if siblings:
        raise UnsupportedSchemaError(f"nullable alternative with siblings {sorted(siblings)}")
    return {"anyOf": [inner, {"type": "null"}]}


def upstream_schema(profile: str, type_name: str) -> dict[str, JSON]:
    """A standalone 2020-12 schema for the upstream location of one of our types."""
    return {
        "$schema": DRAFT,
        "$ref": "#/$defs/" + UPSTREAM_LOCATION[profile][type_name],
        "$defs": upstream_defs(profile),
    }


def resolve_pointer(document: JSON, pointer: str) -> JSON:
    node = document
    for token in pointer.split("/"):
        part = token.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def upstream_location(profile: str, type_name: str) -> JSON:
    """The converted upstream schema at a type's location, still with its $refs."""
    return resolve_pointer(upstream_defs(profile), UPSTREAM_LOCATION[profile][type_name])


@functools.cache
def _our_files_cached(profile: str) -> str:
    files = {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((SCHEMAS / profile).glob("*.json"))
    }
    return json.dumps(files)


def our_files(profile: str) -> dict[str, JSON]:
    """Our schema files of one profile, keyed by type name; a fresh copy on every call."""
    files: dict[str, JSON] = json.loads(_our_files_cached(profile))
    return files


def bundle(files: dict[str, JSON], root: str = "RunObject") -> dict[str, JSON]:
    """One schema document: `root` at the top, every other file under $defs by type name.

    A file's `{"$ref": "Name.json"}` becomes `#/$defs/Name` (`#` for the root), so the document
    resolves on its own, with no base URI.
    """

    def point(node: JSON) -> JSON:
        if isinstance(node, list):
            return [point(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: point(value) for key, value in node.items()}
        if isinstance(out.get("$ref"), str):
            name = out["$ref"].removesuffix(".json")
            out["$ref"] = "#" if name == root else f"#/$defs/{name}"
        return out

    document: dict[str, JSON] = point(files[root])
    document["$defs"] = {
        name: point({k: v for k, v in s.items() if k != "$schema"})
        for name, s in files.items()
        if name != root
    }
    return document


def inline_refs(schema: JSON, resolve: Any) -> JSON:
    """Replace every $ref by the schema it names (none of ours or upstream's are recursive).

    hypothesis-jsonschema knows drafts 4 to 7 and resolves references with its own resolver;
    handing it a reference-free schema keeps generation independent of how either side spells
    its references. `resolve(ref)` returns the (not yet inlined) target of one $ref.
    """
    if isinstance(schema, list):
        return [inline_refs(item, resolve) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, JSON] = {}
    for key, value in schema.items():
        if key in {"$schema", "$id", "$defs"}:
            continue
        if key == "properties":
            out[key] = {name: inline_refs(sub, resolve) for name, sub in value.items()}
        elif key in _SCHEMA_LIST_KEYS or key in _SCHEMA_KEYS:
            out[key] = inline_refs(value, resolve)
        elif key != "$ref":
            out[key] = value
    if "$ref" in schema:
        target = inline_refs(resolve(schema["$ref"]), resolve)
        return {"allOf": [target, out]} if out else target
    return out


def inline_ours(files: dict[str, JSON], name: str) -> JSON:
    def resolve(ref: str) -> JSON:
        if not ref.endswith(".json") or "/" in ref:
            raise UnsupportedSchemaError(f"unexpected $ref {ref!r}")
        return files[ref.removesuffix(".json")]

    return copy.deepcopy(inline_refs(files[name], resolve))


def inline_upstream(profile: str, name: str) -> JSON:
    defs = upstream_defs(profile)

    def resolve(ref: str) -> JSON:
        return resolve_pointer(defs, ref.removeprefix("#/$defs/"))

    return copy.deepcopy(inline_refs(upstream_location(profile, name), resolve))
