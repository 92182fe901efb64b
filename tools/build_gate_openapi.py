"""Build the gate's OpenAPI documents from the upstream extracts and the run schemas.

    python tools/build_gate_openapi.py [--check]

Reads ../shared/reference/runs-api-v{1,2}.yaml (upstream, as data) and schemas/<profile>/ and
writes src/runcontract/gate/openapi/runs-v{1,2}.yaml. Every change made to upstream is one
function below and one entry of src/runcontract/gate/openapi/CORRECTIONS.md, under the same
number. `--check` writes nothing and exits 1 when a shipped document is out of date; a test runs
it, so the documents and this script cannot drift apart.

This is a development tool: the package reads only the documents it writes, never ../shared.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "reference"
OUT = ROOT / "src" / "runcontract" / "gate" / "openapi"
PROFILES = ("v1", "v2")

Node = dict[str, Any]
ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
RUN_PREFIX = (
    "RunObject."  # component names of the run schema's own types, kept apart from upstream's
)
STREAMING = frozenset({"createThreadAndRun", "createRun", "submitToolOuputsToRun"})
HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete"})


def walk(node: Any) -> Iterator[Node]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def operations(doc: Node) -> Iterator[tuple[str, str, Node]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


# -- 1. OpenAPI 3.1 throughout, with null spelled as a JSON Schema type ----------------------------
def _nullable(node: Node) -> Node:
    """`node` made to accept null, in JSON Schema 2020-12 terms."""
    if "type" in node and not any(k in node for k in ("$ref", "allOf", "anyOf", "oneOf")):
        kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
        out = {**node, "type": [*kinds, "null"] if "null" not in kinds else kinds}
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    annotations = {k: v for k, v in node.items() if k in ("description", "title", "default")}
    inner = {k: v for k, v in node.items() if k not in annotations}
    return {**annotations, "anyOf": [inner, {"type": "null"}]}


def spell_null_as_type(node: Any) -> Any:
    if isinstance(node, list):
        return [spell_null_as_type(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: spell_null_as_type(value) for key, value in node.items()}
    nullable = out.pop("nullable", False) is True
    parts = out.get("allOf")
    if isinstance(parts, list) and any(part == {"nullable": True} for part in node["allOf"]):
        # `allOf: [{$ref}, {nullable: true}]` is how upstream says "this type, or null".
        kept = [p for p, raw in zip(parts, node["allOf"], strict=True) if raw != {"nullable": True}]
        out["allOf"] = kept
        if len(kept) == 1 and set(out) == {"allOf"}:
            out = kept[0]
        nullable = True
    return _nullable(out) if nullable else out


# -- 2. The OpenAI-Beta header the real API requires -----------------------------------------------
def beta_header(operation: Node, profile: str) -> None:
    operation.setdefault("parameters", []).append(
        {
            "name": "OpenAI-Beta",
            "in": "header",
            "required": True,
            "description": (
                "Selects the Assistants API version. The real API answers 400 without it; "
                f"assistants={profile} gives the shapes this document describes."
            ),
            "schema": {"type": "string", "enum": [f"assistants={profile}"]},
        }
    )


# -- 3. The error answers the real API gives ----------------------------------------------------
ERROR_RESPONSES = {
    "BadRequest": "The request is malformed: a body or parameter the API does not accept, a "
    "missing OpenAI-Beta header, or an action the object's state does not allow (cancelling a "
    "finished run, submitting tool outputs to a run that does not require action).",
    "Unauthorized": "No API key, or one the API does not accept.",
    "NotFound": "No object has the thread, run, step or assistant id given.",
    "ServerError": "The server failed. Reported apart from contract violations by the gate, "
    "except where the contract gives a 4xx (an unknown id, a malformed body).",
}


def error_responses(operation: Node) -> None:
    responses = operation["responses"]
    responses["400"] = {"$ref": "#/components/responses/BadRequest"}
    responses["401"] = {"$ref": "#/components/responses/Unauthorized"}
    # Every operation names an id: in its path, or assistant_id in its body.
    responses["404"] = {"$ref": "#/components/responses/NotFound"}
    responses.setdefault("429", {"$ref": "#/components/responses/TooManyRequests"})
    responses["5XX"] = {"$ref": "#/components/responses/ServerError"}
    operation["responses"] = dict(sorted(responses.items(), key=lambda kv: kv[0]))


def error_components(doc: Node) -> None:
    components = doc["components"].setdefault("responses", {})
    for name, description in ERROR_RESPONSES.items():
        components[name] = {
            "description": description,
            "content": {"application/json": {"schema": ERROR_REF}},
        }
    components.setdefault(
        "TooManyRequests",
        {
            "description": "The request was rejected because a rate limit was exceeded.",
            "headers": {
                "Retry-After": {
                    "description": "The minimum number of seconds to wait before retrying.",
                    "schema": {"type": "integer", "minimum": 1},
                }
            },
            "content": {"application/json": {"schema": ERROR_REF}},
        },
    )


# -- 4. Streams: text/event-stream when the request says stream: true ----------------------------
STREAM_EVENT = {
    "description": (
        "One server-sent event. Events named thread.run.<status> carry a run object (JSON) in "
        "`data`, whose status is the one the name gives; thread.run.step.*, thread.message.* "
        "and thread.created carry those objects; the stream ends with the event `done` and the "
        "data [DONE]. The gate judges the run objects with the same rules as any other."
    ),
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {
            "type": "string",
            "pattern": r"^(thread\.[a-z_.]+|done|error)$",
        },
        "data": {"type": "string"},
    },
}


def stream_content(operation: Node) -> None:
    if operation["operationId"] not in STREAMING:
        return
    content = operation["responses"]["200"]["content"]
    content["text/event-stream"] = {"schema": STREAM_EVENT}
    operation["responses"]["200"]["description"] = (
        "The run (application/json), or with `stream: true` the events of its life "
        "(text/event-stream)."
    )


# -- 5. Cursors are null on an empty page ---------------------------------------------------------
def nullable_cursors(doc: Node) -> None:
    for name in ("ListRunsResponse", "ListRunStepsResponse"):
        schema = doc["components"]["schemas"][name]
        for key in ("first_id", "last_id"):
            schema["properties"][key] = _nullable(schema["properties"][key])
            schema["properties"][key]["description"] = (
                "The id of the first (last) object of the page; null when the page is empty."
            )


# -- 6. RunObject: the same JSON Schema the engine judges runs by ---------------------------------
def _component_ref(match: re.Match[str]) -> str:
    return f'"$ref": "#/components/schemas/{RUN_PREFIX}{match.group(1)}"'


def run_schemas(profile: str) -> dict[str, Node]:
    folder = ROOT / "schemas" / profile
    found: dict[str, Node] = {}
    for path in sorted(folder.glob("*.json")):
        text = re.sub(r'"\$ref":\s*"([A-Za-z0-9]+)\.json"', _component_ref, path.read_text())
        schema = json.loads(text)
        # An embedded $id would move the base URI of every $ref inside it.
        for key in ("$schema", "$id"):
            schema.pop(key, None)
        found[path.stem] = schema
    return found


def run_object(doc: Node, profile: str) -> None:
    schemas = run_schemas(profile)
    needed = {"RunObject"}
    pending = ["RunObject"]
    while pending:
        name = pending.pop()
        for node in walk(schemas[name]):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(f"#/components/schemas/{RUN_PREFIX}"):
                target = ref.rsplit(".", 1)[1]
                if target not in needed:
                    needed.add(target)
                    pending.append(target)
    components = doc["components"]["schemas"]
    run = schemas["RunObject"]
    run["description"] = (
        f"{run.get('description', '')} The same JSON Schema as runcontract's "
        f"schemas/{profile}/RunObject.json, which the gate's engine judges every run by."
    ).strip()
    components["RunObject"] = run
    for name in sorted(needed - {"RunObject"}):
        components[f"{RUN_PREFIX}{name}"] = schemas[name]


# -- 7. OpenAPI links for the stateful phase ------------------------------------------------------
RUN_IN_BODY = {"thread_id": "$response.body#/thread_id", "run_id": "$response.body#/id"}
LINKS = {
    "createThreadAndRun": ("getRun", "cancelRun", "listRuns", "listRunSteps", "modifyRun"),
    "createRun": (
        "getRun",
        "cancelRun",
        "listRuns",
        "listRunSteps",
        "modifyRun",
        "submitToolOuputsToRun",
    ),
    "getRun": ("listRunSteps", "cancelRun", "submitToolOuputsToRun"),
    "cancelRun": ("getRun",),
    "submitToolOuputsToRun": ("getRun", "listRunSteps"),
    "modifyRun": ("getRun",),
}


def links(doc: Node) -> None:
    by_id = {op["operationId"]: op for _, _, op in operations(doc)}
    for source, targets in LINKS.items():
        response = by_id[source]["responses"]["200"]
        found: dict[str, Node] = {}
        for target in targets:
            parameters = {"thread_id": RUN_IN_BODY["thread_id"]}
            if target != "listRuns":
                parameters["run_id"] = RUN_IN_BODY["run_id"]
            link: Node = {"operationId": target, "parameters": parameters}
            if target == "submitToolOuputsToRun":
                link["requestBody"] = {
                    "tool_outputs": [
                        {
                            "tool_call_id": (
                                "$response.body#/required_action/submit_tool_outputs/"
                                "tool_calls/0/id"
                            ),
                            "output": "42",
                        }
                    ]
                }
            found[f"{target[0].upper()}{target[1:]}"] = link
        response["links"] = found
    steps = by_id["listRunSteps"]["responses"]["200"]
    steps["links"] = {
        "GetRunStep": {
            "operationId": "getRunStep",
            "parameters": {
                "thread_id": "$request.path.thread_id",
                "run_id": "$request.path.run_id",
                "step_id": "$response.body#/data/0/id",
            },
        }
    }


# -- 8. Request examples from upstream's own x-oaiMeta, for the examples phase ---------------------
_CURL_BODY = re.compile(r"-d '(?P<body>\{.*\})'", re.DOTALL)


def request_examples(operation: Node) -> None:
    meta = operation.pop("x-oaiMeta", None)
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not isinstance(meta, dict) or body is None:
        return
    raw = meta.get("examples")
    examples = raw if isinstance(raw, list) else [raw]
    found: dict[str, Node] = {}
    for example in examples:
        if not isinstance(example, dict):
            continue
        curl = example.get("request", {}).get("curl", "")
        match = _CURL_BODY.search(curl)
        if match is None:
            continue
        value = json.loads(match.group("body"))
        name = re.sub(r"[^A-Za-z0-9]+", "_", example.get("title", "default")).strip("_").lower()
        found[name or "default"] = {
            "summary": f"upstream example: {example.get('title')}",
            "value": value,
        }
    if found:
        body["examples"] = found


# -- 9. Request objects are closed: unknown keys are a 400 at any depth ----------------------------
def _referenced(node: Any) -> Iterator[str]:
    for found in walk(node):
        ref = found.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            yield ref.rsplit("/", 1)[1]


def _is_object(node: Node) -> bool:
    kind = node.get("type")
    return kind == "object" or (isinstance(kind, list) and "object" in kind)


def closed_requests(doc: Node) -> None:
    schemas = doc["components"]["schemas"]
    pending = [name for _, _, op in operations(doc) for name in _referenced(op.get("requestBody"))]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        pending.extend(_referenced(schemas[name]))
    inline = [op["requestBody"] for _, _, op in operations(doc) if "requestBody" in op]
    for root in [schemas[name] for name in sorted(seen)] + inline:
        for node in walk(root):
            if _is_object(node) and "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False


# -- 10. Limits the spec states in prose, as schema keywords --------------------------------------
NAMED_CHOICES = ("AssistantsNamedToolChoice", "AssistantsApiNamedToolChoice")


def prose_limits(doc: Node) -> None:
    for _, _, operation in operations(doc):
        for parameter in operation.get("parameters", []):
            if parameter.get("name") == "limit" and parameter.get("in") == "query":
                # "Limit can range between 1 and 100, and the default is 20."
                parameter["schema"] = {**parameter["schema"], "minimum": 1, "maximum": 100}
    schemas = doc["components"]["schemas"]
    # "Must be a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length of 64."
    schemas["FunctionObject"]["properties"]["name"]["pattern"] = "^[a-zA-Z0-9_-]{1,64}$"
    for name in NAMED_CHOICES:
        if name not in schemas:
            continue
        # "If type is `function`, the function name must be set."
        kinds = [k for k in schemas[name]["properties"]["type"]["enum"] if k != "function"]
        schemas[name]["anyOf"] = [
            {"properties": {"type": {"const": "function"}}, "required": ["function"]},
            {"properties": {"type": {"enum": kinds}}},
        ]


# -- 11. modifyRun takes no body as an empty one ---------------------------------------------------
def optional_modify_body(doc: Node) -> None:
    for _, _, operation in operations(doc):
        if operation["operationId"] == "modifyRun":
            # Every field of ModifyRunRequest is optional; the API reads a missing body as {}.
            operation["requestBody"]["required"] = False


# -- 12. A required key that no property defines ---------------------------------------------------
def defined_required(doc: Node) -> None:
    for schema in doc["components"]["schemas"].values():
        required, properties = schema.get("required"), schema.get("properties")
        if not isinstance(required, list) or not isinstance(properties, dict):
            continue
        if schema.get("additionalProperties") is False:
            # v1 CreateThreadAndRunRequest requires `thread_id`, which it does not define and
            # its additionalProperties: false forbids: no request could be valid.
            schema["required"] = [name for name in required if name in properties]


# -- 13. Run steps as the real API answers them ---------------------------------------------------
STEP_KEYS_NOT_SENT = ("expired_at", "metadata")


def recorded_run_steps(doc: Node) -> None:
    schema = doc["components"]["schemas"].get("RunStepObject")
    if schema is None or not isinstance(schema.get("required"), list):
        return
    schema["required"] = [name for name in schema["required"] if name not in STEP_KEYS_NOT_SENT]


def drop_meta(doc: Node) -> None:
    for _, _, operation in operations(doc):
        operation.pop("x-oaiMeta", None)


def build(profile: str) -> Node:
    with (SHARED / f"runs-api-{profile}.yaml").open(encoding="utf-8") as handle:
        upstream = yaml.safe_load(handle)
    doc: Node = copy.deepcopy(upstream)
    doc.pop("x-extract-note", None)
    doc = spell_null_as_type(doc)
    doc["openapi"] = "3.1.0"
    doc["info"] = {
        **doc["info"],
        "title": f"OpenAI Assistants API ({profile}), Runs endpoints, as the real API answers",
        "description": (
            "The Runs and Run Steps endpoints of the upstream OpenAI document, corrected to "
            "describe what the real API does (error answers, streams, null cursors, the "
            "OpenAI-Beta header), with links for stateful testing. Built by "
            "tools/build_gate_openapi.py; every change is listed in CORRECTIONS.md."
        ),
        "version": f"{doc['info']['version']}+runcontract.1",
    }
    for _, _, operation in operations(doc):
        request_examples(operation)
        beta_header(operation, profile)
        error_responses(operation)
        stream_content(operation)
    error_components(doc)
    nullable_cursors(doc)
    closed_requests(doc)
    prose_limits(doc)
    optional_modify_body(doc)
    defined_required(doc)
    recorded_run_steps(doc)
    run_object(doc, profile)
    links(doc)
    drop_meta(doc)
    doc["x-runcontract"] = {
        "profile": profile,
        "upstream": (SHARED / f"runs-api-{profile}.yaml").name,
        "corrections": "CORRECTIONS.md",
    }
    return doc


def render(doc: Node) -> str:
    header = (
        "# Generated by tools/build_gate_openapi.py from the upstream OpenAI document (data) and\n"
        "# runcontract's schemas/. Do not edit by hand: change the script, then run it.\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a document is stale")
    args = parser.parse_args(argv)
    stale = []
    for profile in PROFILES:
        target = OUT / f"runs-{profile}.yaml"
        text = render(build(profile))
        if args.check:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                stale.append(str(target))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    for path in stale:
        sys.stderr.write(f"{path} is out of date: run tools/build_gate_openapi.py\n")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
