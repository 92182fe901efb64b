"""The schema part of a verdict: fast for objects that pass or deviate only as the real API does.

Three steps, cheapest first:
1. the profile's schema, compiled (jsonschema-rs): most objects pass here;
2. the same schema with the real API's known schema deviations relaxed (deviations.yaml), also
   compiled: an object that passes here breaks the spec only in tolerated ways, which direct
   checks then name (30% of the real corpus has `instructions: null`, so this path is hot);
3. python-jsonschema's detailed errors, only for objects that fail both.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from runcontract.catalogue import Catalogue, CatalogueError
from runcontract.model import JSON, Profile
from runcontract.rules.registry import Finding
from runcontract.schemas import SchemaError, profile_schema

SCHEMA_RULE = "S001"
_TOP_LEVEL = re.compile(r"^\$\.(?P<name>[A-Za-z_][A-Za-z0-9_]*)$")
_UNSET = object()


def _as_list(value: JSON) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _property(path: str, code: str) -> str:
    found = _TOP_LEVEL.match(path)
    if not found:
        raise CatalogueError(f"deviation {code}: path {path!r} is not a top-level property")
    return found.group("name")


@dataclass(frozen=True, slots=True)
class SchemaDeviation:
    """One tolerated schema deviation, as deviations.yaml describes it."""

    code: str
    profiles: frozenset[Profile]
    keyword: str  # "type" (with value null), "minimum" or "required"
    properties: tuple[str, ...]  # sorted
    value: object

    def matches(self, error: SchemaError) -> bool:
        if error.keyword != self.keyword:
            return False
        if self.keyword == "required":
            return error.missing in self.properties
        found = _TOP_LEVEL.match(error.path)
        if not found or found.group("name") not in self.properties:
            return False
        return self.value is _UNSET or error.value == self.value

    def relax(self, bundle: dict[str, Any]) -> None:
        """Loosen the root schema so objects with only this deviation pass."""
        properties = bundle.get("properties", {})
        for name in self.properties:
            if self.keyword == "required":
                bundle["required"] = [p for p in bundle.get("required", []) if p != name]
            elif self.keyword == "minimum":
                properties[name] = {k: v for k, v in properties[name].items() if k != "minimum"}
            elif self.keyword == "type" and self.value is None:
                properties[name] = {"anyOf": [properties[name], {"type": "null"}]}
            else:
                raise CatalogueError(f"deviation {self.code}: cannot relax {self.keyword!r}")

    def find(self, run: dict[str, Any], bundle: Mapping[str, Any]) -> list[tuple[str, str, JSON]]:
        """(path, message, value) for each place `run` shows this deviation."""
        found: list[tuple[str, str, JSON]] = []
        for name in self.properties:
            if self.keyword == "required":
                if name not in run:
                    found.append((f"$.{name}", f"required property '{name}' is missing", None))
            elif self.keyword == "type":
                if name in run and run[name] is None:
                    found.append((f"$.{name}", f"{name} is null", None))
            else:
                minimum = bundle["properties"][name].get("minimum")
                value = run.get(name)
                if type(value) is int and minimum is not None and value < minimum:
                    found.append(
                        (f"$.{name}", f"{value} is less than the minimum of {minimum}", value)
                    )
        return found


def schema_deviations(catalogue: Catalogue) -> list[SchemaDeviation]:
    found = []
    for rule in catalogue.deviations():
        spec = (rule.match or {}).get("schema")
        if not isinstance(spec, Mapping):
            continue
        names = [_property(str(p), rule.code) for p in _as_list(spec.get("path"))]
        names += [str(p) for p in _as_list(spec.get("property"))]
        found.append(
            SchemaDeviation(
                code=rule.code,
                profiles=rule.profiles,
                keyword=str(spec["keyword"]),
                properties=tuple(sorted(set(names))),
                value=spec.get("value", _UNSET),
            )
        )
    return found


class SchemaCheck:
    """Schema findings for one profile: (code, path, message, value), cheapest path first."""

    def __init__(self, profile: Profile, deviations: list[SchemaDeviation]) -> None:
        self.schema = profile_schema(profile)
        self.deviations = [d for d in deviations if profile in d.profiles]
        relaxed = copy.deepcopy(self.schema.bundle)
        for deviation in self.deviations:
            deviation.relax(relaxed)
        self.relaxed: dict[str, Any] = relaxed  # the schema with the real API's deviations allowed
        self._relaxed_is_valid = jsonschema_rs.validator_for(relaxed).is_valid
        self._keywords = frozenset(d.keyword for d in self.deviations)  # what a deviation fails

    def deviation_findings(self, run: dict[str, Any]) -> list[Finding]:
        """The deviations of a run that the strict schema fails and the relaxed one passes."""
        return [
            Finding(deviation.code, path, message, value)
            for deviation in self.deviations
            for path, message, value in deviation.find(run, self.schema.bundle)
        ]

    def findings(self, run: JSON) -> list[Finding]:
        """The schema findings of a run, in a new list (the engine adds the rules' to it)."""
        if isinstance(run, dict):
            if self._relaxed_is_valid(run):
                # A run the relaxed schema passes shows a deviation where one is found; where
                # none is, it passes the strict schema too, which needs no asking then.
                found = self.deviation_findings(run)
                return found if found and not self.schema.is_valid(run) else []
        elif self.schema.is_valid(run):
            return []
        found = []
        for error in self.schema.iter_errors(run):
            deviation = (
                next((d for d in self.deviations if d.matches(error)), None)
                if error.keyword in self._keywords
                else None
            )
            if deviation is None:
                found.append(Finding(SCHEMA_RULE, error.path, error.message, error.value))
            elif isinstance(run, dict):
                # the same words as the fast path, whichever path found it
                found.extend(
                    Finding(deviation.code, path, message, value)
                    for path, message, value in deviation.find(run, self.schema.bundle)
                    if path == error.path
                )
        return found


def portable_schema(
    profile: Profile, deviations: list[SchemaDeviation] | None = None
) -> dict[str, Any]:
    """The profile's run schema as one self-contained JSON Schema 2020-12 document.

    With `deviations` (those of the catalogue, say), the real API's schema deviations of the
    profile are allowed, exactly as the engine allows them before naming them as warnings.
    Every type is under $defs and every $ref points there, so any validator reads it offline.
    """
    check = SchemaCheck(profile, deviations or [])
    document = copy.deepcopy(check.relaxed)
    if check.deviations:
        codes = ", ".join(sorted({d.code for d in check.deviations}))
        document["description"] = (
            f"{document.get('description', '')} Profile {profile.value}, with the real API's "
            f"schema deviations allowed ({codes}; see `runcontract rules`)."
        ).strip()
    else:
        document["description"] = (
            f"{document.get('description', '')} Profile {profile.value}, the spec as written."
        ).strip()
    return document
