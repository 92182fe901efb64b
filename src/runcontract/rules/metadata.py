"""Metadata limits that the spec states only in prose."""

from __future__ import annotations

from typing import Any

from runcontract.model import Profile
from runcontract.rules.registry import NULL, Finding, object_check, schema_form
from runcontract.vocabulary import (
    METADATA_MAX_KEY_LENGTH,
    METADATA_MAX_KEYS,
    METADATA_MAX_VALUE_LENGTH,
)

MAX_KEYS = METADATA_MAX_KEYS
MAX_KEY_LENGTH = METADATA_MAX_KEY_LENGTH
MAX_VALUE_LENGTH = METADATA_MAX_VALUE_LENGTH


@object_check("M001", "M002", "M003", "M004")
def metadata(run: dict[str, Any], profile: Profile, out: list[Finding]) -> None:
    value = run.get("metadata")
    if not value or not isinstance(value, dict):
        return
    if len(value) > MAX_KEYS:
        out.append(
            Finding(
                "M001",
                "$.metadata",
                f"metadata has {len(value)} keys; at most {MAX_KEYS} are allowed",
                len(value),
            )
        )
    for key, item in value.items():
        if len(key) > MAX_KEY_LENGTH:
            out.append(
                Finding(
                    "M002",
                    f"$.metadata[{key!r}]",
                    f"metadata key is {len(key)} characters long; at most {MAX_KEY_LENGTH}",
                    key,
                )
            )
        if isinstance(item, str):
            if len(item) > MAX_VALUE_LENGTH:
                out.append(
                    Finding(
                        "M003",
                        f"$.metadata[{key!r}]",
                        f"metadata value is {len(item)} characters long; at most "
                        f"{MAX_VALUE_LENGTH}",
                        len(item),
                    )
                )
        else:
            out.append(
                Finding(
                    "M004",
                    f"$.metadata[{key!r}]",
                    f"metadata value is {type(item).__name__}, not a string",
                    item,
                )
            )


schema_form(
    "M001",
    "M002",
    "M003",
    "M004",
    schema={
        "properties": {
            "metadata": {
                "anyOf": [
                    NULL,
                    {
                        "type": "object",
                        "maxProperties": MAX_KEYS,
                        "propertyNames": {"maxLength": MAX_KEY_LENGTH},
                        "additionalProperties": {"type": "string", "maxLength": MAX_VALUE_LENGTH},
                    },
                ]
            }
        }
    },
)
