"""The detailed schema errors, held to python-jsonschema going through the whole run.

`ProfileSchema.iter_errors` asks python-jsonschema only about the properties the compiled
validator fails. Its errors must be those of a plain `Draft202012Validator` over the whole
bundle, in the same order: on every invalid example, on every single contract break and
deviation, on junk anywhere in a run, and on the real corpus's deviating objects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runcontract.model import Observation, Profile
from runcontract.schemas import SchemaError, _leaf, load_bundle, profile_schema
from runcontract.sources import read_paths
from tests.corpus.verdicts import inputs, provenance
from tests.engine.breaks import BREAKS, DEVIATIONS, Break
from tests.strategies import add_junk, json_values, runs

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
WHOLE = {p: jsonschema.Draft202012Validator(load_bundle(p)) for p in Profile}


def _whole_run(run: Any, profile: Profile) -> list[SchemaError]:
    return [_leaf(error) for error in WHOLE[profile].iter_errors(run)]


def _same_in_every_profile(run: Any) -> int:
    """Asserts both ways agree in each profile; returns how many errors were compared."""
    compared = 0
    for profile in Profile:
        expected = _whole_run(run, profile)
        assert list(profile_schema(profile).iter_errors(run)) == expected, profile
        compared += len(expected)
    return compared


@pytest.mark.parametrize(
    "path", sorted(EXAMPLES.glob("*/*.json")), ids=lambda p: f"{p.parent.name}/{p.stem}"
)
def test_the_errors_of_each_example_are_the_whole_runs(path: Path) -> None:
    _same_in_every_profile(json.loads(path.read_text(encoding="utf-8")))


def test_the_examples_give_errors_to_compare() -> None:
    compared = sum(
        _same_in_every_profile(json.loads(path.read_text(encoding="utf-8")))
        for path in EXAMPLES.glob("invalid/*.json")
    )
    assert compared > 100


@pytest.mark.parametrize("item", BREAKS + DEVIATIONS, ids=lambda b: b.code)
@given(data=st.data())
@settings(max_examples=10)
def test_the_errors_of_each_break_are_the_whole_runs(item: Break, data: st.DataObject) -> None:
    run, _ = item.draw_broken(data)
    _same_in_every_profile(run)


def _places(node: Any, found: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key or index) inside a run, to put junk at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((node, key))
            _places(value, found)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.append((node, index))
            _places(value, found)
    return found


@given(runs(), st.data())
@settings(max_examples=200)
def test_the_errors_of_junk_at_any_depth_are_the_whole_runs(
    run: dict[str, Any], data: st.DataObject
) -> None:
    for _ in range(data.draw(st.integers(1, 3))):
        places = _places(run, [])
        container, key = data.draw(st.sampled_from(places))
        if isinstance(container, dict) and data.draw(st.booleans()):
            del container[key]
        else:
            container[key] = data.draw(json_values)
    _same_in_every_profile(run)


@given(runs(), st.data())
@settings(max_examples=100)
def test_the_errors_of_junk_fields_are_the_whole_runs(
    run: dict[str, Any], data: st.DataObject
) -> None:
    add_junk(run, data)
    _same_in_every_profile(run)


@given(json_values)
@settings(max_examples=100)
def test_the_errors_of_any_json_value_are_the_whole_runs(value: Any) -> None:
    _same_in_every_profile(value)


@pytest.mark.slow
def test_the_errors_of_the_real_corpus_are_the_whole_runs() -> None:
    classes = provenance()
    compared = 0
    for name, found in inputs():
        if not name.startswith("real/") or classes.get(found.name) != "REAL-REC":
            continue
        for item in read_paths([str(found)]):
            if isinstance(item, Observation) and isinstance(item.run, dict):
                compared += _same_in_every_profile(item.run)
    assert compared > 0


# Values Python holds equal (or alike) that JSON Schema does not: an answer kept for one must
# not be given for another.
ALIKE = [0, 1, True, False, 1.0, 0.0, -0.0, 2**70, "1", "", None, [], {}, "paused", "x" * 300]


@given(runs(), st.data())
@settings(max_examples=100)
def test_a_property_asked_again_gets_the_whole_runs_errors(
    run: dict[str, Any], data: st.DataObject
) -> None:
    """The errors of a property are kept by its value: asked again, first or not, the same."""
    names = sorted({name for p in Profile for name in load_bundle(p)["properties"]})
    for value in data.draw(st.permutations(ALIKE)):
        changed = dict(run)
        for name in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=2)):
            changed[name] = value
        _same_in_every_profile(changed)
        _same_in_every_profile(changed)


@given(runs(), st.data())
@settings(max_examples=50)
def test_runs_missing_properties_get_the_whole_runs_errors_each_time(
    run: dict[str, Any], data: st.DataObject
) -> None:
    for name in data.draw(st.lists(st.sampled_from(sorted(run)), min_size=1, max_size=3)):
        run.pop(name, None)
    _same_in_every_profile(run)
    _same_in_every_profile(run)
