"""The engine judges observations: schema of the profile, object rules, lifecycle rules."""

from runcontract.engine.core import Engine, Judging, SelectionError
from runcontract.engine.profiles import detect_profile

__all__ = ["Engine", "Judging", "SelectionError", "detect_profile"]
