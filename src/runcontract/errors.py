"""The root of the errors runcontract raises to a caller.

Every exception a caller of runcontract's Python API can be handed for a fault of the input or
the usage derives from `RuncontractError`, so `except runcontract.RuncontractError` catches them
all; each also keeps the built-in base it had (ValueError for a bad argument), so older handlers
still work. What the API under test does is never an exception: it is a violation.
"""

from __future__ import annotations


class RuncontractError(Exception):
    """Something runcontract was asked to do cannot be done as asked."""
