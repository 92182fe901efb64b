"""The SARIF 2.1.0 schema (OASIS, errata 01, in tests/data) that every SARIF report must meet."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema.validators import validator_for

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@cache
def _validator() -> Any:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def conforms_to_sarif(document: dict[str, Any]) -> None:
    errors = [f"{e.json_path}: {e.message}" for e in _validator().iter_errors(document)]
    assert not errors, errors[:5]
