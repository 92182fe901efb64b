"""The gate's OpenAPI documents: what each operation may answer, and its request schemas.

The documents are shipped in `openapi/` (built by tools/build_gate_openapi.py; CORRECTIONS.md
lists every difference from upstream). This module answers the questions the HTTP rules ask of
them: which operation a request is, which statuses and media types it documents, whether a
request body is one the document allows, whether a body is an ErrorResponse.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from runcontract.model import JSON, Profile

OPENAPI_DIR = Path(__file__).resolve().parent / "openapi"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
GATE_PROFILES = (Profile.V1, Profile.V2)
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def document_path(profile: Profile) -> Path:
    """The shipped document of a profile (seed traffic is v1 traffic on the wire)."""
    name = Profile.V1.value if profile is Profile.SEED else profile.value
    return OPENAPI_DIR / f"runs-{name}.yaml"


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str  # upper case
    template: str  # the document's path, such as /threads/{thread_id}/runs/{run_id}
    pattern: re.Pattern[str]
    responses: Mapping[str, frozenset[str]]  # status key ("200", "5XX") -> media types
    streams: bool  # has a text/event-stream answer
    body_ref: str | None  # component name of the request body schema

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"

    def documents_status(self, status: int) -> bool:
        return str(status) in self.responses or f"{status // 100}XX" in self.responses

    def media_types(self, status: int) -> frozenset[str]:
        found = self.responses.get(str(status))
        if found is None:
            found = self.responses.get(f"{status // 100}XX", frozenset())
        return found

    def path_ids(self, path: str) -> dict[str, str]:
        match = self.pattern.fullmatch(path)
        return dict(match.groupdict()) if match else {}


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join(
        f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part) for part in parts
    )
    return re.compile(regex)


def _resolve(doc: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        target: Any = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _operations(doc: Mapping[str, Any]) -> Iterator[Operation]:
    for template, item in doc["paths"].items():
        for method in HTTP_METHODS:
            raw = item.get(method)
            if raw is None:
                continue
            responses = {}
            streams = False
            for status, response in raw["responses"].items():
                content = _resolve(doc, response).get("content", {})
                responses[str(status)] = frozenset(content)
                streams = streams or "text/event-stream" in content
            body = raw.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = body.get("schema", {}).get("$ref")
            yield Operation(
                operation_id=raw["operationId"],
                method=method.upper(),
                template=template,
                pattern=_pattern(template),
                responses=responses,
                streams=streams,
                body_ref=ref.rsplit("/", 1)[1] if isinstance(ref, str) else None,
            )


class GateDocument:
    """One profile's corrected document, read once."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.path = document_path(profile)
        with self.path.open(encoding="utf-8") as handle:
            self.raw: dict[str, Any] = yaml.safe_load(handle)
        self.operations = list(_operations(self.raw))
        self.base_path = "/v1"
        self._validators: dict[str, Any] = {}

    def operation(self, operation_id: str) -> Operation:
        for operation in self.operations:
            if operation.operation_id == operation_id:
                return operation
        raise KeyError(operation_id)

    def match(self, method: str, path: str) -> Operation | None:
        """The operation a request is, given the path below the base URL (/threads/...)."""
        method = method.upper()
        for operation in self.operations:
            if operation.method == method and operation.pattern.fullmatch(path):
                return operation
        return None

    def knows_path(self, path: str) -> bool:
        return any(operation.pattern.fullmatch(path) for operation in self.operations)

    def _validator(self, component: str) -> Any:
        found = self._validators.get(component)
        if found is None:
            schema = {
                "$schema": DIALECT,
                "$ref": f"#/components/schemas/{component}",
                "components": {"schemas": self.raw["components"]["schemas"]},
            }
            found = jsonschema_rs.validator_for(schema)
            self._validators[component] = found
        return found

    def allows_body(self, operation: Operation, body: JSON) -> bool:
        if operation.body_ref is None:
            return True
        return bool(self._validator(operation.body_ref).is_valid(body))

    def is_error_response(self, body: JSON) -> bool:
        return bool(self._validator("ErrorResponse").is_valid(body))

    def for_schemathesis(self) -> dict[str, Any]:
        """A copy with RunObject left open: run bodies are the engine's to judge, not twice.

        Schemathesis's response_schema_conformance then judges everything else the document
        describes (list envelopes, run steps, stream events, errors) while every run object is
        judged once, by the same engine and rules as recordings, with the real API's known
        deviations as warnings.
        """
        doc = copy.deepcopy(self.raw)
        doc["components"]["schemas"]["RunObject"] = {
            "type": "object",
            "description": "Judged by runcontract's engine (rules S001... and the deviations).",
        }
        return doc


@cache
def load_document(profile: Profile) -> GateDocument:
    return GateDocument(profile)
