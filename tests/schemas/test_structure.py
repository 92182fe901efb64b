"""The shape of the schema folders: ids, references, coverage of upstream, and the bundle."""

from __future__ import annotations

import json
from collections.abc import Iterator

import jsonschema
import jsonschema_rs
import pytest

from runcontract.model import Profile
from runcontract.schemas import load_bundle
from tests.schemas import upstream
from tests.schemas.upstream import DRAFT, JSON, PROFILES, UPSTREAM_LOCATION

FILES = [
    (profile, path.stem)
    for profile in PROFILES
    for path in sorted((upstream.SCHEMAS / profile).glob("*.json"))
]
_OPENAPI_ONLY = ("nullable", "example", "format", "discriminator", "readOnly", "writeOnly")


def _nodes(node: JSON) -> Iterator[dict[str, JSON]]:
    """Every schema object inside a schema (not the data under enum, default or required)."""
    if isinstance(node, list):
        for item in node:
            yield from _nodes(item)
    elif isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key in {"properties", "$defs"}:
                for sub in value.values():
                    yield from _nodes(sub)
            elif key in {"items", "additionalProperties", "anyOf", "oneOf", "allOf", "not"}:
                yield from _nodes(value)


def test_every_profile_has_files() -> None:
    for profile in PROFILES:
        assert (upstream.SCHEMAS / profile / "RunObject.json").is_file(), profile


@pytest.mark.parametrize(("profile", "name"), FILES, ids=[f"{p}-{n}" for p, n in FILES])
def test_file_declares_draft_title_and_description(profile: str, name: str) -> None:
    schema = upstream.our_files(profile)[name]
    assert schema["$schema"] == DRAFT
    # An $id would be the base of the file's relative references, which must be the file's own
    # location: with an https $id, a validator fetches the neighbours from the network.
    assert "$id" not in schema
    assert schema["title"] == name
    assert isinstance(schema.get("description"), str)
    assert schema["description"].strip()
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize(("profile", "name"), FILES, ids=[f"{p}-{n}" for p, n in FILES])
def test_file_has_no_openapi_only_keywords(profile: str, name: str) -> None:
    for node in _nodes(upstream.our_files(profile)[name]):
        found = [k for k in node if k.startswith("x-") or k in _OPENAPI_ONLY]
        assert not found, f"{profile}/{name}.json: {found} in {node}"


@pytest.mark.parametrize("profile", PROFILES)
def test_every_ref_resolves_inside_the_profile_folder(profile: str) -> None:
    files = upstream.our_files(profile)
    for name, schema in files.items():
        for node in _nodes(schema):
            ref = node.get("$ref")
            if ref is None:
                continue
            assert isinstance(ref, str), (name, ref)
            assert "/" not in ref, f"{profile}/{name}.json: {ref!r} leaves the folder"
            assert "#" not in ref, f"{profile}/{name}.json: {ref!r} points inside a file"
            assert ref.removesuffix(".json") in files, f"{profile}/{name}.json: {ref!r} not found"
            assert ref.endswith(".json"), (name, ref)


@pytest.mark.parametrize("profile", PROFILES)
def test_run_object_has_upstream_required_list_and_property_names(profile: str) -> None:
    ours = upstream.our_files(profile)["RunObject"]
    theirs = upstream.openapi_document(profile)["components"]["schemas"]["RunObject"]
    assert ours["required"] == theirs["required"]
    assert list(ours["properties"]) == list(theirs["properties"])
    # Real responses carry newer keys (tool_resources, reasoning_effort, ...).
    assert ours.get("additionalProperties", True) is not False


def test_seed_run_object_has_the_seeds_nineteen_properties() -> None:
    assert len(upstream.our_files("seed")["RunObject"]["properties"]) == 19


@pytest.mark.parametrize("profile", PROFILES)
def test_every_file_maps_to_an_upstream_location(profile: str) -> None:
    assert set(upstream.our_files(profile)) == set(UPSTREAM_LOCATION[profile])
    for name in UPSTREAM_LOCATION[profile]:
        assert isinstance(upstream.upstream_location(profile, name), dict), name


@pytest.mark.parametrize("profile", PROFILES)
def test_every_component_the_run_reaches_has_a_file(profile: str) -> None:
    files = upstream.our_files(profile)
    missing = sorted(set(upstream.upstream_defs(profile)) - set(files))
    assert not missing, f"{profile}: upstream components without a file: {missing}"


@pytest.mark.parametrize("profile", PROFILES)
def test_bundle_is_the_engines_and_compiles_in_both_validators(profile: str) -> None:
    files = upstream.our_files(profile)
    for root in files:
        bundle = upstream.bundle(files, root=root)
        assert bundle == load_bundle(Profile(profile), root)
        jsonschema.Draft202012Validator.check_schema(bundle)
        jsonschema.Draft202012Validator(bundle).is_valid({})
        jsonschema_rs.validator_for(bundle).is_valid({})


# The documents' own RunObject examples break their own schemas, much as real runs do.
_EXAMPLE_BREAKS = {
    "seed": {"$.expires_at: type", "$.instructions: type", "$: required"},
    "v1": {"$.instructions: type", "$: required"},
    "v2": {"$.instructions: type", "$: required"},
}


@pytest.mark.parametrize("profile", PROFILES)
def test_upstream_run_example_fails_in_the_same_places(profile: str) -> None:
    meta = upstream.openapi_document(profile)["components"]["schemas"]["RunObject"]["x-oaiMeta"]
    example = json.loads(meta["example"])
    ours = jsonschema.Draft202012Validator(upstream.bundle(upstream.our_files(profile)))
    theirs = jsonschema.Draft202012Validator(upstream.upstream_schema(profile, "RunObject"))
    for validator in (ours, theirs):
        breaks = {f"{e.json_path}: {e.validator}" for e in validator.iter_errors(example)}
        assert breaks == _EXAMPLE_BREAKS[profile]
    example.update(instructions="Be brief.", expires_at=1699073476, required_action=None)
    assert ours.is_valid(example)
    assert theirs.is_valid(example)
