"""The fast lane keeps its one promise: a line it accepts is a run the engine finds clean.

`FastLane.judge(line)` returns the decoded run and its profile only for a JSON Lines entry that
breaks no rule at all; then the readers' `loads(line)` is a dict of that profile for which
`Engine.check_run` finds nothing, and the lane's lifecycle facts are those of the dict. It may
turn away a clean run (the slow way then judges it), but not the ordinary ones: generated runs
and the real corpus must all take the lane, or it is never used.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runcontract.engine import Engine
from runcontract.engine.fastlane import FastLane, Prejudged
from runcontract.engine.lifecycle import facts_of
from runcontract.engine.profiles import detect_profile
from runcontract.model import Observation, Profile, ReadError, Source
from runcontract.reporters import JsonReporter
from runcontract.rests import FIRST_REST, LONGEST_REST, MISSES_BEFORE_REST
from runcontract.runner import judge_stream, validate_paths
from runcontract.sources import read_paths
from runcontract.sources.jsonfile import loads
from runcontract.sources.sniff import SNIFF_BYTES
from tests.corpus.verdicts import inputs, provenance
from tests.engine.breaks import BREAKS, DEVIATIONS, Break, run_profile
from tests.engines import default_engine, engine_lane, strict_engine
from tests.strategies import add_junk, json_values, runs
from tests.synth import STATUSES, build_lifecycle, build_run

Run = dict[str, Any]


@functools.cache
def clean_lane() -> FastLane:
    """A lane for clean runs only, of whatever profile."""
    return FastLane()


@functools.cache
def fixed_lane(profile: Profile) -> FastLane:
    """A lane for clean runs of one profile."""
    return FastLane(profile)


def _verdicts(violations: list[Any]) -> list[tuple[Any, ...]]:
    return [(v.rule, v.severity, v.path, v.message, v.value) for v in violations]


def kept_promise(line: bytes, lane: FastLane | None = None) -> Prejudged | None:
    """The lane's verdict on `line`, after checking that an acceptance keeps its promise."""
    lane = lane or clean_lane()
    judged = lane.judge(line)
    if judged is None:
        return None
    run_id, status, profile, facts, findings, _ = judged
    try:
        value = loads(line)
    except orjson.JSONDecodeError as exc:
        pytest.fail(f"the lane accepted a line the readers cannot read ({exc}): {line!r}")
    assert isinstance(value, dict), value
    if lane.profile is None:
        assert detect_profile(value) is profile
    else:
        assert profile is lane.profile
    # the lane's verdict is the engine's: nothing, or the deviations it found, alike in both modes
    for engine in (default_engine(), strict_engine()):
        expected = _verdicts(engine.check_run(value, profile=profile))
        assert _verdicts(engine.deviations(findings, profile, None)) == expected
    assert facts == facts_of(value)
    # what the reports of a prejudged run show of it
    assert (run_id, status) == (value["id"], value["status"])
    return judged


def line_of(value: Any) -> bytes:
    """A value as a JSON line, whatever it holds (json, not orjson: integers of any size)."""
    return json.dumps(value).encode()


def _profile_of(run: Run) -> Profile:
    return Profile(run_profile(run))


# --- 1. generated runs: every one is accepted, with its profile and its facts ----------------


@given(runs())
@settings(max_examples=300)
def test_the_lane_accepts_every_generated_run(run: Run) -> None:
    line = orjson.dumps(run)
    judged = kept_promise(line)
    assert judged is not None, run
    assert judged.profile is _profile_of(run)
    assert kept_promise(line, fixed_lane(_profile_of(run))) is not None


def test_the_lane_accepts_every_observation_of_generated_lifecycles() -> None:
    """A deterministic sample larger than Hypothesis draws, with the evolved observations."""
    rng = random.Random(20261124)
    seen = 0
    for _ in range(400):
        for observation in build_lifecycle(rng):
            judged = kept_promise(orjson.dumps(observation))
            assert judged is not None, observation
            assert judged.profile is _profile_of(observation)
            seen += 1
    assert seen > 2000


# --- 2. a single contract break, or a deviation, is never accepted ---------------------------


def _name(item: Break) -> str:
    return item.code


@pytest.mark.parametrize("item", BREAKS, ids=_name)
@given(data=st.data())
@settings(max_examples=25)
def test_the_lane_turns_away_each_single_break(item: Break, data: st.DataObject) -> None:
    run, profile = item.draw_broken(data)
    line = orjson.dumps(run)
    assert clean_lane().judge(line) is None
    assert fixed_lane(profile).judge(line) is None


@pytest.mark.parametrize("item", DEVIATIONS, ids=_name)
@given(data=st.data())
@settings(max_examples=25)
def test_the_lane_turns_away_each_deviation(item: Break, data: st.DataObject) -> None:
    run, profile = item.draw_broken(data)
    line = orjson.dumps(run)
    assert clean_lane().judge(line) is None
    assert fixed_lane(profile).judge(line) is None
    # the engine's lane takes a schema deviation, with the same verdict as the slow way, and
    # leaves those that stand in for a rule (D006, D008) to the slow way
    judged = kept_promise(line, engine_lane())
    assert (judged is not None) == (item.code not in ("D006", "D008")), item.code
    if judged is not None:
        assert item.code in {code for code, *_ in judged.findings}


# --- 3. junk: whatever the lane accepts keeps the promise, and it never raises ---------------


@given(runs(), st.data())
@settings(max_examples=200)
def test_a_run_with_junk_in_its_fields_is_accepted_only_when_clean(
    run: Run, data: st.DataObject
) -> None:
    add_junk(run, data)
    line = line_of(run)
    kept_promise(line)
    kept_promise(line, fixed_lane(Profile.SEED))


@given(json_values)
@settings(max_examples=200)
def test_any_json_value_is_accepted_only_when_clean(value: Any) -> None:
    line = line_of(value)
    kept_promise(line)
    kept_promise(line, fixed_lane(Profile.V2))


@given(st.binary(max_size=400))
@settings(max_examples=300)
def test_any_bytes_are_accepted_only_when_clean(line: bytes) -> None:
    kept_promise(line)
    kept_promise(line, fixed_lane(Profile.V1))


# Bytes that JSON gives a meaning to, and some that it forbids, for the mutations below.
PIECES = [
    b'"',
    b"\\",
    b",",
    b":",
    b"{",
    b"}",
    b"[",
    b"]",
    b"0",
    b"9",
    b"-",
    b".",
    b"e",
    b" ",
    b"\r",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\\u0000",
    b"\\ud800",
    b"null",
    b"true",
    b'"status":"queued",',
]
EDITS = ("delete", "insert", "replace", "member")
# values for a "member" edit: some at the edges of what orjson reads (a double's range)
MEMBER_VALUES = [b"0", b"null", b'"x"', b"[]", b"{}", b"1e400", b"-1E309", b"1" + b"0" * 400]


@st.composite
def mutated_lines(draw: st.DrawFn) -> bytes:
    """A valid run's line with a few bytes deleted, inserted or replaced at drawn places.

    A "member" edit adds `"<drawn bytes>":<value>,` after a drawn comma: a key of any bytes.
    """
    line = bytearray(orjson.dumps(draw(runs())))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(line)))
        piece = draw(st.sampled_from(PIECES) | st.binary(min_size=1, max_size=3))
        edit = draw(st.sampled_from(EDITS))
        if edit == "member":
            commas = [i for i, byte in enumerate(line) if byte == ord(",")]
            if commas:
                at = draw(st.sampled_from(commas)) + 1
                key, value = draw(st.binary(max_size=4)), draw(st.sampled_from(MEMBER_VALUES))
                line[at:at] = b'"' + key + b'":' + value + b","
        elif edit == "delete":
            del line[at : at + len(piece)]
        elif edit == "insert":
            line[at:at] = piece
        else:
            line[at : at + len(piece)] = piece
    return bytes(line)


@given(mutated_lines())
@settings(max_examples=400)
def test_a_mutated_line_is_accepted_only_when_clean(line: bytes) -> None:
    kept_promise(line)


# --- 4. named edge cases ----------------------------------------------------------------------


def _clean_line(profile: str = "v2", status: str = "completed", seed: int = 7) -> bytes:
    return orjson.dumps(build_run(random.Random(seed), profile, status))


def _with_tail(line: bytes, tail: bytes) -> bytes:
    """The line's object with `tail` (members) spliced in before its closing brace."""
    assert line.endswith(b"}")
    return line[:-1] + b"," + tail + b"}"


def test_a_duplicate_status_whose_last_value_breaks_the_run_is_turned_away() -> None:
    # orjson keeps the last "queued", and a queued run with completed_at and usage is broken
    line = _with_tail(_clean_line(status="completed"), b'"status":"queued"')
    assert default_engine().check_run(orjson.loads(line)) != []
    assert kept_promise(line) is None


def test_a_duplicate_status_whose_last_value_is_clean_keeps_the_promise() -> None:
    line = b'{"status":"queued",' + _clean_line(status="completed")[1:]
    assert orjson.loads(line)["status"] == "completed"
    kept_promise(line)


def test_a_duplicate_key_that_breaks_the_run_when_last_is_turned_away() -> None:
    line = _with_tail(_clean_line(status="completed"), b'"usage":null')  # U004
    assert kept_promise(line) is None
    line = _with_tail(_clean_line(status="completed"), b'"created_at":-1')  # T006
    assert kept_promise(line) is None


def test_a_duplicate_key_that_is_clean_either_way_keeps_the_promise() -> None:
    run = build_run(random.Random(7), "v2", "completed")
    tail = f'"created_at":{run["created_at"] - 1}'.encode()
    judged = kept_promise(_with_tail(orjson.dumps(run), tail))
    if judged is not None:
        assert judged.facts.created_at == run["created_at"] - 1


def test_a_duplicate_tool_type_keeps_the_promise() -> None:
    # orjson keeps the last "type": a function tool that becomes code_interpreter leaves its
    # required call naming no tool (F002); one that becomes a function must be read as one
    run = build_run(random.Random(11), "v2", "requires_action")
    line = orjson.dumps(run)
    called = run["required_action"]["submit_tool_outputs"]["tool_calls"][0]["function"]["name"]
    tool = orjson.dumps(
        next(t for t in run["tools"] if t.get("function", {}).get("name") == called)
    )
    last = line.replace(tool, tool[:-1] + b',"type":"code_interpreter"}')
    assert default_engine().check_run(orjson.loads(last)) != []
    assert kept_promise(last) is None
    kept_promise(line.replace(tool, b'{"type":"code_interpreter",' + tool[1:]))


def test_a_function_name_ending_in_a_newline_is_turned_away() -> None:
    run = build_run(random.Random(7), "v2", "completed")
    run["tools"] = [{"type": "function", "function": {"name": "lookup\n"}}]
    line = orjson.dumps(run)
    assert b'"lookup\\n"' in line
    assert kept_promise(line) is None
    run["tools"][0]["function"]["name"] = "lookup"
    assert kept_promise(orjson.dumps(run)) is not None


def test_an_escaped_file_ids_key_in_a_v2_run_is_turned_away() -> None:
    line = _with_tail(_clean_line("v2"), b'"file\\u005fids":[]')
    assert "file_ids" in orjson.loads(line)
    assert kept_promise(line) is None  # file_ids makes it v1, whose rules it breaks
    kept_promise(line, fixed_lane(Profile.V2))


def test_an_integer_above_2_to_the_63_as_created_at_is_turned_away() -> None:
    run = build_run(random.Random(7), "v2", "queued")
    for big in (2**63, 2**63 + 1, 2**64, 2**64 + 1, 10**30):
        run["created_at"] = big
        assert kept_promise(line_of(run)) is None, big


def test_an_integral_float_as_created_at_is_turned_away() -> None:
    # JSON Schema counts 1700000000.0 as an integer, so the engine may find the run clean; the
    # lane reads no float as an int and leaves it to the slow way
    run = build_run(random.Random(7), "v2", "queued")
    run["created_at"], run["started_at"] = 1700000000, None
    run["expires_at"] = 1700000600
    line = orjson.dumps(run).replace(b'"created_at":1700000000', b'"created_at":1700000000.0')
    assert orjson.loads(line)["created_at"] == 1700000000.0
    assert kept_promise(line) is None


def test_a_metadata_key_of_64_astral_characters_is_accepted() -> None:
    run = build_run(random.Random(7), "v2", "completed")
    run["metadata"] = {"\U0001f600" * 64: "v"}
    assert kept_promise(orjson.dumps(run)) is not None
    assert kept_promise(line_of(run)) is not None  # the same key as \ud83d\ude00 escapes


def test_a_metadata_key_of_65_astral_characters_is_turned_away() -> None:
    run = build_run(random.Random(7), "v2", "completed")
    run["metadata"] = {"\U0001f600" * 65: "v"}
    assert kept_promise(orjson.dumps(run)) is None
    assert kept_promise(line_of(run)) is None


def test_usage_with_more_than_its_three_counts_is_accepted() -> None:
    # as 29 REAL-REC objects have it (prompt_token_details); the lifecycle compares the counts
    run = build_run(random.Random(7), "v2", "completed")
    run["usage"]["prompt_token_details"] = {"cached_tokens": 0}
    assert default_engine().check_run(run) == []
    assert kept_promise(orjson.dumps(run)) is not None


def test_a_v2_run_with_file_ids_under_tool_resources_is_accepted() -> None:
    # the shape of 21 clean REAL-REC objects (traceloop__openllmetry, 2026): "file_ids" in the
    # bytes, though not a key of the run
    run = build_run(random.Random(7), "v2", "queued")
    run["tools"] = [{"type": "code_interpreter"}]
    run["tool_resources"] = {"code_interpreter": {"file_ids": []}}
    assert default_engine().check_run(run) == []
    judged = kept_promise(orjson.dumps(run))
    assert judged is not None
    assert judged.profile is Profile.V2


def test_deviations_found_on_the_decoded_struct_are_the_slow_ways_line_after_line() -> None:
    # one decode finds them, and findings are kept by their shape: each line must still get
    # its own (a different number below the minimum, another key null or missing)
    rng = random.Random(9)
    seen = set()
    for tokens in (16, 17, 16, 255, 256, None):
        for instructions in (None, "Be brief."):
            for parallel in (True, None):
                run = build_run(rng, "v2", "completed")
                run["max_completion_tokens"], run["instructions"] = tokens, instructions
                if parallel is None:
                    run.pop("parallel_tool_calls", None)
                judged = kept_promise(orjson.dumps(run), engine_lane())
                assert judged is not None, run
                seen.add(tuple(sorted(f.code for f in judged.findings)))
    assert {(), ("D001",), ("D002",), ("D003",), ("D001", "D002", "D003")} <= seen


def test_a_prejudged_run_says_where_it_is_and_unpacks_as_its_named_tuple_did() -> None:
    run = build_run(random.Random(3), "v2")
    judged = engine_lane().judge(orjson.dumps(run), "runs.jsonl", 7)
    assert judged is not None
    assert (judged.file, judged.entry) == ("runs.jsonl", "line 7")
    assert type(judged.source) is Source
    assert judged.source == Source("runs.jsonl", "line 7")
    run_id, status, profile, facts, findings, source = judged
    assert (run_id, status, profile, facts, findings, source) == (
        run["id"],
        run["status"],
        Profile.V2,
        facts_of(run),
        [],
        judged.source,
    )


def test_a_crlf_line_is_accepted() -> None:
    line = _clean_line() + b"\r"
    judged = kept_promise(line)
    assert judged is not None
    assert judged.profile is Profile.V2


def test_a_list_response_is_turned_away() -> None:
    rng = random.Random(7)
    page = {"object": "list", "data": [build_run(rng, "v2"), build_run(rng, "v2")]}
    line = orjson.dumps(page)
    assert kept_promise(line) is None
    for lane in map(fixed_lane, Profile):
        assert kept_promise(line, lane) is None


def test_a_v1_run_forced_through_the_seed_profile_keeps_the_promise() -> None:
    run = build_run(random.Random(7), "v1", "queued")  # expires_at set, as the seed wants it
    line = orjson.dumps(run)
    assert default_engine().check_run(orjson.loads(line), profile=Profile.SEED) == []
    judged = kept_promise(line, fixed_lane(Profile.SEED))
    assert judged is None or judged.profile is Profile.SEED
    judged = kept_promise(line)
    assert judged is not None
    assert judged.profile is Profile.V1


# not UTF-8: a bad first byte, a cut sequence, a surrogate, an overlong form, above U+10FFFF
NOT_UTF8 = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80"]


@pytest.mark.parametrize("bad", NOT_UTF8, ids=repr)
def test_a_value_of_invalid_utf8_is_turned_away_without_raising(bad: bytes) -> None:
    run = build_run(random.Random(7), "v2", "completed")
    run["tools"] = [{"type": "function", "function": {"name": "f", "description": "Look"}}]
    line = orjson.dumps(run)
    assert kept_promise(line.replace(b'"model":"', b'"model":"' + bad, 1)) is None
    assert kept_promise(line.replace(b'"Look"', b'"Lo' + bad + b'ok"', 1)) is None
    metadata = line.replace(b'"metadata":{', b'"metadata":{"k":"' + bad + b'",', 1)
    assert kept_promise(metadata) is None


@pytest.mark.parametrize("bad", NOT_UTF8, ids=repr)
def test_a_key_of_invalid_utf8_is_turned_away(bad: bytes) -> None:
    # keys that name no field of the lane's types: the run's own, and a function tool's
    run = build_run(random.Random(7), "v2", "completed")
    run["tools"] = [{"type": "function", "function": {"name": "f", "description": "Look"}}]
    line = orjson.dumps(run)
    assert (
        kept_promise(line.replace(b'"metadata":{', b'"metadata":{"' + bad + b'":"v",', 1)) is None
    )
    assert kept_promise(_with_tail(line, b'"x' + bad + b'":1')) is None
    assert kept_promise(line.replace(b'"description"', b'"descr' + bad + b'iption"', 1)) is None


# orjson reads no number beyond a double's range, not even an integer; JSON allows them, and the
# readers read them as Python's json does
BEYOND_DOUBLES = {
    "1e400": b"1e400",
    "-1e400": b"-1e400",
    "1E309": b"1E309",
    "max-double-rounded-up": b"1.7976931348623159e308",
    "401-digit-int": b"1" + b"0" * 400,
}
# where msgspec may skip a number (a key no field is named) or read it as an exact int (Any)
NUMBER_PLACES = {
    "unknown-key": lambda line, n: _with_tail(line, b'"x":' + n),
    "nested-under-unknown-key": lambda line, n: _with_tail(line, b'"x":[{"y":' + n + b"}]"),
    "function-parameters": lambda line, n: line.replace(b'"x":1', b'"x":' + n, 1),
}


def _run_with_parameters() -> bytes:
    run = build_run(random.Random(7), "v2", "completed")
    run["tools"] = [{"type": "function", "function": {"name": "f", "parameters": {"x": 1}}}]
    return orjson.dumps(run)


@pytest.mark.parametrize("number", BEYOND_DOUBLES.values(), ids=BEYOND_DOUBLES.keys())
@pytest.mark.parametrize("place", NUMBER_PLACES.values(), ids=NUMBER_PLACES.keys())
def test_a_number_beyond_the_range_of_doubles_is_read_alike_by_both_ways(
    place: Callable[[bytes, bytes], bytes], number: bytes
) -> None:
    line = place(_run_with_parameters(), number)
    assert number in line
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(line)
    assert default_engine().check_run(loads(line)) == []  # the number sits where no rule looks
    # msgspec passes over a key no type names, and keeps function parameters as raw bytes
    assert kept_promise(line) is not None


@pytest.mark.parametrize("place", NUMBER_PLACES.values(), ids=NUMBER_PLACES.keys())
def test_an_integer_too_long_for_python_to_read_is_turned_away(
    place: Callable[[bytes, bytes], bytes],
) -> None:
    number = b"1" * (sys.get_int_max_str_digits() + 1)
    line = place(_run_with_parameters(), number)
    with pytest.raises(orjson.JSONDecodeError):
        loads(line)
    assert kept_promise(line) is None


# --- 5. the real corpus -----------------------------------------------------------------------


def _real_runs() -> list[tuple[str, Any]]:
    """(where, run) of every REAL-REC object and every run in the cassettes, as read."""
    classes = provenance()
    found = []
    for name, path in inputs():
        if name.startswith("real/") and classes.get(path.name) != "REAL-REC":
            continue
        for item in read_paths([str(path)]):
            assert not isinstance(item, ReadError), item
            if isinstance(item, Observation):
                found.append((str(item.source), item.run))
    return found


SCHEMA_DEVIATIONS = {"D001", "D002", "D003", "D004", "D005"}


def test_the_real_corpus_keeps_the_promise_and_takes_the_lane(shared: Path) -> None:
    accepted = clean = deviating = taken = 0
    turned_away = []
    found = _real_runs()
    for where, run in found:
        line = orjson.dumps(run)
        judged = kept_promise(line)
        kept_promise(line, fixed_lane(detect_profile(run)))
        codes = {v.rule for v in default_engine().check_run(run, profile=detect_profile(run))}
        accepted += judged is not None
        clean += not codes
        if not codes and judged is None:
            turned_away.append(where)
        # the engine's lane takes every run whose only faults are schema deviations
        if codes <= SCHEMA_DEVIATIONS:
            deviating += bool(codes)
            if kept_promise(line, engine_lane()) is None:
                turned_away.append(f"{where} ({sorted(codes)})")
            else:
                taken += 1
    counts = f"{accepted} accepted, {clean} clean, {deviating} deviating, {len(found)} in all"
    assert turned_away == [], counts  # completeness: every such real run takes the lane
    assert accepted == clean
    assert taken == clean + deviating
    assert len(found) == 769 + 112  # as tests/corpus counts them


# --- 6. end to end: the lane changes nothing in the report ------------------------------------


def _broken(rng: random.Random, item: Break, profile: str | None) -> Run:
    """A generated run with one break of BREAKS applied, chosen by `rng`."""
    chosen = profile if profile in item.profiles else rng.choice(item.profiles)
    if isinstance(item.applies, tuple):
        statuses = [s for s in item.applies if s in STATUSES[chosen]]
        run = build_run(rng, chosen, rng.choice(statuses))
    else:
        while not item.applies(run := build_run(rng, chosen)):
            pass
    item.apply(run)
    return run


def _interleave(rng: random.Random, sequences: list[list[Run]]) -> list[Run]:
    """The sequences merged in a random order, each kept in its own order."""
    pending = [list(reversed(s)) for s in sequences if s]
    merged = []
    while pending:
        at = rng.randrange(len(pending))
        merged.append(pending[at].pop())
        if not pending[at]:
            pending.pop(at)
    return merged


def _jsonl(tmp_path: Path, profile: str | None = None) -> tuple[Path, int]:
    """About 2,000 lines of clean, deviating and broken runs; and how many are clean runs.

    Every generated run is of `profile` when one is given (some breaks are of one profile).
    """
    rng = random.Random(20260101)
    sequences: list[list[Run]] = []
    while sum(map(len, sequences)) < 1450:
        sequences.append(build_lifecycle(rng, profile))
    for index, sequence in enumerate(sequences[:40]):
        if index % 2:  # ended, then seen in_progress again: L002 on a clean object
            ended = [o for o in sequence if o["status"] in ("completed", "failed")]
            live = [o for o in sequence if o["status"] == "in_progress"]
            if ended and live:
                sequence.append(copy.deepcopy(live[0]))
        else:  # created_at changed: L003 on a clean object
            later = copy.deepcopy(sequence[-1])
            later["created_at"] -= 1
            sequence.append(later)
    singles = [[build_run(rng, profile)] for _ in range(300)]
    deviating = []
    for _ in range(100):
        run = build_run(rng, profile)
        run["instructions"] = None  # D001
        deviating.append([run])
    broken = [[_broken(rng, rng.choice(BREAKS), profile)] for _ in range(150)]
    merged = _interleave(rng, sequences + singles + deviating + broken)
    lines = [orjson.dumps(run) for run in merged]
    clean = sum(default_engine().check_run(run) == [] for run in merged)
    odd = [
        b"",
        b'{"id": "run_bad", "status": ',  # not JSON
        orjson.dumps([build_run(rng, profile), build_run(rng, profile)]),  # an array of runs
        orjson.dumps({"object": "list", "data": [build_run(rng, profile)]}),
    ]
    for line in odd:
        lines.insert(rng.randrange(len(lines)), line)
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, clean


ENGINES: dict[str, tuple[Callable[[], Engine], str | None]] = {
    "default": (Engine, None),
    "strict": (lambda: Engine(strict=True), None),
    "fixed-v2": (lambda: Engine(profile=Profile.V2), "v2"),  # on v2 runs: the others are slow
}


@pytest.mark.parametrize(("make", "profile"), ENGINES.values(), ids=ENGINES.keys())
def test_the_report_is_the_same_with_and_without_the_lane(
    tmp_path: Path, make: Callable[[], Engine], profile: str | None
) -> None:
    path, clean = _jsonl(tmp_path, profile)
    with_lane, without = io.StringIO(), io.StringIO()
    summary = validate_paths([str(path)], make(), JsonReporter(with_lane))
    slow = judge_stream(read_paths([str(path)]), make(), JsonReporter(without))
    assert with_lane.getvalue() == without.getvalue()
    assert summary == slow
    assert summary.objects > 1950
    assert summary.unreadable == 1
    report = json.loads(with_lane.getvalue())
    rules = {v["rule"] for result in report["results"] for v in result["violations"]}
    assert {"D001", "L002", "L003"} <= rules
    assert len(rules & {item.code for item in BREAKS}) >= 10
    lane = make().fast_lane
    assert lane is not None
    items = read_paths([str(path)], fast_lane=lane.judge)
    prejudged = [item for item in items if isinstance(item, Prejudged)]
    assert sum(not item.findings for item in prejudged) == clean  # every clean run took it
    assert clean > 1000
    # and so did the runs whose only fault is instructions: null (D001)
    assert {code for item in prejudged for code, *_ in item.findings} == {"D001"}


def test_lines_orjson_cannot_read_are_reported_the_same_with_and_without_the_lane(
    tmp_path: Path,
) -> None:
    # past the first MiB, which is checked for UTF-8 before the file is read as JSON Lines
    rng = random.Random(3)
    lines = [orjson.dumps(build_run(rng, "v2", "completed")) for _ in range(1600)]
    assert sum(map(len, lines[:-4])) > SNIFF_BYTES
    lines[-4] = lines[-4].replace(b'"model":"', b'"model":"\xff', 1)
    lines[-3] = _with_tail(lines[-3], b'"x\xff":1')  # a key of the run no field is named
    lines[-2] = _with_tail(lines[-2], b'"x":1e400')  # a number orjson alone cannot read
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with_lane, without = io.StringIO(), io.StringIO()
    summary = validate_paths([str(path)], Engine(), JsonReporter(with_lane))
    slow = judge_stream(read_paths([str(path)]), Engine(), JsonReporter(without))
    assert (slow.objects, slow.unreadable) == (1598, 2)
    assert with_lane.getvalue() == without.getvalue()
    assert summary == slow


def test_the_lane_rests_in_a_stretch_of_broken_runs_and_the_report_stays_the_same(
    tmp_path: Path,
) -> None:
    rng = random.Random(11)
    schema_breaks = [item for item in BREAKS if item.code == "S001"]

    def broken() -> bytes:
        run = build_run(rng, "v2", "completed")
        rng.choice(schema_breaks).apply(run)
        return orjson.dumps(run)

    def clean() -> bytes:
        return orjson.dumps(build_run(rng, "v2", "completed"))

    # enough broken lines in a row for the longest rest, then clean ones, and again
    stretches = [
        [broken() for _ in range(MISSES_BEFORE_REST * 20)],
        [clean() for _ in range(LONGEST_REST // 8)],
        [broken() for _ in range(MISSES_BEFORE_REST - 1)],  # one short of a rest
        [clean() for _ in range(50)],
        [broken() for _ in range(MISSES_BEFORE_REST)],  # a rest of FIRST_REST lines
        [clean() for _ in range(FIRST_REST * 2)],
    ]
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b"\n".join(line for stretch in stretches for line in stretch) + b"\n")
    with_lane, without = io.StringIO(), io.StringIO()
    summary = validate_paths([str(path)], Engine(), JsonReporter(with_lane))
    slow = judge_stream(read_paths([str(path)]), Engine(), JsonReporter(without))
    assert with_lane.getvalue() == without.getvalue()
    assert summary == slow
    assert summary.failed == MISSES_BEFORE_REST * 22 - 1
    lane = Engine().fast_lane
    assert lane is not None
    items = list(read_paths([str(path)], fast_lane=lane.judge))
    taken = [
        isinstance(item, Prejudged) for item in items if isinstance(item, Prejudged | Observation)
    ]
    assert len(taken) == summary.objects
    first_clean = MISSES_BEFORE_REST * 20
    # the lane rested into the first clean stretch, then took it up again
    assert not any(taken[first_clean : first_clean + FIRST_REST])
    assert all(taken[first_clean + LONGEST_REST // 8 - 100 : first_clean + LONGEST_REST // 8])
    # fifteen misses in a row make no rest: the next clean line takes the lane
    second_clean = first_clean + LONGEST_REST // 8 + MISSES_BEFORE_REST - 1
    assert all(taken[second_clean : second_clean + 50])
    # sixteen do: FIRST_REST lines go the slow way, then the lane again
    third_clean = second_clean + 50 + MISSES_BEFORE_REST
    assert not any(taken[third_clean : third_clean + FIRST_REST])
    assert all(taken[third_clean + FIRST_REST :])
