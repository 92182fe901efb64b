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
        checks = self._checks
        if not isinstance(instance, dict) or checks is None:
            yield from (_leaf(error) for error in self.detailed.iter_errors(instance))
            return
        if checks.keywords is None:
            narrowed = _narrowed(self, checks.failing(instance))
            yield from (_leaf(error) for error in narrowed.iter_errors(instance))
            return
        # python-jsonschema goes through the root's keywords in order, and each one's errors
        # depend on its own part of the run alone: a property's on its value, `required`'s on
        # which names are missing. So each part is asked on its own, and answered once.
        for keyword in checks.keywords:
            if keyword == "properties":
                for name in checks.failing(instance):
                    if name in instance:
                        yield from self._property_errors(name, instance[name])
            elif keyword == "required" and not instance.keys() >= checks.required_names:
                missing = tuple(name for name in checks.required if name not in instance)
                yield from self._missing_errors(missing, instance)
            # "type" is "object", which a dict is; the other keywords say nothing of a run

    @cached_property
    def _checks(self) -> _PropertyChecks | None:
        properties = self.bundle.get("properties")
        if not isinstance(properties, dict):
            return None
        return _PropertyChecks(self.bundle, properties)

    def _property_errors(self, name: str, value: JSON) -> tuple[SchemaError, ...]:
        """python-jsonschema's errors for one property's value; the same value, the same
        errors, so a value seen before (a scalar: a run's status, say) is not asked again."""
        key = _value_key(name, value)
        if key is not None:
            found = self._answered.get(key)
            if found is not None:
                return found
        validator = _property_validator(self, name)
        errors = tuple(_leaf(error) for error in validator.iter_errors({name: value}))
        if key is not None:
            self._remember(key, errors)
        return errors

    def _missing_errors(
        self, missing: tuple[str, ...], instance: dict[str, JSON]
    ) -> tuple[SchemaError, ...]:
        """python-jsonschema's `required` errors for a run lacking `missing`, answered once."""
        key = ("required", missing)
        found = self._answered.get(key)
        if found is None:
            validator = _required_validator(self)
            found = tuple(_leaf(error) for error in validator.iter_errors(instance))
            self._remember(key, found)
        return found

    @cached_property
    def _answered(self) -> dict[tuple[object, ...], tuple[SchemaError, ...]]:
        return {}

    def _remember(self, key: tuple[object, ...], errors: tuple[SchemaError, ...]) -> None:
        answered = self._answered
        if len(answered) >= _ANSWERS_KEPT:
            answered.clear()  # a stream of ever new faults: start again rather than grow
        answered[key] = errors


_ANSWERS_KEPT = 1024
_CACHED_TEXT = 256  # longer strings are not kept as keys: a fault seen again is short


def _value_key(name: str, value: JSON) -> tuple[object, ...] | None:
    """A key for a property value whose errors can be kept: a scalar, by its type and value.

    The type is part of it because the errors differ where Python's equality does not (1, 1.0
    and True are equal); floats are left out (-0.0 equals 0.0 and is written otherwise).
    """
    if value.__class__ is str:
        return (name, str, value) if len(value) <= _CACHED_TEXT else None
    if value.__class__ is int or value.__class__ is bool or value is None:
        return (name, value.__class__, value)
    return None


# The root keywords whose errors iter_errors puts together: "properties" and "required" are
# asked part by part, "type" must be "object"; the rest annotate or hold definitions.
_PLAIN_ROOT = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "type", "properties", "required"}
    | {"$defs", "definitions", "examples", "default"}
)
# The classes of a value that each JSON Schema type surely takes. An integral float is an
# integer to JSON Schema, but not here: a property is checked in Python only where the check
# can be surer than the schema, never less sure.
_SURELY_OF_TYPE: dict[str, frozenset[type]] = {
    "string": frozenset({str}),
    "integer": frozenset({int}),
    "number": frozenset({int, float}),
    "boolean": frozenset({bool}),
    "null": frozenset({type(None)}),
    "object": frozenset({dict}),
    "array": frozenset({list}),
}
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment"})
_NUMBERS = frozenset({int, float})

# (name, classes, enum, minimum, maximum): a property checked in Python
_Plain = tuple[str, frozenset[type], frozenset[str] | None, float | None, float | None]


class _PropertyChecks:
    """Which properties of a run may fail the root's schema, asked as cheaply as may be.

    `failing` may name a property that holds (python-jsonschema is then asked, and finds
    nothing), never leave out one that fails. A property whose schema only names types is
    checked by the classes of its value, one lookup for the classes of all of them; one with
    an enum of strings or bounds too, in Python; the others by their compiled validators, all
    at once, then each (its answer for null asked once: many properties of a run are null).
    """

    def __init__(self, bundle: dict[str, Any], properties: dict[str, Any]) -> None:
        self.order = {name: index for index, name in enumerate(properties)}
        typed: list[tuple[str, frozenset[type]]] = []
        plain: list[_Plain] = []
        compiled: list[tuple[str, Callable[[JSON], bool], bool]] = []
        self.always: tuple[str, ...] = ()  # a property that refers to the root: always asked
        for name, schema in properties.items():
            if _refers_to_root(schema):
                self.always += (name,)
                continue
            found = _plain(name, schema) if isinstance(schema, dict) else None
            if found is not None and found[2:] == (None, None, None):
                typed.append((name, found[1]))
            elif found is not None:
                plain.append(found)
            else:
                document = (
                    {**schema, "$defs": bundle.get("$defs", {})}
                    if isinstance(schema, dict)
                    else schema
                )
                is_valid = jsonschema_rs.validator_for(document).is_valid
                compiled.append((name, is_valid, is_valid(None)))
        # the compiled ones asked together first: most often they all hold, and one call on
        # the run costs about what two on their values do
        together = {"properties": {name: properties[name] for name, _, _ in compiled}}
        self.compiled_hold: Callable[[JSON], bool] | None = (
            jsonschema_rs.validator_for({**together, "$defs": bundle.get("$defs", {})}).is_valid
            if len(compiled) > 1
            else None
        )
        self.typed_names = tuple(name for name, _ in typed)
        self.typed_classes = tuple(classes for _, classes in typed)
        self.plain = tuple(plain)
        self.compiled = tuple(compiled)
        self._by_classes: dict[tuple[type, ...], tuple[str, ...]] = {}
        self.required: tuple[str, ...] = tuple(bundle.get("required", ()))
        self.required_names = frozenset(self.required)
        plain_root = (
            bundle.get("type") == "object"
            and not self.always
            and set(bundle) <= _PLAIN_ROOT
            and all(isinstance(name, str) for name in self.required)
        )
        # the root's keywords, in order, when each property can be asked about alone
        self.keywords: tuple[str, ...] | None = (
            tuple(k for k in bundle if k in ("properties", "required")) if plain_root else None
        )

    def failing(self, run: dict[str, JSON]) -> tuple[str, ...]:
        """The properties of `run` that may fail, in the schema's order (and some it lacks)."""
        classes = tuple(map(type, map(run.get, self.typed_names)))
        found = self._by_classes.get(classes)
        if found is None:
            if len(self._by_classes) >= _ANSWERS_KEPT:
                self._by_classes.clear()
            found = self._by_classes[classes] = tuple(
                name
                for name, kind, allowed in zip(
                    self.typed_names, classes, self.typed_classes, strict=True
                )
                if kind not in allowed  # or absent: None either way; the caller looks
            )
        failing = list(found)
        for name, allowed, enum, low, high in self.plain:
            if name not in run:
                continue
            value = run[name]
            kind = value.__class__
            if (
                kind not in allowed
                or (enum is not None and (kind is not str or value not in enum))
                or (kind in _NUMBERS and low is not None and value < low)
                or (kind in _NUMBERS and high is not None and value > high)
            ):
                failing.append(name)
        compiled_hold = self.compiled_hold
        for name, is_valid, null_holds in (
            self.compiled if compiled_hold is None or not compiled_hold(run) else ()
        ):
            if name in run:
                value = run[name]
                if not (null_holds if value is None else is_valid(value)):
                    failing.append(name)
        if self.always:
            failing.extend(name for name in self.always if name in run)
        if len(failing) > 1:
            failing.sort(key=self.order.__getitem__)
        return tuple(failing)


def _plain(name: str, schema: dict[str, Any]) -> _Plain | None:
    """A schema of types, an enum of strings and bounds, as Python checks them; else None."""
    if "type" not in schema or not set(schema) <= _ANNOTATIONS | {
        "type",
        "enum",
        "minimum",
        "maximum",
    }:
        return None
    types = schema["type"]
    names = types if isinstance(types, list) else [types]
    if not names or not all(isinstance(t, str) and t in _SURELY_OF_TYPE for t in names):
        return None
    classes = frozenset().union(*(_SURELY_OF_TYPE[t] for t in names))
    enum = schema.get("enum")
    if enum is not None and not (
        isinstance(enum, list) and all(isinstance(item, str) for item in enum)
    ):
        return None
    low, high = schema.get("minimum"), schema.get("maximum")
    if any(bound is not None and bound.__class__ not in _NUMBERS for bound in (low, high)):
        return None
    return (name, classes, frozenset(enum) if enum is not None else None, low, high)


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


@lru_cache(maxsize=256)
def _property_validator(schema: ProfileSchema, name: str) -> Draft202012Validator:
    """python-jsonschema's validator of the root property `name` alone, at its place."""
    bundle = {key: value for key, value in schema.bundle.items() if key not in _ASKED_APART}
    bundle["properties"] = {name: schema.bundle["properties"][name]}
    return _diagnostic_validator(bundle)


@lru_cache(maxsize=16)
def _required_validator(schema: ProfileSchema) -> Draft202012Validator:
    """python-jsonschema's validator of the root's `required` alone."""
    bundle = {key: value for key, value in schema.bundle.items() if key not in _ASKED_APART}
    bundle["required"] = schema.bundle["required"]
    return _diagnostic_validator(bundle)


_ASKED_APART = frozenset({"type", "properties", "required"})


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
