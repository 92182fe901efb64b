"""The fast lane: a JSONL line judged clean straight from its bytes, with no dict built.

For each profile, the bundled schema narrowed by the contract rules that JSON Schema can say
(`fastpath.contract_schema`), split by status, becomes one msgspec type (`typed`), so decoding a
line checks the schema and those rules in one pass. The rules JSON Schema cannot say are the
residue `fastpath.residue_holds`, run on the decoded struct. A line that passes all of it breaks
no rule in its profile, warnings included; any other line (a deviation, a broken rule, a list
response, not JSON at all) returns None and is read and judged the usual way, so this lane
decides nothing on its own: it only skips the dict for lines that would have come out clean.

The profile is chosen as `detect_profile` would choose it, from the keys present, which the
decoded struct records (`file_ids` and the keys v1 added are declared in every profile's type).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from operator import attrgetter
from typing import Any

import msgspec

from runcontract.engine.fastpath import calls_hold, contract_schema, times_hold
from runcontract.engine.lifecycle import NO_END, RunFacts
from runcontract.engine.profiles import V1_ONLY_KEYS
from runcontract.engine.typed import ANY, Builder, Narrower, ObjectShape, Unsupported, split
from runcontract.model import Profile
from runcontract.rules.tools import FUNCTION_NAME
from runcontract.schemas import profile_schema

_new_facts = tuple.__new__  # RunFacts without its Python-level __new__, once per line
NO_NAMES: list[str] = []
PRESENCE_KEYS = ("file_ids", *sorted(V1_ONLY_KEYS))


def run_type(profile: Profile) -> Any:
    """The msgspec type of the runs of `profile` that keep every rule the compiled part says."""
    bundle = profile_schema(profile).bundle
    narrower = Narrower(bundle)
    shape = narrower.narrow(ANY, bundle)
    shape = narrower.narrow(shape, {"properties": dict.fromkeys(PRESENCE_KEYS, True)})
    if not isinstance(shape, ObjectShape):
        raise Unsupported("a run is not an object shape")
    by_status = narrower.narrow(split(shape, "status"), contract_schema(profile, patterns=False))
    return Builder(f"Run{profile.name.title()}_").build(by_status)


_v1_keys = attrgetter(*sorted(V1_ONLY_KEYS))
_NONE_OF_V1 = (msgspec.UNSET,) * len(V1_ONLY_KEYS)


def _seed_holds(run: Any) -> bool:
    return _v1_keys(run) == _NONE_OF_V1


def _v2_holds(run: Any) -> bool:
    return run.file_ids is msgspec.UNSET


def _v1_holds(run: Any) -> bool:
    return True  # v1 requires file_ids and incomplete_details, so detect_profile says v1


_PROFILE_HOLDS = {Profile.SEED: _seed_holds, Profile.V1: _v1_holds, Profile.V2: _v2_holds}
# Function names already found well formed: the same few tools come back run after run.
_GOOD_NAMES: set[str] = set()
_GOOD_NAMES_KEPT = 4096


def _names_hold(tools: list[Any]) -> list[str] | None:
    """The function tools' names when each is well formed and none repeats (F001, F005)."""
    names: list[str] = []
    for tool in tools:
        if tool.rc_tag == "function":
            name = tool.function.name
            if name in names:
                return None
            if name not in _GOOD_NAMES:
                if not FUNCTION_NAME.fullmatch(name):
                    return None
                if len(_GOOD_NAMES) >= _GOOD_NAMES_KEPT:
                    _GOOD_NAMES.clear()
                _GOOD_NAMES.add(name)
            names.append(name)
    return names


def _residue(run: Any) -> bool:
    """The rules the compiled type leaves out, on the decoded struct."""
    if not (
        run.id.startswith("run_")  # I001
        and run.thread_id.startswith("thread_")  # I002
        and run.assistant_id.startswith("asst_")  # I003
        and times_hold(
            run.created_at,
            run.started_at,
            run.expires_at,
            (run.completed_at, run.failed_at, run.cancelled_at),
        )
    ):
        return False
    usage = run.usage
    if usage is not None and usage.prompt_tokens + usage.completion_tokens != usage.total_tokens:
        return False  # U002
    tools = run.tools
    names = _names_hold(tools) if tools else NO_NAMES
    if names is None:
        return False
    action = run.required_action
    return action is None or calls_hold(
        [
            (c.id, c.function.name, c.function.arguments)
            for c in action.submit_tool_outputs.tool_calls
        ],
        names,
    )


def facts(run: Any) -> RunFacts:
    """The lifecycle's facts of a clean run, as `lifecycle.facts_of` gives them for its dict."""
    status = run.rc_tag
    ended = (run.completed_at, run.failed_at, run.cancelled_at)
    usage = run.usage
    action = run.required_action
    return _new_facts(
        RunFacts,
        (
            status,
            (run.object, run.created_at, run.thread_id, run.assistant_id),
            run.started_at,
            run.expires_at,
            NO_END if ended == NO_END else ended,
            None
            if usage is None
            else (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens),
            None
            if action is None
            else frozenset(call.id for call in action.submit_tool_outputs.tool_calls),
        ),
    )


class FastLane:
    """`judge(line)`: the decoded run and its profile when the line is a clean run, else None."""

    def __init__(self, profile: Profile | None = None) -> None:
        self.profile = profile
        self._decode = {p: msgspec.json.Decoder(run_type(p)).decode for p in Profile}
        # Python's json reads no integer longer than this (the reader's fallback for numbers
        # beyond a double), while msgspec passes over any number under a key no type names.
        self._max_digits = sys.get_int_max_str_digits()  # 0: no limit
        self._huge_number = re.compile(rb"[0-9]{%d}" % (self._max_digits + 1))

    def judge(self, line: bytes) -> tuple[Any, Profile] | None:
        # msgspec passes over the keys no type names without checking their bytes are UTF-8
        if not line.isascii():
            try:
                line.decode()
            except UnicodeDecodeError:
                return None
        if self._max_digits and len(line) > self._max_digits and self._huge_number.search(line):
            return None
        if self.profile is not None:
            return self._clean_as(line, self.profile, None)
        # A guess from the bytes, to try the likely decoder first; the struct then tells. A v2
        # run may name file_ids inside tool_resources, so a v2 decoder has the last word.
        if b'"file_ids"' not in line:
            return self._clean_as(line, Profile.V2, _v2_holds)
        guess = Profile.V1 if b'"max_prompt_tokens"' in line else Profile.SEED
        clean = self._clean_as(line, guess, _PROFILE_HOLDS[guess])
        return clean or self._clean_as(line, Profile.V2, _v2_holds)

    def _clean_as(
        self, line: bytes, profile: Profile, holds: Callable[[Any], bool] | None
    ) -> tuple[Any, Profile] | None:
        try:
            run = self._decode[profile](line)
            if (holds is None or holds(run)) and _residue(run):
                return run, profile
        except (ValueError, RecursionError):  # msgspec.DecodeError and the like: not clean
            pass
        return None
