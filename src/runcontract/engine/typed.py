"""JSON Schema, narrowed to types msgspec decodes and checks in one pass over the bytes.

`narrow(shape, schema)` gives the values of `shape` that also satisfy `schema`, as a small
algebra of shapes (null, bool, int, number, string, list, object, union); `ANY` narrowed by a
profile's bundled schema is that schema as a shape. `build(shape)` turns a shape into a msgspec
type. The one promise: every value the built type accepts satisfies the schemas it was narrowed
by. A shape may accept less than a schema (integral floats, for example, are turned away); the
caller then judges such a value the slow way. What cannot be kept to that promise raises
`Unsupported`, and the caller does without the compiled type.
"""

from __future__ import annotations

import itertools
import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal, Union

import msgspec

# msgspec decodes any integer exactly, orjson only those that fit 64 bits (larger become floats);
# the compiled types keep to signed 64 bits, which both read alike and msgspec can bound.
SMALLEST_INT = -(2**63)
LARGEST_INT = 2**63 - 1
# Annotation keywords, and those checked where a shape is built, not here.
IGNORED = frozenset({"$schema", "$id", "$defs", "title", "description", "default", "examples"})
# Patterns made only of these mean the same to Python's re and to ECMA 262 (JSON Schema's
# regexes), once a final "$" is read as the end of the string.
PORTABLE_PATTERN = re.compile(r"[\^\w\[\]{},$-]*", re.ASCII)


class Unsupported(ValueError):  # noqa: N818 - it names the schema's state, like Unreadable
    """The schema says something the compiled types cannot say exactly."""


@dataclass(frozen=True)
class Shape:
    """A set of JSON values."""


@dataclass(frozen=True)
class AnyShape(Shape):
    pass


@dataclass(frozen=True)
class NullShape(Shape):
    pass


@dataclass(frozen=True)
class BoolShape(Shape):
    pass


@dataclass(frozen=True)
class IntShape(Shape):
    ge: int | float | None = None
    le: int | float | None = None


@dataclass(frozen=True)
class NumberShape(Shape):
    ge: int | float | None = None
    le: int | float | None = None


@dataclass(frozen=True)
class StrShape(Shape):
    enum: tuple[str, ...] | None = None
    max_length: int | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class ListShape(Shape):
    item: Shape = AnyShape()
    max_items: int | None = None


@dataclass(frozen=True)
class Field:
    name: str
    shape: Shape
    required: bool


@dataclass(frozen=True)
class ObjectShape(Shape):
    """An object: its named fields, and what its other keys may hold.

    `others` is None when other keys may hold anything, FORBIDDEN when there may be none, or
    the shape of their values; `key` and `max_keys` bound the keys of a map (no named fields).
    """

    fields: tuple[Field, ...] = ()
    others: Shape | None = None
    key: StrShape | None = None
    max_keys: int | None = None

    def field(self, name: str) -> Field | None:
        for field in self.fields:
            if field.name == name:
                return field
        return None

    def with_field(self, new: Field) -> ObjectShape:
        kept = tuple(f for f in self.fields if f.name != new.name)
        return replace(self, fields=(*kept, new))


@dataclass(frozen=True)
class UnionShape(Shape):
    members: tuple[Shape, ...]


@dataclass(frozen=True)
class EmptyShape(Shape):
    pass


ANY = AnyShape()
EMPTY = EmptyShape()
FORBIDDEN = EmptyShape()  # as ObjectShape.others: no other keys at all


def union(shapes: list[Shape]) -> Shape:
    members: list[Shape] = []
    for shape in shapes:
        for member in shape.members if isinstance(shape, UnionShape) else (shape,):
            if not isinstance(member, EmptyShape) and member not in members:
                members.append(member)
    if not members:
        return EMPTY
    if len(members) == 1:
        return members[0]
    return UnionShape(tuple(members))


KIND_OF_TYPE: dict[str, type[Shape]] = {
    "null": NullShape,
    "boolean": BoolShape,
    "integer": IntShape,
    "number": NumberShape,
    "string": StrShape,
    "array": ListShape,
    "object": ObjectShape,
}


class Narrower:
    """Narrows shapes by the schemas of one bundle (whose $defs hold every $ref's target)."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self._defs: dict[str, Any] = dict(bundle.get("$defs", {}))
        self._depth = 0

    def narrow(self, shape: Shape, schema: Any) -> Shape:
        if schema is True or schema == {}:
            return shape
        if schema is False:
            return EMPTY
        if not isinstance(schema, dict):
            raise Unsupported(f"a schema must be an object or a boolean, not {schema!r}")
        if isinstance(shape, UnionShape):
            return union([self.narrow(member, schema) for member in shape.members])
        if isinstance(shape, EmptyShape):
            return shape
        self._depth += 1
        try:
            if self._depth > 64:
                raise Unsupported("the schema nests too deep (a recursive $ref?)")
            return self._narrow(shape, schema)
        finally:
            self._depth -= 1

    def _narrow(self, shape: Shape, schema: dict[str, Any]) -> Shape:
        unknown = set(schema) - IGNORED - set(_KEYWORDS)
        if unknown:
            raise Unsupported(f"no compiled form for the keywords {sorted(unknown)}")
        for keyword_name, (kind, step) in _KEYWORDS.items():
            if keyword_name in schema:
                if kind is not None:  # a keyword that narrows one kind of value
                    if isinstance(shape, AnyShape):
                        # other kinds pass it; keeping only this kind is narrower, so safe
                        shape = kind()
                    elif not isinstance(shape, kind):
                        continue  # it says nothing of other kinds
                shape = step(self, shape, schema[keyword_name], schema)
                if isinstance(shape, UnionShape):
                    # the rest of this schema applies to each member alike
                    rest = {k: v for k, v in schema.items() if k not in _done(keyword_name)}
                    return self.narrow(shape, rest)
                if isinstance(shape, EmptyShape):
                    return shape
        return shape

    def resolve(self, ref: str) -> Any:
        name = ref.removeprefix("#/$defs/").rsplit("/", 1)[-1].removesuffix(".json")
        if name not in self._defs:
            raise Unsupported(f"cannot resolve $ref {ref!r}")
        return self._defs[name]


def _done(name: str) -> set[str]:
    """The keywords applied up to and including `name`, in _KEYWORDS order."""
    return set(itertools.takewhile(lambda k: k != name, _KEYWORDS)) | {name}


def _ref(n: Narrower, shape: Shape, ref: Any, _: dict[str, Any]) -> Shape:
    return n.narrow(shape, n.resolve(str(ref)))


def _all_of(n: Narrower, shape: Shape, parts: Any, _: dict[str, Any]) -> Shape:
    for part in parts:
        shape = n.narrow(shape, part)
    return shape


def _any_of(n: Narrower, shape: Shape, parts: Any, _: dict[str, Any]) -> Shape:
    return union([n.narrow(shape, part) for part in parts])


def _one_of(n: Narrower, shape: Shape, parts: Any, _: dict[str, Any]) -> Shape:
    branches = [n.narrow(shape, part) for part in parts]
    live = [b for b in branches if not isinstance(b, EmptyShape)]
    for first, second in itertools.combinations(live, 2):
        if not _disjoint(first, second):
            raise Unsupported("oneOf branches that may overlap")
    return union(live)


def _if(n: Narrower, shape: Shape, condition: Any, schema: dict[str, Any]) -> Shape:
    holds = _decide(shape, condition)
    branch = schema.get("then" if holds else "else", True)
    return n.narrow(shape, branch)


def _type(n: Narrower, shape: Shape, names: Any, _: dict[str, Any]) -> Shape:
    kinds = [names] if isinstance(names, str) else list(names)
    return union([_of_kind(shape, KIND_OF_TYPE[name]) for name in kinds])


def _enum(n: Narrower, shape: Shape, values: Any, _: dict[str, Any]) -> Shape:
    strings = tuple(v for v in values if isinstance(v, str))
    if len(strings) + values.count(None) != len(values):
        raise Unsupported("an enum with values other than strings and null")
    parts: list[Shape] = []
    if None in values:
        parts.append(_of_kind(shape, NullShape))
    text = _of_kind(shape, StrShape)
    if isinstance(text, StrShape):
        allowed = strings if text.enum is None else tuple(s for s in text.enum if s in strings)
        parts.append(_strings(text, allowed))
    return union(parts)


def _const(n: Narrower, shape: Shape, value: Any, schema: dict[str, Any]) -> Shape:
    return _enum(n, shape, [value], schema)


def _properties(n: Narrower, shape: ObjectShape, props: Any, _: dict[str, Any]) -> Shape:
    for name, sub in props.items():
        field = shape.field(name)
        if field is not None:
            shape = shape.with_field(replace(field, shape=n.narrow(field.shape, sub)))
        elif shape.others is FORBIDDEN:
            continue
        elif shape.others is not None or shape.key is not None:
            raise Unsupported("named properties beside constrained other keys")
        else:
            shape = shape.with_field(Field(name, n.narrow(ANY, sub), required=False))
    for field in shape.fields:
        if isinstance(field.shape, EmptyShape) and field.required:
            return EMPTY
    return shape


def _required(n: Narrower, shape: ObjectShape, names: Any, _: dict[str, Any]) -> Shape:
    for name in names:
        field = shape.field(name)
        if field is None:
            if shape.others is FORBIDDEN:
                return EMPTY
            if shape.others is not None or shape.key is not None:
                raise Unsupported("a required key of a map")
            field = Field(name, ANY, required=True)
        shape = shape.with_field(replace(field, required=True))
    return shape


def _additional(n: Narrower, shape: ObjectShape, sub: Any, schema: dict[str, Any]) -> Shape:
    if sub is True:
        return shape
    if sub is False:
        return replace(shape, others=FORBIDDEN)
    if shape.fields or "properties" in schema:
        raise Unsupported("additionalProperties beside named properties")
    others = ANY if shape.others is None else shape.others
    return replace(shape, others=n.narrow(others, sub))


def _property_names(n: Narrower, shape: ObjectShape, sub: Any, _: dict[str, Any]) -> Shape:
    if shape.fields:
        raise Unsupported("propertyNames beside named properties")
    key = n.narrow(shape.key or StrShape(), sub)
    if not isinstance(key, StrShape):
        raise Unsupported("propertyNames that are not a plain string schema")
    return replace(shape, key=key)


def _max_properties(n: Narrower, shape: ObjectShape, limit: Any, _: dict[str, Any]) -> Shape:
    if shape.fields:
        raise Unsupported("maxProperties beside named properties")
    return replace(shape, max_keys=_least(shape.max_keys, int(limit)))


def _items(n: Narrower, shape: ListShape, sub: Any, _: dict[str, Any]) -> Shape:
    return replace(shape, item=n.narrow(shape.item, sub))


def _max_items(n: Narrower, shape: ListShape, limit: Any, _: dict[str, Any]) -> Shape:
    return replace(shape, max_items=_least(shape.max_items, int(limit)))


def _minimum(n: Narrower, shape: Shape, bound: Any, _: dict[str, Any]) -> Shape:
    if isinstance(shape, AnyShape):
        return union([IntShape(ge=bound), NumberShape(ge=bound)])
    if isinstance(shape, IntShape | NumberShape):
        return replace(shape, ge=bound if shape.ge is None else max(shape.ge, bound))
    return shape


def _maximum(n: Narrower, shape: Shape, bound: Any, _: dict[str, Any]) -> Shape:
    if isinstance(shape, AnyShape):
        return union([IntShape(le=bound), NumberShape(le=bound)])
    if isinstance(shape, IntShape | NumberShape):
        return replace(shape, le=_least(shape.le, bound))
    return shape


def _max_length(n: Narrower, shape: StrShape, limit: Any, _: dict[str, Any]) -> Shape:
    return _strings(replace(shape, max_length=_least(shape.max_length, int(limit))), shape.enum)


def _pattern(n: Narrower, shape: StrShape, pattern: Any, _: dict[str, Any]) -> Shape:
    if shape.pattern not in (None, pattern):
        raise Unsupported("two patterns on one string")
    if not PORTABLE_PATTERN.fullmatch(pattern):
        raise Unsupported(f"a pattern Python and ECMA 262 may read differently: {pattern!r}")
    return _strings(replace(shape, pattern=pattern), shape.enum)


def _taken(n: Narrower, shape: Shape, sub: Any, _: dict[str, Any]) -> Shape:
    return shape  # "then" and "else", which "if" takes


# In this order: references and combinations first, then the kind, then what narrows a kind.
# Each with the kind of value it narrows (None: any), which is all the step is then given.
_KEYWORDS: dict[str, tuple[type[Shape] | None, Callable[..., Shape]]] = {
    "$ref": (None, _ref),
    "allOf": (None, _all_of),
    "if": (None, _if),
    "then": (None, _taken),
    "else": (None, _taken),
    "type": (None, _type),
    "enum": (None, _enum),
    "const": (None, _const),
    "anyOf": (None, _any_of),
    "oneOf": (None, _one_of),
    "properties": (ObjectShape, _properties),
    "required": (ObjectShape, _required),
    "additionalProperties": (ObjectShape, _additional),
    "propertyNames": (ObjectShape, _property_names),
    "maxProperties": (ObjectShape, _max_properties),
    "items": (ListShape, _items),
    "maxItems": (ListShape, _max_items),
    "minimum": (None, _minimum),  # both numbers' kinds
    "maximum": (None, _maximum),
    "maxLength": (StrShape, _max_length),
    "pattern": (StrShape, _pattern),
}


def _least(a: Any, b: Any) -> Any:
    return b if a is None else min(a, b)


def _of_kind(shape: Shape, kind: type[Shape]) -> Shape:
    if isinstance(shape, kind):
        return shape
    if isinstance(shape, AnyShape):
        return kind()
    if kind is NumberShape and isinstance(shape, IntShape):
        return shape  # an integer is a number
    if kind is IntShape and isinstance(shape, NumberShape):
        return IntShape(shape.ge, shape.le)
    return EMPTY


def _strings(shape: StrShape, allowed: tuple[str, ...] | None) -> Shape:
    """A string shape whose enum, if any, keeps only values its other limits allow."""
    if allowed is None:
        return shape
    kept = tuple(v for v in allowed if _string_fits(shape, v))
    return replace(shape, enum=kept) if kept else EMPTY


def _string_fits(shape: StrShape, value: str) -> bool:
    if shape.max_length is not None and len(value) > shape.max_length:
        return False
    return shape.pattern is None or re.search(_python_pattern(shape.pattern), value) is not None


def _python_pattern(pattern: str) -> str:
    # ECMA 262's "$" (no multiline) is the very end; Python's also matches before a final "\n"
    return pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern


def _decide(shape: Shape, condition: Any) -> bool:
    """Whether every value of `shape` satisfies `condition`; Unsupported when that varies.

    Only the conditions on one tag field are decided: {"properties": {K: {"enum"|"const"}},
    "required": [K]}, for a shape whose K is a required string of one known value.
    """
    if not isinstance(condition, dict) or set(condition) - {"properties", "required"}:
        raise Unsupported("a condition other than a tag's value")
    (name, test), *more = condition["properties"].items()
    if more or condition.get("required", [name]) != [name]:
        raise Unsupported("a condition on more than one key")
    tag = _tag_value(shape, name)
    if tag is None:
        raise Unsupported(f"a condition on {name!r}, which takes more than one value here")
    allowed = test["enum"] if "enum" in test else [test["const"]]
    return tag in allowed


def _tag_value(shape: Shape, name: str) -> str | None:
    if not isinstance(shape, ObjectShape):
        return None
    field = shape.field(name)
    if field is None or not field.required or not isinstance(field.shape, StrShape):
        return None
    enum = field.shape.enum
    return enum[0] if enum is not None and len(enum) == 1 else None


def _kind(shape: Shape) -> type[Shape]:
    return NumberShape if isinstance(shape, IntShape) else type(shape)


def _disjoint(a: Shape, b: Shape) -> bool:
    if isinstance(a, AnyShape) or isinstance(b, AnyShape):
        return False
    if _kind(a) is not _kind(b):
        return True
    if isinstance(a, StrShape) and isinstance(b, StrShape):
        return a.enum is not None and b.enum is not None and not set(a.enum) & set(b.enum)
    if isinstance(a, ObjectShape) and isinstance(b, ObjectShape):
        return _tag_field([a, b]) is not None
    return False


def _tag_field(objects: list[ObjectShape]) -> str | None:
    """A key every object has as a required string of one value, a different value each."""
    for field in objects[0].fields:
        values = [_tag_value(shape, field.name) for shape in objects]
        if None not in values and len(set(values)) == len(values):
            return field.name
    return None


def split(shape: ObjectShape, name: str) -> Shape:
    """The object as a union of one object for each value of its string field `name`."""
    field = shape.field(name)
    if field is None or not isinstance(field.shape, StrShape) or field.shape.enum is None:
        raise Unsupported(f"{name!r} is not an enumerated string field")
    return union(
        [
            shape.with_field(Field(name, replace(field.shape, enum=(value,)), required=True))
            for value in field.shape.enum
        ]
    )


class Builder:
    """Turns shapes into msgspec types; tagged objects become Structs carrying `rc_tag`.

    With `raw_any`, a value of any shape is kept as msgspec.Raw, its bytes checked for JSON's
    grammar and nothing built of them (the parameters of a function, say). msgspec does not
    check that such bytes are UTF-8, nor how large their numbers are, so a caller that asks for
    it checks those of the whole document itself.
    """

    def __init__(self, prefix: str, *, raw_any: bool = False) -> None:
        self._prefix = prefix
        self._names = itertools.count()
        self._any = msgspec.Raw if raw_any else Any
        # one Struct for each distinct object shape, so the many status variants of a run share
        # their nested types, and their fields come in one order: by name
        self._built: dict[tuple[ObjectShape, str | None], Any] = {}

    def build(self, shape: Shape) -> Any:
        if isinstance(shape, AnyShape):
            return self._any
        if isinstance(shape, NullShape | BoolShape):
            return None if isinstance(shape, NullShape) else bool
        build = getattr(self, f"_{type(shape).__name__}", None)
        if build is None:  # EmptyShape: nothing to accept
            raise Unsupported(f"no msgspec type for {shape!r}")
        return build(shape)

    @staticmethod
    def _IntShape(shape: IntShape) -> Any:  # noqa: N802 - named after the shape it builds
        ge = SMALLEST_INT if shape.ge is None else max(shape.ge, SMALLEST_INT)
        le = LARGEST_INT if shape.le is None else min(shape.le, LARGEST_INT)
        return Annotated[int, msgspec.Meta(ge=ge, le=le)]

    @staticmethod
    def _NumberShape(shape: NumberShape) -> Any:  # noqa: N802
        return Annotated[float, msgspec.Meta(ge=shape.ge, le=shape.le)]

    @staticmethod
    def _StrShape(shape: StrShape) -> Any:  # noqa: N802
        if shape.enum is not None:
            return Literal[shape.enum]
        pattern = None if shape.pattern is None else _python_pattern(shape.pattern)
        return Annotated[str, msgspec.Meta(max_length=shape.max_length, pattern=pattern)]

    def _ListShape(self, shape: ListShape) -> Any:  # noqa: N802
        item = self.build(shape.item)
        return Annotated[list[item], msgspec.Meta(max_length=shape.max_items)]  # type: ignore[valid-type]

    def _ObjectShape(self, shape: ObjectShape) -> Any:  # noqa: N802
        return self._object(shape, None)

    def _UnionShape(self, shape: UnionShape) -> Any:  # noqa: N802
        return self._union(shape)

    def _union(self, shape: UnionShape) -> Any:
        objects = [m for m in shape.members if isinstance(m, ObjectShape)]
        tag = _tag_field(objects) if len(objects) > 1 else None
        if len(objects) > 1 and tag is None:
            raise Unsupported("a union of objects with no tag to tell them apart")
        members = [
            self._object(m, tag) if isinstance(m, ObjectShape) else self.build(m)
            for m in shape.members
        ]
        return Union[tuple(members)]  # noqa: UP007 - built at run time

    def _object(self, shape: ObjectShape, tag: str | None) -> Any:
        built = self._built.get((shape, tag))
        if built is None:
            built = self._built[shape, tag] = self._new_object(shape, tag)
        return built

    def _new_object(self, shape: ObjectShape, tag: str | None) -> Any:
        if not shape.fields and shape.others is not FORBIDDEN:
            key = self.build(shape.key or StrShape())
            value = self.build(ANY if shape.others is None else shape.others)
            return Annotated[dict[key, value], msgspec.Meta(max_length=shape.max_keys)]  # type: ignore[valid-type]
        if shape.others not in (None, FORBIDDEN) or shape.key is not None:
            raise Unsupported("an object with named fields and constrained other keys")
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        tag_value = None
        for field in sorted(shape.fields, key=lambda field: field.name):
            if not field.name.isidentifier() or keyword.iskeyword(field.name):
                raise Unsupported(f"a key that is not a Python name: {field.name!r}")
            if field.name == tag:
                tag_value = _tag_value(shape, tag)
                continue
            kind = self.build(field.shape)
            if field.required:
                fields.append((field.name, kind))
            else:
                fields.append((field.name, Union[kind, msgspec.UnsetType], msgspec.UNSET))  # noqa: UP007
        options: dict[str, Any] = {"kw_only": True}
        if tag is not None:
            options.update(tag_field=tag, tag=tag_value)
        return msgspec.defstruct(
            f"{self._prefix}{next(self._names)}",
            fields,
            namespace={"rc_tag": tag_value},
            forbid_unknown_fields=shape.others is FORBIDDEN,
            gc=False,  # decoded data holds no cycles; untracked, they cost the collector nothing
            **options,
        )
