"""The fast lane: a JSONL line judged clean straight from its bytes, with no dict built.

For each profile, the bundled schema narrowed by the contract rules that JSON Schema can say
(`fastpath.contract_schema`: the rules' schema forms), split by status, becomes one msgspec type
(`typed`), so decoding a line checks the schema and those rules in one pass. The rules JSON
Schema cannot say are the rules' residue forms (runcontract.rules.registry), run on the fields
of the decoded struct. A line that passes all of it breaks no rule in its profile. The engine's
lane builds its type from the schema with the real API's deviations allowed, so that one decode
takes the lines whose only faults are those deviations too, which the engine's own finder then
names. Any other line (a broken rule, a list response, not JSON at all) returns None and is read
and judged the usual way: the lane only skips the dict for lines whose verdict it knows, and
tests hold it to the slow way's verdict.

The profile is chosen as `detect_profile` would choose it, from the keys present, which the
decoded struct records (`file_ids` and the keys v1 added are declared in every profile's type).
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Callable, Iterator
from functools import cache
from operator import attrgetter
from types import CodeType
from typing import Any, NamedTuple, get_args

import msgspec
import orjson
from msgspec.structs import astuple

from runcontract.engine.fastpath import RESIDUES, contract_schema, inlined
from runcontract.engine.lifecycle import RunFacts
from runcontract.engine.profiles import V1_ONLY_KEYS, PerProfile
from runcontract.model import Profile, Source
from runcontract.rules.registry import Finding
from runcontract.rules.usage import COUNTS
from runcontract.schemas import profile_schema

NO_NAMES: list[str] = []
PRESENCE_KEYS = ("file_ids", *sorted(V1_ONLY_KEYS))


def run_type(profile: Profile, bundle: dict[str, Any] | None = None) -> Any:
    """The msgspec type of the runs of `profile` that keep every rule the compiled part says.

    `bundle`: the profile's schema to hold to, when not its own (one with the real API's
    deviations allowed, say).
    """
    # the types' builder is needed only here, once a process: a command that reads no JSON
    # Lines does not import it (its shapes are some dozen dataclasses, slow to create)
    from runcontract.engine.typed import (  # noqa: PLC0415
        ANY,
        Builder,
        Narrower,
        ObjectShape,
        Unsupported,
        split,
    )

    bundle = profile_schema(profile).bundle if bundle is None else bundle
    narrower = Narrower(bundle)
    shape = narrower.narrow(ANY, bundle)
    shape = narrower.narrow(shape, {"properties": dict.fromkeys(PRESENCE_KEYS, True)})
    if not isinstance(shape, ObjectShape):
        raise Unsupported("a run is not an object shape")
    by_status = narrower.narrow(split(shape, "status"), contract_schema(profile, patterns=False))
    # raw_any: FastLane.judge checks the whole line is UTF-8 and holds no integer too long to read
    return Builder(f"Run{profile.name.title()}_", raw_any=True).build(by_status)


# The keys that must be missing from a run the lane took as this profile on a guess from its
# bytes, for `detect_profile` to say the same: a v2 run has no file_ids, a seed run none of the
# keys v1 added; v1 requires file_ids and incomplete_details, so its decoder says v1 alone.
_MISSING_WHEN_GUESSED = {
    Profile.SEED: tuple(sorted(V1_ONLY_KEYS)),
    Profile.V1: (),
    Profile.V2: ("file_ids",),
}
# the profiles as constants: an enum member's lookup (Profile.V2) costs a call each line
_SEED, _V1, _V2 = Profile.SEED, Profile.V1, Profile.V2


# The fields the residue, the lifecycle and the report read. A run's many struct types defeat
# Python's attribute caches, so the lane's judge reads them from the struct's values in one call
# (msgspec.structs.astuple), by their place among the struct's fields.
READ = (
    "assistant_id",
    "cancelled_at",
    "completed_at",
    "created_at",
    "expires_at",
    "failed_at",
    "id",
    "object",
    "required_action",
    "started_at",
    "thread_id",
    "tools",
    "usage",
)
_counts = attrgetter(*COUNTS)


def _field_order(run_union: Any) -> tuple[str, ...]:
    """The fields of every status's struct, in their order (the places of READ among them)."""
    from runcontract.engine.typed import Unsupported  # noqa: PLC0415 - as run_type does

    orders = {cls.__struct_fields__ for cls in get_args(run_union)}
    if len(orders) != 1:
        raise Unsupported("the status variants of a run do not share their fields")
    (order,) = orders
    missing = set(READ) - set(order)
    if missing:
        raise Unsupported(f"a run without the fields {sorted(missing)}")
    return tuple(order)


_new_tuple = tuple.__new__  # a tuple type without its Python-level __new__, once per line


# A compiled run type: its decoder, and the order of its structs' fields
Compiled = tuple[Callable[[bytes], Any], tuple[str, ...]]


def _compiled(profile: Profile, bundle: dict[str, Any]) -> Compiled:
    """A decoder of the runs `run_type` describes, and the order of their fields."""
    return _compiled_once(profile, orjson.dumps(bundle, option=orjson.OPT_SORT_KEYS))


@cache
def _compiled_once(profile: Profile, bundle: bytes) -> Compiled:
    # once a process for each schema: compiling takes some 20 ms, and each Engine asks
    run_union = run_type(profile, orjson.loads(bundle))
    return msgspec.json.Decoder(run_union).decode, _field_order(run_union)


# What finds the schema deviations of a run dict that a relaxed schema allows
FindDeviations = Callable[[dict[str, Any]], list[Finding]]
NO_FINDINGS: list[Finding] = []


class Prejudged(msgspec.Struct, gc=False):
    """A JSON Lines entry the lane judged straight from its bytes: a run that breaks no rule.

    Its id, status and profile, its lifecycle facts, the schema deviations of the real API
    found in it (none for the many runs that keep the spec as written), and where it is: its
    file and entry ("line 12"), made its `source` only when that is asked for (a clean run's
    report and lifecycle need only the two strings). A Struct, not a named tuple: one is made a
    line. It unpacks as the named tuple it was, (run_id, status, profile, facts, findings,
    source).
    """

    run_id: str
    status: str
    profile: Profile
    facts: RunFacts
    findings: list[Finding]
    file: str
    entry: str

    @property
    def source(self) -> Source:
        return _new_tuple(Source, (self.file, self.entry))

    def __iter__(self) -> Iterator[Any]:
        return iter(
            (self.run_id, self.status, self.profile, self.facts, self.findings, self.source)
        )


class _Relaxed(NamedTuple):
    """Where a relaxed schema allows more than the strict one, by the kind of relaxation.

    The deviations the catalogue allows are all of these kinds, on top-level properties
    (schemacheck.SchemaDeviation.relax): null allowed, a minimum dropped, a key not required.
    """

    nullable: tuple[str, ...]  # may be null
    unbounded: tuple[tuple[str, Any], ...]  # (key, the strict minimum) may be below it
    optional: tuple[str, ...]  # may be missing


def _relaxed_keys(strict: dict[str, Any], relaxed: dict[str, Any]) -> _Relaxed:
    """How `relaxed` departs from `strict`; Unsupported for a departure of another kind."""
    from runcontract.engine.typed import Unsupported  # noqa: PLC0415 - as run_type does

    def rest(schema: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in schema.items() if k not in ("properties", "required")}

    if rest(strict) != rest(relaxed):
        raise Unsupported("a relaxed schema that differs below its top-level properties")
    before, after = strict.get("properties", {}), relaxed.get("properties", {})
    nullable, unbounded = [], []
    for name in sorted(before.keys() | after.keys()):
        was, now = before.get(name), after.get(name)
        if was == now:
            continue
        if was is not None and now == {"anyOf": [was, {"type": "null"}]}:
            nullable.append(name)
        elif was is not None and now == {k: v for k, v in was.items() if k != "minimum"}:
            unbounded.append((name, was["minimum"]))
        else:
            raise Unsupported(f"a relaxed schema whose {name!r} is neither nullable nor unbounded")
    optional = sorted(set(strict.get("required", ())) - set(relaxed.get("required", ())))
    return _Relaxed(tuple(nullable), tuple(unbounded), tuple(optional))


# What judges a line as one profile's: its Prejudged, or None. With `guessed`, the profile was
# guessed from the line's bytes, and the decoded run must show it is that profile's.
JudgeLine = Callable[[bytes, str, int, bool], "Prejudged | None"]


class _Lane(NamedTuple):
    """One profile's compiled part: the judge of a line, and whether its type is relaxed."""

    judge: JudgeLine
    relaxed: bool  # the type takes the real API's deviations


def _strict_lane(profile: Profile) -> _Lane:
    decode, order = _compiled(profile, profile_schema(profile).bundle)
    return _Lane(_judge_line(profile, decode, order, None, None), False)


_KNOWN_KEPT = 1024


def _relaxed_lane(profile: Profile, relaxed: dict[str, Any], find: FindDeviations) -> _Lane:
    """The lane of the relaxed type: one decode takes a run that keeps the spec or deviates as
    the real API does, and its deviations are found on the decoded struct, not a second parse.
    """
    where = _relaxed_keys(profile_schema(profile).bundle, relaxed)
    decode, order = _compiled(profile, relaxed)
    return _Lane(_judge_line(profile, decode, order, where, find), True)


def _deviations_of(
    where: _Relaxed, find: FindDeviations
) -> Callable[[Any, tuple[Any, ...]], list[Finding]]:
    """The deviations of a run that shows what a relaxation allows (`shown`: which relaxed keys
    are null or missing, and the numbers below a minimum).

    The finder is the engine's own, given the relaxed keys' values as a dict would hold them (a
    missing key left out). The findings depend on nothing but `shown`, so they are kept by it:
    the same few deviations come back line after line. Shared, never mutated; bounded, since
    numbers vary.
    """
    keys = sorted({*where.nullable, *(name for name, _ in where.unbounded), *where.optional})
    unset = msgspec.UNSET
    known: dict[tuple[Any, ...], list[Finding]] = {}

    def found(run: Any, shown: tuple[Any, ...]) -> list[Finding]:
        findings = known.get(shown)
        if findings is None:
            values = {name: getattr(run, name) for name in keys}
            findings = find({name: value for name, value in values.items() if value is not unset})
            if len(known) >= _KNOWN_KEPT:
                known.clear()
            known[shown] = findings
        return findings

    return found


def _judge_line(
    profile: Profile,
    decode: Callable[[bytes], Any],
    order: tuple[str, ...],
    where: _Relaxed | None,
    find: FindDeviations | None,
) -> JudgeLine:
    """The judge of a line as `profile`'s (`decode`s it; its structs' fields in `order`),
    written as one function: the decode, the profile a guess needs (_MISSING_WHEN_GUESSED), the
    fields READ, the rules' residue forms inlined (fastpath.inlined), the lifecycle facts, for
    a relaxed type what the run shows of a relaxation, and the Prejudged.

    One function, since it runs once a line: a call and a tuple less for each of its steps is
    what the lane's own work mostly is. Its parts are those `lifecycle.facts_of` and the
    residue forms give for the run's dict; tests hold them to those.
    """
    lines = [
        "def judge(line, file, number, guessed):",
        "    try:",
        "        run = decode(line)",
        "    except (ValueError, RecursionError):  # a broken rule, not JSON, or nested too deep",
        "        return None",
        "    t = astuple(run)",
    ]
    missing = _MISSING_WHEN_GUESSED[profile]
    if missing:
        present = " or ".join(f"t[{order.index(name)}] is not UNSET" for name in missing)
        lines += [f"    if guessed and ({present}):", "        return None"]
    lines += [f"    r_{name} = t[{order.index(name)}]" for name in READ]
    namespace: dict[str, Any] = {
        "decode": decode,
        "astuple": astuple,
        "UNSET": msgspec.UNSET,
        "counts_of": _counts,
        "NO_NAMES": NO_NAMES,
        "NO_FINDINGS": NO_FINDINGS,
        "new": _new_tuple,
        "Prejudged": Prejudged,
        "RunFacts": RunFacts,
        "PROFILE": profile,
    }
    # what a run shows of a relaxation (any of it: its deviations are looked for), read from the
    # struct's values, before a missing key is read as null
    shows, shown = "", ""
    if where is not None and find is not None and any(where):
        flags = [f"t[{order.index(name)}] is None" for name in where.nullable]
        flags += [f"t[{order.index(name)}] is UNSET" for name in where.optional]
        below = []
        for number, (name, least) in enumerate(where.unbounded):
            namespace[f"LEAST_{number}"] = least
            value = f"t[{order.index(name)}]"
            below.append((f"{value}.__class__ is int and {value} < LEAST_{number}", value))
        shows = " or ".join([*flags, *(f"({test})" for test, _ in below)])
        shown = ", ".join([*flags, *(f"({value} if {test} else None)" for test, value in below)])
        namespace["found"] = _deviations_of(where, find)
        if not set(where.optional).isdisjoint(READ):
            # the keys a deviation lets go missing read as null, as a dict's .get has them
            lines += [f"    if r_{name} is UNSET: r_{name} = None" for name in READ]
    lines += [
        "    counts = None if r_usage is None else counts_of(r_usage)",
        # a loop, not a comprehension (a call each line): most runs have a tool, few a function
        "    names = NO_NAMES",
        "    if r_tools:",
        "        for tool in r_tools:",
        "            if tool.rc_tag == 'function':",
        "                if names is NO_NAMES:",
        "                    names = []",
        "                names.append(tool.function.name)",
        "    calls = None if r_required_action is None else [(c.id, c.function.name,"
        " c.function.arguments) for c in r_required_action.submit_tool_outputs.tool_calls]",
        "    ends = (r_completed_at, r_failed_at, r_cancelled_at)",
    ]
    fields = {
        name: f"r_{name}"
        for name in ("id", "thread_id", "assistant_id", "created_at", "started_at", "expires_at")
    } | {name: name for name in ("ends", "counts", "names", "calls")}
    residues, used = inlined(RESIDUES, fields)
    namespace.update(used)
    lines += [f"    {line}" for line in residues]
    facts = {
        "status": "status",
        "object": "r_object",
        "usage": "counts",
        "call_ids": "None if calls is None else tuple(sorted({call[0] for call in calls}))",
    }
    arguments = ", ".join(facts.get(name, f"r_{name}") for name in RunFacts.__struct_fields__)
    lines += [
        "    status = run.rc_tag",
        f"    facts = RunFacts({arguments})",
        f"    findings = found(run, ({shown},)) if {shows} else NO_FINDINGS"
        if shows
        else "    findings = NO_FINDINGS",
        "    return Prejudged(r_id, status, PROFILE, facts, findings, file, f'line {number}')",
    ]
    exec(_code("\n".join(lines), profile), namespace)  # noqa: S102 - the lane's own code
    judge: JudgeLine = namespace["judge"]
    return judge


@cache
def _code(source: str, profile: Profile) -> CodeType:
    # once a process for each source: each Engine's lane makes its judges
    return compile(source, f"<fast lane: {profile.value}>", "exec")


class FastLaneWarning(RuntimeWarning):
    """A profile's schema says what the lane's types cannot: its lines are judged the slow way.

    Verdicts stay right, only slower; the shipped schemas never do this (a test compiles the
    lane of every profile), so a warning means a schema or the types builder changed. The
    tests turn warnings into errors, so there it fails loudly.
    """


def _unless_unsupported(make: Callable[[Profile], _Lane]) -> Callable[[Profile], _Lane | None]:
    """`make`, or None (and a FastLaneWarning) where the types cannot say the profile's schema:
    its lines then go the usual way."""

    def made(profile: Profile) -> _Lane | None:
        from runcontract.engine.typed import Unsupported  # noqa: PLC0415 - as run_type does

        try:
            return make(profile)
        except Unsupported as exc:
            warnings.warn(
                f"the fast lane cannot compile the {profile.value} schema ({exc}); "
                f"its JSON Lines are judged the slow way",
                FastLaneWarning,
                stacklevel=2,
            )
            return None

    return made


class FastLane:
    """`judge(line)`: what the engine needs of a run that breaks no rule, straight from its bytes.

    With `relaxed` (per profile, the schema with the real API's deviations allowed and their
    finder), a run that departs from the spec only where the real API does is taken too, with
    the deviations found: then the relaxed type alone decodes every line, once, whether it
    deviates or not.
    """

    def __init__(
        self,
        profile: Profile | None = None,
        relaxed: dict[Profile, tuple[dict[str, Any], FindDeviations]] | None = None,
    ) -> None:
        self.profile = profile
        relaxed = {} if relaxed is None else relaxed  # an empty PerProfile is falsy

        def compiled(p: Profile) -> _Lane:
            try:
                bundle, find = relaxed[p]  # made on first use too, when a PerProfile
            except KeyError:
                return _strict_lane(p)
            return _relaxed_lane(p, bundle, find)

        self._compile = compiled
        # Each profile's types are compiled when a line first needs them (some 20 ms each), so
        # a file of one profile, or one with no JSON Lines at all, pays for no other.
        self._lanes: PerProfile[_Lane | None] = PerProfile(_unless_unsupported(compiled))
        self._judges: PerProfile[JudgeLine] = PerProfile(self._judge_of)
        # Python's json reads no integer longer than this (the reader's fallback for numbers
        # beyond a double), while msgspec passes over any number under a key no type names.
        self._max_digits = sys.get_int_max_str_digits()  # 0: no limit
        self._huge_number = re.compile(rb"[0-9]{%d}" % (self._max_digits + 1))

    def compile(self, profile: Profile) -> bool:
        """Compile the profile's types now, raising typed.Unsupported where they cannot say its
        schema (where the lane would warn and leave the profile's lines to the slow way).

        True when the lane takes the real API's deviations for this profile too.
        """
        lane = self._lanes[profile] = self._compile(profile)
        self._judges.pop(profile, None)
        return lane.relaxed

    def _judge_of(self, profile: Profile) -> JudgeLine:
        lane = self._lanes[profile]
        return _judges_nothing if lane is None else lane.judge

    def judge(self, line: bytes, file: str = "-", number: int = 1) -> Prejudged | None:
        """The verdict on `line`, line `number` of `file`, when the lane knows it; else None."""
        # msgspec passes over the keys no type names without checking their bytes are UTF-8
        if not line.isascii():
            try:
                line.decode()
            except UnicodeDecodeError:
                return None
        if self._max_digits and len(line) > self._max_digits and self._huge_number.search(line):
            return None
        judges = self._judges
        if self.profile is not None:
            return judges[self.profile](line, file, number, False)
        # A guess from the bytes, to try the likely decoder first; the struct then tells. A v2
        # run may name file_ids inside tool_resources, so a v2 decoder has the last word. The
        # keys that tell are found from the end: the API and the SDKs write them late.
        at = line.rfind(b'"file_ids"')
        if at < 0 or line[at - 1 : at] == b"{":  # none, or the first key of tool_resources' own
            return judges[_V2](line, file, number, True)
        guess = _V1 if line.rfind(b'"max_prompt_tokens"') >= 0 else _SEED
        return judges[guess](line, file, number, True) or judges[_V2](line, file, number, True)


def _judges_nothing(line: bytes, file: str, number: int, guessed: bool) -> None:
    """The judge of a profile the lane cannot compile: its lines go the usual way."""
