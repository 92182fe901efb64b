"""Independent checks that the reference server's objects look like the real API's.

Two oracles that do not go through the engine: the bundled JSON Schemas of each profile
(schemas/<profile>/*.json, resolved by file URI) and the key lists of real recorded objects of
the same profile (corpus/real in ../shared), compared in order.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from runcontract.model import Profile

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
CORPUS = REPO.parent / "shared" / "corpus" / "real"

# Real objects whose keys the server's objects must have, in the same order.
KEY_SOURCES = {
    # v2 as of 2026 (traceloop/openllmetry, recorded 2026-03-31): 29 keys
    Profile.V2: "traceloop__openllmetry/test_new_assistant__o9CKLzF8-sequence.json",
    # v1-transitional (wilkox/lemur, 2024-05): 27 keys with file_ids
    Profile.V1: "wilkox__lemur/runs__sxXAaKHd-sequence.json",
}


@cache
def _registry(profile: Profile) -> tuple[Registry, dict[str, str]]:
    registry: Registry = Registry()
    ids: dict[str, str] = {}
    for path in sorted((SCHEMAS / profile.value).glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        registry = registry.with_resource(path.as_uri(), Resource.from_contents(document))
        ids[path.stem] = path.as_uri()
    return registry, ids


@cache
def validator(profile: Profile, root: str = "RunObject") -> Draft202012Validator:
    registry, ids = _registry(profile)
    return Draft202012Validator({"$ref": ids[root]}, registry=registry)


def schema_errors(instance: Any, profile: Profile, root: str = "RunObject") -> list[str]:
    return [
        f"{error.json_path}: {error.message}"
        for error in validator(profile, root).iter_errors(instance)
    ]


@cache
def real_keys(profile: Profile) -> tuple[str, ...]:
    observations = json.loads((CORPUS / KEY_SOURCES[profile]).read_text(encoding="utf-8"))
    return tuple(observations[-1])
