"""The JSON Schemas of each profile, bundled and compiled twice.

The verdict comes from a compiled validator (jsonschema-rs), which is fast; only for objects it
rejects do we ask python-jsonschema for its detailed errors, going into oneOf/anyOf with
best_match so that the person reading sees the one error that matters. python-jsonschema is
imported on the first such object: a clean file never pays for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from runcontract._data import data_dir
from runcontract.model import JSON, Profile

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

ROOT_TYPE = "RunObject"
_REQUIRED_MESSAGE = re.compile(r"^'(?P<name>.+)' is a required property$")


@dataclass(frozen=True, slots=True)
class SchemaError:
    """One leaf schema error, located in the instance."""

    path: str  # JSON path; for a missing property, the path the property would have
    keyword: str  # the JSON Schema keyword that failed: type, required, enum, minimum, ...
    message: str
    value: JSON
    missing: str | None = None  # for `required`: the missing property's name


def load_bundle(profile: Profile, root: str = ROOT_TYPE) -> dict[str, Any]:
    """One self-contained schema for `root`: every other type of the profile under $defs.

    The files refer to each other by file name, resolved against the file's own location; in
    the bundle each such reference points into $defs instead (or at the bundle itself, for the
    root), so the document needs no base URI, no other file and no network to resolve.
    """
    folder = data_dir("schemas") / profile.value
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.json")):
        with path.open(encoding="utf-8") as handle:
            documents[path.stem] = json.load(handle)
    if root not in documents:
        raise FileNotFoundError(f"schema {root}.json is missing from {folder}")
    targets = {f"{name}.json": f"#/$defs/{name}" for name in documents}
    targets[f"{root}.json"] = "#"
    bundle: dict[str, Any] = _pointing_into(documents[root], targets)
    embedded = {
        name: _pointing_into({k: v for k, v in doc.items() if k != "$schema"}, targets)
        for name, doc in documents.items()
        if name != root
    }
    bundle["$defs"] = {**bundle.get("$defs", {}), **embedded}
    return bundle


def _pointing_into(node: Any, targets: dict[str, str]) -> Any:
    """A copy of `node` with each file-name $ref replaced by its place in the bundle."""
    if isinstance(node, list):
        return [_pointing_into(item, targets) for item in node]
    if not isinstance(node, dict):
        return node
    copied = {key: _pointing_into(value, targets) for key, value in node.items()}
    ref = copied.get("$ref")
    if isinstance(ref, str):
        if ref not in targets:
            raise FileNotFoundError(f"$ref {ref!r} names no schema file of the folder")
        copied["$ref"] = targets[ref]
    return copied


class ProfileSchema:
    """The compiled and the diagnostic validator of one profile's root type."""

    def __init__(self, profile: Profile, root: str = ROOT_TYPE) -> None:
        self.profile = profile
        self.bundle = load_bundle(profile, root)
        self._fast = jsonschema_rs.validator_for(self.bundle)
        self.is_valid = self._fast.is_valid
        self._detailed: Draft202012Validator | None = None

    @property
    def detailed(self) -> Draft202012Validator:
        if self._detailed is None:
            self._detailed = _diagnostic_validator(self.bundle)
        return self._detailed

    def iter_errors(self, instance: JSON) -> Iterator[SchemaError]:
        """Leaf errors, one per failing place, each followed into oneOf/anyOf where it helps."""
        for error in self._diagnostic(instance).iter_errors(instance):
            yield _leaf(error)

    def _diagnostic(self, instance: JSON) -> Draft202012Validator:
        """The detailed validator, told only of the properties where the compiled one fails.

        Going through every property of a run in python-jsonschema costs some 100 times the
        compiled check, and a broken run is most often broken in one place. The properties the
        compiled validator passes give python-jsonschema's no errors (they are the same schema),
        and the errors of the rest are the same, path and all, in the same order.
        """
        if not isinstance(instance, dict) or self._property_holds is None:
            return self.detailed
        failing = tuple(
            name
            for name, holds in self._property_holds
            if name in instance and not holds(instance[name])
        )
        return _narrowed(self, failing)

    @cached_property
    def _property_holds(self) -> tuple[tuple[str, Callable[[JSON], bool]], ...] | None:
        """Each property of the root with its compiled check, in the schema's order."""
        properties = self.bundle.get("properties")
        if not isinstance(properties, dict):
            return None
        checks = []
        for name, schema in properties.items():
            if _refers_to_root(schema):
                holds = _never  # alone, it cannot be checked: python-jsonschema always looks
            elif isinstance(schema, dict):
                document = {**schema, "$defs": self.bundle.get("$defs", {})}
                holds = jsonschema_rs.validator_for(document).is_valid
            else:
                holds = jsonschema_rs.validator_for(schema).is_valid
            checks.append((name, holds))
        return tuple(checks)


def _never(instance: JSON) -> bool:
    return False


def _refers_to_root(node: Any) -> bool:
    if isinstance(node, list):
        return any(_refers_to_root(item) for item in node)
    if isinstance(node, dict):
        return node.get("$ref") == "#" or any(_refers_to_root(v) for v in node.values())
    return False


@lru_cache(maxsize=256)
def _narrowed(schema: ProfileSchema, failing: tuple[str, ...]) -> Draft202012Validator:
    """python-jsonschema's validator of `schema` with only the properties `failing` kept."""
    bundle = dict(schema.bundle)
    properties = bundle["properties"]
    bundle["properties"] = {name: properties[name] for name in failing}
    return _diagnostic_validator(bundle)


def _diagnostic_validator(bundle: dict[str, Any]) -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # noqa: PLC0415 - only a failing object needs it

    return Draft202012Validator(bundle)


def _leaf(error: ValidationError) -> SchemaError:
    if error.context:
        # best_match picks the branch of a oneOf/anyOf that came closest; its error is the one
        # a person needs ("'arguments' is a required property"), not "valid under none".
        branches, tags = _branches_matching_discriminator(error)
        if not branches and tags:
            value = error.instance.get("type") if isinstance(error.instance, dict) else None
            allowed = ", ".join(sorted(tags))
            return SchemaError(
                path=f"{error.json_path}.type",
                keyword="enum",
                message=f"{value!r} is not one of the known types: {allowed}",
                value=value,
            )
        # A branch for another kind of value (the null of a nullable anyOf) helps nobody.
        from jsonschema.exceptions import best_match  # noqa: PLC0415 - imported by then

        deeper = best_match(branches or error.context)
        if deeper is not None:
            return _leaf(deeper)
    path = error.json_path
    if error.validator == "required":
        found = _REQUIRED_MESSAGE.match(error.message)
        if found:
            name = found.group("name")
            return SchemaError(
                path=f"{path}.{name}" if _is_identifier(name) else f"{path}[{name!r}]",
                keyword="required",
                message=f"required property '{name}' is missing",
                value=None,
                missing=name,
            )
    return SchemaError(
        path=path,
        keyword=str(error.validator),
        message=error.message,
        value=error.instance,
    )


def _branches_matching_discriminator(
    error: ValidationError,
) -> tuple[list[ValidationError], set[str]]:
    """The sub-errors of the oneOf/anyOf branches whose `type` tag the instance matches.

    For a tool {"type": "file_search", "file_search": null} the useful error is the file_search
    branch's ("null is not an object"), not the function branch's ("'function' is missing").
    Also returns the tags of the branches that were left out, to name them when none is left.
    """
    by_branch: dict[object, list[ValidationError]] = {}
    for sub in error.context or ():
        branch = sub.relative_schema_path[0] if sub.relative_schema_path else None
        by_branch.setdefault(branch, []).append(sub)
    kept: list[ValidationError] = []
    tags: set[str] = set()
    for subs in by_branch.values():
        tag_errors = [
            sub
            for sub in subs
            if sub.validator in ("enum", "const")
            and len(sub.absolute_path) == len(error.absolute_path) + 1
            and sub.absolute_path[-1] == "type"
        ]
        wrong_kind = any(
            sub.validator == "type" and len(sub.absolute_path) == len(error.absolute_path)
            for sub in subs
        )
        if not tag_errors and not wrong_kind:
            kept.extend(subs)
        for sub in tag_errors:
            allowed = sub.validator_value
            tags.update(str(t) for t in (allowed if isinstance(allowed, list) else [allowed]))
    return kept, tags


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _is_identifier(name: str) -> bool:
    return bool(_IDENTIFIER.match(name))


@cache
def profile_schema(profile: Profile, root: str = ROOT_TYPE) -> ProfileSchema:
    return ProfileSchema(profile, root)
