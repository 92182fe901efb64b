"""Object rules: one module per rule family, each registering its checks on import."""

from runcontract.rules import consistency, ids, metadata, timestamps, tools, usage
from runcontract.rules.registry import OBJECT_CHECKS, Finding, ObjectCheck

__all__ = [
    "OBJECT_CHECKS",
    "Finding",
    "ObjectCheck",
    "consistency",
    "ids",
    "metadata",
    "timestamps",
    "tools",
    "usage",
]
